/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: an X710 VF passed through with kernel VFIO, its mailbox
 * trapped.
 */

#include "qemu/osdep.h"
#include "hw/qdev-properties.h"
#include "hw/vfio/types.h"
#include "hw/vfio/i40evf.h"
#include "hw/vfio/i40evf-device.h"

OBJECT_DECLARE_SIMPLE_TYPE(VFIOI40EVF, VFIO_I40EVF)

struct VFIOI40EVF {
    VFIOPCIDevice parent_obj;
    I40EVFTrap trap;
};

static const Property vfio_i40evf_properties[] = {
    DEFINE_PROP_UINT32("x-mbx-timeout-ms", VFIOI40EVF, trap.timeout_ms,
                       I40EVF_MBX_TIMEOUT_MS),
};

static void vfio_i40evf_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    i40evf_device_class_init(klass, offsetof(VFIOI40EVF, trap),
                             vfio_i40evf_properties,
                             ARRAY_SIZE(vfio_i40evf_properties));
    dc->desc = "Intel X710 VF assignment, mailbox trapped";
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
