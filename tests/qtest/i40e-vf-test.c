/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the emulated Intel 700-series virtual function (i40e-vf),
 * driven through libqos/iavf the way the Linux iavf driver drives it.
 * Frames go in and out through a socket netdev the test holds the other
 * end of.
 */

#include "qemu/osdep.h"
#include "qemu/iov.h"
#include "net/eth.h"
#include "hw/pci/pci_ids.h"
#include "qobject/qdict.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/iavf.h"

#define VF_DEVFN        QPCI_DEVFN(4, 0)
#define VF_MAC          "52:54:00:12:34:56"
#define VF_VSI          7

/* The errnos a Linux 6.12 i40e PF puts on the wire as v_retval */
#define I40E_EPERM      (-1)
#define I40E_EINVAL     (-22)
#define I40E_EOPNOTSUPP (-95)

typedef struct Fixture {
    QOSState *qs;
    QIavf d;
    int sock[2];        /* sock[0] is the test's end */
} Fixture;

static const uint8_t vf_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

/* The Toeplitz key of Microsoft's RSS verification suite. */
static const uint8_t ms_rss_key[VIRTCHNL_RSS_KEY_SIZE] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static QOSState *boot_vf(int fd, const char *extra)
{
    return qtest_pc_boot("-netdev socket,fd=%d,id=n0 "
                         "-device i40e-vf,netdev=n0,addr=04.0,mac=" VF_MAC
                         ",vsi-id=%d%s", fd, VF_VSI, extra);
}

static void fixture_start(Fixture *f, const char *extra)
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sock), ==, 0);
    f->qs = boot_vf(f->sock[1], extra);
    qiavf_init(&f->d, f->qs, VF_DEVFN);
}

static void fixture_stop(Fixture *f)
{
    qtest_shutdown(f->qs);
    close(f->sock[0]);
    close(f->sock[1]);
}

/* The test's end of the VF's socket netdev */
static void sock_send(Fixture *f, const void *frame, size_t len)
{
    qiavf_sock_send(f->sock[0], frame, len);
}

static size_t sock_recv(Fixture *f, void *buf, size_t max)
{
    return qiavf_sock_recv(f->sock[0], buf, max);
}

/* A fixture with the VF negotiated and nqueues queue pairs running. */
static void fixture_up(Fixture *f, const char *extra, unsigned int nqueues)
{
    fixture_start(f, extra);
    qiavf_negotiate(&f->d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->d, nqueues);
}

/* Negotiated, with one queue pair's rings allocated and the IRQ map sent. */
static void fixture_rings(Fixture *f, uint16_t ring_len, uint32_t buf_size)
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
static size_t make_ip4_frame(uint8_t *buf, const uint8_t *dst, uint8_t proto,
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
static size_t make_udp(uint8_t *buf, const uint8_t *dst, uint16_t sport,
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
static size_t make_tagged(uint8_t *buf, uint16_t vid, const char *marker)
{
    uint8_t frame[256];
    size_t len = make_udp(frame, vf_mac, 1, marker);

    memcpy(buf, frame, 12);
    stw_be_p(buf + 12, ETH_P_VLAN);
    stw_be_p(buf + 14, vid);
    memcpy(buf + 16, frame + 12, len - 12);
    return len + 4;
}

static bool has_marker(const void *frame, size_t len, const char *marker)
{
    return memmem(frame, len, marker, strlen(marker) + 1);
}

static void check_ip4_checksums(const uint8_t *frame, size_t len)
{
    const uint8_t *ip = frame + 14;
    uint16_t l4len = lduw_be_p(ip + 2) - 20;

    g_assert_cmpuint(len, >=, 14 + 20 + l4len);
    g_assert_cmphex(csum_fold(csum_add(0, ip, 20)), ==, 0xffff);
    g_assert_cmphex(csum_fold(csum_add(pseudo_sum(ip, ip[9], l4len),
                                       ip + 20, l4len)), ==, 0xffff);
}

static uint64_t get_stat(QIavf *d, size_t field)
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
static void expect_rx(Fixture *f, unsigned int q, const char *marker,
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

/* Wait until the VF has dropped @n frames for want of a descriptor. */
static void wait_rx_discards(Fixture *f, uint64_t n)
{
    const size_t discards = offsetof(struct virtchnl_eth_stats, rx_discards);

    for (int i = 0; i < 500 && get_stat(&f->d, discards) < n; i++) {
        g_usleep(10 * 1000);
    }
    g_assert_cmpuint(get_stat(&f->d, discards), ==, n);
}

/* Tests */

static void test_pci_identity(void)
{
    Fixture f;
    uint64_t size;
    uint8_t cap;

    fixture_start(&f, ",vectors=5");
    g_assert_cmphex(qpci_config_readw(f.d.pdev, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(f.d.pdev, PCI_DEVICE_ID), ==, 0x154c);
    g_assert_cmphex(qpci_config_readw(f.d.pdev, PCI_CLASS_DEVICE), ==,
                    PCI_CLASS_NETWORK_ETHERNET);
    g_assert_cmpuint(qpci_config_readb(f.d.pdev, PCI_INTERRUPT_PIN), ==, 0);
    qpci_iomap(f.d.pdev, 0, &size);
    g_assert_cmphex(size, ==, I40E_VF_BAR0_SIZE);
    qpci_iomap(f.d.pdev, I40E_VF_MSIX_BAR, &size);
    g_assert_cmphex(size, ==, I40E_VF_MSIX_BAR_SIZE);
    g_assert_cmpuint(qpci_msix_table_size(f.d.pdev), ==, 5);
    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(cap, ==, I40E_VF_PCIE_CAP_OFFSET);
    g_assert_true(qpci_config_readl(f.d.pdev, cap + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    fixture_stop(&f);
}

static void test_version(void)
{
    struct virtchnl_version_info v10 = { cpu_to_le32(1), 0 };
    struct virtchnl_version_info v20 = { cpu_to_le32(2), 0 };
    struct virtchnl_version_info pf;
    struct {
        struct virtchnl_vf_resource hdr;
        struct virtchnl_vsi_resource vsi[2];
    } res;
    Fixture f;
    uint16_t len;

    fixture_start(&f, "");
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);

    /* A 1.0 VF is answered as 1.0 and may not send capabilities. */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_VERSION, &v10, sizeof(v10),
                               &pf, &len), ==, 0);
    g_assert_cmpuint(le32_to_cpu(pf.major), ==, 1);
    g_assert_cmpuint(le32_to_cpu(pf.minor), ==, 0);
    /* i40e_vc_process_vf_msg: a failed validation is -EINVAL */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES,
                               &v10, 4, NULL, NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES,
                               NULL, 0, &res, &len), ==, 0);
    /* i40e_vc_get_vf_resources_msg: a 1.0 VF's caps, ADV_LINK_SPEED too */
    g_assert_cmphex(le32_to_cpu(res.hdr.vf_cap_flags), ==,
                    VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_CAP_ADV_LINK_SPEED |
                    VIRTCHNL_VF_OFFLOAD_VLAN | VIRTCHNL_VF_OFFLOAD_RSS_REG);

    /* A newer VF, after a reset, is offered 1.1. */
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_VERSION, &v20, sizeof(v20),
                               &pf, &len), ==, 0);
    g_assert_cmpuint(le32_to_cpu(pf.major), ==, 1);
    g_assert_cmpuint(le32_to_cpu(pf.minor), ==, 1);
    qiavf_get_resources(&f.d, 0);
    g_assert_cmphex(f.d.caps, ==, VIRTCHNL_VF_OFFLOAD_L2 |
                                  VIRTCHNL_VF_CAP_ADV_LINK_SPEED |
                                  VIRTCHNL_VF_OFFLOAD_VLAN |
                                  VIRTCHNL_VF_OFFLOAD_RSS_REG);
    fixture_stop(&f);
}

static void test_resources(void)
{
    uint32_t caps = cpu_to_le32(QIAVF_IAVF_CAPS);
    uint8_t buf[QIAVF_AQ_BUF];
    uint16_t len;
    Fixture f;

    fixture_start(&f, ",queues=3,vectors=4");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    /*
     * i40e_vc_get_vf_resources_msg: an X710 never grants WB_ON_ITR,
     * RSS_PCTYPE_V2 or ENCAP_CSUM; always ADV_LINK_SPEED and VLAN.
     */
    g_assert_cmphex(f.d.caps, ==, QIAVF_X710_CAPS);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 3);
    g_assert_cmpuint(f.d.max_vectors, ==, 4);
    g_assert_cmpuint(f.d.vsi_id, ==, VF_VSI);
    /* i40e_vc_get_max_frame_size: the port's 9728-byte frames */
    g_assert_cmpuint(f.d.max_mtu, ==, 9728);
    g_assert_cmpmem(f.d.mac, 6, vf_mac, 6);
    /* The PF tells the link state right after the resources. */
    g_assert_cmpuint(f.d.link_events, ==, 1);
    g_assert_true(f.d.link_up);

    /*
     * i40e_vc_get_vf_resources_msg: not again before a reset (-EINVAL,
     * no payload), still followed by the link state.
     */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES, &caps,
                               sizeof(caps), buf, &len), ==, I40E_EINVAL);
    g_assert_cmpuint(len, ==, 0);
    qiavf_drain_events(&f.d);
    g_assert_cmpuint(f.d.link_events, ==, 2);
    fixture_stop(&f);
}

static void test_queue_config(void)
{
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_alloc_rings(&f.d, 4, 64, 2048);
    g_assert_cmpint(qiavf_config_irq_map(&f.d), ==, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    f.d.link_events = 0;
    g_assert_cmpint(qiavf_enable_queues(&f.d, 0xf), ==, 0);
    /* ENABLE_QUEUES is followed by a link event. */
    qiavf_drain_events(&f.d);
    g_assert_cmpuint(f.d.link_events, ==, 1);
    g_assert_true(f.d.link_up);
    fixture_stop(&f);
}

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

static void qpair_fill(QIavf *d, struct virtchnl_queue_pair_info *qp,
                       uint16_t q);

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
 * More frames than posted buffers: the rest wait in QEMU and arrive, in
 * order, as the driver hands buffers back; none is dropped.
 */
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

/* DYN_CTL: a vector disarms itself when it fires; re-arming replays it. */
static void test_irq_automask(void)
{
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_irq_clear(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "first"));
    expect_rx(&f, 0, "first", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "second"));
    expect_rx(&f, 0, "second", NULL, NULL);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qiavf_irq_enable(&f.d, 1);
    g_assert_true(qiavf_irq_seen(&f.d, 1));

    /*
     * CLEARPBA clears the MSI-X pending bit, not a cause waiting for
     * INTENA; SWINT_TRIG raises at will.
     */
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "third"));
    expect_rx(&f, 0, "third", NULL, NULL);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTLN1(0), I40E_VFINT_DYN_CTL_CLEARPBA);
    qiavf_irq_enable(&f.d, 1);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTLN1(0), I40E_VFINT_DYN_CTL_INTENA |
             I40E_VFINT_DYN_CTL_SWINT_TRIG | I40E_VFINT_DYN_CTL_ITR_INDX_MASK);
    g_assert_true(qiavf_irq_seen(&f.d, 1));

    /* The mailbox raises vector 0 and ICR01 says why, once read. */
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_CLEARPBA);
    qiavf_irq_clear(&f.d, 0);
    qiavf_irq_enable(&f.d, 0);
    g_assert_false(qiavf_irq_seen(&f.d, 0));
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    g_assert_true(qiavf_irq_seen(&f.d, 0));
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01), ==,
                    I40E_VFINT_ICR01_ADMINQ | I40E_VFINT_ICR01_INTEVENT);
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01), ==, 0);
    fixture_stop(&f);
}

/* An ITR interval spaces a vector's interrupts; causes wait, not vanish. */
static void test_irq_itr(void)
{
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    /* RX causes use ITR 0: 1000 units of 2 us. */
    qiavf_wr(&f.d, I40E_VFINT_ITRN1(0, 0), 1000);
    qiavf_irq_clear(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "first"));
    expect_rx(&f, 0, "first", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 1));

    qiavf_irq_enable(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "second"));
    expect_rx(&f, 0, "second", NULL, NULL);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qtest_clock_step(f.qs->qts, 1000 * 1000);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qtest_clock_step(f.qs->qts, 1000 * 1000);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    fixture_stop(&f);
}

static void test_link_event(void)
{
    Fixture f;

    fixture_up(&f, "", 1);
    g_assert_true(f.d.link_up);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': false}}");
    qiavf_drain_events(&f.d);
    g_assert_false(f.d.link_up);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': true}}");
    qiavf_drain_events(&f.d);
    g_assert_true(f.d.link_up);
    fixture_stop(&f);
}

/* After any VF reset the driver re-initialises without VERSION. */
static void check_reset_and_recover(Fixture *f)
{
    /* A multicast filter: an untrusted VF may add no other unicast. */
    static const uint8_t other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x42 };
    uint8_t frame[256];

    g_assert_false(qiavf_rd(&f->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    g_assert_cmpuint(qiavf_rd(&f->d, I40E_VFGEN_RSTAT) &
                     I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_INPROGRESS);
    qiavf_wait_active(&f->d);
    qiavf_aq_init(&f->d);
    qiavf_get_resources(&f->d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->d, 1);

    /* Filters were cleared; rings start again at descriptor 0. */
    sock_send(f, frame, make_udp(frame, other, 1, "drop-old-filter"));
    sock_send(f, frame, make_udp(frame, vf_mac, 1, "after-reset"));
    expect_rx(f, 0, "after-reset", NULL, NULL);
    g_assert_cmpuint(f->d.rx[0].next, ==, 1);
    qiavf_tx(&f->d, 0, frame, make_udp(frame, peer_mac, 1, "tx-after"),
             0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(f, frame, sizeof(frame)),
                             "tx-after"));
}

static void test_reset_vf(void)
{
    /* A multicast filter: an untrusted VF may add no other unicast. */
    static const uint8_t other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x42 };
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    g_assert_cmpint(qiavf_add_mac(&f.d, other, false), ==, 0);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "before"));
    expect_rx(&f, 0, "before", NULL, NULL);
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

/*
 * i40e_ndo_set_vf_trust: trust changed while the VF runs announces a VF
 * reset (RESET_IMPENDING), then resets the VF; setting it unchanged does
 * nothing.
 */
static void test_trust_change(void)
{
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint32_t op;
    int32_t ret;
    uint16_t len;
    Fixture f;

    fixture_up(&f, ",id=vf", 1);
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf', "
                             "'property': 'trusted', 'value': false } }");
    g_assert_true(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    g_assert_false(qiavf_recv(&f.d, &op, &ret, buf, &len));

    f.d.reset_events = 0;
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf', "
                             "'property': 'trusted', 'value': true } }");
    g_assert_true(qiavf_recv(&f.d, &op, &ret, buf, &len));
    g_assert_cmpuint(op, ==, VIRTCHNL_OP_EVENT);
    g_assert_cmpuint(f.d.reset_events, ==, 1);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

static void test_flr(void)
{
    /* A multicast filter: an untrusted VF may add no other unicast. */
    static const uint8_t other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x42 };
    uint8_t cap, frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    g_assert_cmpint(qiavf_add_mac(&f.d, other, false), ==, 0);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "before"));
    expect_rx(&f, 0, "before", NULL, NULL);

    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    qpci_config_writew(f.d.pdev, cap + PCI_EXP_DEVCTL,
                       qpci_config_readw(f.d.pdev, cap + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    /* An FLR also resets config space: the OS restores it. */
    qiavf_pci_enable(&f.d);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

static void test_request_queues(void)
{
    struct virtchnl_vf_res_request req = { cpu_to_le16(17) }, got;
    uint16_t len;
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 4);

    /* More than the PF has: the reply names what it could give. */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req,
                               sizeof(req), &got, &len), ==, 0);
    g_assert_cmpuint(le16_to_cpu(got.num_queue_pairs), ==, 16);

    /* A count it can give comes as a reset, announced first. */
    req.num_queue_pairs = cpu_to_le16(8);
    qiavf_send(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req, sizeof(req));
    g_assert_false(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 8);
    qiavf_up(&f.d, 8);

    /* i40e_vc_request_queues_msg: 0 is the PF's default, by a reset */
    req.num_queue_pairs = 0;
    f.d.reset_events = 0;
    qiavf_send(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req, sizeof(req));
    g_assert_false(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_get_resources(&f.d, VIRTCHNL_VF_OFFLOAD_L2);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 4);
    /* ... and needs no REQ_QUEUES capability */
    req.num_queue_pairs = cpu_to_le16(17);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req,
                               sizeof(req), &got, &len), ==, 0);
    g_assert_cmpuint(le16_to_cpu(got.num_queue_pairs), ==, 16);
    fixture_stop(&f);
}

typedef struct BadMsg {
    const char *what;
    uint32_t opcode;
    int32_t status;
} BadMsg;

static void qpair_fill(QIavf *d, struct virtchnl_queue_pair_info *qp,
                       uint16_t q)
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

/* A CONFIG_VSI_QUEUES for one pair, broken by @breakit. */
static int32_t bad_queue_config(QIavf *d, int breakit)
{
    uint8_t msg[8 + 2 * 64] = { 0 };
    struct virtchnl_vsi_queue_config_info *qc = (void *)msg;
    struct virtchnl_queue_pair_info *qp = &qc->qpair[0];

    qc->vsi_id = cpu_to_le16(d->vsi_id);
    qc->num_queue_pairs = cpu_to_le16(1);
    qpair_fill(d, qp, 0);
    switch (breakit) {
    case 0:
        qc->vsi_id = cpu_to_le16(d->vsi_id + 1);
        break;
    case 1:
        qp->txq.queue_id = qp->rxq.queue_id = cpu_to_le16(d->num_queue_pairs);
        break;
    case 2:
        qp->rxq.dma_ring_addr = 0;
        break;
    case 3:
        qp->rxq.databuffer_size = cpu_to_le32(16384);
        break;
    case 4:
        qp->txq.ring_len = cpu_to_le16(I40E_VF_MAX_RING_LEN + 8);
        break;
    case 5:
        qp->rxq.max_pkt_size = cpu_to_le32(16384);
        break;
    case 6:
        qp->txq.dma_ring_addr = cpu_to_le64(d->tx[0].ring + 64);
        break;
    }
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, msg, sizeof(msg),
                      NULL, NULL);
}

static void test_malformed(void)
{
    struct virtchnl_queue_select qs;
    struct {
        struct virtchnl_irq_map_info hdr;
        struct virtchnl_vector_map map[2];
    } irq = { { cpu_to_le16(1) } };
    uint8_t junk[300] = { 0 }, frame[256];
    uint16_t rc;
    Fixture f;

    fixture_start(&f, "");
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    /*
     * i40e_vc_config_promiscuous_mode_msg: the VF is ACTIVE after every
     * reset, and an untrusted VF is told yes before any other check.
     */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                               junk, 4, NULL, NULL), ==, 0);
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_alloc_rings(&f.d, 1, 64, 2048);

    /* i40e_vc_process_vf_msg: any length the validator refuses: -EINVAL */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_VERSION, junk, 4, NULL,
                               NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq, 14,
                               NULL, NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, junk, 12,
                               NULL, NULL), ==, I40E_EINVAL);
    /* ... and opcodes it does not know */
    g_assert_cmpint(qiavf_call(&f.d, 99, junk, 4, NULL, NULL), ==,
                    I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_EVENT, junk, 16, NULL,
                               NULL), ==, I40E_EINVAL);
    /* i40e_vc_add_cloud_filter: no ADQ */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_CLOUD_FILTER, junk,
                               272, NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_config_irq_map_msg: vsi, vector and queue ids */
    irq.map[0].vsi_id = cpu_to_le16(f.d.vsi_id + 1);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq,
                               sizeof(irq), NULL, NULL), ==, I40E_EINVAL);
    irq.map[0].vsi_id = cpu_to_le16(f.d.vsi_id);
    irq.map[0].vector_id = cpu_to_le16(f.d.max_vectors);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq,
                               sizeof(irq), NULL, NULL), ==, I40E_EINVAL);
    irq.map[0].vector_id = cpu_to_le16(1);
    irq.map[0].rxq_map = cpu_to_le16(1 << f.d.num_queue_pairs);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq,
                               sizeof(irq), NULL, NULL), ==, I40E_EINVAL);
    /* i40e_config_vsi_rx_queue / _tx_queue: bases are not checked */
    for (int i = 0; i < 7; i++) {
        g_assert_cmpint(bad_queue_config(&f.d, i), ==,
                        i == 2 || i == 6 ? 0 : I40E_EINVAL);
    }
    /* i40e_vc_validate_vqs_bitmaps: only bit 16 and above are refused */
    qs = (struct virtchnl_queue_select) {
        .vsi_id = cpu_to_le16(f.d.vsi_id), .rx_queues = cpu_to_le32(1u << 16),
    };
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ENABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_add_vlan_msg: ids up to 4095 */
    g_assert_cmpint(qiavf_add_vlan(&f.d, 4096, false), ==, I40E_EINVAL);

    /* Admin-queue level: a buffer over 4 KiB, an unknown AQ opcode */
    qiavf_aq_post(&f.d, VIRTCHNL_OP_VERSION,
                  I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD | I40E_AQ_FLAG_LB,
                  junk, 5000, &rc);
    g_assert_cmpuint(rc, ==, I40E_AQ_RC_EFBIG);
    qiavf_drain_events(&f.d);

    /* After all that the VF still works. */
    qiavf_up(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "still-alive"));
    expect_rx(&f, 0, "still-alive", NULL, NULL);
    fixture_stop(&f);
}

/* A message of @len bytes, zeros but for @set, and its reply. */
static int32_t call_len(QIavf *d, uint32_t op, uint16_t len, uint16_t set_off,
                        uint8_t set_val, void *reply, uint16_t *rlen)
{
    g_autofree uint8_t *msg = g_malloc0(MAX(len, set_off + 1));
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint16_t n;

    msg[set_off] = set_val;
    return qiavf_call(d, op, len ? msg : NULL, len, reply ?: buf,
                      rlen ?: &n);
}

/* The event the PF left in the ARQ before it reset the VF's registers. */
static uint32_t arq_event_before_reset(QIavf *d)
{
    struct i40e_aq_desc desc;
    struct virtchnl_pf_event ev;

    qtest_memread(d->qts, d->arq + d->arq_ntc * sizeof(desc), &desc,
                  sizeof(desc));
    g_assert_cmpuint(le32_to_cpu(desc.cookie_high), ==, VIRTCHNL_OP_EVENT);
    qtest_memread(d->qts, d->arq_bufs + d->arq_ntc * QIAVF_AQ_BUF, &ev,
                  sizeof(ev));
    return le32_to_cpu(ev.event);
}

static void recover_after_reset(QIavf *d, uint32_t caps)
{
    qiavf_wait_active(d);
    qiavf_aq_init(d);
    qiavf_get_resources(d, caps);
}

static void test_opcodes(void)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(VF_VSI + 1) };
    static const uint8_t zeros[104];
    uint8_t buf[QIAVF_AQ_BUF];
    uint16_t len;
    Fixture f;

    fixture_up(&f, "", 1);
    /* i40e_vc_process_vf_msg: validated but no i40e case: -EOPNOTSUPP */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_CONFIG_RSS_HFUNC, 8, 0, 0,
                             NULL, NULL), ==, I40E_EOPNOTSUPP);
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_GET_SUPPORTED_RXDIDS, 0, 0, 0,
                             NULL, NULL), ==, I40E_EOPNOTSUPP);
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS, 0,
                             0, 0, NULL, NULL), ==, I40E_EOPNOTSUPP);
    /* ... with a wrong length, -EINVAL */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_GET_SUPPORTED_RXDIDS, 4, 0, 0,
                             NULL, NULL), ==, I40E_EINVAL);
    /* virtchnl_vc_validate_vf_msg (6.12) knows neither of these */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_CONFIG_QUEUE_BW,
                             4 + VIRTCHNL_QUEUE_BW_LEN, 2, 1, NULL, NULL), ==,
                    I40E_EINVAL);
    g_assert_cmpint(call_len(&f.d, 0, 0, 0, 0, NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_rdma_msg, i40e_vc_add_qch_msg: no RDMA, no ADQ */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_RDMA, 8, 0, 0, NULL, NULL), ==,
                    I40E_EINVAL);
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_ENABLE_CHANNELS,
                             8 + sizeof(struct virtchnl_channel_info), 0, 1,
                             NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_get_stats_msg: an error still carries 104 zero bytes */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs),
                               buf, &len), ==, I40E_EINVAL);
    g_assert_cmpmem(buf, len, zeros, sizeof(zeros));
    /* i40e_vc_set_rss_hena: no checks, into the VF's VFQF_HENA */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_SET_RSS_HENA, 8, 7, 0x81,
                             NULL, NULL), ==, 0);
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFQF_HENA(0)), ==, 0);
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFQF_HENA(1)), ==, 0x81000000);
    /* i40e_vc_config_promiscuous_mode_msg: untrusted, yes before checks */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE, 4, 2,
                             0xff, NULL, NULL), ==, 0);
    /* virtchnl_vc_validate_vf_msg: RESET_VF has no payload, no reset */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_RESET_VF, 4, 0, 0, NULL, NULL),
                    ==, I40E_EINVAL);
    g_assert_true(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    /* i40e_vc_del_qch_msg: with or without channels, an announced reset */
    qiavf_send(&f.d, VIRTCHNL_OP_DISABLE_CHANNELS, NULL, 0);
    g_assert_false(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    g_assert_cmpuint(arq_event_before_reset(&f.d), ==,
                     VIRTCHNL_EVENT_RESET_IMPENDING);
    recover_after_reset(&f.d, QIAVF_IAVF_CAPS);
    fixture_stop(&f);
}

/* What DPDK's iavf asks for (iavf_get_vf_resource), as far as defined */
#define DPDK_IAVF_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_VLAN | \
     VIRTCHNL_VF_OFFLOAD_RSS_PF | VIRTCHNL_VF_OFFLOAD_WB_ON_ITR | \
     VIRTCHNL_VF_OFFLOAD_RX_POLLING | VIRTCHNL_VF_CAP_ADV_LINK_SPEED | \
     VIRTCHNL_VF_OFFLOAD_RX_FLEX_DESC | VIRTCHNL_VF_OFFLOAD_FDIR_PF | \
     VIRTCHNL_VF_OFFLOAD_ADV_RSS_PF | VIRTCHNL_VF_OFFLOAD_REQ_QUEUES | \
     VIRTCHNL_VF_OFFLOAD_USO | VIRTCHNL_VF_OFFLOAD_CRC | \
     VIRTCHNL_VF_OFFLOAD_VLAN_V2 | VIRTCHNL_VF_OFFLOAD_QOS | \
     VIRTCHNL_VF_CAP_PTP)

static void test_caps_dpdk(void)
{
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, DPDK_IAVF_CAPS);
    /* i40e_vc_get_vf_resources_msg: RX_POLLING if asked, no WB_ON_ITR */
    g_assert_cmphex(f.d.caps, ==, VIRTCHNL_VF_OFFLOAD_L2 |
                    VIRTCHNL_VF_OFFLOAD_REQ_QUEUES |
                    VIRTCHNL_VF_CAP_ADV_LINK_SPEED | VIRTCHNL_VF_OFFLOAD_VLAN |
                    VIRTCHNL_VF_OFFLOAD_RX_POLLING |
                    VIRTCHNL_VF_OFFLOAD_RSS_PF);
    fixture_stop(&f);
}

static void test_link_event_format(void)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(VF_VSI + 1) };
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, VIRTCHNL_VF_OFFLOAD_L2);
    /*
     * i40e_set_vf_link_state: the format the VF asked for (not what it
     * was granted), speed 0 while the link is down.
     */
    g_assert_true(f.d.caps & VIRTCHNL_VF_CAP_ADV_LINK_SPEED);
    g_assert_cmpuint(f.d.link_speed, ==, VIRTCHNL_LINK_SPEED_10GB);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': false}}");
    qiavf_drain_events(&f.d);
    g_assert_false(f.d.link_up);
    g_assert_cmpuint(f.d.link_speed, ==, 0);
    /* i40e_vc_process_vf_msg: ENABLE_QUEUES, even failed, then the link */
    f.d.link_events = 0;
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ENABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, I40E_EINVAL);
    qiavf_drain_events(&f.d);
    g_assert_cmpuint(f.d.link_events, ==, 1);

    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': true}}");
    recover_after_reset(&f.d, QIAVF_IAVF_CAPS);
    g_assert_true(f.d.link_up);
    g_assert_cmpuint(f.d.link_speed, ==, 10000);
    fixture_stop(&f);
}

/* CONFIG_VSI_QUEUES of @n pairs for queues @ids, pair by pair @edit. */
static int32_t config_pairs(QIavf *d, unsigned int n, const uint16_t *ids,
                            void (*edit)(struct virtchnl_queue_pair_info *,
                                         unsigned int))
{
    size_t len = 72 + 64 * n;
    g_autofree uint8_t *msg = g_malloc0(len);
    struct virtchnl_vsi_queue_config_info *qc = (void *)msg;

    qc->vsi_id = cpu_to_le16(d->vsi_id);
    qc->num_queue_pairs = cpu_to_le16(n);
    for (unsigned int i = 0; i < n; i++) {
        qpair_fill(d, &qc->qpair[i], ids[i]);
        if (edit) {
            edit(&qc->qpair[i], i);
        }
    }
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, msg, len, NULL, NULL);
}

/* DPDK's unused half of a pair, and a header split VF asks for. */
static void edit_half_pair(struct virtchnl_queue_pair_info *qp,
                           unsigned int i)
{
    if (i == 1) {
        qp->rxq.ring_len = qp->rxq.databuffer_size = 0;
        qp->rxq.dma_ring_addr = qp->txq.dma_ring_addr = 0;
        qp->txq.ring_len = 0;
        qp->rxq.splithdr_enabled = cpu_to_le16(1);
        qp->rxq.hdr_size = cpu_to_le16(1984);
    }
}

static void edit_big_header(struct virtchnl_queue_pair_info *qp,
                            unsigned int i)
{
    qp->rxq.splithdr_enabled = cpu_to_le16(1);
    qp->rxq.hdr_size = cpu_to_le16(1984 + 64);
}

static void edit_second_bad(struct virtchnl_queue_pair_info *qp,
                            unsigned int i)
{
    if (i == 1) {
        qp->txq.ring_len = cpu_to_le16(7);
    }
}

static void test_queue_config_i40e(void)
{
    static const uint16_t ids[17] = { 0, 1, 0, 0, 0 };
    uint8_t frame[256];
    Fixture f;

    fixture_rings(&f, 64, 2048);
    /*
     * i40e_vc_config_queues_msg: pair by pair; a bad second pair leaves
     * the first programmed.
     */
    g_assert_cmpint(config_pairs(&f.d, 2, ids, edit_second_bad), ==,
                    I40E_EINVAL);
    g_assert_cmpint(qiavf_add_mac(&f.d, vf_mac, false), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "first-pair-set"));
    expect_rx(&f, 0, "first-pair-set", NULL, NULL);

    /* ... up to 16 pairs, the ids only checked against the VF's queues */
    g_assert_cmpint(config_pairs(&f.d, 5, ids, NULL), ==, 0);
    g_assert_cmpint(config_pairs(&f.d, 17, ids, NULL), ==, I40E_EINVAL);
    /* i40e_config_vsi_rx_queue: length, buffer, base 0 and split are fine */
    g_assert_cmpint(config_pairs(&f.d, 1, ids, edit_big_header), ==,
                    I40E_EINVAL);
    g_assert_cmpint(config_pairs(&f.d, 2, ids, edit_half_pair), ==, 0);

    /* i40e_vc_enable_queues_msg: an empty queue starts and does nothing */
    g_assert_cmpint(qiavf_enable_queues(&f.d, 2), ==, 0);
    qiavf_wr(&f.d, I40E_QTX_TAIL1(1), 3);
    qiavf_wr(&f.d, I40E_QRX_TAIL1(1), 3);
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             tx_unicast)), ==, 0);
    fixture_stop(&f);
}

static void test_irq_map_i40e(void)
{
    struct {
        struct virtchnl_irq_map_info hdr;
        struct virtchnl_vector_map map[I40E_VF_MAX_VECTORS + 1];
    } im = { { 0 } };
    size_t len = 14 + 12 * 2;   /* the legacy trailing element included */
    uint8_t frame[256];
    Fixture f;

    fixture_rings(&f, 64, 2048);
    /* i40e_vc_config_irq_map_msg: no more maps than vectors */
    im.hdr.num_vectors = cpu_to_le16(f.d.max_vectors + 1);
    for (int i = 0; i <= f.d.max_vectors; i++) {
        im.map[i].vsi_id = cpu_to_le16(f.d.vsi_id);
        im.map[i].vector_id = cpu_to_le16(i % f.d.max_vectors);
    }
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &im,
                               14 + 12 * (f.d.max_vectors + 1), NULL, NULL),
                    ==, I40E_EINVAL);
    /*
     * ... map by map: queue 0 moves to vector 2 before the bad second
     * map fails; ITR index 7 is taken as 3 (no ITR).
     */
    im.hdr.num_vectors = cpu_to_le16(2);
    im.map[0].vector_id = cpu_to_le16(2);
    im.map[0].rxq_map = im.map[0].txq_map = cpu_to_le16(1);
    im.map[0].rxitr_idx = im.map[0].txitr_idx = cpu_to_le16(7);
    im.map[1].vector_id = cpu_to_le16(f.d.max_vectors);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &im, len,
                               NULL, NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_add_mac(&f.d, vf_mac, false), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    qiavf_irq_enable(&f.d, 1);
    qiavf_irq_enable(&f.d, 2);
    qiavf_irq_clear(&f.d, 1);
    qiavf_irq_clear(&f.d, 2);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "on-vector-2"));
    expect_rx(&f, 0, "on-vector-2", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 2));
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    fixture_stop(&f);
}

static void test_enable_queues_i40e(void)
{
    struct virtchnl_queue_select qs = {
        .vsi_id = cpu_to_le16(VF_VSI), .tx_queues = cpu_to_le32(1),
    };
    uint8_t frame[256];
    uint64_t desc[2];
    uint32_t cmd;
    size_t len;
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "tx-1"), 0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "tx-1"));
    /*
     * i40e_control_tx_q: enabling a running queue changes nothing (head
     * and tail stay); i40e_vc_validate_vqs_bitmaps: bits beyond the VF's
     * queues are no error.
     */
    g_assert_cmpint(qiavf_enable_queues(&f.d, 0xffff), ==, 0);
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "tx-2"), 0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "tx-2"));

    /* ... a stopped queue starts at head 0 with the tail as written. */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_DISABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, 0);
    len = make_udp(frame, peer_mac, 1, "queued-while-stopped");
    qtest_memwrite(f.d.qts, f.d.tx[0].bufs, frame, len);
    desc[0] = cpu_to_le64(f.d.tx[0].bufs);
    cmd = I40E_TXD_CMD_EOP | I40E_TXD_CMD_RS | I40E_TXD_CMD_ICRC;
    desc[1] = cpu_to_le64(I40E_TXD_DTYPE_DATA |
                          ((uint64_t)cmd << I40E_TXD_CMD_SHIFT) |
                          ((uint64_t)len << I40E_TXD_BUF_SZ_SHIFT));
    qtest_memwrite(f.d.qts, f.d.tx[0].ring, desc, sizeof(desc));
    qiavf_wr(&f.d, I40E_QTX_TAIL1(0), 1);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ENABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "queued-while-stopped"));
    fixture_stop(&f);
}

static int32_t vlan_list(QIavf *d, bool del, uint16_t first, unsigned int n)
{
    uint16_t msg[2 + 16] = { cpu_to_le16(d->vsi_id), cpu_to_le16(n) };

    for (unsigned int i = 0; i < n; i++) {
        msg[2 + i] = cpu_to_le16(first + i);
    }
    return qiavf_call(d, del ? VIRTCHNL_OP_DEL_VLAN : VIRTCHNL_OP_ADD_VLAN,
                      msg, 6 + 2 * n, NULL, NULL);
}

static void test_vlan_limit(void)
{
    uint8_t tagged[260], buf[2048];
    uint64_t qw0, qw1;
    Fixture f;
    size_t n;

    fixture_up(&f, "", 1);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_DISABLE_VLAN_STRIPPING,
                               NULL, 0, NULL, NULL), ==, 0);
    /* i40e_vc_add_vlan_msg: adding VLANs turns stripping on */
    g_assert_cmpint(vlan_list(&f.d, false, 1, 16), ==, 0);
    sock_send(&f, tagged, make_tagged(tagged, 16, "stripped"));
    g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_true(qw1 & I40E_RXD_STATUS_L2TAG1P);
    /* ... an untrusted VF with 16 is told yes, and nothing is added */
    g_assert_cmpint(vlan_list(&f.d, false, 17, 1), ==, 0);
    sock_send(&f, tagged, make_tagged(tagged, 17, "drop-17"));
    sock_send(&f, tagged, make_tagged(tagged, 16, "keep-16"));
    expect_rx(&f, 0, "keep-16", NULL, NULL);
    /* i40e_vc_remove_vlan_msg: one fewer, and 17 fits */
    g_assert_cmpint(vlan_list(&f.d, true, 16, 1), ==, 0);
    g_assert_cmpint(vlan_list(&f.d, false, 17, 1), ==, 0);
    sock_send(&f, tagged, make_tagged(tagged, 17, "keep-17"));
    expect_rx(&f, 0, "keep-17", NULL, NULL);
    fixture_stop(&f);
}

/* i40e_check_vf_permission counts MAC x VLAN filter entries. */
static void test_mac_vlan_entries(void)
{
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x07 };
    Fixture f;

    fixture_up(&f, "", 1);
    /* (own + broadcast) x (8 VLANs + VLAN 0) = 18: full */
    g_assert_cmpint(vlan_list(&f.d, false, 1, 8), ==, 0);
    g_assert_cmpint(qiavf_add_mac(&f.d, mcast, false), ==, I40E_EPERM);
    g_assert_cmpint(vlan_list(&f.d, true, 8, 1), ==, 0);
    g_assert_cmpint(qiavf_add_mac(&f.d, mcast, false), ==, 0);
    fixture_stop(&f);
}

static int32_t mac_list(QIavf *d, uint32_t op, const uint8_t (*macs)[6],
                        unsigned int n)
{
    struct {
        struct virtchnl_ether_addr_list hdr;
        struct virtchnl_ether_addr addr[4];
    } msg = { { cpu_to_le16(d->vsi_id), cpu_to_le16(n) } };

    for (unsigned int i = 0; i < n; i++) {
        memcpy(msg.addr[i].addr, macs[i], 6);
    }
    return qiavf_call(d, op, &msg, 12 + 8 * n, NULL, NULL);
}

/* i40e_vc_del_mac_addr_msg: deleted up to the absent one, then -EINVAL */
static void test_del_mac_partial(void)
{
    static const uint8_t macs[3][6] = {
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 },
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x03 },
    };
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    g_assert_cmpint(mac_list(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, macs, 1), ==, 0);
    g_assert_cmpint(mac_list(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &macs[2], 1),
                    ==, 0);
    g_assert_cmpint(mac_list(&f.d, VIRTCHNL_OP_DEL_ETH_ADDR, macs, 3), ==,
                    I40E_EINVAL);
    sock_send(&f, frame, make_udp(frame, macs[0], 1, "drop-deleted"));
    sock_send(&f, frame, make_udp(frame, macs[2], 1, "keep-not-reached"));
    expect_rx(&f, 0, "keep-not-reached", NULL, NULL);
    fixture_stop(&f);
}

/* A later mac= overrides boot_vf's: no administratively set address. */
#define NO_ADMIN_MAC    ",mac=00:00:00:00:00:00"

/* The address a GET_VF_RESOURCES after a VF reset reports. */
static void reset_resources_mac(QIavf *d, uint32_t caps, uint8_t *mac)
{
    struct {
        struct virtchnl_vf_resource hdr;
        struct virtchnl_vsi_resource vsi[2];
    } res;
    uint32_t req = cpu_to_le32(caps);
    uint16_t len;

    qiavf_send(d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qiavf_wait_active(d);
    qiavf_aq_init(d);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_GET_VF_RESOURCES, &req,
                               sizeof(req), &res, &len), ==, 0);
    memcpy(mac, res.vsi[0].default_mac_addr, 6);
    qiavf_drain_events(d);
}

static void test_vf_chosen_mac(void)
{
    static const uint8_t zero[6];
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };
    uint8_t frame[256], mine[6], mac[6];
    Fixture f;

    /* i40e_vc_get_vf_resources_msg: no admin MAC, none on first boot */
    fixture_up(&f, NO_ADMIN_MAC, 1);
    memcpy(mine, f.d.mac, 6);
    g_assert_false(memcmp(mine, vf_mac, 6) == 0);
    /* i40e_check_vf_permission: any unicast then */
    g_assert_cmpint(qiavf_add_mac(&f.d, other, false), ==, 0);
    sock_send(&f, frame, make_udp(frame, mine, 1, "to-chosen"));
    expect_rx(&f, 0, "to-chosen", NULL, NULL);

    /* ... after a reset, the VF's primary, to a VF that asks for USO */
    reset_resources_mac(&f.d, QIAVF_IAVF_CAPS, mac);
    g_assert_cmpmem(mac, 6, mine, 6);
    /* ... and zero to one that does not */
    reset_resources_mac(&f.d, QIAVF_IAVF_CAPS & ~VIRTCHNL_VF_OFFLOAD_USO,
                        mac);
    g_assert_cmpmem(mac, 6, zero, 6);
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

/* The exact length of a message of opcode @op with @n elements. */
static uint16_t fuzz_len(uint32_t op, uint16_t n)
{
    switch (op) {
    case VIRTCHNL_OP_VERSION:
    case VIRTCHNL_OP_SET_RSS_HENA:
        return 8;
    case VIRTCHNL_OP_GET_VF_RESOURCES:
    case VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE:
        return 4;
    case VIRTCHNL_OP_CONFIG_VSI_QUEUES:
        return 72 + 64 * n;
    case VIRTCHNL_OP_CONFIG_IRQ_MAP:
        return 14 + 12 * n;
    case VIRTCHNL_OP_ENABLE_QUEUES:
    case VIRTCHNL_OP_DISABLE_QUEUES:
    case VIRTCHNL_OP_GET_STATS:
        return 12;
    case VIRTCHNL_OP_ADD_ETH_ADDR:
    case VIRTCHNL_OP_DEL_ETH_ADDR:
        return 12 + 8 * n;
    case VIRTCHNL_OP_ADD_VLAN:
    case VIRTCHNL_OP_DEL_VLAN:
        return 6 + 2 * n;
    case VIRTCHNL_OP_CONFIG_RSS_KEY:
    case VIRTCHNL_OP_CONFIG_RSS_LUT:
        return 5 + n;
    case VIRTCHNL_OP_REQUEST_QUEUES:
        return 2;
    default:
        return 0;
    }
}

/*
 * Garbage from the guest, a lot of it: random virtchnl messages, random
 * descriptors, random register writes.  QEMU must survive all of it and
 * the VF must work after an FLR.
 */
static void test_fuzz(void)
{
    static const uint32_t ops[] = {
        1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 23, 24, 25, 26, 27,
        28, 29, 30, 32, 51, 99,
    };
    GRand *rnd = g_rand_new_with_seed(0x154c);
    uint8_t msg[512], frame[256], reply[QIAVF_AQ_BUF];
    int32_t ret;
    uint8_t cap;
    Fixture f;

    fixture_up(&f, ",trusted=on", 2);
    for (int i = 0; i < 400; i++) {
        uint32_t op = ops[g_rand_int_range(rnd, 0, ARRAY_SIZE(ops))];
        uint16_t len = g_rand_int_range(rnd, 0, sizeof(msg));
        uint16_t rc;

        for (int j = 0; j < len; j++) {
            msg[j] = g_rand_int(rnd);
        }
        /* Often a plausible header and length, to reach the handlers. */
        if (g_rand_boolean(rnd)) {
            uint16_t n = g_rand_int_range(rnd, 0, 5);

            stw_le_p(msg, op == VIRTCHNL_OP_CONFIG_IRQ_MAP ? n : f.d.vsi_id);
            stw_le_p(msg + 2, n);
            len = fuzz_len(op, n);
        }
        qiavf_aq_post(&f.d, op, len ? I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD : 0,
                      msg, len, &rc);
        if (!(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE)) {
            /* That was a reset: start over, as iavf would. */
            qiavf_wait_active(&f.d);
            qiavf_aq_init(&f.d);
            qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
            continue;
        }
        while (qiavf_recv(&f.d, &op, &ret, reply, &len)) {
            /* Any reply will do: the PF must just keep answering. */
        }
    }
    for (int i = 0; i < 64; i++) {
        uint64_t d[4] = { g_rand_int(rnd), g_rand_int(rnd), g_rand_int(rnd),
                          g_rand_int(rnd) };

        qtest_memwrite(f.qs->qts, f.d.tx[0].ring + 16 * i, d, 16);
        qtest_memwrite(f.qs->qts, f.d.rx[1].ring + 32 * i, d, 32);
    }
    for (int i = 0; i < 2000; i++) {
        uint32_t reg = g_rand_int_range(rnd, 0, I40E_VF_BAR0_SIZE / 4) * 4;

        qiavf_wr(&f.d, reg, g_rand_int(rnd));
        sock_send(&f, frame, make_udp(frame, vf_mac, i, "noise"));
    }

    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    qpci_config_writew(f.d.pdev, cap + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR);
    qiavf_pci_enable(&f.d);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f.d, 1);
    /* i40e_update_vf_mac_addr: a random PRIMARY may be the default now. */
    sock_send(&f, frame, make_udp(frame, f.d.mac, 1, "survived"));
    for (;;) {
        uint8_t buf[2048];
        uint64_t qw0, qw1;
        size_t n;

        /* Frames of the noise may still arrive first. */
        g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
        if (has_marker(buf, n, "survived")) {
            break;
        }
    }
    g_rand_free(rnd);
    fixture_stop(&f);
}

/*
 * Migration under traffic: rings are half used when the VM moves; on the
 * destination the queues continue at the same descriptors, with nothing
 * lost or delivered twice.
 */
/*
 * DPDK's mailbox handler masks vector 0 (ICR0_ENA 0, no INTENA), reads the
 * ARQ and re-arms with INTENA | CLEARPBA without reading ICR01.  A reply
 * that landed while masked must still raise the vector after the re-arm;
 * one already signalled must not raise it again.
 */
static void test_irq_vec0_dpdk_rearm(void)
{
    const uint32_t mask = I40E_VFINT_ITR_NONE <<
                          I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT;
    const uint32_t rearm = I40E_VFINT_DYN_CTL_INTENA |
                           I40E_VFINT_DYN_CTL_CLEARPBA | mask;
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, 0);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, mask);
    qiavf_irq_clear(&f.d, 0);
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    g_assert_false(qiavf_irq_seen(&f.d, 0));

    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, rearm);
    g_assert_true(qiavf_irq_seen(&f.d, 0));

    /* The same, still latched cause does not fire again. */
    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, 0);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, mask);
    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, rearm);
    g_assert_false(qiavf_irq_seen(&f.d, 0));
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01) &
                    I40E_VFINT_ICR01_ADMINQ, ==, I40E_VFINT_ICR01_ADMINQ);
    fixture_stop(&f);
}

/*
 * i40e_config_irq_link_list: for an RX_POLLING VF whose queues use vector
 * 0, the PF sets GLINT_CTL.DIS_AUTOMASK_VF0; vector 0 keeps firing without
 * a re-arm (DPDK's X710 path).  Without RX_POLLING it auto-masks.
 */
static void irq_vec0_polling(bool polling)
{
    struct {    /* one map, and the legacy trailing element */
        struct virtchnl_irq_map_info im;
        struct virtchnl_vector_map maps[2];
    } QEMU_PACKED msg = { 0 };
    uint8_t frame[256];
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS |
                    (polling ? VIRTCHNL_VF_OFFLOAD_RX_POLLING : 0));
    g_assert_cmphex(f.d.caps & VIRTCHNL_VF_OFFLOAD_RX_POLLING, ==,
                    polling ? VIRTCHNL_VF_OFFLOAD_RX_POLLING : 0);
    qiavf_irq_init(&f.d);
    qiavf_alloc_rings(&f.d, 1, 64, 2048);
    msg.im.num_vectors = cpu_to_le16(1);
    msg.im.vecmap[0].vsi_id = cpu_to_le16(f.d.vsi_id);
    msg.im.vecmap[0].rxq_map = cpu_to_le16(1);
    msg.im.vecmap[0].rxitr_idx = cpu_to_le16(I40E_VFINT_ITR_NONE);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &msg,
                               sizeof(msg), NULL, NULL), ==, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    qiavf_drain_events(&f.d);

    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_INTENA |
             (I40E_VFINT_ITR_NONE << I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT));
    qiavf_irq_clear(&f.d, 0);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "poll-1"));
    expect_rx(&f, 0, "poll-1", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 0));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "poll-2"));
    expect_rx(&f, 0, "poll-2", NULL, NULL);
    g_assert_cmpint(qiavf_irq_seen(&f.d, 0), ==, polling);
    fixture_stop(&f);
}

static void test_irq_vec0_rx_polling(void)
{
    irq_vec0_polling(true);
    irq_vec0_polling(false);
}

/*
 * Migrate the fixture's VM to a new one with the same VF and continue the
 * fixture there.  A stopped source leaves the destination stopped (and
 * libqos's migrate() then leaves the allocator to us).
 */
static void fixture_migrate(Fixture *f, bool stopped)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/i40e-vf-mig-%d.sock",
                                           g_get_tmp_dir(), getpid());
    QOSState *dst;
    int dsock[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, dsock), ==, 0);
    dst = qtest_pc_boot("-netdev socket,fd=%d,id=n0 "
                        "-device i40e-vf,netdev=n0,addr=04.0,mac=" VF_MAC
                        ",vsi-id=%d -incoming %s", dsock[1], VF_VSI, uri);
    migrate(f->qs, dst, uri);
    if (stopped) {
        migrate_allocator(&f->qs->alloc, &dst->alloc);
    }
    qtest_shutdown(f->qs);
    close(f->sock[0]);
    close(f->sock[1]);
    f->qs = dst;
    f->sock[0] = dsock[0];
    f->sock[1] = dsock[1];
    qiavf_switch(&f->d, dst);
}

/*
 * DPDK with fewer TX than RX queues sends the unused TX half of a pair
 * with ring length, address and buffer size 0 (i40e_config_vsi_tx_queue
 * accepts it) and enables the queue.  Such a VF migrates like any other,
 * and its working queues carry on.
 */
static void test_migrate_inert_queue(void)
{
    uint8_t frame[256];
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_irq_init(&f.d);
    qiavf_alloc_rings(&f.d, 2, 64, 2048);
    f.d.tx[1].len = 0;
    f.d.tx[1].ring = 0;
    g_assert_cmpint(qiavf_config_irq_map(&f.d), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    qiavf_rx_fill(&f.d, 1);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 3), ==, 0);
    qiavf_drain_events(&f.d);

    fixture_migrate(&f, false);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "rx-after"));
    expect_rx(&f, 0, "rx-after", NULL, NULL);
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "tx-after"),
             0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "tx-after"));
    fixture_stop(&f);
}

/*
 * post_load raises nothing: an interrupt held back by its ITR interval on
 * the source fires on the destination only once the VM runs.
 */
static void test_migrate_irq_at_resume(void)
{
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    /* RX causes use ITR 0: 4 ms between interrupts of vector 1. */
    qiavf_wr(&f.d, I40E_VFINT_ITRN1(0, 0), 2000);
    qiavf_irq_clear(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "fires"));
    expect_rx(&f, 0, "fires", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    qiavf_irq_enable(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "held"));
    expect_rx(&f, 0, "held", NULL, NULL);
    g_assert_false(qiavf_irq_seen(&f.d, 1));

    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'stop' }");
    fixture_migrate(&f, true);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'cont' }");
    g_assert_true(qiavf_irq_seen(&f.d, 1));
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
                              ((uint64_t)(len - 54) << I40E_TXD_CTX_TSO_LEN_SHIFT) |
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
    uint8_t frame[4096] = { 0 }, cap;
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

    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    qpci_config_writew(f.d.pdev, cap + PCI_EXP_DEVCTL,
                       qpci_config_readw(f.d.pdev, cap + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    qiavf_pci_enable(&f.d);
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
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "after-ifup"),
             0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "after-ifup"));
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
    qiavf_tx(&f.d, 0, frame, make_udp(frame, peer_mac, 1, "next"), 0, 0, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "next"));
    g_assert_cmpuint(get_stat(&f.d, tx_errors), ==, 1);
    fixture_stop(&f);
}

/*
 * i40e_reset_vf sleeps 20-40 ms before writing VFACTIVE: the driver sees
 * the reset in progress for tens of milliseconds, not at once.
 */
static void test_reset_timing(void)
{
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qtest_clock_step(f.d.qts, 20 * 1000 * 1000);
    g_assert_cmpuint(qiavf_rd(&f.d, I40E_VFGEN_RSTAT) &
                     I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_INPROGRESS);
    qtest_clock_step(f.d.qts, 25 * 1000 * 1000);
    g_assert_cmpuint(qiavf_rd(&f.d, I40E_VFGEN_RSTAT) &
                     I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_VFACTIVE);
    fixture_stop(&f);
}

static void test_migrate(void)
{
    uint8_t frame[256];
    Fixture f;
    char tag[32];

    fixture_up(&f, "", 2);
    for (int i = 0; i < 5; i++) {
        snprintf(tag, sizeof(tag), "rx-before-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 7, tag));
        expect_rx(&f, 0, tag, NULL, NULL);
        snprintf(tag, sizeof(tag), "tx-before-%d", i);
        qiavf_tx(&f.d, 1, frame, make_udp(frame, peer_mac, 7, tag), 0, 0, 0);
        g_assert_cmpuint(sock_recv(&f, frame, sizeof(frame)), >, 0);
    }
    /*
     * A burst the driver has no buffers for: what fits is delivered after
     * the move, in order; the rest was dropped and counted, as on the
     * silicon.  Nothing is lost uncounted, nothing arrives twice.
     */
    for (int i = 0; i < 80; i++) {
        snprintf(tag, sizeof(tag), "burst-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 7, tag));
    }
    wait_rx_discards(&f, 80 - (f.d.rx[0].len - 1));

    fixture_migrate(&f, false);
    for (unsigned int i = 0; i < f.d.rx[0].len - 1; i++) {
        snprintf(tag, sizeof(tag), "burst-%u", i);
        expect_rx(&f, 0, tag, NULL, NULL);
    }
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             rx_discards)), ==,
                     80 - (f.d.rx[0].len - 1));
    for (int i = 0; i < 100; i++) {
        uint32_t slot = f.d.rx[0].next;
        uint64_t qw0, qw1;

        snprintf(tag, sizeof(tag), "rx-after-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 7, tag));
        expect_rx(&f, 0, tag, &qw0, &qw1);
        g_assert_cmpuint(f.d.rx[0].next, ==, (slot + 1) % 64);
        snprintf(tag, sizeof(tag), "tx-after-%d", i);
        qiavf_tx(&f.d, 1, frame, make_udp(frame, peer_mac, 7, tag), 0, 0, 0);
        g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                                 tag));
    }
    /* The mailbox continues too. */
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             rx_unicast)), ==,
                     105 + f.d.rx[0].len - 1);
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/i40e-vf/pci-identity", test_pci_identity);
    qtest_add_func("/i40e-vf/virtchnl/version", test_version);
    qtest_add_func("/i40e-vf/virtchnl/resources", test_resources);
    qtest_add_func("/i40e-vf/virtchnl/queue-config", test_queue_config);
    qtest_add_func("/i40e-vf/virtchnl/malformed", test_malformed);
    qtest_add_func("/i40e-vf/virtchnl/request-queues", test_request_queues);
    qtest_add_func("/i40e-vf/virtchnl/opcodes", test_opcodes);
    qtest_add_func("/i40e-vf/virtchnl/caps-dpdk", test_caps_dpdk);
    qtest_add_func("/i40e-vf/virtchnl/link-event-format",
                   test_link_event_format);
    qtest_add_func("/i40e-vf/virtchnl/queue-config-i40e",
                   test_queue_config_i40e);
    qtest_add_func("/i40e-vf/virtchnl/irq-map-i40e", test_irq_map_i40e);
    qtest_add_func("/i40e-vf/virtchnl/enable-queues-i40e",
                   test_enable_queues_i40e);
    qtest_add_func("/i40e-vf/virtchnl/vlan-limit", test_vlan_limit);
    qtest_add_func("/i40e-vf/virtchnl/mac-vlan-entries",
                   test_mac_vlan_entries);
    qtest_add_func("/i40e-vf/virtchnl/del-mac-partial", test_del_mac_partial);
    qtest_add_func("/i40e-vf/virtchnl/vf-chosen-mac", test_vf_chosen_mac);
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
    qtest_add_func("/i40e-vf/irq/automask", test_irq_automask);
    qtest_add_func("/i40e-vf/irq/itr", test_irq_itr);
    qtest_add_func("/i40e-vf/link-event", test_link_event);
    qtest_add_func("/i40e-vf/reset/reset-vf", test_reset_vf);
    qtest_add_func("/i40e-vf/reset/flr", test_flr);
    qtest_add_func("/i40e-vf/reset/trust-change", test_trust_change);
    qtest_add_func("/i40e-vf/reset/timing", test_reset_timing);
    qtest_add_func("/i40e-vf/irq/vec0-dpdk-rearm", test_irq_vec0_dpdk_rearm);
    qtest_add_func("/i40e-vf/irq/vec0-rx-polling", test_irq_vec0_rx_polling);
    qtest_add_func("/i40e-vf/tx/spoofchk", test_tx_spoofchk);
    qtest_add_func("/i40e-vf/tx/mdd", test_tx_mdd);
    qtest_add_func("/i40e-vf/tx/oversize", test_tx_oversize);
    qtest_add_func("/i40e-vf/tx/ifdown-ifup", test_tx_ifdown_ifup);
    qtest_add_func("/i40e-vf/migration/irq-at-resume",
                   test_migrate_irq_at_resume);
    qtest_add_func("/i40e-vf/migration/inert-queue",
                   test_migrate_inert_queue);
    qtest_add_func("/i40e-vf/migration", test_migrate);
    qtest_add_func("/i40e-vf/fuzz", test_fuzz);

    return g_test_run();
}
