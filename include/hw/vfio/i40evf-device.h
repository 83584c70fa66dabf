/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the interface vfio-i40evf and vfio-user-i40evf implement,
 * and the class setup they share (i40evf-device.c).
 */

#ifndef HW_VFIO_I40EVF_DEVICE_H
#define HW_VFIO_I40EVF_DEVICE_H

#include "qom/object.h"
#include "hw/pci/pci_device.h"
#include "hw/resettable.h"

#define TYPE_I40EVF_DEVICE "i40evf-device"

typedef struct I40EVFDeviceClass I40EVFDeviceClass;
DECLARE_CLASS_CHECKERS(I40EVFDeviceClass, I40EVF_DEVICE, TYPE_I40EVF_DEVICE)

struct I40EVFDeviceClass {
    InterfaceClass parent_class;

    size_t trap_offset;         /* of the I40EVFTrap in the instance */
    void (*parent_realize)(PCIDevice *pdev, Error **errp);
    void (*parent_exit)(PCIDevice *pdev);
    ResettablePhases parent_phases;
};

/*
 * The properties both devices have, for a state type that keeps its
 * I40EVFTrap in a field named trap (one macro a property: a list in one
 * macro is what checkpatch.pl calls a complex value).
 */
#define DEFINE_I40EVF_PROP_MBX_TIMEOUT(_state)                           \
    DEFINE_PROP_UINT32("x-mbx-timeout-ms", _state, trap.mbx.timeout_ms,  \
                       I40EVF_MBX_TIMEOUT_MS)
#define DEFINE_I40EVF_PROP_RESUME(_state)                                \
    DEFINE_PROP_SIGNED("resume", _state, trap.mig.resume,                \
                       VFIO_I40EVF_RESUME_RELAY, i40evf_prop_resume,     \
                       VfioI40evfResume)

/*
 * i40evf_device_class_init: called from the class_init of a subclass of
 * vfio-pci or vfio-user-pci that keeps an I40EVFTrap at @trap_offset.
 */
void i40evf_device_class_init(ObjectClass *klass, size_t trap_offset,
                              const Property *props, size_t nprops);

#endif /* HW_VFIO_I40EVF_DEVICE_H */
