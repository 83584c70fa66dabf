/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: an X710 VF passed through with kernel VFIO, its mailbox
 * trapped.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "migration/blocker.h"
#include "migration/vmstate.h"
#include "hw/vfio/types.h"
#include "hw/vfio/vfio-device.h"
#include "hw/vfio/i40evf.h"
#include "hw/vfio/i40evf-device.h"

OBJECT_DECLARE_SIMPLE_TYPE(VFIOI40EVF, VFIO_I40EVF)

struct VFIOI40EVF {
    VFIOPCIDevice parent_obj;
    I40EVFTrap trap;
};

static const Property vfio_i40evf_properties[] = {
    DEFINE_I40EVF_PROP_MBX_TIMEOUT(VFIOI40EVF),
    DEFINE_I40EVF_PROP_RESUME(VFIOI40EVF),
};

static const VMStateDescription vmstate_vfio_i40evf = {
    .name = TYPE_VFIO_I40EVF,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(parent_obj, VFIOI40EVF, 1, vmstate_vfio_pci_config,
                       VFIOPCIDevice),
        VMSTATE_STRUCT(trap, VFIOI40EVF, 1, vmstate_i40evf_trap, I40EVFTrap),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * vfio-pci's realize.  No kernel driver migrates an X710 VF, so vfio-pci
 * blocks migration; the trap migrates the VF's state instead, and the
 * blocker goes unless the user turned migration off.  A VF whose kernel
 * driver migrates it is refused: both would restore it.
 */
static void vfio_i40evf_pci_realize(PCIDevice *pdev, Error **errp)
{
    ERRP_GUARD();
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(object_class_by_name(TYPE_VFIO_PCI));
    VFIODevice *vbasedev = &VFIO_PCI_DEVICE(pdev)->vbasedev;

    pc->realize(pdev, errp);
    if (*errp) {
        return;
    }
    if (vbasedev->migration) {
        error_setg(errp, "%s: its kernel driver migrates the VF: use "
                   "vfio-pci", vbasedev->name);
        pc->exit(pdev);
        return;
    }
    if (vbasedev->enable_migration != ON_OFF_AUTO_OFF) {
        migrate_del_blocker(&vbasedev->migration_blocker);
    }
}

static void vfio_i40evf_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    I40EVFDeviceClass *ic = I40EVF_DEVICE_CLASS(klass);

    i40evf_device_class_init(klass, offsetof(VFIOI40EVF, trap),
                             vfio_i40evf_properties,
                             ARRAY_SIZE(vfio_i40evf_properties));
    dc->desc = "Intel X710 VF assignment, mailbox trapped";
    dc->vmsd = &vmstate_vfio_i40evf;
    ic->parent_realize = vfio_i40evf_pci_realize;
}

static const TypeInfo vfio_i40evf_info = {
    .name = TYPE_VFIO_I40EVF,
    .parent = TYPE_VFIO_PCI,
    .instance_size = sizeof(VFIOI40EVF),
    .class_init = vfio_i40evf_class_init,
    .interfaces = (const InterfaceInfo[]) {
        { TYPE_I40EVF_DEVICE },
        { }
    },
};

static void vfio_i40evf_register_types(void)
{
    type_register_static(&vfio_i40evf_info);
}

type_init(vfio_i40evf_register_types)
