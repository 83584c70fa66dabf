/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qos tests of the emulated Intel 700-series VF (i40e-vf) on every PCI
 * bus the qos graph offers it: the device as the graph found it, a
 * virtchnl bring-up through libqos/iavf, and hotplug.  The device's own
 * behaviour is tested in depth by i40e-vf-{regs,aq,txrx,migration}-test.
 */

#include "qemu/osdep.h"
#include "libqtest-single.h"
#include "qemu/module.h"
#include "libqos/i40e-vf.h"

static void test_i40e_vf_init(void *obj, void *data, QGuestAllocator *alloc)
{
    QI40eVF *d = obj;

    g_assert_cmphex(qpci_config_readw(&d->pci_dev, PCI_VENDOR_ID), ==,
                    I40E_VF_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(&d->pci_dev, PCI_DEVICE_ID), ==,
                    I40E_VF_DEVICE_ID);
    g_assert_cmpuint(qpci_msix_table_size(&d->pci_dev), ==, 5);
}

/* The default device: 4 queue pairs, 5 vectors, VSI 1, X710's caps */
static void test_i40e_vf_virtchnl(void *obj, void *data,
                                  QGuestAllocator *alloc)
{
    QI40eVF *d = obj;

    qiavf_negotiate(&d->iavf, QIAVF_IAVF_CAPS);
    g_assert_cmphex(d->iavf.caps, ==, QIAVF_X710_CAPS);
    g_assert_cmpuint(d->iavf.num_queue_pairs, ==, 4);
    g_assert_cmpuint(d->iavf.max_vectors, ==, 5);
    g_assert_cmpuint(d->iavf.vsi_id, ==, 1);
}

static void test_i40e_vf_hotplug(void *obj, void *data,
                                 QGuestAllocator *alloc)
{
    QTestState *qts = global_qtest;
    QI40eVF *d = obj;

    if (d->pci_dev.bus->not_hotpluggable) {
        g_test_skip("pci bus does not support hotplug");
        return;
    }
    qtest_qmp_device_add(qts, "i40e-vf", "i40e_vf_hp", "{'addr': '0x06'}");
    qpci_unplug_acpi_device_test(qts, "i40e_vf_hp", 0x06);
}

static void register_i40e_vf_test(void)
{
    qos_add_test("init", "i40e-vf", test_i40e_vf_init, NULL);
    qos_add_test("virtchnl", "i40e-vf", test_i40e_vf_virtchnl, NULL);
    qos_add_test("hotplug", "i40e-vf", test_i40e_vf_hotplug, NULL);
}

libqos_init(register_i40e_vf_test);
