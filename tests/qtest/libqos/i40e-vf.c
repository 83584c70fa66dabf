/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated Intel 700-series VF (i40e-vf) as a qos graph node.  The
 * node's object carries a libqos/iavf driver set up on the device the
 * graph found and the allocator it gave, as qiavf_init() sets one up on a
 * QOSState: the admin queue rings, their buffers and the memory MSI-X
 * messages land in.
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/module.h"
#include "i40e-vf.h"

static void *i40e_vf_get_driver(void *obj, const char *interface)
{
    QI40eVF *d = obj;

    if (!g_strcmp0(interface, "i40e-vf")) {
        return d;
    }
    if (!g_strcmp0(interface, "pci-device")) {
        return &d->pci_dev;
    }
    fprintf(stderr, "%s not present in i40e-vf\n", interface);
    g_assert_not_reached();
}

static void i40e_vf_start_hw(QOSGraphObject *obj)
{
    QI40eVF *d = (QI40eVF *)obj;

    qiavf_pci_enable(&d->iavf);
}

static void i40e_vf_destructor(QOSGraphObject *obj)
{
    QI40eVF *d = (QI40eVF *)obj;
    QIavf *v = &d->iavf;

    qpci_msix_disable(&d->pci_dev);
    qpci_iounmap(&d->pci_dev, v->bar0);
    guest_free(v->alloc, v->atq);
    guest_free(v->alloc, v->arq);
    guest_free(v->alloc, v->atq_bufs);
    guest_free(v->alloc, v->arq_bufs);
    guest_free(v->alloc, v->irq_mem);
}

static void i40e_vf_found(QPCIDevice *dev, int devfn, void *data)
{
    memcpy(data, dev, sizeof(*dev));
    g_free(dev);
}

static void *i40e_vf_create(void *pci_bus, QGuestAllocator *alloc,
                            void *addr)
{
    QI40eVF *d = g_new0(QI40eVF, 1);
    QPCIAddress *address = addr;
    QPCIBus *bus = pci_bus;
    QIavf *v = &d->iavf;

    qpci_device_foreach(bus, address->vendor_id, address->device_id,
                        i40e_vf_found, &d->pci_dev);
    g_assert(d->pci_dev.bus);

    v->qts = bus->qts;
    v->alloc = alloc;
    v->pdev = &d->pci_dev;
    v->atq = guest_alloc(alloc, QIAVF_AQ_LEN * sizeof(struct i40e_aq_desc));
    v->arq = guest_alloc(alloc, QIAVF_AQ_LEN * sizeof(struct i40e_aq_desc));
    v->atq_bufs = guest_alloc(alloc, QIAVF_AQ_LEN * QIAVF_AQ_BUF);
    v->arq_bufs = guest_alloc(alloc, QIAVF_AQ_LEN * QIAVF_AQ_BUF);
    v->irq_mem = guest_alloc(alloc, 4 * I40E_VF_MAX_VECTORS);

    d->obj.get_driver = i40e_vf_get_driver;
    d->obj.start_hw = i40e_vf_start_hw;
    d->obj.destructor = i40e_vf_destructor;
    return &d->obj;
}

static void i40e_vf_register_nodes(void)
{
    QPCIAddress addr = {
        .vendor_id = I40E_VF_VENDOR_ID,
        .device_id = I40E_VF_DEVICE_ID,
    };
    QOSGraphEdgeOptions opts = { 0 };

    add_qpci_address(&opts, &addr);
    qos_node_create_driver("i40e-vf", i40e_vf_create);
    qos_node_consumes("i40e-vf", "pci-bus", &opts);
    qos_node_produces("i40e-vf", "pci-device");
}

libqos_init(i40e_vf_register_nodes);
