/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: the TX and RX rings.
 *
 * Descriptors use the hardware formats; data moves by DMA into and out of
 * the buffers the guest posted, never elsewhere.  A queue's head starts at
 * 0 when it is configured, as on the silicon.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "net/eth.h"
#include "system/runstate.h"
#include "standard-headers/linux/virtio_net.h"
#include "i40e-vf-core.h"
#include "hw/net/net_tx_pkt.h"
#include "hw/net/net_rx_pkt.h"
#include "trace.h"

static void count_packet(I40EVFCore *core, bool rx, eth_pkt_types_e type,
                         size_t bytes)
{
    struct virtchnl_eth_stats *s = &core->stats;

    if (rx) {
        s->rx_bytes += bytes;
        s->rx_unicast += type == ETH_PKT_UCAST;
        s->rx_multicast += type == ETH_PKT_MCAST;
        s->rx_broadcast += type == ETH_PKT_BCAST;
    } else {
        s->tx_bytes += bytes;
        s->tx_unicast += type == ETH_PKT_UCAST;
        s->tx_multicast += type == ETH_PKT_MCAST;
        s->tx_broadcast += type == ETH_PKT_BCAST;
    }
}

/* TX */

/* Descriptors fetched at once; also the most one packet may use. */
#define TX_BATCH    (I40E_VF_MAX_TX_FRAGS + 1)

/*
 * What the silicon's malicious-driver detection refuses; the i40e and iavf
 * drivers guard against each (i40e_chk_linearize: I40E_MAX_BUFFER_TXD,
 * I40E_MIN_TSO_MSS, I40E_MIN_TX_LEN).
 */
#define TX_MAX_DATA_BUFS    8
#define TX_MIN_TSO_MSS      64
#define TX_MIN_LEN          17

/* The largest frame the port sends (and reports as max_mtu). */
#define TX_MAX_FRAME        9728

typedef struct TxDesc {
    uint64_t qw0;
    uint64_t qw1;
} TxDesc;

/*
 * Fetch up to @max descriptors from the head, as the hardware prefetches
 * them.  Returns how many were read; 0 if the ring cannot be accessed.
 */
static uint32_t tx_fetch(I40EVFCore *core, I40EVFRing *ring, TxDesc *d,
                         uint32_t max)
{
    uint32_t n = MIN((ring->tail + ring->len - ring->head) % ring->len, max);
    uint32_t first = MIN(n, ring->len - ring->head);

    if (pci_dma_read(core->owner, ring->base + ring->head * I40E_TX_DESC_SIZE,
                     d, first * sizeof(*d)) != MEMTX_OK ||
        pci_dma_read(core->owner, ring->base, d + first,
                     (n - first) * sizeof(*d)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: TX ring at 0x%" PRIx64 " not accessible\n",
                      ring->base);
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        d[i].qw0 = le64_to_cpu(d[i].qw0);
        d[i].qw1 = le64_to_cpu(d[i].qw1);
    }
    return n;
}

static uint32_t tx_cmd(const TxDesc *d)
{
    return (d->qw1 >> I40E_TXD_CMD_SHIFT) & I40E_TXD_CMD_MASK;
}

static bool tx_is_eop(const TxDesc *d)
{
    return (d->qw1 & I40E_TXD_DTYPE_MASK) == I40E_TXD_DTYPE_DATA &&
           (tx_cmd(d) & I40E_TXD_CMD_EOP);
}

static uint32_t tx_buf_size(const TxDesc *d)
{
    return (d->qw1 >> I40E_TXD_BUF_SZ_SHIFT) & I40E_TXD_BUF_SZ_MASK;
}

/* Why the packet in @d[0..n) is a malicious-driver event, or NULL. */
static const char *tx_mdd_reason(const TxDesc *d, uint32_t n)
{
    uint32_t bufs = 0, mss = 0;
    size_t len = 0;
    bool tso = false;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t ctx_cmd = (d[i].qw1 >> I40E_TXD_CTX_CMD_SHIFT) & 0xfff;

        switch (d[i].qw1 & I40E_TXD_DTYPE_MASK) {
        case I40E_TXD_DTYPE_CONTEXT:
            tso = ctx_cmd & I40E_TXD_CTX_CMD_TSO;
            mss = (d[i].qw1 >> I40E_TXD_CTX_MSS_SHIFT) & I40E_TXD_CTX_MSS_MASK;
            break;
        case I40E_TXD_DTYPE_DATA:
            if (!tx_buf_size(&d[i])) {
                return "zero-length data buffer";
            }
            bufs++;
            len += tx_buf_size(&d[i]);
            break;
        }
    }
    if (tso && mss < TX_MIN_TSO_MSS) {
        return "TSO MSS below 64";
    }
    if (!tso && bufs > TX_MAX_DATA_BUFS) {
        return "packet in more than 8 data buffers";
    }
    return len < TX_MIN_LEN ? "packet shorter than 17 bytes" : NULL;
}

/*
 * The silicon stops the queue and the i40e PF disables the VF
 * (i40e_handle_mdd_event): its messages go unanswered until an FLR.
 */
static void tx_mdd_event(I40EVFCore *core, unsigned int q, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: TX queue %u: malicious driver "
                  "event (%s): queue stopped, VF disabled until FLR\n",
                  q, why);
    trace_i40e_vf_mdd_event(q, why);
    core->tx[q].enabled = false;
    core->mdd_disabled = true;
}

/*
 * Spoof checking (i40e sets MAC and VLAN anti-spoof on the VF's VSI): the
 * source MAC must be one of the VF's filters and a tag, when VLAN filters
 * exist, one of them.  Reads the header from the first buffers of @d.
 */
static bool tx_spoofed(I40EVFCore *core, const TxDesc *d, uint32_t n,
                       uint32_t cmd, uint16_t l2tag1)
{
    uint8_t hdr[ETH_HLEN + 4];
    size_t got = 0;
    uint16_t vid = 0;

    for (uint32_t i = 0; i < n && got < sizeof(hdr); i++) {
        size_t len = MIN(tx_buf_size(&d[i]), sizeof(hdr) - got);

        if ((d[i].qw1 & I40E_TXD_DTYPE_MASK) != I40E_TXD_DTYPE_DATA ||
            pci_dma_read(core->owner, d[i].qw0, hdr + got, len)) {
            continue;
        }
        got += len;
    }
    if (got < ETH_HLEN || !i40e_vf_filter_has_mac(core, hdr + ETH_ALEN)) {
        return true;
    }
    if (cmd & I40E_TXD_CMD_IL2TAG1) {
        vid = l2tag1 & VLAN_VID_MASK;
    } else if (got == sizeof(hdr) && lduw_be_p(hdr + 12) == ETH_P_VLAN) {
        vid = lduw_be_p(hdr + 14) & VLAN_VID_MASK;
    }
    return vid && i40e_vf_filter_any_vlan(core) &&
           !i40e_vf_filter_has_vlan(core, vid);
}

static bool tx_setup_offloads(I40EVFCore *core, uint32_t cmd)
{
    struct NetTxPkt *pkt = core->tx_pkt;
    uint32_t ctx_cmd = (core->tx_ctx_qw1 >> I40E_TXD_CTX_CMD_SHIFT) & 0xfff;

    if (core->tx_ctx_valid && (ctx_cmd & I40E_TXD_CTX_CMD_TSO)) {
        uint32_t mss = (core->tx_ctx_qw1 >> I40E_TXD_CTX_MSS_SHIFT) &
                       I40E_TXD_CTX_MSS_MASK;

        if (!net_tx_pkt_build_vheader(pkt, true, true, mss)) {
            return false;
        }
        net_tx_pkt_update_ip_checksums(pkt);
        return true;
    }
    if (net_tx_pkt_get_total_len(pkt) > TX_MAX_FRAME) {
        return false;
    }
    switch (cmd & I40E_TXD_CMD_L4T_MASK) {
    case I40E_TXD_CMD_L4T_SCTP:
        if (!net_tx_pkt_update_sctp_checksum(pkt)) {
            return false;
        }
        break;
    case I40E_TXD_CMD_L4T_TCP:
    case I40E_TXD_CMD_L4T_UDP:
        if (!net_tx_pkt_build_vheader(pkt, false, true, 0)) {
            return false;
        }
        break;
    }
    if ((cmd & I40E_TXD_CMD_IIPT_MASK) == I40E_TXD_CMD_IIPT_IPV4_CSUM) {
        net_tx_pkt_update_ip_hdr_checksum(pkt);
    }
    return true;
}

static void tx_send(I40EVFCore *core, unsigned int q, uint32_t cmd,
                    uint16_t l2tag1, bool ok, bool spoofed)
{
    struct NetTxPkt *pkt = core->tx_pkt;

    ok = ok && net_tx_pkt_parse(pkt) && tx_setup_offloads(core, cmd);
    if (ok && spoofed) {
        /* Dropped by the switch: silent, counted. */
        trace_i40e_vf_tx_spoofed(q);
        core->stats.tx_errors++;
    } else if (ok) {
        if (cmd & I40E_TXD_CMD_IL2TAG1) {
            net_tx_pkt_setup_vlan_header(pkt, l2tag1);
        }
        count_packet(core, false, net_tx_pkt_get_packet_type(pkt),
                     net_tx_pkt_get_total_len(pkt));
        trace_i40e_vf_tx_packet(q, net_tx_pkt_get_total_len(pkt));
        net_tx_pkt_send(pkt, qemu_get_queue(core->nic));
    } else {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: TX queue %u: malformed packet dropped\n", q);
        core->stats.tx_errors++;
    }
    net_tx_pkt_reset(pkt, net_tx_pkt_unmap_frag_pci, core->owner);
    core->tx_ctx_valid = false;
}

static void tx_write_back(I40EVFCore *core, I40EVFRing *ring, uint32_t idx)
{
    uint64_t done = cpu_to_le64(I40E_TXD_DTYPE_DESC_DONE);

    pci_dma_write(core->owner, ring->base + idx * I40E_TX_DESC_SIZE + 8,
                  &done, sizeof(done));
}

/*
 * Transmit the packet in the @n descriptors @d taken from the head (drop
 * it if !@ok), and write back those that asked for it, the EOP one after
 * the frame has left.  Returns whether anything was written back.
 */
static bool tx_packet(I40EVFCore *core, unsigned int q, const TxDesc *d,
                      uint32_t n, bool ok)
{
    I40EVFRing *ring = &core->tx[q];
    uint32_t cmd = 0, rs_last = UINT32_MAX;
    uint16_t l2tag1 = 0;
    bool first = true;
    const char *mdd = tx_mdd_reason(d, n);

    if (mdd) {
        tx_mdd_event(core, q, mdd);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t dcmd = tx_cmd(&d[i]);

        switch (d[i].qw1 & I40E_TXD_DTYPE_MASK) {
        case I40E_TXD_DTYPE_CONTEXT:
            core->tx_ctx_valid = true;
            core->tx_ctx_qw1 = d[i].qw1;
            dcmd = 0;
            break;
        case I40E_TXD_DTYPE_DATA:
            if (first) {
                cmd = dcmd;
                l2tag1 = d[i].qw1 >> I40E_TXD_L2TAG1_SHIFT;
                first = false;
            }
            ok = ok && net_tx_pkt_add_raw_fragment_pci(core->tx_pkt,
                          core->owner, d[i].qw0,
                          (d[i].qw1 >> I40E_TXD_BUF_SZ_SHIFT) &
                          I40E_TXD_BUF_SZ_MASK);
            break;
        default:
            qemu_log_mask(LOG_GUEST_ERROR,
                          "i40e-vf: TX queue %u: descriptor type %u "
                          "not supported\n", q,
                          (unsigned)(d[i].qw1 & I40E_TXD_DTYPE_MASK));
            ok = false;
            dcmd = 0;
        }
        if (dcmd & I40E_TXD_CMD_RS) {
            if (rs_last != UINT32_MAX) {
                tx_write_back(core, ring, rs_last);
            }
            rs_last = ring->head;
        }
        ring->head = (ring->head + 1) % ring->len;
    }

    tx_send(core, q, cmd, l2tag1, ok,
            ok && core->spoofchk && tx_spoofed(core, d, n, cmd, l2tag1));
    if (rs_last != UINT32_MAX) {
        tx_write_back(core, ring, rs_last);
    }
    return rs_last != UINT32_MAX;
}

static void i40e_vf_tx_kick(I40EVFCore *core, unsigned int q)
{
    I40EVFRing *ring = &core->tx[q];
    TxDesc d[TX_BATCH];
    bool irq = false;
    uint32_t n, i;

    if (!ring->enabled) {
        return;
    }
    if (ring->tail >= ring->len) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: TX queue %u: tail %u beyond ring of %u\n",
                      q, ring->tail, ring->len);
        return;
    }
    do {
        n = tx_fetch(core, ring, d, TX_BATCH);
        for (i = 0; i < n;) {
            uint32_t end = i;

            while (end < n && !tx_is_eop(&d[end])) {
                end++;
            }
            if (end == n) {
                /* No EOP where one packet could end: drop what it spans. */
                if (i == 0 && n == TX_BATCH) {
                    irq |= tx_packet(core, q, d, n, false);
                    i = n;
                }
                break;
            }
            irq |= tx_packet(core, q, &d[i], end + 1 - i, true);
            i = end + 1;
        }
        /* A packet cut off by the batch is fetched again from its start. */
    } while (i && n == TX_BATCH && ring->enabled);

    if (ring->headwb) {
        uint32_t head = cpu_to_le32(ring->head);

        pci_dma_write(core->owner, ring->headwb_addr, &head, sizeof(head));
        irq = true;
    }
    if (irq) {
        i40e_vf_raise_queue_irq(core, ring);
    }
}

/* Queue q has descriptors to send: the bottom half sends them. */
void i40e_vf_tx_schedule(I40EVFCore *core, unsigned int q)
{
    core->tx_pending |= BIT(q);
    qemu_bh_schedule(core->tx_bh);
}

/* The queues scheduled since the last run; see wr_tx_tail. */
void i40e_vf_tx_bh(void *opaque)
{
    I40EVFCore *core = opaque;
    uint32_t pending = core->tx_pending;

    if (!runstate_is_running()) {
        return;     /* i40e_vf_vm_state_change schedules it again */
    }
    core->tx_pending = 0;
    for (unsigned int q = 0; pending; q++, pending >>= 1) {
        if (pending & 1) {
            i40e_vf_tx_kick(core, q);
        }
    }
}

/* RX */

/* Descriptors the guest has handed over; none while its tail is bogus. */
static uint32_t rx_free_descs(const I40EVFRing *ring)
{
    if (ring->tail >= ring->len) {
        return 0;
    }
    return (ring->tail + ring->len - ring->head) % ring->len;
}

/* The hardware's packet type: IP version, fragment, L4 protocol. */
static uint32_t rx_ptype(struct NetRxPkt *pkt)
{
    static const uint8_t ptypes[2][5] = {
        { I40E_PTYPE_IPV4_FRAG, I40E_PTYPE_IPV4_TCP, I40E_PTYPE_IPV4_UDP,
          I40E_PTYPE_IPV4_SCTP, I40E_PTYPE_IPV4_PAY3 },
        { I40E_PTYPE_IPV6_FRAG, I40E_PTYPE_IPV6_TCP, I40E_PTYPE_IPV6_UDP,
          I40E_PTYPE_IPV6_SCTP, I40E_PTYPE_IPV6_PAY3 },
    };
    const uint8_t *t;
    bool ip4, ip6;
    EthL4HdrProto l4;

    net_rx_pkt_get_protocols(pkt, &ip4, &ip6, &l4);
    if (!ip4 && !ip6) {
        return I40E_PTYPE_L2_PAY2;
    }
    t = ptypes[ip6];
    if (ip4 ? net_rx_pkt_get_ip4_info(pkt)->fragment
            : net_rx_pkt_get_ip6_info(pkt)->fragment) {
        return t[0];
    }
    switch (l4) {
    case ETH_L4_HDR_PROTO_TCP:
        return t[1];
    case ETH_L4_HDR_PROTO_UDP:
        return t[2];
    case ETH_L4_HDR_PROTO_SCTP:
        return t[3];
    default:
        return t[4];
    }
}

/*
 * Status and error bits of the last descriptor: VLAN, checksums.  A frame
 * whose virtio-net header vouches for its checksums is not checked again.
 */
static uint64_t rx_status(struct NetRxPkt *pkt)
{
    uint64_t st = I40E_RXD_STATUS_DD | I40E_RXD_STATUS_EOF;
    bool ip4, ip6, valid;
    EthL4HdrProto l4;

    if (net_rx_pkt_is_vlan_stripped(pkt)) {
        st |= I40E_RXD_STATUS_L2TAG1P;
    }
    net_rx_pkt_get_protocols(pkt, &ip4, &ip6, &l4);
    if (!ip4 && !ip6) {
        return st;
    }
    st |= I40E_RXD_STATUS_L3L4P;
    if (net_rx_pkt_get_vhdr(pkt)->flags & (VIRTIO_NET_HDR_F_DATA_VALID |
                                           VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        return st;
    }
    if (ip4 && net_rx_pkt_validate_l3_csum(pkt, &valid) && !valid) {
        st |= I40E_RXD_ERROR_IPE;
    }
    if ((l4 == ETH_L4_HDR_PROTO_TCP || l4 == ETH_L4_HDR_PROTO_UDP ||
         l4 == ETH_L4_HDR_PROTO_SCTP) &&
        net_rx_pkt_validate_l4_csum(pkt, &valid) && !valid) {
        st |= I40E_RXD_ERROR_L4E;
    }
    return st;
}

/* Where rx_copy_out continues in the frame's scatter list. */
typedef struct RxCursor {
    const struct iovec *iov;
    size_t off;
} RxCursor;

static MemTxResult rx_copy_out(I40EVFCore *core, dma_addr_t addr,
                               RxCursor *c, size_t len)
{
    MemTxResult res = MEMTX_OK;

    while (len) {
        size_t n = MIN(len, c->iov->iov_len - c->off);

        res |= pci_dma_write(core->owner, addr,
                             (uint8_t *)c->iov->iov_base + c->off, n);
        addr += n;
        len -= n;
        c->off += n;
        if (c->off == c->iov->iov_len) {
            c->iov++;
            c->off = 0;
        }
    }
    return res;
}

/* Write one descriptor back; DD lands last. */
static void rx_write_back(I40EVFCore *core, I40EVFRing *ring, uint32_t idx,
                          uint64_t qw0, uint64_t qw1)
{
    dma_addr_t addr = ring->base + idx * I40E_RX_DESC_SIZE;
    uint64_t d[4] = { cpu_to_le64(qw0), 0, 0, 0 };

    pci_dma_write(core->owner, addr, d, sizeof(d));
    d[1] = cpu_to_le64(qw1);
    pci_dma_write(core->owner, addr + 8, &d[1], sizeof(d[1]));
}

/* Write the frame into queue q's buffers; false if the ring is unusable. */
static bool rx_deliver(I40EVFCore *core, unsigned int q, bool hashed,
                       uint32_t hash)
{
    struct NetRxPkt *pkt = core->rx_pkt;
    I40EVFRing *ring = &core->rx[q];
    RxCursor cur = { .iov = net_rx_pkt_get_iovec(pkt) };
    size_t total = net_rx_pkt_get_total_len(pkt), done = 0;
    uint64_t qw0 = 0, last_status = rx_status(pkt);
    uint64_t ptype = (uint64_t)rx_ptype(pkt) << I40E_RXD_PTYPE_SHIFT;

    if (net_rx_pkt_is_vlan_stripped(pkt)) {
        qw0 |= (uint64_t)net_rx_pkt_get_vlan_tag(pkt) << I40E_RXD_L2TAG1_SHIFT;
    }
    if (hashed) {
        qw0 |= (uint64_t)hash << I40E_RXD_RSS_SHIFT;
        last_status |= I40E_RXD_STATUS_FLTSTAT_RSS;
    }

    while (done < total) {
        uint32_t idx = ring->head;
        size_t len = MIN(total - done, ring->buf_size);
        uint64_t buf_addr, qw1;

        if (pci_dma_read(core->owner, ring->base + idx * I40E_RX_DESC_SIZE,
                         &buf_addr, sizeof(buf_addr)) != MEMTX_OK) {
            /* No buffer address: the frame cannot go anywhere. */
            qemu_log_mask(LOG_GUEST_ERROR,
                          "i40e-vf: RX ring at 0x%" PRIx64 " not accessible\n",
                          ring->base);
            core->stats.rx_discards++;
            return false;
        }
        if (rx_copy_out(core, le64_to_cpu(buf_addr), &cur, len) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "i40e-vf: RX queue %u: buffer at 0x%" PRIx64
                          " not accessible\n", q, le64_to_cpu(buf_addr));
        }
        done += len;
        qw1 = ptype | ((uint64_t)len << I40E_RXD_LEN_PBUF_SHIFT) |
              (done == total ? last_status : I40E_RXD_STATUS_DD);
        rx_write_back(core, ring, idx, qw0, qw1);
        ring->head = (idx + 1) % ring->len;
    }
    trace_i40e_vf_rx_packet(q, total, ring->head);
    i40e_vf_raise_queue_irq(core, ring);
    return true;
}

ssize_t i40e_vf_receive(I40EVFCore *core, const uint8_t *buf, size_t size)
{
    struct NetRxPkt *pkt = core->rx_pkt;
    size_t vhdr = core->has_vnet ? sizeof(struct virtio_net_hdr) : 0;
    ssize_t ret = size;
    uint8_t min_buf[ETH_ZLEN];
    struct iovec iov;
    uint32_t hash = 0, needed;
    I40EVFRing *ring;
    int q;

    if (size < vhdr) {
        return ret;
    }
    if (vhdr) {
        net_rx_pkt_set_vhdr(pkt, (struct virtio_net_hdr *)buf);
    } else {
        net_rx_pkt_unset_vhdr(pkt);
    }
    buf += vhdr;
    size -= vhdr;
    iov = (struct iovec) { .iov_base = (void *)buf, .iov_len = size };

    /* Short frames arrive padded from the wire. */
    if (size < ETH_ZLEN) {
        memcpy(min_buf, buf, size);
        memset(min_buf + size, 0, ETH_ZLEN - size);
        iov.iov_base = min_buf;
        iov.iov_len = size = ETH_ZLEN;
    }
    if (!i40e_vf_filter_accept(core, iov.iov_base, size)) {
        return ret;
    }
    net_rx_pkt_set_packet_type(pkt, get_eth_packet_type(iov.iov_base));
    net_rx_pkt_set_protocols(pkt, &iov, 1, 0);
    q = i40e_vf_rss_queue(core, pkt, &hash);
    ring = &core->rx[MAX(q, 0)];
    if (!ring->enabled || !ring->len || !ring->buf_size ||
        size > ring->max_pkt) {
        /* An enabled queue with a zero-sized context takes nothing. */
        trace_i40e_vf_rx_drop(!ring->enabled ? "queue disabled" :
                              size > ring->max_pkt ? "oversize" : "no ring");
        core->stats.rx_discards++;
        return ret;
    }
    net_rx_pkt_attach_iovec_ex(pkt, &iov, 1, 0, core->vlan_strip ? 0 : -1,
                               ETH_P_VLAN, ETH_P_VLAN);
    /* A local sender left the checksum to us, as to a NIC. */
    if (net_rx_pkt_get_vhdr(pkt)->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        net_rx_pkt_fix_l4_csum(pkt);
    }
    needed = DIV_ROUND_UP(net_rx_pkt_get_total_len(pkt), ring->buf_size);
    if (needed >= ring->len) {
        trace_i40e_vf_rx_drop("frame larger than the ring");
        core->stats.rx_discards++;
        return ret;
    }
    if (rx_free_descs(ring) < needed) {
        /*
         * No buffer posted: the silicon drops the frame and counts it
         * (GLV_RDPC, rx_discards); the other queues go on receiving.
         */
        trace_i40e_vf_rx_drop("no descriptor");
        core->stats.rx_discards++;
        return ret;
    }
    if (rx_deliver(core, MAX(q, 0), q >= 0, hash)) {
        count_packet(core, true, get_eth_packet_type(iov.iov_base), size);
    }
    return ret;
}

void i40e_vf_rx_tail_written(I40EVFCore *core, unsigned int q)
{
    I40EVFRing *ring = &core->rx[q];

    if (ring->len && ring->tail >= ring->len) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: RX queue %u: tail %u beyond ring of %u\n",
                      q, ring->tail, ring->len);
    }
}

/* Forget every queue context, as a VF reset does. */
void i40e_vf_queues_stop(I40EVFCore *core)
{
    memset(core->rx, 0, sizeof(core->rx));
    memset(core->tx, 0, sizeof(core->tx));
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        core->rx[q].vector = I40E_VF_NO_VECTOR;
        core->tx[q].vector = I40E_VF_NO_VECTOR;
    }
    core->tx_ctx_valid = false;
    core->tx_pending = 0;
}
