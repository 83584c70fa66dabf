/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: what vfio-i40evf and vfio-user-i40evf share as devices.
 *
 * Both implement the "i40evf-device" interface, whose class holds where
 * the device keeps its trap and the parent class's realize, exit and
 * reset: the realize, exit and reset here wrap the parent's for either
 * transport, so the two types are only a TypeInfo each.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "hw/vfio/i40evf.h"
#include "hw/vfio/i40evf-device.h"

I40EVFTrap *i40evf_trap_of(Object *obj)
{
    I40EVFDeviceClass *ic;

    if (!object_dynamic_cast(obj, TYPE_I40EVF_DEVICE)) {
        return NULL;
    }
    ic = I40EVF_DEVICE_GET_CLASS(obj);
    return (I40EVFTrap *)((char *)obj + ic->trap_offset);
}

/*
 * The VF's vectors that QEMU sees first: vector 0, the mailbox's, always;
 * the queue vectors while the relay runs.
 */
static void i40evf_device_msix(void *opaque, unsigned int nr)
{
    I40EVFTrap *t = opaque;

    if (nr) {
        i40evf_relay_vector(t, nr);
    } else {
        i40evf_trap_vector0(t);
    }
}

static void i40evf_device_realize(PCIDevice *pdev, Error **errp)
{
    ERRP_GUARD();
    I40EVFDeviceClass *ic = I40EVF_DEVICE_GET_CLASS(pdev);
    I40EVFTrap *t = i40evf_trap_of(OBJECT(pdev));
    VFIOPCIDevice *vdev = VFIO_PCI_DEVICE(pdev);

    ic->parent_realize(pdev, errp);
    if (*errp) {
        return;
    }
    if (!i40evf_trap_realize(t, vdev, errp)) {
        error_prepend(errp, "%s: ", vdev->vbasedev.name);
        ic->parent_exit(pdev);
        return;
    }
    i40evf_migration_init(t);
    vdev->msix_intercept = i40evf_device_msix;
    vdev->msix_intercept_opaque = t;
    vdev->msix_intercepted = 1;
}

static void i40evf_device_exit(PCIDevice *pdev)
{
    I40EVFDeviceClass *ic = I40EVF_DEVICE_GET_CLASS(pdev);
    I40EVFTrap *t = i40evf_trap_of(OBJECT(pdev));
    VFIOPCIDevice *vdev = VFIO_PCI_DEVICE(pdev);

    if (t->vdev) {
        vdev->msix_intercepted = 0;
        vdev->msix_intercept = NULL;
        i40evf_migration_exit(t);
        i40evf_trap_exit(t);
    }
    ic->parent_exit(pdev);
}

/* The device reset clears the VF's mailbox: the trap starts over. */
static void i40evf_device_reset_hold(Object *obj, ResetType type)
{
    I40EVFDeviceClass *ic = I40EVF_DEVICE_GET_CLASS(obj);

    if (ic->parent_phases.hold) {
        ic->parent_phases.hold(obj, type);
    }
    i40evf_trap_reset(i40evf_trap_of(obj));
}

void i40evf_device_class_init(ObjectClass *klass, size_t trap_offset,
                              const Property *props, size_t nprops)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pdc = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    I40EVFDeviceClass *ic = OBJECT_CLASS_CHECK(I40EVFDeviceClass, klass,
                                               TYPE_I40EVF_DEVICE);

    ic->trap_offset = trap_offset;
    ic->parent_realize = pdc->realize;
    ic->parent_exit = pdc->exit;
    pdc->realize = i40evf_device_realize;
    pdc->exit = i40evf_device_exit;
    resettable_class_set_parent_phases(rc, NULL, i40evf_device_reset_hold,
                                       NULL, &ic->parent_phases);
    device_class_set_props_n(dc, props, nprops);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo i40evf_device_info = {
    .name = TYPE_I40EVF_DEVICE,
    .parent = TYPE_INTERFACE,
    .class_size = sizeof(I40EVFDeviceClass),
};

static void i40evf_device_register_types(void)
{
    type_register_static(&i40evf_device_info);
}

type_init(i40evf_device_register_types)
