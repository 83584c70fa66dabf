/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fixture and helpers the i40e-vf qtests share: a VM with one VF
 * whose socket netdev the test holds the other end of, frames to send
 * through it, and the recovery after a VF reset.
 */

#include "qemu/osdep.h"
#include "net/eth.h"
#include "i40e-vf-common.h"

const uint8_t vf_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

QOSState *boot_vf(int fd, const char *extra)
{
    return qtest_pc_boot("-netdev socket,fd=%d,id=n0 "
                         "-device i40e-vf,netdev=n0,addr=04.0,mac=" VF_MAC
                         ",vsi-id=%d%s", fd, VF_VSI, extra);
}

void fixture_start(Fixture *f, const char *extra)
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sock), ==, 0);
    f->qs = boot_vf(f->sock[1], extra);
    qiavf_init(&f->d, f->qs, VF_DEVFN);
}

void fixture_stop(Fixture *f)
{
    qtest_shutdown(f->qs);
    close(f->sock[0]);
    close(f->sock[1]);
}

/* The test's end of the VF's socket netdev */
void sock_send(Fixture *f, const void *frame, size_t len)
{
    qiavf_sock_send(f->sock[0], frame, len);
}

size_t sock_recv(Fixture *f, void *buf, size_t max)
{
    return qiavf_sock_recv(f->sock[0], buf, max);
}

/* A fixture with the VF negotiated and nqueues queue pairs running. */
void fixture_up(Fixture *f, const char *extra, unsigned int nqueues)
{
    fixture_start(f, extra);
    qiavf_negotiate(&f->d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->d, nqueues);
}

/* Negotiated, with one queue pair's rings allocated and the IRQ map sent. */
void fixture_rings(Fixture *f, uint16_t ring_len, uint32_t buf_size)
{
    fixture_start(f, "");
    qiavf_negotiate(&f->d, QIAVF_IAVF_CAPS);
    qiavf_irq_init(&f->d);
    qiavf_alloc_rings(&f->d, 1, ring_len, buf_size);
    g_assert_cmpint(qiavf_config_irq_map(&f->d), ==, 0);
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        sum += i & 1 ? p[i] : p[i] << 8;
    }
    return sum;
}

static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4len)
{
    return csum_add(0, ip + 12, 8) + proto + l4len;
}

/*
 * An Ethernet/IPv4/UDP (or TCP) frame to @dst with @payload; checksums
 * are correct unless @seed_only, in which case the IP checksum is 0 and
 * the L4 checksum holds only the pseudo-header sum, as a driver leaves it
 * for offload.
 */
size_t make_ip4_frame(uint8_t *buf, const uint8_t *dst, uint8_t proto,
                      const uint8_t *saddr, const uint8_t *daddr,
                      uint16_t sport, uint16_t dport,
                      const void *payload, size_t plen, bool seed_only)
{
    uint8_t *ip = buf + 14, *l4 = ip + 20;
    size_t l4hdr = proto == IPPROTO_TCP ? 20 : 8;
    uint16_t l4len = l4hdr + plen;
    uint16_t csum;

    memset(buf, 0, 14 + 20 + l4hdr);
    memcpy(buf, dst, 6);
    /* Frames to the peer come from the VF, all others from the peer. */
    memcpy(buf + 6, dst == peer_mac ? vf_mac : peer_mac, 6);
    stw_be_p(buf + 12, ETH_P_IP);
    ip[0] = 0x45;
    stw_be_p(ip + 2, 20 + l4len);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, saddr, 4);
    memcpy(ip + 16, daddr, 4);
    stw_be_p(l4, sport);
    stw_be_p(l4 + 2, dport);
    if (proto == IPPROTO_TCP) {
        l4[12] = 5 << 4;
        l4[13] = 0x18;
        stw_be_p(l4 + 14, 8192);
    } else {
        stw_be_p(l4 + 4, l4len);
    }
    memcpy(l4 + l4hdr, payload, plen);

    csum = csum_fold(pseudo_sum(ip, proto, l4len));
    if (!seed_only) {
        stw_be_p(ip + 10, ~csum_fold(csum_add(0, ip, 20)));
        csum = ~csum_fold(csum_add(pseudo_sum(ip, proto, l4len), l4, l4len));
    }
    stw_be_p(l4 + (proto == IPPROTO_TCP ? 16 : 6), csum);
    return 14 + 20 + l4len;
}

/* A UDP frame whose 64-byte payload starts with @marker. */
size_t make_udp(uint8_t *buf, const uint8_t *dst, uint16_t sport,
                const char *marker)
{
    static const uint8_t sa[4] = { 10, 0, 0, 2 }, da[4] = { 10, 0, 0, 1 };
    char payload[64] = { 0 };

    g_assert_cmpuint(strlen(marker), <, sizeof(payload));
    memcpy(payload, marker, strlen(marker));
    return make_ip4_frame(buf, dst, IPPROTO_UDP, sa, da, sport, 7777,
                          payload, sizeof(payload), false);
}

/* The same frame with an 802.1Q tag after the addresses. */
size_t make_tagged(uint8_t *buf, uint16_t vid, const char *marker)
{
    uint8_t frame[256];
    size_t len = make_udp(frame, vf_mac, 1, marker);

    memcpy(buf, frame, 12);
    stw_be_p(buf + 12, ETH_P_VLAN);
    stw_be_p(buf + 14, vid);
    memcpy(buf + 16, frame + 12, len - 12);
    return len + 4;
}

bool has_marker(const void *frame, size_t len, const char *marker)
{
    return memmem(frame, len, marker, strlen(marker) + 1);
}

void check_ip4_checksums(const uint8_t *frame, size_t len)
{
    const uint8_t *ip = frame + 14;
    uint16_t l4len = lduw_be_p(ip + 2) - 20;

    g_assert_cmpuint(len, >=, 14 + 20 + l4len);
    g_assert_cmphex(csum_fold(csum_add(0, ip, 20)), ==, 0xffff);
    g_assert_cmphex(csum_fold(csum_add(pseudo_sum(ip, ip[9], l4len),
                                       ip + 20, l4len)), ==, 0xffff);
}

uint64_t get_stat(QIavf *d, size_t field)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(d->vsi_id) };
    uint8_t st[sizeof(struct virtchnl_eth_stats) + 8];
    uint16_t len;

    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs),
                               st, &len), ==, 0);
    /* i40e_vc_get_stats_msg: i40e_eth_stats, 13 counters */
    g_assert_cmpuint(len, ==, sizeof(st));
    return ldq_le_p(st + field);
}

/* Receive on queue q and check the frame carries @marker. */
void expect_rx(Fixture *f, unsigned int q, const char *marker,
               uint64_t *qw0, uint64_t *qw1)
{
    uint8_t buf[2048];
    uint64_t w0, w1;
    size_t len;

    g_assert_true(qiavf_rx(&f->d, q, buf, &len, &w0, &w1));
    g_assert_true(has_marker(buf, len, marker));
    if (qw0) {
        *qw0 = w0;
        *qw1 = w1;
    }
}

/* Send a frame marked @marker to the peer on queue q; the peer gets it. */
void expect_tx(Fixture *f, unsigned int q, const char *marker)
{
    uint8_t frame[256];

    qiavf_tx(&f->d, q, frame, make_udp(frame, peer_mac, 1, marker), 0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(f, frame, sizeof(frame)),
                             marker));
}

/* Wait until the VF has dropped @n frames for want of a descriptor. */
void wait_rx_discards(Fixture *f, uint64_t n)
{
    const size_t discards = offsetof(struct virtchnl_eth_stats, rx_discards);

    for (int i = 0; i < 500 && get_stat(&f->d, discards) < n; i++) {
        g_usleep(10 * 1000);
    }
    g_assert_cmpuint(get_stat(&f->d, discards), ==, n);
}

/* One queue pair on the rings of pair 0, as iavf fills it. */
void qpair_fill(QIavf *d, struct virtchnl_queue_pair_info *qp, uint16_t q)
{
    memset(qp, 0, sizeof(*qp));
    qp->txq.vsi_id = qp->rxq.vsi_id = cpu_to_le16(d->vsi_id);
    qp->txq.queue_id = qp->rxq.queue_id = cpu_to_le16(q);
    qp->txq.ring_len = cpu_to_le16(64);
    qp->txq.dma_ring_addr = cpu_to_le64(d->tx[0].ring);
    qp->rxq.ring_len = cpu_to_le32(64);
    qp->rxq.dma_ring_addr = cpu_to_le64(d->rx[0].ring);
    qp->rxq.databuffer_size = cpu_to_le32(2048);
    qp->rxq.max_pkt_size = cpu_to_le32(1518);
}

/* After a VF reset: wait for it to end, the admin queue again, resources. */
void recover_after_reset(QIavf *d, uint32_t caps)
{
    qiavf_wait_active(d);
    qiavf_aq_init(d);
    qiavf_get_resources(d, caps);
}

/* After any VF reset the driver re-initialises without VERSION. */
void check_reset_and_recover(Fixture *f)
{
    /* A multicast filter: an untrusted VF may add no other unicast. */
    static const uint8_t other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x42 };
    uint8_t frame[256];

    g_assert_false(qiavf_rd(&f->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    g_assert_cmpuint(qiavf_rd(&f->d, I40E_VFGEN_RSTAT) &
                     I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_INPROGRESS);
    recover_after_reset(&f->d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->d, 1);

    /* Filters were cleared; rings start again at descriptor 0. */
    sock_send(f, frame, make_udp(frame, other, 1, "drop-old-filter"));
    sock_send(f, frame, make_udp(frame, vf_mac, 1, "after-reset"));
    expect_rx(f, 0, "after-reset", NULL, NULL);
    g_assert_cmpuint(f->d.rx[0].next, ==, 1);
    expect_tx(f, 0, "tx-after");
}

/*
 * With RX causes on ITR 0 at @itr (units of 2 us), a first frame raises
 * vector 1 and a second, after the re-arm, is held back by the interval.
 */
void hold_rx_irq(Fixture *f, uint32_t itr)
{
    uint8_t frame[256];

    qiavf_wr(&f->d, I40E_VFINT_ITRN1(0, 0), itr);
    qiavf_irq_clear(&f->d, 1);
    sock_send(f, frame, make_udp(frame, vf_mac, 1, "first"));
    expect_rx(f, 0, "first", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f->d, 1));

    qiavf_irq_enable(&f->d, 1);
    sock_send(f, frame, make_udp(frame, vf_mac, 1, "held"));
    expect_rx(f, 0, "held", NULL, NULL);
    g_assert_false(qiavf_irq_seen(&f->d, 1));
}

/* A function-level reset, and the config space the OS restores after it. */
void fixture_flr(Fixture *f)
{
    uint8_t cap = qpci_find_capability(f->d.pdev, PCI_CAP_ID_EXP, 0);

    qpci_config_writew(f->d.pdev, cap + PCI_EXP_DEVCTL,
                       qpci_config_readw(f->d.pdev, cap + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    qiavf_pci_enable(&f->d);
}
