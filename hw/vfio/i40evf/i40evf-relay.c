/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the guest's rings carried over to the destination's VF.
 *
 * A VF starts a queue at head 0; the guest's driver goes on at the slot
 * where the source stopped.  Until the two agree, each direction of a
 * queue runs on a ring of QEMU's own (the relay ring), DMA-mapped like
 * the mailbox, whose slot i is the guest's slot base + i.  QEMU traps
 * the tail doorbells and copies what the guest posts into the relay
 * ring; it takes the queue vectors (msix_intercept) and copies the VF's
 * write-backs into the guest's ring before the guest's interrupt fires.
 * Frames go straight between the VF and the guest's buffers: only the
 * descriptors are copied.
 *
 * Handover: a queue is restarted on the guest's ring, head 0, when both
 * of its directions are idle at the guest's slot 0 (a VF configures and
 * enables TX and RX of a queue pair together).  TX is handed nothing
 * past its next wrap (unless a packet straddles it) until it gives up on
 * meeting RX there, having stalled the guest for at most RELAY_HOLD_MS;
 * RX keeps all its buffers, and is at a wrap between filling the slot
 * before it and the slot after.  Then DISABLE_QUEUES; if a frame came in
 * meanwhile, the pair starts again on the relay rings from where it is,
 * else CONFIG_VSI_QUEUES with the guest's rings, ENABLE_QUEUES, and the
 * guest's tails: the direct path is back.  A direction that stays idle
 * away from a wrap keeps its pair relayed.
 *
 * The first descriptor of TX queue 0's relay is QEMU's: a RARP from the
 * guest's MAC, so that the network learns where the guest now is.
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "net/announce.h"
#include "qapi/qapi-events-vfio-i40evf.h"
#include "hw/pci/msix.h"
#include "system/address-spaces.h"
#include "hw/vfio/i40evf.h"
#include "hw/vfio/vfio-container.h"
#include "trace.h"

#define RELAY_HOLD_MS   40
#define RELAY_POLL_US   500

/* I40EVFRelayRing.tx_flags: what each TX slot holds */
#define TXF_RS          1       /* the guest asked for a write-back */
#define TXF_EOP         2       /* a packet ends here */

static PCIDevice *relay_pdev(I40EVFTrap *t)
{
    return PCI_DEVICE(t->vdev);
}

static unsigned int relay_desc_size(bool tx)
{
    return tx ? I40E_TX_DESC_SIZE : I40E_RX_DESC_SIZE;
}

static I40EVFRelayRing *relay_of(I40EVFTrap *t, bool tx, unsigned int q)
{
    return tx ? &t->relay.tx[q] : &t->relay.rx[q];
}

static uint8_t *relay_slot(I40EVFRelayRing *r, bool tx, uint64_t pos)
{
    return r->ring + ((pos - r->base) % r->len) * relay_desc_size(tx);
}

static dma_addr_t relay_guest_slot(I40EVFRelayRing *r, bool tx, uint64_t pos)
{
    return r->guest_ring + (pos % r->len) * relay_desc_size(tx);
}

/* The VF writes the relay ring behind QEMU's back */
static uint64_t relay_qw1(I40EVFRelayRing *r, bool tx, uint64_t pos)
{
    return le64_to_cpu(qatomic_read((uint64_t *)(relay_slot(r, tx, pos) +
                                                 8)));
}

static bool relay_tx_data_eop(uint64_t qw1)
{
    return (qw1 & I40E_TXD_DTYPE_MASK) == I40E_TXD_DTYPE_DATA &&
           ((qw1 >> I40E_TXD_CMD_SHIFT) & I40E_TXD_CMD_EOP);
}

static bool relay_at_limit(const I40EVFRelayRing *r)
{
    return r->done == r->limit && r->posted == r->limit;
}

/*
 * The guest's next posted descriptor into the relay ring.  Every TX
 * packet asks for a write-back there: that is how QEMU sees it leave.
 */
static bool relay_copy(I40EVFTrap *t, I40EVFRelayRing *r, bool tx,
                       unsigned int q)
{
    uint8_t d[I40E_RX_DESC_SIZE];
    uint64_t pos = r->posted;

    if (pci_dma_read(relay_pdev(t), relay_guest_slot(r, tx, pos), d,
                     relay_desc_size(tx)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: queue %u: %s ring not "
                      "readable\n", i40evf_name(t), q,
                      tx ? "TX" : "RX");
        return false;
    }
    if (tx) {
        uint64_t qw1 = ldq_le_p(d + 8);
        bool data = (qw1 & I40E_TXD_DTYPE_MASK) == I40E_TXD_DTYPE_DATA;

        r->tx_flags[pos % r->len] =
            (relay_tx_data_eop(qw1) ? TXF_EOP : 0) |
            (data && ((qw1 >> I40E_TXD_CMD_SHIFT) & I40E_TXD_CMD_RS) ?
             TXF_RS : 0);
        if (relay_tx_data_eop(qw1)) {
            stq_le_p(d + 8, qw1 | ((uint64_t)I40E_TXD_CMD_RS <<
                                   I40E_TXD_CMD_SHIFT));
        }
    }
    memcpy(relay_slot(r, tx, pos), d, relay_desc_size(tx));
    r->posted++;
    return true;
}

/* Copy what the guest posted, up to the limit, and move the VF's tail. */
static void relay_post(I40EVFTrap *t, bool tx, unsigned int q)
{
    I40EVFRelayRing *r = relay_of(t, tx, q);
    uint64_t first = r->posted;

    for (;;) {
        while (r->posted < MIN(r->tail, r->limit)) {
            if (!relay_copy(t, r, tx, q)) {
                return;
            }
        }
        /* A packet that straddles the guest's wrap cannot stop there */
        if (!tx || r->posted != r->limit || r->tail <= r->limit ||
            r->limit == r->base ||
            (r->tx_flags[(r->limit - 1) % r->len] & TXF_EOP)) {
            break;
        }
        r->limit += r->len;
    }
    if (r->posted != first) {
        trace_i40evf_relay_post(i40evf_name(t), q, tx, r->posted % r->len,
                                r->done % r->len);
        /* The descriptors are in the relay ring before the VF sees them */
        smp_wmb();
        i40evf_hw_write(&t->mbx, tx ? I40E_QTX_TAIL1(q) : I40E_QRX_TAIL1(q),
                        (r->posted - r->base) % r->len);
    }
}

/* RX write-backs to the guest's ring, DD last, in order */
static void relay_scan_rx(I40EVFTrap *t, unsigned int q)
{
    I40EVFRelayRing *r = &t->relay.rx[q];

    while (r->done < r->posted &&
           (relay_qw1(r, false, r->done) & I40E_RXD_STATUS_DD)) {
        uint8_t *d = relay_slot(r, false, r->done);
        dma_addr_t g = relay_guest_slot(r, false, r->done);

        /* The VF wrote the descriptor before its DD */
        smp_rmb();
        pci_dma_write(relay_pdev(t), g, d, 8);
        pci_dma_write(relay_pdev(t), g + 16, d + 16, I40E_RX_DESC_SIZE - 16);
        /* DD last: the guest reads the rest once it sees it */
        smp_wmb();
        pci_dma_write(relay_pdev(t), g + 8, d + 8, 8);
        r->done++;
    }
}

/* TX: each packet done, the write-backs the guest asked for */
static void relay_scan_tx(I40EVFTrap *t, unsigned int q)
{
    I40EVFRelayRing *r = &t->relay.tx[q];

    for (uint64_t pos = r->done; pos < r->posted; pos++) {
        uint64_t qw1, wb;

        if (!(r->tx_flags[pos % r->len] & TXF_EOP)) {
            continue;
        }
        qw1 = relay_qw1(r, true, pos);
        if ((qw1 & I40E_TXD_DTYPE_MASK) != I40E_TXD_DTYPE_DESC_DONE) {
            break;
        }
        wb = cpu_to_le64(qw1);
        for (; r->done <= pos; r->done++) {
            if (r->tx_flags[r->done % r->len] & TXF_RS) {
                pci_dma_write(relay_pdev(t),
                              relay_guest_slot(r, true, r->done) + 8, &wb, 8);
            }
        }
    }
}

/*
 * How soon a direction gets to the guest's next wrap, in ms, from how
 * fast it moved lately; INT64_MAX if idle.  The speed is measured from
 * one move to the next, averaged, so that it follows traffic that comes
 * in bursts; a direction that did not move for RELAY_HOLD_MS is idle,
 * and its first move after that only starts a new measure.
 */
static int64_t relay_eta_ms(I40EVFRelayRing *r, int64_t now)
{
    uint64_t wrap = QEMU_ALIGN_UP(r->done, r->len);
    int64_t gap = now - r->rate_ms;

    if (gap >= RELAY_HOLD_MS) {
        r->per_s = 0;
    }
    if (r->done != r->rate_pos) {
        if (gap < RELAY_HOLD_MS) {
            r->per_s = (r->per_s +
                        (r->done - r->rate_pos) * 1000 / MAX(gap, 1)) / 2;
        }
        r->rate_pos = r->done;
        r->rate_ms = now;
    }
    if (r->done == wrap) {
        return 0;
    }
    return r->per_s ? (wrap - r->done) * 1000 / r->per_s : INT64_MAX;
}

/* TX: the guest has more to send than the relay hands over */
static bool relay_tx_waits(const I40EVFRelayRing *tx)
{
    return tx->posted == tx->limit && tx->tail > tx->limit;
}

/* TX gives up waiting at its wrap and goes round once more */
static void relay_lap(I40EVFTrap *t, unsigned int q)
{
    I40EVFRelayRing *tx = &t->relay.tx[q];

    tx->limit += tx->len;
    trace_i40evf_relay_lap(i40evf_name(t), q, tx->limit);
}

/*
 * Pair @q goes back onto the guest's rings when both directions are at
 * a guest wrap: TX idle there (it is given nothing past it), RX having
 * filled the slot before it and not the one after.  TX waits for free
 * while the guest sends nothing more; when it does, TX waits at most
 * RELAY_HOLD_MS, and only if RX is expected at a wrap by then.  Returns
 * true if TX went on.
 */
static bool relay_check(I40EVFTrap *t, unsigned int q)
{
    I40EVFRelayRing *tx = &t->relay.tx[q], *rx = &t->relay.rx[q];
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    int64_t rx_eta = relay_eta_ms(rx, now);

    if (!tx->active || (t->relay.pending & BIT(q))) {
        return false;
    }
    if (relay_at_limit(tx) && rx->done % rx->len == 0) {
        t->relay.pending |= BIT(q);
        qemu_bh_schedule(t->relay.bh);
        return false;
    }
    if (relay_tx_waits(tx) && rx_eta > RELAY_HOLD_MS) {
        relay_lap(t, q);
        return true;
    }
    if (relay_tx_waits(tx) && !timer_pending(t->relay.hold)) {
        trace_i40evf_relay_wait(i40evf_name(t), q, tx->limit, rx->done);
        timer_mod(t->relay.hold, now + RELAY_HOLD_MS);
    }
    return false;
}

static void relay_kick(I40EVFTrap *t, unsigned int q)
{
    if (!t->relay.tx[q].active) {
        return;
    }
    do {
        relay_scan_rx(t, q);
        relay_scan_tx(t, q);
        relay_post(t, false, q);
        relay_post(t, true, q);
    } while (relay_check(t, q));
}

/* TX waited long enough while the guest had more to send: it goes on. */
static void relay_hold_expired(void *opaque)
{
    I40EVFTrap *t = opaque;

    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        I40EVFRelayRing *tx = &t->relay.tx[q];

        if (tx->active && !(t->relay.pending & BIT(q)) && relay_tx_waits(tx)) {
            relay_lap(t, q);
            relay_kick(t, q);
        }
    }
}

/*
 * A guest that polls (busy-polling NAPI, DPDK) gets no interrupt to have
 * its write-backs copied: they are copied on a timer too.
 */
static void relay_poll_cb(void *opaque)
{
    I40EVFTrap *t = opaque;

    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        relay_kick(t, q);
    }
    if (t->relay.relaying) {
        timer_mod(t->relay.poll, qemu_clock_get_us(QEMU_CLOCK_REALTIME) +
                  RELAY_POLL_US);
    }
}

/* Which vectors serve relayed queues: theirs are QEMU's to see first */
static void relay_intercept(I40EVFTrap *t)
{
    uint64_t mask = 1;          /* vector 0: the mailbox's */

    for (unsigned int v = 1; v < I40E_VF_MAX_VECTORS; v++) {
        const I40EVFShadowVector *sv = &t->shadow.vector[v];

        for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
            if (t->relay.tx[q].active &&
                ((sv->rxq_map | sv->txq_map) & BIT(q))) {
                mask |= BIT_ULL(v);
            }
        }
    }
    t->vdev->msix_intercepted = mask;
}

void i40evf_relay_vector(I40EVFTrap *t, unsigned int nr)
{
    trace_i40evf_relay_vector(i40evf_name(t), nr);
    if (nr < I40E_VF_MAX_VECTORS) {
        const I40EVFShadowVector *sv = &t->shadow.vector[nr];

        for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
            if ((sv->rxq_map | sv->txq_map) & BIT(q)) {
                relay_kick(t, q);
            }
        }
    }
    msix_notify(relay_pdev(t), nr);
}

static void relay_unmap(I40EVFTrap *t)
{
    if (!t->relay.size) {
        return;
    }
    vfio_container_dma_unmap(t->vdev->vbasedev.bcontainer, t->relay.iova,
                             t->relay.size, NULL, false);
    object_unparent(OBJECT(&t->relay.mr));
    t->relay.size = 0;
}

static void relay_finish(I40EVFTrap *t)
{
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (t->relay.tx[q].active) {
            return;
        }
    }
    t->relay.relaying = false;
    t->relay.pending = 0;
    timer_del(t->relay.hold);
    timer_del(t->relay.poll);
    relay_intercept(t);
    t->relay.hook.rx = t->relay.hook.tx = false;
    i40evf_trap_update_tails(t);
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        g_clear_pointer(&t->relay.tx[q].tx_flags, g_free);
    }
    relay_unmap(t);
    trace_i40evf_relay_done(i40evf_name(t), t->relay.handovers);
}

/*
 * The guest reconfigures its queues, or the VF was reset: the rings are
 * the guest's own again, whatever the relay held.
 */
static void relay_end(I40EVFTrap *t, const char *why)
{
    if (!t->relay.relaying) {
        return;
    }
    trace_i40evf_relay_end(i40evf_name(t), why);
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        t->relay.tx[q].active = t->relay.rx[q].active = false;
    }
    relay_finish(t);
}

static bool relay_call(I40EVFTrap *t, unsigned int q, uint32_t opcode,
                       const void *msg, uint16_t len)
{
    Error *err = NULL;

    if (!i40evf_mbx_call(&t->mbx, opcode, msg, len, NULL, NULL, NULL, &err)) {
        /* Not tried again: the queue pair is lost to the guest */
        error_reportf_err(err, "%s: queue %u not handed back: ",
                          i40evf_name(t), q);
        t->relay.tx[q].limit = UINT64_MAX;
        return false;
    }
    return true;
}

/*
 * Pair @q, stopped, goes on from where it is: on the guest's rings if
 * both directions are at a wrap, else on relay rings starting there.
 */
static void relay_handover(I40EVFTrap *t, unsigned int q)
{
    I40EVFRelayRing *tx = &t->relay.tx[q], *rx = &t->relay.rx[q];
    struct virtchnl_queue_select qs = {
        .vsi_id = cpu_to_le16(t->shadow.vsi_id),
        .rx_queues = cpu_to_le32(BIT(q)),
        .tx_queues = cpu_to_le32(BIT(q)),
    };
    /* One pair, and the legacy trailing element the wire format keeps */
    size_t len = sizeof(struct virtchnl_vsi_queue_config_info) +
                 2 * sizeof(struct virtchnl_queue_pair_info);
    g_autofree struct virtchnl_vsi_queue_config_info *cfg = g_malloc0(len);
    g_autofree char *path = NULL;
    bool direct;

    if (!relay_call(t, q, VIRTCHNL_OP_DISABLE_QUEUES, &qs, sizeof(qs))) {
        return;
    }
    /* A frame may have come in since the check */
    relay_scan_rx(t, q);
    relay_scan_tx(t, q);
    direct = relay_at_limit(tx) && rx->done % rx->len == 0;
    cfg->vsi_id = qs.vsi_id;
    cfg->num_queue_pairs = cpu_to_le16(1);
    cfg->qpair[0] = t->shadow.qpair[q];
    cfg->qpair[0].txq.vsi_id = qs.vsi_id;
    cfg->qpair[0].rxq.vsi_id = qs.vsi_id;
    if (!direct) {
        cfg->qpair[0].txq.dma_ring_addr = cpu_to_le64(tx->iova);
        cfg->qpair[0].rxq.dma_ring_addr = cpu_to_le64(rx->iova);
    }
    if (!relay_call(t, q, VIRTCHNL_OP_CONFIG_VSI_QUEUES, cfg, len) ||
        !relay_call(t, q, VIRTCHNL_OP_ENABLE_QUEUES, &qs, sizeof(qs))) {
        return;
    }
    if (!direct) {
        /* Both start again at relay slot 0: the guest's next slots */
        tx->base = tx->posted = tx->done;
        tx->limit = QEMU_ALIGN_UP(tx->done, tx->len);
        rx->base = rx->posted = rx->done;
        i40evf_hw_write(&t->mbx, I40E_QRX_TAIL1(q), 0);
        trace_i40evf_relay_rebase(i40evf_name(t), q, tx->done % tx->len,
                                  rx->done % rx->len);
        relay_kick(t, q);
        return;
    }
    tx->active = rx->active = false;
    i40evf_hw_write(&t->mbx, I40E_QRX_TAIL1(q), rx->tail % rx->len);
    i40evf_hw_write(&t->mbx, I40E_QTX_TAIL1(q), tx->tail % tx->len);
    t->relay.handovers++;
    trace_i40evf_relay_handover(i40evf_name(t), q, tx->tail % tx->len,
                                rx->tail % rx->len);
    path = object_get_canonical_path(OBJECT(t->vdev));
    qapi_event_send_vfio_i40evf_handover(path, q);
}

static void relay_bh(void *opaque)
{
    I40EVFTrap *t = opaque;

    while (t->relay.pending) {
        unsigned int q = ctz32(t->relay.pending);

        relay_handover(t, q);
        t->relay.pending &= ~BIT(q);
    }
    relay_intercept(t);
    relay_finish(t);
}

/* The guest moved a tail: take what it posted.  False if not relayed. */
static bool relay_tail_write(void *opaque, bool tx, unsigned int q,
                             uint32_t val)
{
    I40EVFTrap *t = opaque;
    I40EVFRelayRing *r = relay_of(t, tx, q);

    if (!r->active) {
        return false;
    }
    if (val >= r->len) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: queue %u: %s tail %u beyond a "
                      "ring of %u: ignored\n", i40evf_name(t), q,
                      tx ? "TX" : "RX", val, r->len);
        return true;
    }
    r->tail += (val + r->len - r->tail % r->len) % r->len;
    relay_kick(t, q);
    return true;
}

/* The tail the guest wrote, not the relay ring's */
static bool relay_tail_read(void *opaque, bool tx, unsigned int q,
                            uint32_t *val)
{
    I40EVFTrap *t = opaque;
    I40EVFRelayRing *r = relay_of(t, tx, q);

    if (!r->active) {
        return false;
    }
    *val = r->tail % r->len;
    return true;
}

/*
 * Why the guest's rings cannot be carried over; the destination then
 * resumes with a VF reset.
 */
bool i40evf_relay_possible(I40EVFTrap *t, const I40EVFRingPos *rings,
                           Error **errp)
{
    const I40EVFShadow *s = &t->shadow;

    if (!s->active) {
        return true;
    }
    if (s->requested_queues) {
        error_setg(errp, "the replay would reset the VF (REQUEST_QUEUES)");
        return false;
    }
    if (!rings && (s->rx_enabled | s->tx_enabled)) {
        error_setg(errp, "the stream has no ring positions");
        return false;
    }
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        const struct virtchnl_queue_pair_info *qp = &s->qpair[q];

        if (!((s->rx_enabled | s->tx_enabled) & BIT(q))) {
            continue;
        }
        if (!(s->rx_enabled & s->tx_enabled & BIT(q)) ||
            !(s->configured_queues & BIT(q)) ||
            i40evf_shadow_bad_qpair(s, q) ||
            le16_to_cpu(qp->txq.headwb_enabled) ||
            !le16_to_cpu(qp->txq.ring_len) || !le32_to_cpu(qp->rxq.ring_len) ||
            rings->tx_tail[q] >= le16_to_cpu(qp->txq.ring_len) ||
            rings->rx_tail[q] >= le32_to_cpu(qp->rxq.ring_len)) {
            error_setg(errp, "queue %u is not a plain enabled pair", q);
            return false;
        }
    }
    return true;
}

/*
 * Where the VF stopped, from the guest's ring: walking back from the
 * tail, the slots the VF had not written back yet (RX: DD clear; TX: no
 * DESC_DONE, iavf asking for one on every packet, and not a slot never
 * used).
 */
static uint64_t relay_stopped_head(I40EVFTrap *t, bool tx, uint64_t ring,
                                   uint32_t len, uint32_t tail)
{
    uint32_t n = 0;

    while (n < len - 1) {
        uint32_t slot = (tail + len - 1 - n) % len;
        uint64_t qw1;

        if (pci_dma_read(relay_pdev(t), ring + slot * relay_desc_size(tx) + 8,
                         &qw1, 8) != MEMTX_OK) {
            break;
        }
        qw1 = le64_to_cpu(qw1);
        if (tx ? (qw1 & I40E_TXD_DTYPE_MASK) == I40E_TXD_DTYPE_DESC_DONE ||
                 !qw1
               : (qw1 & I40E_RXD_STATUS_DD)) {
            break;
        }
        n++;
    }
    /* Linear positions start one lap in, so that base - 1 exists */
    return len + (tail + len - n) % len;
}

static void relay_prepare(I40EVFRelayRing *r, bool tx, uint64_t ring,
                          uint32_t len, uint64_t head, uint32_t tail)
{
    *r = (I40EVFRelayRing) {
        .active = true,
        .len = len,
        .guest_ring = ring,
        .base = head,
        .posted = head,
        .done = head,
        .tail = head + (tail + len - head % len) % len,
        .limit = tx ? QEMU_ALIGN_UP(head, len) : UINT64_MAX,
        .tx_flags = tx ? g_malloc0(len) : NULL,
    };
}

/* Where the relay rings go: below the mailbox, if nothing is there */
static bool relay_map(I40EVFTrap *t, uint64_t size, Error **errp)
{
    AddressSpace *as = pci_device_iommu_address_space(relay_pdev(t));
    MemoryRegionSection sec;
    int ret;

    t->relay.iova = QEMU_ALIGN_DOWN(t->mbx.iova - size, 64 * KiB);
    sec = memory_region_find(as->root, t->relay.iova, size);
    if (sec.mr) {
        memory_region_unref(sec.mr);
        error_setg(errp, "no free IOVA for the relay rings");
        return false;
    }
    if (!memory_region_init_ram_flags_nomigrate(&t->relay.mr,
                                                OBJECT(t->vdev),
                                                "i40evf-relay", size,
                                                RAM_SHARED, errp)) {
        return false;
    }
    ret = vfio_container_dma_map(t->vdev->vbasedev.bcontainer,
                                 t->relay.iova, size,
                                 memory_region_get_ram_ptr(&t->relay.mr),
                                 false, &t->relay.mr);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot map the relay rings for DMA");
        object_unparent(OBJECT(&t->relay.mr));
        return false;
    }
    t->relay.size = size;
    return true;
}

/* The announcement's frame and descriptor, ahead of TX queue 0's own */
static void relay_announce(I40EVFTrap *t, uint8_t *frame, uint64_t iova)
{
    I40EVFRelayRing *r = &t->relay.tx[0];
    const uint8_t *mac = t->shadow.default_mac;
    uint8_t *d;
    int len;

    for (unsigned int i = 0; i < t->shadow.num_macs; i++) {
        if (!(t->shadow.macs[i].addr[0] & 1)) {
            mac = t->shadow.macs[i].addr;
            break;
        }
    }
    if (!r->active || buffer_is_zero(mac, 6) ||
        r->tail - r->base >= r->len - 1) {
        return;
    }
    len = qemu_announce_self_create(frame, mac);
    r->base--;
    r->done = r->posted = r->base;
    d = relay_slot(r, true, r->base);
    stq_le_p(d, iova);
    stq_le_p(d + 8, I40E_TXD_DTYPE_DATA |
             ((uint64_t)(I40E_TXD_CMD_EOP | I40E_TXD_CMD_RS |
                          I40E_TXD_CMD_ICRC) <<
              I40E_TXD_CMD_SHIFT) |
             ((uint64_t)len << I40E_TXD_BUF_SZ_SHIFT));
    r->tx_flags[r->base % r->len] = TXF_EOP;
    r->posted++;
}

/*
 * Destination, the guest's memory loaded: find each queue's position,
 * and lay the relay rings out.  The queue contexts sent to the VF point
 * at them (i40evf_relay_patch_config).
 */
static bool relay_layout(I40EVFTrap *t, const I40EVFRingPos *rings,
                         Error **errp)
{
    const I40EVFShadow *s = &t->shadow;
    uint64_t size = 4 * KiB, off;
    uint8_t *mem;

    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        const struct virtchnl_queue_pair_info *qp = &s->qpair[q];
        uint64_t txr = le64_to_cpu(qp->txq.dma_ring_addr) & ~127ULL;
        uint64_t rxr = le64_to_cpu(qp->rxq.dma_ring_addr) & ~127ULL;
        uint32_t txl = le16_to_cpu(qp->txq.ring_len);
        uint32_t rxl = le32_to_cpu(qp->rxq.ring_len);

        if (!(s->tx_enabled & BIT(q))) {
            continue;
        }
        relay_prepare(&t->relay.tx[q], true, txr, txl,
                      relay_stopped_head(t, true, txr, txl, rings->tx_tail[q]),
                      rings->tx_tail[q]);
        relay_prepare(&t->relay.rx[q], false, rxr, rxl,
                      relay_stopped_head(t, false, rxr, rxl, rings->rx_tail[q]),
                      rings->rx_tail[q]);
        size += ROUND_UP(txl * I40E_TX_DESC_SIZE, 4 * KiB) +
                ROUND_UP(rxl * I40E_RX_DESC_SIZE, 4 * KiB);
        trace_i40evf_relay_queue(i40evf_name(t), q,
                                 t->relay.tx[q].base % txl, rings->tx_tail[q],
                                 t->relay.rx[q].base % rxl, rings->rx_tail[q]);
    }
    if (!relay_map(t, size, errp)) {
        return false;
    }
    mem = memory_region_get_ram_ptr(&t->relay.mr);
    off = 4 * KiB;
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        for (int tx = 0; tx < 2; tx++) {
            I40EVFRelayRing *r = relay_of(t, tx, q);

            if (r->active) {
                r->ring = mem + off;
                r->iova = t->relay.iova + off;
                off += ROUND_UP(r->len * relay_desc_size(tx), 4 * KiB);
            }
        }
    }
    relay_announce(t, mem, t->relay.iova);
    return true;
}

/* The replay's queue contexts: relayed ones on the relay rings */
static void relay_patch_config(I40EVFTrap *t, I40EVFShadowMsg *m)
{
    struct virtchnl_vsi_queue_config_info *cfg = (void *)m->buf;

    for (unsigned int i = 0; i < le16_to_cpu(cfg->num_queue_pairs); i++) {
        struct virtchnl_queue_pair_info *qp = &cfg->qpair[i];
        unsigned int q = le16_to_cpu(qp->txq.queue_id);

        if (q < I40E_VF_MAX_QUEUES && t->relay.tx[q].active) {
            qp->txq.dma_ring_addr = cpu_to_le64(t->relay.tx[q].iova);
            qp->rxq.dma_ring_addr = cpu_to_le64(t->relay.rx[q].iova);
        }
    }
}

/*
 * Destination, in post_load: the queues configured onto the relay rings
 * but not yet enabled, and what changed in the filters since pre-copy
 * applied them (i40evf-migration.c), or all of them.
 */
bool i40evf_relay_setup(I40EVFTrap *t, const I40EVFRingPos *rings,
                        const I40EVFShadow *applied, const uint8_t *dst_mac,
                        Error **errp)
{
    GArray *queues, *filters;
    bool ok;

    if (!t->shadow.active) {
        return true;
    }
    if (!relay_layout(t, rings, errp)) {
        return false;
    }
    t->relay.relaying = true;
    queues = i40evf_shadow_plan_queues(&t->shadow, t->shadow.vsi_id);
    filters = i40evf_shadow_plan_filters(&t->shadow, applied,
                                         t->shadow.vsi_id, dst_mac);
    for (guint i = 0; i < queues->len; i++) {
        I40EVFShadowMsg *m = &g_array_index(queues, I40EVFShadowMsg, i);

        if (m->opcode == VIRTCHNL_OP_CONFIG_VSI_QUEUES) {
            relay_patch_config(t, m);
        }
    }
    ok = i40evf_mbx_call_all(&t->mbx, queues, errp) &&
         i40evf_mbx_call_all(&t->mbx, filters, errp);
    i40evf_shadow_plan_free(queues);
    i40evf_shadow_plan_free(filters);
    if (!ok) {
        relay_end(t, "replay failed");
    }
    return ok;
}

/* Whether a queue pair is still on relay rings */
bool i40evf_relay_active(I40EVFTrap *t)
{
    return t->relay.relaying;
}

/*
 * Destination, the VM about to run: the queues start on the relay rings
 * with what the guest had posted, and each mapped vector fires once so
 * that the guest's driver looks at its rings.
 */
void i40evf_relay_start(I40EVFTrap *t)
{
    struct virtchnl_queue_select qs = {
        .vsi_id = cpu_to_le16(t->shadow.vsi_id),
        .rx_queues = cpu_to_le32(t->shadow.rx_enabled),
        .tx_queues = cpu_to_le32(t->shadow.tx_enabled),
    };
    Error *err = NULL;

    if (!t->relay.relaying) {
        return;
    }
    relay_intercept(t);
    t->relay.hook.rx = t->relay.hook.tx = true;
    i40evf_trap_update_tails(t);
    if ((qs.rx_queues || qs.tx_queues) &&
        !i40evf_mbx_call(&t->mbx, VIRTCHNL_OP_ENABLE_QUEUES, &qs, sizeof(qs),
                         NULL, NULL, NULL, &err)) {
        error_reportf_err(err, "%s: the queues did not start: ",
                          i40evf_name(t));
    }
    for (unsigned int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (t->relay.tx[q].active) {
            /* The announcement is already in the ring: the tail says so */
            if (t->relay.tx[q].posted != t->relay.tx[q].base) {
                i40evf_hw_write(&t->mbx, I40E_QTX_TAIL1(q), 1);
            }
            relay_kick(t, q);
        }
    }
    for (unsigned int v = 1; v < I40E_VF_MAX_VECTORS; v++) {
        if (t->shadow.vector[v].rxq_map | t->shadow.vector[v].txq_map) {
            i40evf_hw_write(&t->mbx, I40E_VFINT_DYN_CTLN1(v - 1),
                            I40E_VFINT_DYN_CTL_INTENA |
                            I40E_VFINT_DYN_CTL_SWINT_TRIG |
                            I40E_VFINT_DYN_CTL_ITR_INDX_MASK);
        }
    }
    trace_i40evf_relay_start(i40evf_name(t));
    relay_poll_cb(t);
    relay_finish(t);
}

/* The VF was reset, or the guest took its queues back */
static void relay_trap_event(Notifier *n, void *data)
{
    I40EVFTrap *t = container_of(n, I40EVFTrap, relay.trap_notifier);
    I40EVFTrapNotice *notice = data;

    if (notice->event == I40EVF_EVENT_VF_RESET ||
        notice->event == I40EVF_EVENT_QUEUES) {
        relay_end(t, notice->why);
    }
}

void i40evf_relay_init(I40EVFTrap *t)
{
    I40EVFRelay *r = &t->relay;

    r->hook = (I40EVFTailHook) {
        .write = relay_tail_write,
        .read = relay_tail_read,
        .opaque = t,
    };
    i40evf_trap_add_tail_hook(t, &r->hook);
    r->trap_notifier.notify = relay_trap_event;
    notifier_list_add(&t->notifiers, &r->trap_notifier);
    r->hold = timer_new_ms(QEMU_CLOCK_REALTIME, relay_hold_expired, t);
    r->poll = timer_new_us(QEMU_CLOCK_REALTIME, relay_poll_cb, t);
    r->bh = qemu_bh_new_guarded(relay_bh, t,
                                &DEVICE(t->vdev)->mem_reentrancy_guard);
}

void i40evf_relay_exit(I40EVFTrap *t)
{
    relay_end(t, "device removed");
    notifier_remove(&t->relay.trap_notifier);
    g_clear_pointer(&t->relay.hold, timer_free);
    g_clear_pointer(&t->relay.poll, timer_free);
    g_clear_pointer(&t->relay.bh, qemu_bh_delete);
}
