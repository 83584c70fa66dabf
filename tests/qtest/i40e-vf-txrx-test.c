/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the emulated Intel 700-series VF (i40e-vf): its data path,
 * TX (offloads, VLAN insertion, spoof checking, malicious-driver
 * detection) and RX (multi-buffer frames, filters, RSS).
 */

#include "qemu/osdep.h"
#include "net/eth.h"
#include "i40e-vf-common.h"

/* The Toeplitz key of Microsoft's RSS verification suite. */
static const uint8_t ms_rss_key[VIRTCHNL_RSS_KEY_SIZE] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void test_tx(void)
{
    uint8_t frame[256], out[2048];
    Fixture f;
    size_t len, n;

    fixture_up(&f, "", 1);
    len = make_udp(frame, peer_mac, 1000, "hello from the VF");
    qiavf_irq_clear(&f.d, 1);
    qiavf_tx(&f.d, 0, frame, len, 0, 0, 0);
    n = sock_recv(&f, out, sizeof(out));
    g_assert_cmpuint(n, ==, len);
    g_assert_cmpmem(out, n, frame, len);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             tx_unicast)), ==, 1);
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             tx_bytes)), ==, len);
    fixture_stop(&f);
}

static void test_tx_csum_offload(void)
{
    static const uint8_t sa[4] = { 10, 0, 0, 1 }, da[4] = { 10, 0, 0, 2 };
    uint8_t frame[256], out[2048];
    uint32_t offset;
    Fixture f;
    size_t len, n;

    fixture_up(&f, "", 1);
    for (int proto = 0; proto < 2; proto++) {
        bool tcp = proto;

        len = make_ip4_frame(frame, peer_mac, tcp ? IPPROTO_TCP : IPPROTO_UDP,
                             sa, da, 4000, 5000, "offloaded checksums", 19,
                             true);
        /* MACLEN in words, IPLEN and L4LEN in dwords, as iavf fills them. */
        offset = (14 / 2) | ((20 / 4) << 7) | ((tcp ? 5 : 2) << 14);
        qiavf_tx(&f.d, 0, frame, len,
                 I40E_TXD_CMD_IIPT_IPV4_CSUM |
                 (tcp ? I40E_TXD_CMD_L4T_TCP : I40E_TXD_CMD_L4T_UDP), offset,
                 0);
        n = sock_recv(&f, out, sizeof(out));
        g_assert_cmpuint(n, ==, len);
        check_ip4_checksums(out, n);
    }
    fixture_stop(&f);
}

/* CMD.IL2TAG1 puts the descriptor's L2TAG1 on the wire as an 802.1Q tag. */
static void test_tx_vlan_insert(void)
{
    uint8_t frame[256], out[2048];
    Fixture f;
    size_t len, n;

    fixture_up(&f, "", 1);
    len = make_udp(frame, peer_mac, 1, "tagged-on-the-way-out");
    qiavf_tx(&f.d, 0, frame, len, I40E_TXD_CMD_IL2TAG1, 0, 0x2064);
    n = sock_recv(&f, out, sizeof(out));
    g_assert_cmpuint(n, ==, len + 4);
    g_assert_cmpmem(out, 12, frame, 12);
    g_assert_cmphex(lduw_be_p(out + 12), ==, ETH_P_VLAN);
    g_assert_cmphex(lduw_be_p(out + 14), ==, 0x2064);
    g_assert_cmpmem(out + 16, n - 16, frame + 12, len - 12);
    fixture_stop(&f);
}

/* Very old drivers read TX completion from a head write-back word. */
static void test_tx_head_writeback(void)
{
    uint8_t msg[8 + 2 * 64] = { 0 }, frame[256];
    struct virtchnl_vsi_queue_config_info *qc = (void *)msg;
    struct virtchnl_queue_pair_info *qp = &qc->qpair[0];
    uint64_t hwb;
    Fixture f;

    fixture_rings(&f, 64, 2048);
    hwb = f.d.tx[0].ring + 64 * I40E_TX_DESC_SIZE - 64;
    qc->vsi_id = cpu_to_le16(f.d.vsi_id);
    qc->num_queue_pairs = cpu_to_le16(1);
    qpair_fill(&f.d, qp, 0);
    qp->txq.ring_len = cpu_to_le16(56);
    qp->txq.headwb_enabled = cpu_to_le16(1);
    qp->txq.dma_headwb_addr = cpu_to_le64(hwb);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, msg,
                               sizeof(msg), NULL, NULL), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    f.d.tx[0].len = 56;
    for (int i = 1; i <= 3; i++) {
        qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "hwb"),
                 0, 0, 0);
        g_assert_cmpuint(qtest_readl(f.qs->qts, hwb), ==, i);
        g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                                 "hwb"));
    }
    fixture_stop(&f);
}

/*
 * Spoof checking, on by default as in i40e (vfs[i].spoofchk = true): a
 * frame from a MAC that is not the VF's, or tagged with a VLAN it has no
 * filter for, is dropped by the switch and counted in tx_errors.
 */
static void test_tx_spoofchk(void)
{
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };
    const size_t tx_errors = offsetof(struct virtchnl_eth_stats, tx_errors);
    uint8_t frame[256];
    Fixture f;
    size_t len;

    fixture_up(&f, "", 1);
    len = make_udp(frame, peer_mac, 1, "spoofed");
    memcpy(frame + 6, other, 6);
    qiavf_tx(&f.d, 0, frame, len, 0, 0, 0);
    g_assert_cmpint(qiavf_add_vlan(&f.d, 5, false), ==, 0);
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "vlan-7"),
             I40E_TXD_CMD_IL2TAG1, 0, 7);
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "vlan-5"),
             I40E_TXD_CMD_IL2TAG1, 0, 5);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "vlan-5"));
    g_assert_cmpuint(get_stat(&f.d, tx_errors), ==, 2);
    fixture_stop(&f);

    fixture_up(&f, ",spoofchk=off", 1);
    len = make_udp(frame, peer_mac, 1, "spoof-allowed");
    memcpy(frame + 6, other, 6);
    qiavf_tx(&f.d, 0, frame, len, 0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "spoof-allowed"));
    g_assert_cmpuint(get_stat(&f.d, tx_errors), ==, 0);
    fixture_stop(&f);
}

/* Queue a packet of @nbufs data descriptors (and a TSO context if mss). */
static void tx_raw(Fixture *f, const uint8_t *frame, size_t len,
                   unsigned int nbufs, uint32_t mss)
{
    QIavfRing *tx = &f->d.tx[0];
    size_t chunk = DIV_ROUND_UP(len, nbufs);
    uint64_t desc[2];

    if (mss) {
        desc[0] = 0;
        desc[1] = cpu_to_le64(I40E_TXD_DTYPE_CONTEXT |
                              ((uint64_t)I40E_TXD_CTX_CMD_TSO <<
                               I40E_TXD_CTX_CMD_SHIFT) |
                              ((uint64_t)(len - 54) <<
                               I40E_TXD_CTX_TSO_LEN_SHIFT) |
                              ((uint64_t)mss << I40E_TXD_CTX_MSS_SHIFT));
        qtest_memwrite(f->d.qts, tx->ring + tx->next * 16, desc, 16);
        tx->next = (tx->next + 1) % tx->len;
    }
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = MIN(chunk, len - off);
        uint64_t buf = tx->bufs + tx->next * tx->buf_size;
        uint32_t cmd = off + n == len ? I40E_TXD_CMD_EOP | I40E_TXD_CMD_RS : 0;

        g_assert_cmpuint(n, <=, tx->buf_size);
        qtest_memwrite(f->d.qts, buf, frame + off, n);
        desc[0] = cpu_to_le64(buf);
        desc[1] = cpu_to_le64(I40E_TXD_DTYPE_DATA |
                              ((uint64_t)(cmd | I40E_TXD_CMD_ICRC) <<
                               I40E_TXD_CMD_SHIFT) |
                              ((uint64_t)n << I40E_TXD_BUF_SZ_SHIFT));
        qtest_memwrite(f->d.qts, tx->ring + tx->next * 16, desc, 16);
        tx->next = (tx->next + 1) % tx->len;
    }
    qiavf_wr(&f->d, I40E_QTX_TAIL1(0), tx->next);
}

/*
 * Malicious-driver detection: what i40e_chk_linearize, I40E_MIN_TSO_MSS
 * and I40E_MIN_TX_LEN keep a driver from sending stops the queue, and
 * i40e_handle_mdd_event disables the VF: its messages (RESET_VF too) go
 * unanswered until an FLR (i40e_vc_process_vflr_event) re-creates it.
 */
static void mdd_case(unsigned int nbufs, size_t len, uint32_t mss)
{
    struct virtchnl_queue_select qs;
    uint8_t frame[4096] = { 0 };
    uint16_t rlen;
    uint32_t op;
    int32_t ret;
    Fixture f;

    fixture_up(&f, "", 1);
    make_udp(frame, peer_mac, 1, "mdd");
    tx_raw(&f, frame, len, nbufs, mss);
    qs = (struct virtchnl_queue_select) { .vsi_id = cpu_to_le16(f.d.vsi_id) };
    qiavf_send(&f.d, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs));
    qtest_clock_step(f.d.qts, 100 * 1000 * 1000);
    g_assert_false(qiavf_recv(&f.d, &op, &ret, frame, &rlen));

    fixture_flr(&f);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

static void test_tx_mdd(void)
{
    mdd_case(9, 900, 0);        /* a non-TSO packet in 9 buffers */
    mdd_case(1, 16, 0);         /* shorter than 17 bytes */
    mdd_case(2, 1000, 32);      /* TSO with an MSS below 64 */
}

/*
 * A driver's stop and start (DPDK keeps its rings): queues disabled, the
 * same ring configured again and enabled, no TX tail written yet.  The
 * new context must not replay the old tail over descriptors already sent;
 * it sends from descriptor 0 when told to.
 */
static void test_tx_ifdown_ifup(void)
{
    struct virtchnl_queue_select qs = { .rx_queues = cpu_to_le32(1),
                                        .tx_queues = cpu_to_le32(1) };
    uint8_t frame[256];
    uint64_t desc;
    Fixture f;

    fixture_up(&f, "", 1);
    make_udp(frame, peer_mac, 1, "before");
    tx_raw(&f, frame, 100, 1, 0);
    sock_recv(&f, frame, sizeof(frame));
    /* DPDK asks for write-back every 32 descriptors: this one had none. */
    desc = cpu_to_le64(I40E_TXD_DTYPE_DATA |
                       ((uint64_t)I40E_TXD_CMD_EOP << I40E_TXD_CMD_SHIFT) |
                       (100ull << I40E_TXD_BUF_SZ_SHIFT));
    qtest_memwrite(f.d.qts, f.d.tx[0].ring + 8, &desc, sizeof(desc));
    qs.vsi_id = cpu_to_le16(f.d.vsi_id);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_DISABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, 0);
    f.d.tx[0].next = 0;
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    /* An old tail would send descriptor 0 again. */
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             tx_unicast)), ==, 1);
    expect_tx(&f, 0, "after-ifup");
    fixture_stop(&f);
}

/*
 * A frame over the port's 9728-byte maximum (I40E_MAX_RXBUFFER) does not
 * leave, and counts in tx_errors; the queue carries on.
 */
static void test_tx_oversize(void)
{
    const size_t tx_errors = offsetof(struct virtchnl_eth_stats, tx_errors);
    static uint8_t frame[9800];
    Fixture f;

    fixture_up(&f, "", 1);
    make_udp(frame, peer_mac, 1, "oversize");
    stw_be_p(frame + 14 + 2, sizeof(frame) - 14);
    tx_raw(&f, frame, sizeof(frame), 5, 0);
    expect_tx(&f, 0, "next");
    g_assert_cmpuint(get_stat(&f.d, tx_errors), ==, 1);
    fixture_stop(&f);
}

static void test_rx(void)
{
    uint8_t frame[256], buf[2048];
    uint64_t qw0, qw1;
    Fixture f;
    size_t len, n;

    fixture_up(&f, "", 1);
    len = make_udp(frame, vf_mac, 1000, "hello to the VF");
    qiavf_irq_clear(&f.d, 1);
    sock_send(&f, frame, len);
    g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_cmpuint(n, ==, len);
    g_assert_cmpmem(buf, n, frame, len);
    g_assert_true(qw1 & I40E_RXD_STATUS_EOF);
    g_assert_true(qw1 & I40E_RXD_STATUS_L3L4P);
    g_assert_cmphex(qw1 & (I40E_RXD_ERROR_IPE | I40E_RXD_ERROR_L4E |
                           I40E_RXD_STATUS_L2TAG1P), ==, 0);
    g_assert_cmpuint((qw1 >> I40E_RXD_PTYPE_SHIFT) & 0xff, ==,
                     I40E_PTYPE_IPV4_UDP);
    g_assert_true(qiavf_irq_seen(&f.d, 1));

    /* A corrupted UDP checksum is reported, not hidden. */
    frame[len - 1] ^= 0xff;
    sock_send(&f, frame, len);
    g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_true(qw1 & I40E_RXD_ERROR_L4E);
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             rx_unicast)), ==, 2);
    fixture_stop(&f);
}

/* A frame larger than one buffer spans descriptors, EOF on the last. */
static void test_rx_multi_buffer(void)
{
    static const uint8_t sa[4] = { 10, 0, 0, 2 }, da[4] = { 10, 0, 0, 1 };
    g_autofree char *payload = g_malloc(1400);
    uint8_t frame[1600], buf[2048], joined[1600];
    uint64_t qw0, qw1;
    size_t len, n, got = 0;
    Fixture f;

    fixture_rings(&f, 64, 512);
    qiavf_rx_fill(&f.d, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);

    memset(payload, 'x', 1400);
    len = make_ip4_frame(frame, vf_mac, IPPROTO_UDP, sa, da, 1, 2, payload,
                         1400, false);
    sock_send(&f, frame, len);
    for (int i = 0; i < 3; i++) {
        g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
        g_assert_cmpuint(n, ==, MIN(512, len - got));
        memcpy(joined + got, buf, n);
        got += n;
        g_assert_cmpint(!!(qw1 & I40E_RXD_STATUS_EOF), ==, got == len);
    }
    g_assert_cmpmem(joined, got, frame, len);
    fixture_stop(&f);
}

/*
 * A frame for a queue with no descriptor posted is dropped and counted
 * in rx_discards (GLV_RDPC, i40e_stats_update_rx_discards), as the
 * silicon does: nothing is held back, so the first frame after the
 * driver refills the ring is the next one that arrives.
 */
static void test_rx_out_of_buffers(void)
{
    const size_t discards = offsetof(struct virtchnl_eth_stats, rx_discards);
    unsigned int posted;
    uint8_t frame[256];
    char tag[32];
    Fixture f;

    fixture_up(&f, "", 1);
    posted = f.d.rx[0].len - 1;
    for (int i = 0; i < 150; i++) {
        snprintf(tag, sizeof(tag), "burst-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 1, tag));
    }
    /* Let QEMU take the whole burst before the driver refills. */
    wait_rx_discards(&f, 150 - posted);
    for (unsigned int i = 0; i < posted; i++) {
        snprintf(tag, sizeof(tag), "burst-%u", i);
        expect_rx(&f, 0, tag, NULL, NULL);
    }
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "after-refill"));
    expect_rx(&f, 0, "after-refill", NULL, NULL);
    g_assert_cmpuint(get_stat(&f.d, discards), ==, 150 - posted);
    fixture_stop(&f);
}

static void test_rx_vlan(void)
{
    uint8_t frame[256], tagged[260], buf[2048];
    struct virtchnl_queue_select none = { 0 };
    uint64_t qw0, qw1;
    Fixture f;
    size_t len, n;

    fixture_up(&f, "", 1);
    g_assert_cmpint(qiavf_add_vlan(&f.d, 100, false), ==, 0);

    /* Stripping is on by default: the tag moves to the descriptor. */
    len = make_udp(frame, vf_mac, 1, "tagged-100");
    sock_send(&f, tagged, make_tagged(tagged, 100, "tagged-100"));
    g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_cmpmem(buf, n, frame, len);
    g_assert_true(qw1 & I40E_RXD_STATUS_L2TAG1P);
    g_assert_cmpuint((qw0 >> I40E_RXD_L2TAG1_SHIFT) & 0xffff, ==, 100);

    /* VLAN 200 has no filter: dropped. */
    sock_send(&f, tagged, make_tagged(tagged, 200, "tagged-200"));

    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_DISABLE_VLAN_STRIPPING,
                               &none, 0, NULL, NULL), ==, 0);
    len = make_tagged(tagged, 100, "kept-tag");
    sock_send(&f, tagged, len);
    g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_cmpmem(buf, n, tagged, len);
    g_assert_false(qw1 & I40E_RXD_STATUS_L2TAG1P);
    fixture_stop(&f);
}

static void test_mac_filter(void)
{
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x09 };
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    /* Each dropped frame is followed by one that must arrive first. */
    sock_send(&f, frame, make_udp(frame, other, 1, "drop-unicast"));
    sock_send(&f, frame, make_udp(frame, mcast, 1, "drop-multicast"));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "keep-own"));
    expect_rx(&f, 0, "keep-own", NULL, NULL);
    sock_send(&f, frame, make_udp(frame, bcast, 1, "keep-broadcast"));
    expect_rx(&f, 0, "keep-broadcast", NULL, NULL);

    /* i40e_check_vf_permission: mac= is admin-set, no other unicast */
    g_assert_cmpint(qiavf_add_mac(&f.d, other, false), ==, I40E_EPERM);
    g_assert_cmpint(qiavf_add_mac(&f.d, mcast, false), ==, 0);
    sock_send(&f, frame, make_udp(frame, other, 1, "drop-refused"));
    sock_send(&f, frame, make_udp(frame, mcast, 1, "keep-multicast"));
    expect_rx(&f, 0, "keep-multicast", NULL, NULL);

    /* i40e_vc_del_mac_addr_msg: the admin-set address stays, silently */
    g_assert_cmpint(qiavf_add_mac(&f.d, vf_mac, true), ==, 0);
    /* ... deleting an absent address fails */
    g_assert_cmpint(qiavf_add_mac(&f.d, other, true), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_add_mac(&f.d, mcast, true), ==, 0);
    /* Untrusted: the PF says yes to promiscuous mode and does nothing. */
    g_assert_cmpint(qiavf_promisc(&f.d, FLAG_VF_UNICAST_PROMISC), ==, 0);
    sock_send(&f, frame, make_udp(frame, mcast, 1, "drop-deleted"));
    sock_send(&f, frame, make_udp(frame, other, 1, "drop-unicast"));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "keep-after"));
    expect_rx(&f, 0, "keep-after", NULL, NULL);
    fixture_stop(&f);
}

/*
 * i40e_check_vf_permission: an untrusted VF holds 18 MAC filters, the
 * broadcast one included; a list that does not fit adds none (-EPERM).
 */
static void test_mac_limit(void)
{
    struct {
        struct virtchnl_ether_addr_list hdr;
        struct virtchnl_ether_addr addr[18];
    } msg = { { cpu_to_le16(VF_VSI) } };
    uint8_t frame[256], mac[6] = { 0x01, 0x00, 0x5e, 0x77, 0x00, 0x00 };
    Fixture f;

    fixture_up(&f, "", 1);
    /* The PF-assigned address and broadcast are two; 17 more do not fit. */
    msg.hdr.num_elements = cpu_to_le16(17);
    for (int i = 0; i < 17; i++) {
        mac[5] = i;
        memcpy(msg.addr[i].addr, mac, 6);
    }
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &msg,
                               12 + 8 * 17, NULL, NULL), ==, I40E_EPERM);
    msg.hdr.num_elements = cpu_to_le16(16);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &msg,
                               12 + 8 * 16, NULL, NULL), ==, 0);
    msg.hdr.num_elements = cpu_to_le16(2);
    mac[5] = 100;
    memcpy(msg.addr[0].addr, mac, 6);
    mac[5] = 101;
    memcpy(msg.addr[1].addr, mac, 6);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &msg,
                               12 + 8 * 2, NULL, NULL), ==, I40E_EPERM);
    mac[5] = 100;
    sock_send(&f, frame, make_udp(frame, mac, 1, "drop-not-added"));
    mac[5] = 16;
    sock_send(&f, frame, make_udp(frame, mac, 1, "drop-never-fit"));
    mac[5] = 15;
    sock_send(&f, frame, make_udp(frame, mac, 1, "keep-last-fitting"));
    expect_rx(&f, 0, "keep-last-fitting", NULL, NULL);
    fixture_stop(&f);
}

static void test_promisc_trusted(void)
{
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x09 };
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, ",trusted=on", 1);
    g_assert_cmpint(qiavf_promisc(&f.d, FLAG_VF_UNICAST_PROMISC), ==, 0);
    sock_send(&f, frame, make_udp(frame, mcast, 1, "drop-multicast"));
    sock_send(&f, frame, make_udp(frame, other, 1, "keep-promisc"));
    expect_rx(&f, 0, "keep-promisc", NULL, NULL);
    g_assert_cmpint(qiavf_promisc(&f.d, FLAG_VF_UNICAST_PROMISC |
                                        FLAG_VF_MULTICAST_PROMISC), ==, 0);
    sock_send(&f, frame, make_udp(frame, mcast, 1, "keep-allmulti"));
    expect_rx(&f, 0, "keep-allmulti", NULL, NULL);
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    sock_send(&f, frame, make_udp(frame, other, 1, "drop-unicast"));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "keep-own"));
    expect_rx(&f, 0, "keep-own", NULL, NULL);
    fixture_stop(&f);
}

static int32_t config_rss(QIavf *d, const uint8_t *key, unsigned int nq)
{
    uint8_t kmsg[4 + VIRTCHNL_RSS_KEY_SIZE + 1] = { 0 };
    uint8_t lmsg[4 + VIRTCHNL_RSS_LUT_SIZE + 1] = { 0 };
    int32_t ret;

    stw_le_p(kmsg, d->vsi_id);
    stw_le_p(kmsg + 2, VIRTCHNL_RSS_KEY_SIZE);
    memcpy(kmsg + 4, key, VIRTCHNL_RSS_KEY_SIZE);
    ret = qiavf_call(d, VIRTCHNL_OP_CONFIG_RSS_KEY, kmsg, sizeof(kmsg),
                     NULL, NULL);
    if (ret) {
        return ret;
    }
    stw_le_p(lmsg, d->vsi_id);
    stw_le_p(lmsg + 2, VIRTCHNL_RSS_LUT_SIZE);
    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
        lmsg[4 + i] = i % nq;
    }
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_RSS_LUT, lmsg, sizeof(lmsg),
                      NULL, NULL);
}

/* Wait for a frame on any queue; returns its queue. */
static unsigned int rx_any(Fixture *f, uint64_t *qw0, uint64_t *qw1)
{
    int64_t end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    uint8_t buf[2048];
    size_t n;

    while (g_get_monotonic_time() < end) {
        for (unsigned int q = 0; q < f->d.nqueues; q++) {
            if (qiavf_rx_poll(&f->d, q, buf, &n, qw0, qw1)) {
                return q;
            }
        }
        g_usleep(1000);
    }
    g_assert_not_reached();
}

static void test_rss(void)
{
    static const uint8_t sa[4] = { 66, 9, 149, 187 };
    static const uint8_t da[4] = { 161, 142, 100, 80 };
    uint8_t frame[256];
    unsigned int used = 0, q;
    uint64_t qw0, qw1;
    Fixture f;

    fixture_up(&f, "", 4);
    g_assert_cmpint(config_rss(&f.d, ms_rss_key, 4), ==, 0);

    /* Microsoft's verification vector for IPv4/TCP. */
    sock_send(&f, frame, make_ip4_frame(frame, vf_mac, IPPROTO_TCP, sa, da,
                                        2794, 1766, "v", 1, false));
    q = rx_any(&f, &qw0, &qw1);
    g_assert_cmphex(qw1 & I40E_RXD_STATUS_FLTSTAT_RSS, ==,
                    I40E_RXD_STATUS_FLTSTAT_RSS);
    g_assert_cmphex(qw0 >> I40E_RXD_RSS_SHIFT, ==, 0x51ccc178);
    g_assert_cmpuint(q, ==, (0x51ccc178 % 64) % 4);

    /* Flows spread, each to the queue its hash names in the LUT. */
    for (uint16_t port = 1000; port < 1032; port++) {
        sock_send(&f, frame, make_udp(frame, vf_mac, port, "flow"));
        q = rx_any(&f, &qw0, &qw1);
        g_assert_cmpuint(q, ==, ((uint32_t)(qw0 >> 32) % 64) % 4);
        used |= 1u << q;
    }
    g_assert_cmphex(used, ==, 0xf);

    /* i40e_vc_config_rss_lut: a queue the VF does not have is refused */
    g_assert_cmpint(config_rss(&f.d, ms_rss_key, 5), ==, I40E_EINVAL);
    fixture_stop(&f);
}

/* Rings where the guest has no memory: nothing breaks, nothing is lost. */
static void test_ring_outside_ram(void)
{
    const uint64_t nowhere = 0x7f0000000000ull;
    uint8_t frame[256];
    Fixture f;

    fixture_rings(&f, 64, 2048);
    f.d.rx[0].ring = f.d.tx[0].ring = nowhere;
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    qiavf_wr(&f.d, I40E_QRX_TAIL1(0), 63);
    qiavf_wr(&f.d, I40E_QTX_TAIL1(0), 5);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "into-nowhere"));
    /* The mailbox still answers, and counts the frame as discarded. */
    for (int i = 0; i < 500 && !get_stat(&f.d, offsetof(
             struct virtchnl_eth_stats, rx_discards)); i++) {
        g_usleep(10 * 1000);
    }
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             rx_discards)), ==, 1);

    /* A reset and real rings, and it works. */
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "real-ring"));
    expect_rx(&f, 0, "real-ring", NULL, NULL);
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/i40e-vf/tx/basic", test_tx);
    qtest_add_func("/i40e-vf/tx/csum-offload", test_tx_csum_offload);
    qtest_add_func("/i40e-vf/tx/vlan-insert", test_tx_vlan_insert);
    qtest_add_func("/i40e-vf/tx/head-writeback", test_tx_head_writeback);
    qtest_add_func("/i40e-vf/rx/basic", test_rx);
    qtest_add_func("/i40e-vf/rx/multi-buffer", test_rx_multi_buffer);
    qtest_add_func("/i40e-vf/rx/out-of-buffers", test_rx_out_of_buffers);
    qtest_add_func("/i40e-vf/rx/vlan", test_rx_vlan);
    qtest_add_func("/i40e-vf/rx/mac-filter", test_mac_filter);
    qtest_add_func("/i40e-vf/rx/mac-limit", test_mac_limit);
    qtest_add_func("/i40e-vf/rx/promisc-trusted", test_promisc_trusted);
    qtest_add_func("/i40e-vf/rx/rss", test_rss);
    qtest_add_func("/i40e-vf/ring-outside-ram", test_ring_outside_ram);
    qtest_add_func("/i40e-vf/tx/spoofchk", test_tx_spoofchk);
    qtest_add_func("/i40e-vf/tx/mdd", test_tx_mdd);
    qtest_add_func("/i40e-vf/tx/oversize", test_tx_oversize);
    qtest_add_func("/i40e-vf/tx/ifdown-ifup", test_tx_ifdown_ifup);

    return g_test_run();
}
