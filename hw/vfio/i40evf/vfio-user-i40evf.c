/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-user-i40evf: an X710 VF served over vfio-user, its mailbox trapped.
 */

#include "qemu/osdep.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "hw/vfio-user/pci.h"
#include "hw/vfio/i40evf.h"
#include "hw/vfio/i40evf-device.h"

OBJECT_DECLARE_SIMPLE_TYPE(VFIOUserI40EVF, VFIO_USER_I40EVF)

struct VFIOUserI40EVF {
    VFIOUserPCIDevice parent_obj;
    I40EVFTrap trap;
};

static const Property vfio_user_i40evf_properties[] = {
    DEFINE_I40EVF_PROP_MBX_TIMEOUT(VFIOUserI40EVF),
    DEFINE_I40EVF_PROP_RESUME(VFIOUserI40EVF),
};

static const VMStateDescription vmstate_vfio_user_i40evf = {
    .name = TYPE_VFIO_USER_I40EVF,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(parent_obj.parent_obj, VFIOUserI40EVF, 1,
                       vmstate_vfio_pci_config, VFIOPCIDevice),
        VMSTATE_STRUCT(trap, VFIOUserI40EVF, 1, vmstate_i40evf_trap,
                       I40EVFTrap),
        VMSTATE_END_OF_LIST()
    }
};

static void vfio_user_i40evf_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VFIOUserPCIDeviceClass *udc = VFIO_USER_PCI_CLASS(klass);

    i40evf_device_class_init(klass, offsetof(VFIOUserI40EVF, trap),
                             vfio_user_i40evf_properties,
                             ARRAY_SIZE(vfio_user_i40evf_properties));
    dc->desc = "Intel X710 VF over vfio-user, mailbox trapped";
    dc->vmsd = &vmstate_vfio_user_i40evf;
    udc->migratable = true;
}

static const TypeInfo vfio_user_i40evf_info = {
    .name = TYPE_VFIO_USER_I40EVF,
    .parent = TYPE_VFIO_USER_PCI,
    .instance_size = sizeof(VFIOUserI40EVF),
    .class_size = sizeof(VFIOUserPCIDeviceClass),
    .class_init = vfio_user_i40evf_class_init,
    .interfaces = (const InterfaceInfo[]) {
        { TYPE_I40EVF_DEVICE },
        { }
    },
};

static void vfio_user_i40evf_register_types(void)
{
    type_register_static(&vfio_user_i40evf_info);
}

type_init(vfio_user_i40evf_register_types)
