/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated Intel 700-series VF (i40e-vf) as a qos graph node: it
 * consumes a pci-bus, produces a pci-device (so the generic PCI tests run
 * on it) and hands its tests a libqos/iavf driver on the graph's device.
 */

#ifndef QTEST_LIBQOS_I40E_VF_H
#define QTEST_LIBQOS_I40E_VF_H

#include "qgraph.h"
#include "pci.h"
#include "iavf.h"

typedef struct QI40eVF {
    QOSGraphObject obj;
    QPCIDevice pci_dev;
    QIavf iavf;         /* on pci_dev and the graph's allocator */
} QI40eVF;

#endif
