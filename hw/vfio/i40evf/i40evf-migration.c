/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: migrating the VF's state without kernel VFIO migration.
 *
 * While migrating, the VF's writes to guest memory are tracked
 * (i40evf-dirty.c).  Early, in pre-copy, the destination learns what the
 * guest negotiated
 * and checks that its own PF grants it; only then does it ack the
 * switchover.  At the switchover, the stream carries the device's PCI
 * config and MSI-X state as vfio-pci sends them, the guest's virtual
 * mailbox and vector 0, and the shadow.
 * The source first lets the mailbox finish what the guest asked and
 * stops the queues through it, so the VF no longer writes guest memory
 * once the last RAM is sent; if the migration fails after that, the
 * source carries the guest's rings over onto its own VF as a destination
 * would (the VF restarts its queues at slot 0, the guest's rings are
 * elsewhere), or announces a VF reset if it cannot.  The destination
 * brings its own VF's mailbox up, checks that its PF grants what the
 * guest negotiated, recreates the configuration on it and carries the
 * guest's rings over
 * (i40evf-relay.c); with resume=reset, or if the rings cannot be carried
 * over, it announces a VF reset instead, as a PF does after
 * reconfiguring a VF, and the guest's driver rebuilds its queues.
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "hw/core/qdev-prop-internal.h"
#include "hw/pci/msix.h"
#include "migration/blocker.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "migration/savevm.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "qapi/qapi-types-vfio-i40evf.h"
#include "hw/vfio/i40evf.h"
#include "trace.h"

const PropertyInfo i40evf_prop_resume = {
    .type = "VfioI40evfResume",
    .description = "relay/reset",
    .enum_table = &VfioI40evfResume_lookup,
    .get = qdev_propinfo_get_enum,
    .set = qdev_propinfo_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};

static void mig_set_phase(I40EVFTrap *t, VfioI40evfMigrationPhase phase)
{
    if (t->mig.phase != phase) {
        trace_i40evf_migration_phase(i40evf_name(t),
                                     VfioI40evfMigrationPhase_str(t->mig.phase),
                                     VfioI40evfMigrationPhase_str(phase));
        t->mig.phase = phase;
    }
}

static const VMStateDescription vmstate_i40evf_vector = {
    .name = "i40evf/vector",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(rxq_map, I40EVFShadowVector),
        VMSTATE_UINT16(txq_map, I40EVFShadowVector),
        VMSTATE_UINT16(rxitr_idx, I40EVFShadowVector),
        VMSTATE_UINT16(txitr_idx, I40EVFShadowVector),
        VMSTATE_END_OF_LIST()
    }
};

/* The same bytes as the shadow's MAC array once was, as one buffer */
static const VMStateDescription vmstate_i40evf_mac = {
    .name = "i40evf/mac",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(addr, I40EVFShadowMac, 6),
        VMSTATE_UINT8(type, I40EVFShadowMac),
        VMSTATE_END_OF_LIST()
    }
};

/* Queue contexts are wire-format bytes: endian-neutral */
static const VMStateDescription vmstate_i40evf_shadow = {
    .name = "i40evf/shadow",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(version.major, I40EVFShadow),
        VMSTATE_UINT32(version.minor, I40EVFShadow),
        VMSTATE_UINT32(requested_caps, I40EVFShadow),
        VMSTATE_UINT16(requested_queues, I40EVFShadow),
        VMSTATE_BOOL(active, I40EVFShadow),
        VMSTATE_UINT32(granted_caps, I40EVFShadow),
        VMSTATE_UINT16(vsi_id, I40EVFShadow),
        VMSTATE_UINT16(num_queue_pairs, I40EVFShadow),
        VMSTATE_UINT16(max_vectors, I40EVFShadow),
        VMSTATE_UINT8_ARRAY(default_mac, I40EVFShadow, 6),
        VMSTATE_UINT16(configured_queues, I40EVFShadow),
        VMSTATE_BUFFER_UNSAFE(qpair, I40EVFShadow, 1,
                              sizeof(((I40EVFShadow *)0)->qpair)),
        VMSTATE_STRUCT_ARRAY(vector, I40EVFShadow, I40E_VF_MAX_VECTORS, 1,
                             vmstate_i40evf_vector, I40EVFShadowVector),
        VMSTATE_UINT16(rx_enabled, I40EVFShadow),
        VMSTATE_UINT16(tx_enabled, I40EVFShadow),
        VMSTATE_STRUCT_ARRAY(macs, I40EVFShadow, I40EVF_SHADOW_MAX_MACS, 1,
                             vmstate_i40evf_mac, I40EVFShadowMac),
        VMSTATE_UINT32(num_macs, I40EVFShadow),
        VMSTATE_UINT32_ARRAY(vlans, I40EVFShadow, I40EVF_SHADOW_VLAN_WORDS),
        VMSTATE_UINT16(promisc, I40EVFShadow),
        VMSTATE_BOOL(vlan_strip, I40EVFShadow),
        VMSTATE_UINT8_ARRAY(rss_key, I40EVFShadow, VIRTCHNL_RSS_KEY_SIZE),
        VMSTATE_UINT8_ARRAY(rss_lut, I40EVFShadow, VIRTCHNL_RSS_LUT_SIZE),
        VMSTATE_UINT64(rss_hena, I40EVFShadow),
        VMSTATE_UINT16_2DARRAY(itr, I40EVFShadow, I40E_VF_ITR_INDICES,
                               I40E_VF_MAX_VECTORS),
        VMSTATE_END_OF_LIST()
    }
};

/* Queue pairs and vector maps no PF could have accepted */
static bool mig_queues_plausible(const I40EVFShadow *s, Error **errp)
{
    /* num_queue_pairs is at most 16 here */
    uint32_t granted = BIT(s->num_queue_pairs) - 1;

    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        const char *bad = s->configured_queues & BIT(q) ?
                          i40evf_shadow_bad_qpair(s, q) : NULL;

        if (bad) {
            error_setg(errp, "corrupt stream: queue pair %u: %s", q, bad);
            return false;
        }
    }
    for (unsigned int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        const I40EVFShadowVector *vec = &s->vector[v];

        if ((vec->rxq_map | vec->txq_map) &&
            (v >= s->max_vectors || ((vec->rxq_map | vec->txq_map) &
                                     ~granted))) {
            error_setg(errp, "corrupt stream: vector %u maps queues "
                       "0x%x/0x%x of %u granted, %u vectors", v,
                       vec->rxq_map, vec->txq_map, s->num_queue_pairs,
                       s->max_vectors);
            return false;
        }
    }
    return true;
}

/* What no source could have sent: the stream is refused. */
static bool mig_shadow_plausible(const I40EVFShadow *s, Error **errp)
{
    if (s->num_macs > I40EVF_SHADOW_MAX_MACS ||
        s->num_queue_pairs > I40E_VF_MAX_QUEUES ||
        s->max_vectors > I40E_VF_MAX_VECTORS ||
        s->requested_queues > I40E_VF_MAX_QUEUES) {
        error_setg(errp, "corrupt stream: %u MAC filters, %u queue pairs, "
                   "%u vectors",
                   s->num_macs, s->num_queue_pairs, s->max_vectors);
        return false;
    }
    if (s->num_queue_pairs < I40E_VF_MAX_QUEUES &&
        ((s->configured_queues | s->rx_enabled | s->tx_enabled) >>
         s->num_queue_pairs)) {
        error_setg(errp, "corrupt stream: queues beyond the %u granted",
                   s->num_queue_pairs);
        return false;
    }
    if (!mig_queues_plausible(s, errp)) {
        return false;
    }
    if ((s->version.major || s->active) &&
        (s->version.major != VIRTCHNL_VERSION_MAJOR ||
         s->version.minor > VIRTCHNL_VERSION_MINOR)) {
        error_setg(errp, "corrupt stream: virtchnl %u.%u", s->version.major,
                   s->version.minor);
        return false;
    }
    return true;
}

/* The queues' enable bits, as DISABLE_QUEUES and ENABLE_QUEUES want them */
static struct virtchnl_queue_select mig_queues_of(const I40EVFTrap *t)
{
    return (struct virtchnl_queue_select) {
        .vsi_id = cpu_to_le16(t->shadow.vsi_id),
        .rx_queues = cpu_to_le32(t->shadow.rx_enabled),
        .tx_queues = cpu_to_le32(t->shadow.tx_enabled),
    };
}

/*
 * The VF's counters as the guest last could read them, for the
 * destination to add to its own VF's.
 */
static bool mig_take_stats(I40EVFTrap *t, Error **errp)
{
    struct virtchnl_queue_select qs = { .vsi_id =
                                        cpu_to_le16(t->shadow.vsi_id) };
    g_autofree uint8_t *stats = g_malloc(I40EVF_MBX_BUF_SIZE);
    uint16_t len;

    t->mig.stats_sent_valid = false;
    if (!t->shadow.active) {
        return true;
    }
    if (!i40evf_mbx_call(&t->mbx, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs), stats,
                         &len, NULL, errp)) {
        return false;
    }
    if (len < 8 * I40EVF_STATS_WORDS) {
        error_setg(errp, "the PF gave %u bytes of statistics", len);
        return false;
    }
    for (int i = 0; i < I40EVF_STATS_WORDS; i++) {
        t->mig.stats_sent[i] = t->stats_base[i] + ldq_le_p(stats + 8 * i);
    }
    t->mig.stats_sent_valid = true;
    return true;
}

/*
 * Source, VM stopped: finish what the guest asked of the PF, then stop
 * the queues, so that the VF writes no guest memory any more.  Done when
 * the VM stops for the switchover, before the last RAM pass.
 */
static bool mig_quiesce(I40EVFTrap *t, Error **errp)
{
    struct virtchnl_queue_select qs = mig_queues_of(t);

    if (t->mig.phase == VFIO_I40EVF_MIGRATION_PHASE_STOPPED) {
        return true;
    }
    if (!i40evf_mbx_wait_idle(&t->mbx, errp)) {
        return false;
    }
    if (!mig_take_stats(t, errp)) {
        return false;
    }
    if ((qs.rx_queues || qs.tx_queues) &&
        !i40evf_mbx_call(&t->mbx, VIRTCHNL_OP_DISABLE_QUEUES, &qs, sizeof(qs),
                         NULL, NULL, NULL, errp)) {
        return false;
    }
    /* Where the guest's rings stand, for the destination's relay */
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        t->mig.rings.tx_tail[q] = i40evf_hw_read(&t->mbx, I40E_QTX_TAIL1(q));
        t->mig.rings.rx_tail[q] = i40evf_hw_read(&t->mbx, I40E_QRX_TAIL1(q));
    }
    mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_STOPPED);
    trace_i40evf_migration_quiesced(i40evf_name(t), t->shadow.rx_enabled,
                                    t->shadow.tx_enabled);
    return true;
}

static int i40evf_pre_save(void *opaque)
{
    I40EVFTrap *t = opaque;
    Error *err = NULL;

    if (t->shadow_lost) {
        error_setg(&err, "the VF's configuration was not fully recorded");
    } else if (t->mig.quiesce_err) {
        err = error_copy(t->mig.quiesce_err);
    } else {
        mig_quiesce(t, &err);
    }
    if (!err && !t->mig.stats_sent_valid) {
        memcpy(t->mig.stats_sent, t->stats_base, sizeof(t->mig.stats_sent));
    }
    if (err) {
        error_prepend(&err, "%s: cannot migrate: ", i40evf_name(t));
        error_report_err(err);
        return -EBUSY;
    }
    return 0;
}

static void mig_negotiated_of(const I40EVFShadow *s, I40EVFNegotiated *n)
{
    *n = (I40EVFNegotiated) {
        .major = s->version.major,
        .minor = s->version.minor,
        .requested_caps = s->requested_caps,
        .granted_caps = s->granted_caps,
        .active = s->active,
        .num_queue_pairs = s->num_queue_pairs,
        .max_vectors = s->max_vectors,
    };
    memcpy(n->default_mac, s->default_mac, 6);
}

/*
 * The destination's PF must grant what the guest negotiated: its
 * capabilities, queues and vectors; and a MAC it set for the VF (an
 * administrative MAC) must be the guest's.  A VF without one takes the
 * guest's own address, as the source's did.
 */
static bool mig_check_destination(I40EVFTrap *t, const I40EVFNegotiated *n,
                                  Error **errp)
{
    struct virtchnl_version_info ver = {
        cpu_to_le32(n->major), cpu_to_le32(n->minor),
    };
    g_autofree uint8_t *buf = g_malloc(I40EVF_MBX_BUF_SIZE);
    struct virtchnl_vf_resource *res = (void *)buf;
    uint32_t caps = cpu_to_le32(n->requested_caps);
    uint16_t len;

    if (!n->major) {
        return true;            /* no driver has spoken to the VF yet */
    }
    if (!i40evf_mbx_call(&t->mbx, VIRTCHNL_OP_VERSION, &ver, sizeof(ver), buf,
                         &len, NULL, errp)) {
        return false;
    }
    if (!n->active) {
        return true;
    }
    if (!i40evf_mbx_call(&t->mbx, VIRTCHNL_OP_GET_VF_RESOURCES, &caps,
                         sizeof(caps),
                         buf, &len, NULL, errp)) {
        return false;
    }
    if (len < sizeof(*res) + sizeof(res->vsi_res[0])) {
        error_setg(errp, "the PF granted no VSI (%u bytes of resources)",
                   len);
        return false;
    }
    if ((le32_to_cpu(res->vf_cap_flags) & n->granted_caps) !=
        n->granted_caps) {
        error_setg(errp, "capabilities 0x%08x granted, the guest has "
                   "0x%08x", le32_to_cpu(res->vf_cap_flags), n->granted_caps);
        return false;
    }
    if (le16_to_cpu(res->num_queue_pairs) < n->num_queue_pairs ||
        le16_to_cpu(res->max_vectors) < n->max_vectors) {
        error_setg(errp, "%u queue pairs and %u vectors granted, the guest "
                   "has %u and %u", le16_to_cpu(res->num_queue_pairs),
                   le16_to_cpu(res->max_vectors), n->num_queue_pairs,
                   n->max_vectors);
        return false;
    }
    if (!buffer_is_zero(res->vsi_res[0].default_mac_addr, 6) &&
        memcmp(res->vsi_res[0].default_mac_addr, n->default_mac, 6)) {
        error_setg(errp, "the VF's administrative MAC differs from the "
                   "source's");
        return false;
    }
    t->mig.dst_vsi = le16_to_cpu(res->vsi_res[0].vsi_id);
    memcpy(t->mig.dst_mac, res->vsi_res[0].default_mac_addr, 6);
    return true;
}

/*
 * The loaded config to the device: its BARs first (a vfio-user server
 * routes register accesses by them), then what vfio-pci does.
 */
static void mig_restore_config(I40EVFTrap *t)
{
    PCIDevice *pdev = PCI_DEVICE(t->vdev);

    for (int i = 0; i < PCI_ROM_SLOT; i++) {
        uint32_t off = PCI_BASE_ADDRESS_0 + 4 * i;

        vfio_pci_write_config(pdev, off, pci_get_long(pdev->config + off), 4);
    }
    /* A vfio-user server raises no MSI-X until it has seen it enabled */
    if (msix_enabled(pdev)) {
        uint32_t off = pdev->msix_cap + PCI_MSIX_FLAGS;

        vfio_pci_write_config(pdev, off, pci_get_word(pdev->config + off), 2);
    }
    vfio_pci_config_loaded(t->vdev, NULL);
}

/*
 * How the guest's queues go on: on relay rings carrying its own over, or
 * (resume=reset, or rings that cannot be carried over) after a VF reset.
 */
static bool mig_relay_setup(I40EVFTrap *t, Error **errp)
{
    const I40EVFRingPos *rings = t->mig.rings_valid ? &t->mig.rings : NULL;
    const uint8_t *mac = buffer_is_zero(t->mig.dst_mac, 6) ? NULL
                                                           : t->mig.dst_mac;

    if (t->mig.resume == VFIO_I40EVF_RESUME_RESET) {
        error_setg(errp, "resume=reset");
        return false;
    }
    return i40evf_relay_possible(t, rings, errp) &&
           i40evf_relay_setup(t, rings, t->mig.early_applied ?
                              &t->mig.early_shadow : NULL, mac, errp);
}

static int i40evf_post_load(void *opaque, int version_id)
{
    I40EVFTrap *t = opaque;
    int64_t start = qemu_clock_get_us(QEMU_CLOCK_REALTIME);
    I40EVFNegotiated n;
    Error *err = NULL;

    if (!mig_shadow_plausible(&t->shadow, &err)) {
        goto fail;
    }
    /* The VF's registers only decode once its config is the guest's */
    mig_restore_config(t);
    mig_negotiated_of(&t->shadow, &n);
    /* Checked before the switchover, unless the guest renegotiated since */
    if (t->mig.phase != VFIO_I40EVF_MIGRATION_PHASE_CHECKED ||
        memcmp(&n, &t->mig.early_negotiated, sizeof(n))) {
        i40evf_mbx_down(&t->mbx);
        if (!mig_check_destination(t, &n, &err)) {
            goto fail;
        }
    }
    memcpy(t->stats_base, t->mig.stats_sent, sizeof(t->stats_base));
    if (!t->mig.rings_valid) {
        t->guest_vsi = t->shadow.vsi_id;
    }
    if (t->shadow.active) {
        t->shadow.vsi_id = t->mig.dst_vsi;
    }
    if (mig_relay_setup(t, &err)) {
        mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_LOADED);
    } else {
        warn_reportf_err(err, "%s: the guest's driver will reset its VF: ",
                         i40evf_name(t));
        mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_RESETTING);
    }
    t->mig.device_downtime_us = qemu_clock_get_us(QEMU_CLOCK_REALTIME) -
                                start;
    return 0;

fail:
    error_reportf_err(err, "%s: cannot take over the guest's VF: ",
                      i40evf_name(t));
    return -EINVAL;
}

/* Source, the VM stopped for the switchover: stop the queues */
static void mig_vm_stopped(I40EVFTrap *t, RunState state)
{
    int64_t start = qemu_clock_get_us(QEMU_CLOCK_REALTIME);

    if (state != RUN_STATE_FINISH_MIGRATE || t->mig.quiesce_err) {
        return;
    }
    mig_quiesce(t, &t->mig.quiesce_err);
    t->mig.device_downtime_us = qemu_clock_get_us(QEMU_CLOCK_REALTIME) -
                                start;
}

/*
 * Destination: the guest learns of a VF reset, as after a PF-initiated
 * one (i40e_vc_reset_vf(vf, true)).
 */
static void mig_announce_reset(I40EVFTrap *t)
{
    struct virtchnl_pf_event ev = {
        .event = cpu_to_le32(VIRTCHNL_EVENT_RESET_IMPENDING),
        .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_CERTAIN_DOOM),
    };

    trace_i40evf_migration_resume(i40evf_name(t), "VF reset announced");
    i40evf_trap_deliver(t, VIRTCHNL_OP_EVENT, 0, (uint8_t *)&ev, sizeof(ev));
    i40evf_mbx_post(&t->mbx, VIRTCHNL_OP_RESET_VF, NULL, 0);
}

/*
 * Source, the switchover failed after the queues stopped: they restart
 * on relay rings, so that the VF, which starts a queue at slot 0, picks
 * up the guest's rings where they stood; the VF's configuration is the
 * shadow already, so no filter is replayed.  Where the rings cannot be
 * carried over, the guest is told of a VF reset: never does the VF
 * fetch a slot the guest has taken back.
 */
static void mig_source_resume(I40EVFTrap *t)
{
    Error *err = NULL;

    if (i40evf_relay_possible(t, &t->mig.rings, &err) &&
        i40evf_relay_setup(t, &t->mig.rings, &t->shadow, NULL, &err)) {
        trace_i40evf_migration_resume(i40evf_name(t), "queues relayed");
        i40evf_relay_start(t);
        return;
    }
    warn_reportf_err(err, "%s: the guest's driver will reset its VF: ",
                     i40evf_name(t));
    mig_announce_reset(t);
}

/*
 * The VM runs again: on the source after a failed migration, on relay
 * rings or after a VF reset; on the destination, the same.
 */
static void mig_vm_resumed(I40EVFTrap *t)
{
    VfioI40evfMigrationPhase phase = t->mig.phase;
    struct virtchnl_queue_select qs = mig_queues_of(t);
    int64_t start = qemu_clock_get_us(QEMU_CLOCK_REALTIME);

    g_clear_pointer(&t->mig.quiesce_err, error_free);
    mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_NONE);
    switch (phase) {
    case VFIO_I40EVF_MIGRATION_PHASE_STOPPED:
        if (qs.rx_queues || qs.tx_queues) {
            mig_source_resume(t);
        }
        break;
    case VFIO_I40EVF_MIGRATION_PHASE_LOADED:
        /* The vCPUs wait for the queues: part of the device's downtime */
        i40evf_relay_start(t);
        t->mig.device_downtime_us += qemu_clock_get_us(QEMU_CLOCK_REALTIME) -
                                     start;
        break;
    case VFIO_I40EVF_MIGRATION_PHASE_RESETTING:
        mig_announce_reset(t);
        break;
    default:
        break;
    }
}

static void i40evf_vm_state_change(void *opaque, bool running,
                                   RunState state)
{
    if (running) {
        mig_vm_resumed(opaque);
    } else {
        mig_vm_stopped(opaque, state);
    }
}

static bool mig_rings_needed(void *opaque)
{
    I40EVFTrap *t = opaque;

    return t->shadow.rx_enabled | t->shadow.tx_enabled;
}

static int mig_rings_post_load(void *opaque, int version_id)
{
    I40EVFTrap *t = opaque;

    t->mig.rings_valid = true;
    return 0;
}

/* The guest's VSI id and its rings' tails at the stop, for the relay */
static const VMStateDescription vmstate_i40evf_rings = {
    .name = "i40evf/trap/rings",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = mig_rings_needed,
    .post_load = mig_rings_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(guest_vsi, I40EVFTrap),
        VMSTATE_UINT32_ARRAY(mig.rings.tx_tail, I40EVFTrap,
                             I40E_VF_MAX_QUEUES),
        VMSTATE_UINT32_ARRAY(mig.rings.rx_tail, I40EVFTrap,
                             I40E_VF_MAX_QUEUES),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_i40evf_trap = {
    .name = "i40evf/trap",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = i40evf_pre_save,
    .post_load = i40evf_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(guest.atq, I40EVFTrap, 1, vmstate_i40e_vf_aq,
                       I40EVFAdminQueue),
        VMSTATE_STRUCT(guest.arq, I40EVFTrap, 1, vmstate_i40e_vf_aq,
                       I40EVFAdminQueue),
        VMSTATE_UINT32(guest.icr01, I40EVFTrap),
        VMSTATE_UINT32(guest.icr01_unsignalled, I40EVFTrap),
        VMSTATE_UINT32(guest.icr0_ena, I40EVFTrap),
        VMSTATE_BOOL(guest.vec0_armed, I40EVFTrap),
        VMSTATE_BOOL(guest.vec0_pending, I40EVFTrap),
        VMSTATE_STRUCT(shadow, I40EVFTrap, 1, vmstate_i40evf_shadow,
                       I40EVFShadow),
        VMSTATE_UINT64_ARRAY(mig.stats_sent, I40EVFTrap, I40EVF_STATS_WORDS),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_i40evf_rings,
        NULL
    }
};

/*
 * Pre-copy: the destination learns early what the guest negotiated, and
 * the guest's BARs and command register so that its VF decodes.  It asks
 * its PF and, if that grants everything, acks the switchover; if not, the
 * migration fails while the source still runs.
 */
typedef struct I40EVFEarly {
    uint32_t bar[PCI_ROM_SLOT];
    uint16_t command;
    I40EVFNegotiated n;
    I40EVFShadow shadow;        /* version 2: filters to apply early */
} I40EVFEarly;

static const VMStateDescription vmstate_i40evf_early = {
    .name = "i40evf/early",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(bar, I40EVFEarly, PCI_ROM_SLOT),
        VMSTATE_UINT16(command, I40EVFEarly),
        VMSTATE_UINT32(n.major, I40EVFEarly),
        VMSTATE_UINT32(n.minor, I40EVFEarly),
        VMSTATE_UINT32(n.requested_caps, I40EVFEarly),
        VMSTATE_UINT32(n.granted_caps, I40EVFEarly),
        VMSTATE_BOOL(n.active, I40EVFEarly),
        VMSTATE_UINT16(n.num_queue_pairs, I40EVFEarly),
        VMSTATE_UINT16(n.max_vectors, I40EVFEarly),
        VMSTATE_UINT8_ARRAY(n.default_mac, I40EVFEarly, 6),
        VMSTATE_STRUCT(shadow, I40EVFEarly, 2, vmstate_i40evf_shadow,
                       I40EVFShadow),
        VMSTATE_END_OF_LIST()
    }
};

static int i40evf_save_setup(QEMUFile *f, void *opaque, Error **errp)
{
    I40EVFTrap *t = opaque;
    PCIDevice *pdev = PCI_DEVICE(t->vdev);
    I40EVFEarly early;

    /*
     * The VF's rings are the relay's, not the guest's: the stream would
     * carry the wrong ring positions.  The pairs go back onto the
     * guest's rings at their next wrap.
     */
    if (i40evf_relay_active(t)) {
        error_setg(errp, "%s: cannot migrate: a queue pair is still on "
                   "relay rings; try again once the guest's traffic has "
                   "moved its rings on", i40evf_name(t));
        return -EBUSY;
    }
    for (int i = 0; i < PCI_ROM_SLOT; i++) {
        early.bar[i] = pci_get_long(pdev->config + PCI_BASE_ADDRESS_0 + 4 * i);
    }
    early.command = pci_get_word(pdev->config + PCI_COMMAND);
    mig_negotiated_of(&t->shadow, &early.n);
    early.shadow = t->shadow;
    i40evf_dirty_start(t);
    mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_PRE_COPY);
    return vmstate_save_state(f, &vmstate_i40evf_early, &early, NULL, errp);
}

static void i40evf_save_cleanup(void *opaque)
{
    I40EVFTrap *t = opaque;

    i40evf_dirty_stop(t);
    if (t->mig.phase == VFIO_I40EVF_MIGRATION_PHASE_PRE_COPY) {
        mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_NONE);
    }
}

/*
 * Pre-copy: the guest's filters, RSS and promiscuous mode go onto the
 * VF now; at the switchover only what changed since is sent.  A PF that
 * refuses them (another trust or MAC policy) refuses the migration here.
 */
static bool mig_apply_early(I40EVFTrap *t, const I40EVFEarly *early,
                            Error **errp)
{
    const I40EVFShadow *s = &early->shadow;
    GArray *plan;
    bool ok;

    if (!s->active) {
        return true;
    }
    if (!mig_shadow_plausible(s, errp)) {
        return false;
    }
    plan = i40evf_shadow_plan_filters(s, NULL, t->mig.dst_vsi,
                                      buffer_is_zero(t->mig.dst_mac, 6) ?
                                      NULL : t->mig.dst_mac);
    ok = i40evf_mbx_call_all(&t->mbx, plan, errp);
    i40evf_shadow_plan_free(plan);
    t->mig.early_applied = ok;
    t->mig.early_shadow = *s;
    return ok;
}

static int i40evf_load_early(QEMUFile *f, void *opaque, int version_id)
{
    I40EVFTrap *t = opaque;
    PCIDevice *pdev = PCI_DEVICE(t->vdev);
    I40EVFEarly early;
    Error *err = NULL;

    if (vmstate_load_state(f, &vmstate_i40evf_early, &early, version_id,
                           &err)) {
        goto fail;
    }
    for (int i = 0; i < PCI_ROM_SLOT; i++) {
        vfio_pci_write_config(pdev, PCI_BASE_ADDRESS_0 + 4 * i,
                              early.bar[i], 4);
    }
    /* Decoding, and DMA for the mailbox's replies */
    vfio_pci_write_config(pdev, PCI_COMMAND, early.command &
                          (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 2);
    i40evf_mbx_down(&t->mbx);
    if (!mig_check_destination(t, &early.n, &err) ||
        (version_id >= 2 && !mig_apply_early(t, &early, &err))) {
        goto fail;
    }
    t->mig.early_negotiated = early.n;
    mig_set_phase(t, VFIO_I40EVF_MIGRATION_PHASE_CHECKED);
    return migrate_switchover_ack() ? qemu_loadvm_approve_switchover() : 0;

fail:
    error_reportf_err(err, "%s: cannot take over the guest's VF: ",
                      i40evf_name(t));
    return -EINVAL;
}

static bool i40evf_switchover_ack_needed(void *opaque)
{
    return true;
}

static const SaveVMHandlers i40evf_early_handlers = {
    .save_setup = i40evf_save_setup,
    .save_cleanup = i40evf_save_cleanup,
    .load_state = i40evf_load_early,
    .switchover_ack_needed = i40evf_switchover_ack_needed,
};

/*
 * A migration blocker while the VF cannot migrate: a shadow that no
 * longer describes it, or a device that stopped answering.  Management
 * (libvirt) asks for blockers before it starts a migration.
 */
static void mig_update_blocker(I40EVFTrap *t)
{
    const char *why = i40evf_trap_unmigratable(t);
    Error *err = NULL;

    if (!why == !t->mig.blocker) {
        return;
    }
    if (!why) {
        migrate_del_blocker(&t->mig.blocker);
        return;
    }
    error_setg(&t->mig.blocker, "%s: cannot migrate: %s", i40evf_name(t),
               why);
    /* Refused while migrating: pre_save then fails the migration */
    if (migrate_add_blocker(&t->mig.blocker, &err) < 0) {
        error_free(err);
    }
}

static void mig_trap_event(Notifier *n, void *data)
{
    I40EVFTrap *t = container_of(n, I40EVFTrap, mig.trap_notifier);
    I40EVFTrapNotice *notice = data;

    if (notice->event == I40EVF_EVENT_MIGRATABLE) {
        mig_update_blocker(t);
    }
}

void i40evf_migration_init(I40EVFTrap *t)
{
    g_autofree char *path = qdev_get_dev_path(DEVICE(t->vdev));

    t->mig.vmstate_change = qemu_add_vm_change_state_handler(
        i40evf_vm_state_change, t);
    t->mig.early_id = g_strdup_printf("%s/i40evf-early", path);
    register_savevm_live(t->mig.early_id, VMSTATE_INSTANCE_ID_ANY, 2,
                         &i40evf_early_handlers, t);
    /* The relay sees the tails first: while it runs, they are its own */
    i40evf_relay_init(t);
    i40evf_dirty_init(t);
    t->mig.trap_notifier.notify = mig_trap_event;
    notifier_list_add(&t->notifiers, &t->mig.trap_notifier);
}

void i40evf_migration_exit(I40EVFTrap *t)
{
    notifier_remove(&t->mig.trap_notifier);
    g_clear_pointer(&t->mig.vmstate_change, qemu_del_vm_change_state_handler);
    unregister_savevm(NULL, t->mig.early_id, t);
    g_clear_pointer(&t->mig.early_id, g_free);
    i40evf_dirty_exit(t);
    i40evf_relay_exit(t);
    g_clear_pointer(&t->mig.quiesce_err, error_free);
    if (t->mig.blocker) {
        migrate_del_blocker(&t->mig.blocker);
    }
}
