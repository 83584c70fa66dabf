/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x-query-vfio-i40evf in a QEMU built without the devices */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vfio-i40evf.h"

VfioI40evfInfoList *qmp_x_query_vfio_i40evf(Error **errp)
{
    error_setg(errp, "this QEMU is built without vfio-i40evf");
    return NULL;
}
