/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel Ethernet 700-series (X710) virtual function: QOM and PCI
 * glue.  The device presents itself as an SR-IOV VF (8086:154c) handed to
 * the guest, with the PF that would own it built in; the unmodified Linux
 * iavf driver drives it.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/module.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "standard-headers/linux/virtio_net.h"
#include "i40e-vf-core.h"
#include "trace.h"

#define TYPE_I40E_VF "i40e-vf"
OBJECT_DECLARE_SIMPLE_TYPE(I40EVFState, I40E_VF)

struct I40EVFState {
    PCIDevice parent_obj;

    NICState *nic;
    NICConf conf;
    MemoryRegion mmio;
    MemoryRegion msix;
    I40EVFCore core;
};

static uint64_t i40e_vf_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    I40EVFState *s = opaque;

    return i40e_vf_core_read(&s->core, addr);
}

static void i40e_vf_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    I40EVFState *s = opaque;

    i40e_vf_core_write(&s->core, addr, val);
}

static const MemoryRegionOps i40e_vf_mmio_ops = {
    .read = i40e_vf_mmio_read,
    .write = i40e_vf_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static ssize_t i40e_vf_nc_receive(NetClientState *nc, const uint8_t *buf,
                                  size_t size)
{
    I40EVFState *s = qemu_get_nic_opaque(nc);

    return i40e_vf_receive(&s->core, buf, size);
}

static void i40e_vf_nc_link_status_changed(NetClientState *nc)
{
    I40EVFState *s = qemu_get_nic_opaque(nc);

    i40e_vf_pf_link_change(&s->core);
}

static NetClientInfo net_i40e_vf_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .receive = i40e_vf_nc_receive,
    .link_status_changed = i40e_vf_nc_link_status_changed,
};

static void i40e_vf_write_config(PCIDevice *pci_dev, uint32_t addr,
                                 uint32_t val, int len)
{
    pci_default_write_config(pci_dev, addr, val, len);
    pcie_cap_flr_write_config(pci_dev, addr, val, len);
}

static void i40e_vf_realize(PCIDevice *pci_dev, Error **errp)
{
    I40EVFState *s = I40E_VF(pci_dev);
    DeviceState *dev = DEVICE(pci_dev);
    NetClientState *peer;
    uint8_t bar_type = PCI_BASE_ADDRESS_SPACE_MEMORY |
                       PCI_BASE_ADDRESS_MEM_TYPE_64 |
                       PCI_BASE_ADDRESS_MEM_PREFETCH;

    if (s->core.default_queues < 1 ||
        s->core.default_queues > I40E_VF_MAX_QUEUES) {
        error_setg(errp, "queues must be between 1 and %d",
                   I40E_VF_MAX_QUEUES);
        return;
    }
    if (s->core.num_vectors < 2 || s->core.num_vectors > I40E_VF_MAX_VECTORS) {
        error_setg(errp, "vectors must be between 2 and %d (the mailbox "
                   "vector and at least one queue vector)",
                   I40E_VF_MAX_VECTORS);
        return;
    }
    if (s->core.vsi_id > 0x3ff) {
        error_setg(errp, "vsi-id must be below 1024");
        return;
    }

    pci_dev->config[PCI_INTERRUPT_PIN] = 0;
    memory_region_init_io(&s->mmio, OBJECT(s), &i40e_vf_mmio_ops, s,
                          "i40e-vf-mmio", I40E_VF_BAR0_SIZE);
    pci_register_bar(pci_dev, 0, bar_type, &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "i40e-vf-msix",
                       I40E_VF_MSIX_BAR_SIZE);
    pci_register_bar(pci_dev, I40E_VF_MSIX_BAR, bar_type, &s->msix);

    if (pcie_endpoint_cap_init(pci_dev, I40E_VF_PCIE_CAP_OFFSET) < 0) {
        error_setg(errp, "cannot add the PCI Express capability");
        return;
    }
    pcie_cap_flr_init(pci_dev);
    if (msix_init(pci_dev, s->core.num_vectors,
                  &s->msix, I40E_VF_MSIX_BAR, I40E_VF_MSIX_TABLE_OFFSET,
                  &s->msix, I40E_VF_MSIX_BAR, I40E_VF_MSIX_PBA_OFFSET,
                  I40E_VF_MSIX_CAP_OFFSET, errp) < 0) {
        return;
    }
    for (int i = 0; i < s->core.num_vectors; i++) {
        msix_vector_use(pci_dev, i);
    }
    if (pcie_aer_init(pci_dev, PCI_ERR_VER, I40E_VF_AER_CAP_OFFSET,
                      PCI_ERR_SIZEOF, errp) < 0) {
        msix_uninit(pci_dev, &s->msix, &s->msix);
        return;
    }

    /* mac= is the address the host administrator set; else the VF picks. */
    s->core.admin_mac = !buffer_is_zero(s->conf.macaddr.a, ETH_ALEN);
    if (s->core.admin_mac) {
        s->core.default_mac = s->conf.macaddr;
    }
    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&net_i40e_vf_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);

    /*
     * With a backend that speaks virtio-net headers (tap), TSO and checksum
     * offloads pass through as they are, and frames arrive with their
     * checksum state instead of being checked twice; as igb does.
     */
    peer = qemu_get_queue(s->nic)->peer;
    if (peer && qemu_has_vnet_hdr(peer)) {
        qemu_set_vnet_hdr_len(peer, sizeof(struct virtio_net_hdr));
        qemu_set_offload(peer, &(NetOffloads) { .csum = true });
        s->core.has_vnet = true;
    }
    i40e_vf_core_realize(&s->core, pci_dev, s->nic);
}

static void i40e_vf_exit(PCIDevice *pci_dev)
{
    I40EVFState *s = I40E_VF(pci_dev);

    i40e_vf_core_unrealize(&s->core);
    qemu_del_nic(s->nic);
    pcie_aer_exit(pci_dev);
    msix_unuse_all_vectors(pci_dev);
    msix_uninit(pci_dev, &s->msix, &s->msix);
}

/* A machine reset and a function-level reset. */
static void i40e_vf_reset_hold(Object *obj, ResetType type)
{
    I40EVFState *s = I40E_VF(obj);

    i40e_vf_core_flr(&s->core);
}

static const VMStateDescription vmstate_i40e_vf_ring = {
    .name = "i40e-vf/ring",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(base, I40EVFRing),
        VMSTATE_UINT32(len, I40EVFRing),
        VMSTATE_UINT32(head, I40EVFRing),
        VMSTATE_UINT32(tail, I40EVFRing),
        VMSTATE_BOOL(enabled, I40EVFRing),
        VMSTATE_UINT32(buf_size, I40EVFRing),
        VMSTATE_UINT32(max_pkt, I40EVFRing),
        VMSTATE_BOOL(headwb, I40EVFRing),
        VMSTATE_UINT64(headwb_addr, I40EVFRing),
        VMSTATE_UINT8(vector, I40EVFRing),
        VMSTATE_UINT8(itr_idx, I40EVFRing),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_i40e_vf_vector = {
    .name = "i40e-vf/vector",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(intena, I40EVFVector),
        VMSTATE_BOOL(pending, I40EVFVector),
        VMSTATE_UINT16_ARRAY(itr, I40EVFVector, I40E_VF_ITR_INDICES),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_i40e_vf_mac = {
    .name = "i40e-vf/mac",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(addr, I40EVFMacFilter, ETH_ALEN),
        VMSTATE_UINT8(type, I40EVFMacFilter),
        VMSTATE_BOOL(in_use, I40EVFMacFilter),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_i40e_vf_stats = {
    .name = "i40e-vf/stats",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(rx_bytes, struct virtchnl_eth_stats),
        VMSTATE_UINT64(rx_unicast, struct virtchnl_eth_stats),
        VMSTATE_UINT64(rx_multicast, struct virtchnl_eth_stats),
        VMSTATE_UINT64(rx_broadcast, struct virtchnl_eth_stats),
        VMSTATE_UINT64(rx_discards, struct virtchnl_eth_stats),
        VMSTATE_UINT64(rx_unknown_protocol, struct virtchnl_eth_stats),
        VMSTATE_UINT64(tx_bytes, struct virtchnl_eth_stats),
        VMSTATE_UINT64(tx_unicast, struct virtchnl_eth_stats),
        VMSTATE_UINT64(tx_multicast, struct virtchnl_eth_stats),
        VMSTATE_UINT64(tx_broadcast, struct virtchnl_eth_stats),
        VMSTATE_UINT64(tx_discards, struct virtchnl_eth_stats),
        VMSTATE_UINT64(tx_errors, struct virtchnl_eth_stats),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * What the PF and the silicon keep beyond version 1 of the stream: the
 * requested capabilities, the VF's own primary MAC, the VLAN count,
 * vector-0 cause and auto-mask state, and a malicious-driver stop.
 */
static const VMStateDescription vmstate_i40e_vf_pf_state = {
    .name = "i40e-vf/pf-state",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(core.driver_caps, I40EVFState),
        VMSTATE_UINT8_ARRAY(core.default_mac.a, I40EVFState, ETH_ALEN),
        VMSTATE_UINT16(core.num_vlan, I40EVFState),
        VMSTATE_UINT32(core.icr01_unsignalled, I40EVFState),
        VMSTATE_BOOL(core.automask_vf0_off, I40EVFState),
        VMSTATE_BOOL(core.mdd_disabled, I40EVFState),
        VMSTATE_END_OF_LIST()
    }
};

static int i40e_vf_post_load(void *opaque, int version_id)
{
    I40EVFState *s = opaque;

    return i40e_vf_core_post_load(&s->core);
}

static const VMStateDescription vmstate_i40e_vf = {
    .name = "i40e-vf",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = i40e_vf_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, I40EVFState),
        VMSTATE_MSIX(parent_obj, I40EVFState),
        VMSTATE_UINT16_EQUAL(core.vsi_id, I40EVFState, NULL),
        VMSTATE_UINT16_EQUAL(core.num_vectors, I40EVFState, NULL),
        VMSTATE_TIMER_PTR(core.reset_timer, I40EVFState),
        VMSTATE_STRUCT(core.atq, I40EVFState, 1, vmstate_i40e_vf_aq,
                       I40EVFAdminQueue),
        VMSTATE_STRUCT(core.arq, I40EVFState, 1, vmstate_i40e_vf_aq,
                       I40EVFAdminQueue),
        VMSTATE_UINT32(core.rstat, I40EVFState),
        VMSTATE_UINT32(core.icr01, I40EVFState),
        VMSTATE_UINT32(core.icr0_ena, I40EVFState),
        VMSTATE_STRUCT_ARRAY(core.vec, I40EVFState, I40E_VF_MAX_VECTORS, 1,
                             vmstate_i40e_vf_vector, I40EVFVector),
        VMSTATE_UINT32_ARRAY(core.rss_hena_reg, I40EVFState,
                             I40E_VFQF_HENA_REGS),
        VMSTATE_UINT32_ARRAY(core.rss_hkey_reg, I40EVFState,
                             I40E_VFQF_HKEY_REGS),
        VMSTATE_UINT32_ARRAY(core.rss_hlut_reg, I40EVFState,
                             I40E_VFQF_HLUT_REGS),
        VMSTATE_UINT32(core.ver.major, I40EVFState),
        VMSTATE_UINT32(core.ver.minor, I40EVFState),
        VMSTATE_UINT32(core.caps, I40EVFState),
        VMSTATE_BOOL(core.resources_sent, I40EVFState),
        VMSTATE_UINT16(core.num_queue_pairs, I40EVFState),
        VMSTATE_STRUCT_ARRAY(core.rx, I40EVFState, I40E_VF_MAX_QUEUES, 1,
                             vmstate_i40e_vf_ring, I40EVFRing),
        VMSTATE_STRUCT_ARRAY(core.tx, I40EVFState, I40E_VF_MAX_QUEUES, 1,
                             vmstate_i40e_vf_ring, I40EVFRing),
        VMSTATE_STRUCT_ARRAY(core.macs, I40EVFState, I40E_VF_MAX_MACS, 1,
                             vmstate_i40e_vf_mac, I40EVFMacFilter),
        VMSTATE_UINT32_ARRAY(core.vlans, I40EVFState, I40E_VF_VLAN_WORDS),
        VMSTATE_UINT32(core.promisc, I40EVFState),
        VMSTATE_BOOL(core.vlan_strip, I40EVFState),
        VMSTATE_UINT8_ARRAY(core.rss_key, I40EVFState, VIRTCHNL_RSS_KEY_SIZE),
        VMSTATE_UINT8_ARRAY(core.rss_lut, I40EVFState, VIRTCHNL_RSS_LUT_SIZE),
        VMSTATE_UINT64(core.rss_hena, I40EVFState),
        VMSTATE_STRUCT(core.stats, I40EVFState, 1, vmstate_i40e_vf_stats,
                       struct virtchnl_eth_stats),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_i40e_vf_pf_state,
        NULL
    }
};

static const Property i40e_vf_properties[] = {
    DEFINE_NIC_PROPERTIES(I40EVFState, conf),
    DEFINE_PROP_UINT16("queues", I40EVFState, core.default_queues, 4),
    DEFINE_PROP_UINT16("vectors", I40EVFState, core.num_vectors, 5),
    DEFINE_PROP_UINT16("vsi-id", I40EVFState, core.vsi_id, 1),
    DEFINE_PROP_BOOL("spoofchk", I40EVFState, core.spoofchk, true),
    DEFINE_PROP_UINT32("reset-delay", I40EVFState, core.reset_ms,
                       I40E_VF_RESET_MS),
};

static bool i40e_vf_get_trusted(Object *obj, Error **errp)
{
    return I40E_VF(obj)->core.trusted;
}

/*
 * The host may change trust while the VF runs: i40e_ndo_set_vf_trust then
 * resets the VF, announcing it.
 */
static void i40e_vf_set_trusted(Object *obj, bool value, Error **errp)
{
    I40EVFState *s = I40E_VF(obj);

    if (s->core.trusted == value) {
        return;
    }
    s->core.trusted = value;
    if (DEVICE(obj)->realized) {
        i40e_vf_pf_announce_reset(&s->core);
    }
}

/* Test only, off when empty; may change at any time (i40e-vf-fault.c). */
static char *i40e_vf_get_pf_fault(Object *obj, Error **errp)
{
    return i40e_vf_fault_get(&I40E_VF(obj)->core.fault);
}

static void i40e_vf_set_pf_fault(Object *obj, const char *value, Error **errp)
{
    i40e_vf_fault_set(&I40E_VF(obj)->core.fault, DEVICE(obj), value, errp);
}

static void i40e_vf_instance_finalize(Object *obj)
{
    i40e_vf_fault_finalize(&I40E_VF(obj)->core.fault);
}

static void i40e_vf_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = i40e_vf_realize;
    k->exit = i40e_vf_exit;
    k->config_write = i40e_vf_write_config;
    k->vendor_id = I40E_VF_VENDOR_ID;
    k->device_id = I40E_VF_DEVICE_ID;
    k->revision = I40E_VF_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    rc->phases.hold = i40e_vf_reset_hold;
    dc->desc = "Intel Ethernet 700 Series (X710) Virtual Function";
    dc->vmsd = &vmstate_i40e_vf;
    device_class_set_props(dc, i40e_vf_properties);
    object_class_property_set_description(klass, "mac",
        "like 'ip link set ... vf N mac M': the VF may add no other unicast "
        "address unless trusted; without it the VF picks its own");
    object_class_property_set_description(klass, "queues",
        "queue pairs the PF grants (1-16); the guest may request more");
    object_class_property_set_description(klass, "vectors",
        "MSI-X vectors: the mailbox vector and the queue vectors (2-17)");
    object_class_property_set_description(klass, "vsi-id",
        "VSI number the PF gives the VF (0-1023)");
    object_class_property_add_bool(klass, "trusted", i40e_vf_get_trusted,
                                   i40e_vf_set_trusted);
    object_class_property_set_description(klass, "trusted",
        "like 'ip link set ... vf N trust on': promiscuous mode and more "
        "filters; changing it resets the VF, as i40e does");
    object_class_property_set_description(klass, "spoofchk",
        "like 'ip link set ... vf N spoofchk': drop (and count) frames sent "
        "from a MAC or VLAN that is not the VF's");
    object_class_property_set_description(klass, "reset-delay",
        "milliseconds from a VF reset to VFACTIVE (i40e: about 30)");
    object_class_property_add_str(klass, "x-pf-fault", i40e_vf_get_pf_fault,
                                  i40e_vf_set_pf_fault);
    object_class_property_set_description(klass, "x-pf-fault",
        "test only: 'OPCODE:ACTION[*COUNT];...' makes the PF drop, delay=MS "
        "or refuse[=STATUS] virtchnl messages; empty (default) for none");
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo i40e_vf_info = {
    .name = TYPE_I40E_VF,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(I40EVFState),
    .instance_finalize = i40e_vf_instance_finalize,
    .class_init = i40e_vf_class_init,
    .interfaces = (const InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void i40e_vf_register_types(void)
{
    type_register_static(&i40e_vf_info);
}

type_init(i40e_vf_register_types)
