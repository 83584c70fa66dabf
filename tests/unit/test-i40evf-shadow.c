/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the vfio-i40evf shadow (hw/vfio/i40evf-shadow.c): which
 * PF answers change it and how, what a VF reset clears, and the replay
 * plan: minimal, in order, with the destination's vsi_id, and recreating
 * the shadow it came from when fed back.
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "hw/vfio/i40evf-shadow.h"

#define SRC_VSI     17
#define DST_VSI     42
#define NQP         4
#define NVEC        5

static const uint8_t vf_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

#define REQ_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_RSS_PF | \
     VIRTCHNL_VF_OFFLOAD_VLAN | VIRTCHNL_VF_OFFLOAD_REQ_QUEUES | \
     VIRTCHNL_VF_OFFLOAD_WB_ON_ITR | VIRTCHNL_VF_CAP_ADV_LINK_SPEED)
#define GRANTED_CAPS (REQ_CAPS & ~VIRTCHNL_VF_OFFLOAD_WB_ON_ITR)

/* What the PF of a test answers GET_VF_RESOURCES with. */
typedef struct FakePF {
    uint16_t vsi_id;
    uint16_t num_queue_pairs;
    const uint8_t *mac;     /* NULL: none */
} FakePF;

/* Admin-queue buffers are aligned; so are these. */
static uint64_t req_words[VIRTCHNL_MAX_MSG_LEN / 8];
static uint64_t reply_words[VIRTCHNL_MAX_MSG_LEN / 8];
#define REQ ((uint8_t *)req_words)
#define REPLY ((uint8_t *)reply_words)

static int send_ok(I40EVFShadow *s, uint32_t op, uint16_t len)
{
    return i40evf_shadow_update(s, op, REQ, len, 0, NULL, 0);
}

static uint16_t resources_reply(const FakePF *pf)
{
    struct virtchnl_vf_resource *res = (void *)REPLY;

    memset(REPLY, 0, 52);
    res->num_vsis = cpu_to_le16(1);
    res->num_queue_pairs = cpu_to_le16(pf->num_queue_pairs);
    res->max_vectors = cpu_to_le16(NVEC);
    res->vf_cap_flags = cpu_to_le32(GRANTED_CAPS);
    res->rss_key_size = cpu_to_le32(VIRTCHNL_RSS_KEY_SIZE);
    res->rss_lut_size = cpu_to_le32(VIRTCHNL_RSS_LUT_SIZE);
    res->vsi_res[0].vsi_id = cpu_to_le16(pf->vsi_id);
    res->vsi_res[0].num_queue_pairs = cpu_to_le16(pf->num_queue_pairs);
    res->vsi_res[0].vsi_type = cpu_to_le32(VIRTCHNL_VSI_SRIOV);
    if (pf->mac) {
        memcpy(res->vsi_res[0].default_mac_addr, pf->mac, 6);
    }
    return 52;      /* i40e's legacy size */
}

static void negotiate(I40EVFShadow *s, const FakePF *pf)
{
    stl_le_p(REQ, 1);
    stl_le_p(REQ + 4, 1);
    stl_le_p(REPLY, 1);
    stl_le_p(REPLY + 4, 1);
    g_assert_cmpint(i40evf_shadow_update(s, VIRTCHNL_OP_VERSION, REQ, 8, 0,
                                         REPLY, 8), ==, 0);
    stl_le_p(REQ, REQ_CAPS);
    g_assert_cmpint(i40evf_shadow_update(s, VIRTCHNL_OP_GET_VF_RESOURCES,
                                         REQ, 4, 0, REPLY,
                                         resources_reply(pf)), ==, 0);
}

/* @addrs: @n addresses of 6 bytes each */
static uint16_t mac_list(uint16_t vsi, const uint8_t *addrs,
                         const uint8_t *types, unsigned int n)
{
    struct virtchnl_ether_addr_list *al = (void *)REQ;

    memset(REQ, 0, 12 + 8 * n);
    al->vsi_id = cpu_to_le16(vsi);
    al->num_elements = cpu_to_le16(n);
    for (unsigned int i = 0; i < n; i++) {
        memcpy(al->list[i].addr, addrs + 6 * i, 6);
        al->list[i].type = types[i];
    }
    return 12 + 8 * n;
}

static uint16_t vlan_list(uint16_t vsi, const uint16_t *vids, unsigned int n)
{
    struct virtchnl_vlan_filter_list *vl = (void *)REQ;

    memset(REQ, 0, 6 + 2 * n);
    vl->vsi_id = cpu_to_le16(vsi);
    vl->num_elements = cpu_to_le16(n);
    for (unsigned int i = 0; i < n; i++) {
        stw_le_p(&vl->vlan_id[i], vids[i]);
    }
    return 6 + 2 * n;
}

static uint16_t vsi_queues(uint16_t vsi, unsigned int n, uint16_t first)
{
    struct virtchnl_vsi_queue_config_info *qci = (void *)REQ;

    memset(REQ, 0, 72 + 64 * n);
    qci->vsi_id = cpu_to_le16(vsi);
    qci->num_queue_pairs = cpu_to_le16(n);
    for (unsigned int i = 0; i < n; i++) {
        struct virtchnl_queue_pair_info *qp = &qci->qpair[i];
        uint16_t q = first + i;

        qp->txq.vsi_id = qp->rxq.vsi_id = cpu_to_le16(vsi);
        qp->txq.queue_id = qp->rxq.queue_id = cpu_to_le16(q);
        qp->txq.ring_len = cpu_to_le16(512);
        qp->txq.dma_ring_addr = cpu_to_le64(0x100000 + q * 0x10000);
        qp->rxq.ring_len = cpu_to_le32(512);
        qp->rxq.databuffer_size = cpu_to_le32(3072);
        qp->rxq.max_pkt_size = cpu_to_le32(9728);
        qp->rxq.dma_ring_addr = cpu_to_le64(0x800000 + q * 0x10000);
    }
    return 72 + 64 * n;
}

/* iavf's map: queue q on vector q + 1, then vector 0 with nothing. */
static uint16_t irq_map(uint16_t vsi, unsigned int nq)
{
    struct virtchnl_irq_map_info *imi = (void *)REQ;

    memset(REQ, 0, 14 + 12 * (nq + 1));
    imi->num_vectors = cpu_to_le16(nq + 1);
    for (unsigned int i = 0; i <= nq; i++) {
        struct virtchnl_vector_map *m = &imi->vecmap[i];

        m->vsi_id = cpu_to_le16(vsi);
        m->vector_id = cpu_to_le16(i < nq ? i + 1 : 0);
        m->rxq_map = cpu_to_le16(i < nq ? BIT(i) : 0);
        m->txq_map = m->rxq_map;
        m->txitr_idx = cpu_to_le16(1);
    }
    return 14 + 12 * (nq + 1);
}

static uint16_t queue_select(uint16_t vsi, uint32_t rx, uint32_t tx)
{
    struct virtchnl_queue_select *qs = (void *)REQ;

    memset(REQ, 0, sizeof(*qs));
    qs->vsi_id = cpu_to_le16(vsi);
    qs->rx_queues = cpu_to_le32(rx);
    qs->tx_queues = cpu_to_le32(tx);
    return sizeof(*qs);
}

static uint16_t rss_key(uint16_t vsi, uint16_t key_len)
{
    stw_le_p(REQ, vsi);
    stw_le_p(REQ + 2, key_len);
    for (int i = 0; i < key_len + 1; i++) {
        REQ[4 + i] = 0x11 * i + 3;
    }
    return 5 + key_len;
}

static uint16_t rss_lut(uint16_t vsi, unsigned int nq)
{
    stw_le_p(REQ, vsi);
    stw_le_p(REQ + 2, VIRTCHNL_RSS_LUT_SIZE);
    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE + 1; i++) {
        REQ[4 + i] = i % nq;
    }
    return 5 + VIRTCHNL_RSS_LUT_SIZE;
}

static uint16_t promisc(uint16_t vsi, uint16_t flags)
{
    stw_le_p(REQ, vsi);
    stw_le_p(REQ + 2, flags);
    return 4;
}

/* Appendix D of the interface reference, then some more configuration. */
static void bring_up(I40EVFShadow *s)
{
    static const uint8_t types[] = {
        VIRTCHNL_ETHER_ADDR_PRIMARY, VIRTCHNL_ETHER_ADDR_EXTRA,
        VIRTCHNL_ETHER_ADDR_EXTRA,
    };
    const uint8_t addrs[3][6] = {
        { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
        { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
    };
    static const uint16_t vids[] = { 100, 200 };
    FakePF pf = { SRC_VSI, NQP, vf_mac };

    i40evf_shadow_init(s);
    negotiate(s, &pf);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_CONFIG_IRQ_MAP,
                            irq_map(SRC_VSI, NQP)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_CONFIG_RSS_KEY,
                            rss_key(SRC_VSI, VIRTCHNL_RSS_KEY_SIZE)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_CONFIG_RSS_LUT,
                            rss_lut(SRC_VSI, NQP)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_ADD_ETH_ADDR,
                            mac_list(SRC_VSI, addrs[0], types, 3)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_CONFIG_VSI_QUEUES,
                            vsi_queues(SRC_VSI, NQP, 0)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_ENABLE_QUEUES,
                            queue_select(SRC_VSI, 0xf, 0xf)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_GET_STATS,
                            queue_select(SRC_VSI, 0, 0)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_ADD_VLAN,
                            vlan_list(SRC_VSI, vids, 2)), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_DISABLE_VLAN_STRIPPING, 0), ==, 0);
    stq_le_p(REQ, I40E_DEFAULT_RSS_HENA & ~BIT_ULL(I40E_PCTYPE_L2_PAYLOAD));
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_SET_RSS_HENA, 8), ==, 0);
    g_assert_cmpint(send_ok(s, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                            promisc(SRC_VSI, FLAG_VF_MULTICAST_PROMISC)),
                    ==, 0);
}

static void assert_shadow_equal(const I40EVFShadow *a, const I40EVFShadow *b)
{
    g_assert_cmpmem(&a->version, sizeof(a->version),
                    &b->version, sizeof(b->version));
    g_assert_cmphex(a->requested_caps, ==, b->requested_caps);
    g_assert_cmpint(a->requested_queues, ==, b->requested_queues);
    g_assert_cmpint(a->active, ==, b->active);
    g_assert_cmphex(a->granted_caps, ==, b->granted_caps);
    g_assert_cmpint(a->vsi_id, ==, b->vsi_id);
    g_assert_cmpint(a->num_queue_pairs, ==, b->num_queue_pairs);
    g_assert_cmpint(a->max_vectors, ==, b->max_vectors);
    g_assert_cmpmem(a->default_mac, 6, b->default_mac, 6);
    g_assert_cmphex(a->configured_queues, ==, b->configured_queues);
    g_assert_cmpmem(a->qpair, sizeof(a->qpair), b->qpair, sizeof(b->qpair));
    g_assert_cmpmem(a->vector, sizeof(a->vector),
                    b->vector, sizeof(b->vector));
    g_assert_cmphex(a->rx_enabled, ==, b->rx_enabled);
    g_assert_cmphex(a->tx_enabled, ==, b->tx_enabled);
    g_assert_cmpuint(a->num_macs, ==, b->num_macs);
    g_assert_cmpmem(a->macs, sizeof(a->macs), b->macs, sizeof(b->macs));
    g_assert_cmpmem(a->vlans, sizeof(a->vlans), b->vlans, sizeof(b->vlans));
    g_assert_cmphex(a->promisc, ==, b->promisc);
    g_assert_cmpint(a->vlan_strip, ==, b->vlan_strip);
    g_assert_cmpmem(a->rss_key, sizeof(a->rss_key),
                    b->rss_key, sizeof(b->rss_key));
    g_assert_cmpmem(a->rss_lut, sizeof(a->rss_lut),
                    b->rss_lut, sizeof(b->rss_lut));
    g_assert_cmphex(a->rss_hena, ==, b->rss_hena);
    g_assert_cmpmem(a->itr, sizeof(a->itr), b->itr, sizeof(b->itr));
}

/*
 * Feed a plan to a fresh shadow with the answers a PF gives: a granted
 * REQUEST_QUEUES has none and sets the count the next resources carry.
 */
static void replay(I40EVFShadow *dst, GArray *plan, FakePF *pf)
{
    i40evf_shadow_init(dst);
    for (guint i = 0; i < plan->len; i++) {
        I40EVFShadowMsg *m = &g_array_index(plan, I40EVFShadowMsg, i);
        uint16_t reply_len = 0;

        if (m->len) {
            memcpy(REQ, m->buf, m->len);
        }
        if (m->opcode == VIRTCHNL_OP_VERSION) {
            memcpy(REPLY, REQ, 8);
            reply_len = 8;
        } else if (m->opcode == VIRTCHNL_OP_GET_VF_RESOURCES) {
            reply_len = resources_reply(pf);
        } else if (m->opcode == VIRTCHNL_OP_REQUEST_QUEUES) {
            pf->num_queue_pairs = lduw_le_p(REQ);
        }
        g_assert_cmpint(i40evf_shadow_update(dst, m->opcode, REQ, m->len, 0,
                                             REPLY, reply_len), ==, 0);
    }
}

/* Apply a plan's messages to @dst as the PF accepts them */
static void apply(I40EVFShadow *dst, GArray *plan)
{
    for (guint i = 0; i < plan->len; i++) {
        I40EVFShadowMsg *m = &g_array_index(plan, I40EVFShadowMsg, i);

        if (m->len) {
            memcpy(REQ, m->buf, m->len);
        }
        g_assert_cmpint(send_ok(dst, m->opcode, m->len), ==, 0);
    }
}

static void assert_ops(GArray *plan, const uint32_t *ops, unsigned int n)
{
    g_assert_cmpuint(plan->len, ==, n);
    for (unsigned int i = 0; i < n; i++) {
        g_assert_cmpuint(g_array_index(plan, I40EVFShadowMsg, i).opcode, ==,
                         ops[i]);
    }
}

static void test_version(void)
{
    I40EVFShadow s;

    i40evf_shadow_init(&s);
    stl_le_p(REQ, 1);
    stl_le_p(REQ + 4, 1);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_VERSION, REQ, 8,
                                         VIRTCHNL_STATUS_ERR_PARAM, NULL, 0),
                    ==, 0);
    g_assert_cmpuint(s.version.major, ==, 0);
    /* A success reply must carry the PF's version. */
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_VERSION, REQ, 8, 0,
                                         REPLY, 4), ==, -EINVAL);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_VERSION, REQ, 7, 0,
                                         REPLY, 8), ==, -EINVAL);
    g_assert_cmpuint(s.version.major, ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_VERSION, REQ, 8, 0,
                                         REPLY, 8), ==, 0);
    g_assert_cmpuint(s.version.major, ==, 1);
    g_assert_cmpuint(s.version.minor, ==, 1);
}

static void test_resources(void)
{
    FakePF pf = { SRC_VSI, NQP, vf_mac };
    I40EVFShadow s, before;

    i40evf_shadow_init(&s);
    negotiate(&s, &pf);
    g_assert_true(s.active);
    g_assert_cmphex(s.requested_caps, ==, REQ_CAPS);
    g_assert_cmphex(s.granted_caps, ==, GRANTED_CAPS);
    g_assert_cmpint(s.vsi_id, ==, SRC_VSI);
    g_assert_cmpint(s.num_queue_pairs, ==, NQP);
    g_assert_cmpint(s.max_vectors, ==, NVEC);
    g_assert_cmpmem(s.default_mac, 6, vf_mac, 6);
    /* The VSI comes with its default MAC's filter and a spread LUT. */
    g_assert_cmpuint(s.num_macs, ==, 1);
    g_assert_cmpmem(s.macs[0].addr, 6, vf_mac, 6);
    g_assert_cmpint(s.rss_lut[5], ==, 5 % NQP);

    /* Too short for one VSI; no VSI of type SRIOV: refused. */
    before = s;
    stl_le_p(REQ, 0);
    resources_reply(&pf);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_GET_VF_RESOURCES,
                                         REQ, 4, 0, REPLY, 35), ==, -EINVAL);
    stl_le_p(REPLY + 24, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_GET_VF_RESOURCES,
                                         REQ, 4, 0, REPLY, 52), ==, -EINVAL);
    assert_shadow_equal(&s, &before);
}

/* A 1.0 VF names no capabilities: the PF assumes the base set. */
static void test_version_1_0(void)
{
    FakePF pf = { SRC_VSI, NQP, NULL };
    I40EVFShadow s;
    GArray *plan;

    i40evf_shadow_init(&s);
    stl_le_p(REQ, 1);
    stl_le_p(REQ + 4, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_VERSION, REQ, 8, 0,
                                         REPLY, 8), ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_GET_VF_RESOURCES,
                                         REQ, 4, 0, REPLY,
                                         resources_reply(&pf)), ==, -EINVAL);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_GET_VF_RESOURCES,
                                         REQ, 0, 0, REPLY,
                                         resources_reply(&pf)), ==, 0);
    g_assert_cmphex(s.requested_caps, ==, VIRTCHNL_VF_BASE_CAPS_1_0);
    g_assert_cmpuint(s.num_macs, ==, 0);
    plan = i40evf_shadow_plan(&s, DST_VSI, NULL);
    g_assert_cmpuint(g_array_index(plan, I40EVFShadowMsg, 1).len, ==, 0);
    i40evf_shadow_plan_free(plan);
}

/* Every state-changing request, refused by the PF, changes nothing. */
static void test_failure_ignored(void)
{
    static const uint32_t no_payload[] = {
        VIRTCHNL_OP_RESET_VF, VIRTCHNL_OP_ENABLE_VLAN_STRIPPING,
    };
    static const uint16_t vids[] = { 7 };
    const uint8_t addr[6] = { 0x52, 0x54, 0x00, 0, 0, 9 };
    static const uint8_t types[] = { VIRTCHNL_ETHER_ADDR_EXTRA };
    I40EVFShadow s, before;

    bring_up(&s);
    before = s;
    for (int i = 0; i < ARRAY_SIZE(no_payload); i++) {
        g_assert_cmpint(i40evf_shadow_update(&s, no_payload[i], REQ, 0,
                                             VIRTCHNL_STATUS_ERR_PARAM,
                                             NULL, 0), ==, 0);
    }
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_DISABLE_QUEUES, REQ,
                                         queue_select(SRC_VSI, 1, 1), -22,
                                         NULL, 0), ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_ADD_ETH_ADDR, REQ,
                                         mac_list(SRC_VSI, addr, types, 1),
                                         -1, NULL, 0), ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_DEL_VLAN, REQ,
                                         vlan_list(SRC_VSI, vids, 1),
                                         -22, NULL, 0), ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_CONFIG_VSI_QUEUES,
                                         REQ, vsi_queues(SRC_VSI, 1, 3),
                                         -22, NULL, 0), ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_CONFIG_RSS_KEY, REQ,
                                         rss_key(SRC_VSI, 52), -22, NULL, 0),
                    ==, 0);
    stw_le_p(REQ, 2);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_REQUEST_QUEUES, REQ,
                                         2, -22, NULL, 0), ==, 0);
    assert_shadow_equal(&s, &before);
}

/* What the PF cannot have accepted is refused whole. */
static void test_malformed(void)
{
    I40EVFShadow s, before;
    struct virtchnl_vsi_queue_config_info *qci = (void *)REQ;
    struct virtchnl_irq_map_info *imi = (void *)REQ;
    static const uint16_t bad_vids[] = { 5, 4096 };
    uint16_t len;

    bring_up(&s);
    before = s;
    /* Lengths, through the shared validator */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_IRQ_MAP,
                            irq_map(SRC_VSI, 2) - 12), ==, -EINVAL);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_SET_RSS_HENA, 4), ==, -EINVAL);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_EVENT, 16), ==, -EINVAL);
    /* A reply where none belongs */
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_ENABLE_QUEUES, REQ,
                                         queue_select(SRC_VSI, 1, 1), 0,
                                         REPLY, 4), ==, -EINVAL);
    /* Contents: the second pair's ids disagree */
    len = vsi_queues(SRC_VSI, 2, 2);
    qci->qpair[1].rxq.queue_id = cpu_to_le16(2);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_VSI_QUEUES, len), ==,
                    -EINVAL);
    len = vsi_queues(SRC_VSI, 1, I40E_VF_MAX_QUEUES);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_VSI_QUEUES, len), ==,
                    -EINVAL);
    len = irq_map(SRC_VSI, 2);
    imi->vecmap[1].vector_id = cpu_to_le16(I40E_VF_MAX_VECTORS);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_IRQ_MAP, len), ==,
                    -EINVAL);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ENABLE_QUEUES,
                            queue_select(SRC_VSI, BIT(16), 1)), ==, -EINVAL);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_VLAN,
                            vlan_list(SRC_VSI, bad_vids, 2)), ==, -EINVAL);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_RSS_KEY,
                            rss_key(SRC_VSI, 40)), ==, -EINVAL);
    stw_le_p(REQ, 17);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_REQUEST_QUEUES, 2), ==, -EINVAL);
    /* State the shadow does not hold */
    memset(REQ, 0, VIRTCHNL_VLAN_SETTING_LEN);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ENABLE_VLAN_STRIPPING_V2,
                            VIRTCHNL_VLAN_SETTING_LEN), ==, -ENOTSUP);
    assert_shadow_equal(&s, &before);
}

static void test_mac_filters(void)
{
    const uint8_t addrs[3][6] = {
        { 0x52, 0x54, 0x00, 0, 0, 1 },
        { 0x52, 0x54, 0x00, 0, 0, 2 },
        { 0x52, 0x54, 0x00, 0, 0, 3 },
    };
    static const uint8_t extra[3] = { 2, 2, 2 };
    static const uint8_t primary[1] = { VIRTCHNL_ETHER_ADDR_PRIMARY };
    FakePF pf = { SRC_VSI, NQP, NULL };
    uint8_t many[I40EVF_SHADOW_MAX_MACS + 1][6] = { 0 };
    uint8_t many_types[I40EVF_SHADOW_MAX_MACS + 1] = { 0 };
    I40EVFShadow s, before;

    i40evf_shadow_init(&s);
    negotiate(&s, &pf);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_ETH_ADDR,
                            mac_list(SRC_VSI, addrs[0], extra, 3)), ==, 0);
    /* Again, as PRIMARY: stays in place, takes the type, becomes default */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_ETH_ADDR,
                            mac_list(SRC_VSI, addrs[1], primary, 1)), ==, 0);
    g_assert_cmpuint(s.num_macs, ==, 3);
    g_assert_cmpint(s.macs[1].type, ==, VIRTCHNL_ETHER_ADDR_PRIMARY);
    g_assert_cmpmem(s.default_mac, 6, addrs[1], 6);
    /* Deleting keeps the order of the rest and forgets the default. */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_DEL_ETH_ADDR,
                            mac_list(SRC_VSI, addrs[1], extra, 1)), ==, 0);
    g_assert_cmpuint(s.num_macs, ==, 2);
    g_assert_cmpmem(s.macs[0].addr, 6, addrs[0], 6);
    g_assert_cmpmem(s.macs[1].addr, 6, addrs[2], 6);
    g_assert_true(buffer_is_zero(s.default_mac, 6));

    /* More than the shadow holds: none of them. */
    before = s;
    for (int i = 0; i < ARRAY_SIZE(many); i++) {
        many[i][0] = 0x02;
        many[i][5] = i;
    }
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_ETH_ADDR,
                            mac_list(SRC_VSI, many[0], many_types,
                                     I40EVF_SHADOW_MAX_MACS - 1)),
                    ==, -ENOSPC);
    assert_shadow_equal(&s, &before);
}

static void test_vlans_promisc(void)
{
    static const uint16_t vids[] = { 0, 10, 4095 };
    FakePF pf = { SRC_VSI, NQP, NULL };
    I40EVFShadow s;

    i40evf_shadow_init(&s);
    negotiate(&s, &pf);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_DISABLE_VLAN_STRIPPING, 0), ==, 0);
    g_assert_false(s.vlan_strip);
    /* Adding VLANs turns stripping back on; VLAN 0 is no filter. */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_VLAN,
                            vlan_list(SRC_VSI, vids, 3)), ==, 0);
    g_assert_true(s.vlan_strip);
    g_assert_cmphex(s.vlans[0], ==, BIT(10));
    g_assert_cmphex(s.vlans[127], ==, BIT(31));
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_DEL_VLAN,
                            vlan_list(SRC_VSI, &vids[1], 1)), ==, 0);
    g_assert_cmphex(s.vlans[0], ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                            promisc(SRC_VSI, 3)), ==, 0);
    g_assert_cmpint(s.promisc, ==, 3);
}

static void test_queues_irqs(void)
{
    struct virtchnl_irq_map_info *imi = (void *)REQ;
    I40EVFShadow s;
    uint16_t len;

    bring_up(&s);
    g_assert_cmphex(s.configured_queues, ==, 0xf);
    g_assert_cmpint(le16_to_cpu(s.qpair[2].txq.ring_len), ==, 512);
    g_assert_cmpint(s.qpair[2].txq.vsi_id, ==, 0);
    g_assert_cmphex(s.vector[3].rxq_map, ==, BIT(2));
    g_assert_cmpint(s.vector[3].txitr_idx, ==, 1);
    g_assert_cmphex(s.vector[0].rxq_map | s.vector[0].txq_map, ==, 0);
    /* Queue 2 moves to vector 1; vector 3 is left with nothing. */
    len = irq_map(SRC_VSI, 1);
    imi->num_vectors = cpu_to_le16(1);
    imi->vecmap[0].rxq_map = imi->vecmap[0].txq_map = cpu_to_le16(5);
    len -= 12;
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_IRQ_MAP, len), ==, 0);
    g_assert_cmphex(s.vector[1].rxq_map, ==, 5);
    g_assert_cmphex(s.vector[3].rxq_map | s.vector[3].txq_map, ==, 0);
    g_assert_cmpint(s.vector[3].txitr_idx, ==, 0);
    /* Bits beyond the VF's queues are ignored, as i40e ignores them. */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_DISABLE_QUEUES,
                            queue_select(SRC_VSI, 0x1, 0x8001)), ==, 0);
    g_assert_cmphex(s.rx_enabled, ==, 0xe);
    g_assert_cmphex(s.tx_enabled, ==, 0xe);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ENABLE_QUEUES,
                            queue_select(SRC_VSI, 0x31, 0)), ==, 0);
    g_assert_cmphex(s.rx_enabled, ==, 0xf);
}

static void assert_reset_state(const I40EVFShadow *s, uint16_t nqp)
{
    g_assert_false(s->active);
    g_assert_cmphex(s->granted_caps, ==, 0);
    g_assert_cmphex(s->configured_queues, ==, 0);
    g_assert_true(buffer_is_zero(s->vector, sizeof(s->vector)));
    g_assert_cmphex(s->rx_enabled | s->tx_enabled, ==, 0);
    g_assert_true(buffer_is_zero(s->vlans, sizeof(s->vlans)));
    g_assert_cmpint(s->promisc, ==, 0);
    g_assert_true(s->vlan_strip);
    g_assert_true(buffer_is_zero(s->rss_key, sizeof(s->rss_key)));
    g_assert_cmpint(s->rss_lut[VIRTCHNL_RSS_LUT_SIZE - 1], ==,
                    (VIRTCHNL_RSS_LUT_SIZE - 1) % nqp);
    g_assert_cmphex(s->rss_hena, ==, I40E_DEFAULT_RSS_HENA);
    g_assert_true(buffer_is_zero(s->itr, sizeof(s->itr)));
    /* What survives */
    g_assert_cmpuint(s->version.minor, ==, 1);
    g_assert_cmphex(s->requested_caps, ==, REQ_CAPS);
    g_assert_cmpint(s->vsi_id, ==, SRC_VSI);
    g_assert_cmpint(s->num_queue_pairs, ==, nqp);
    g_assert_cmpmem(s->default_mac, 6, vf_mac, 6);
    g_assert_cmpuint(s->num_macs, ==, 1);
    g_assert_cmpmem(s->macs[0].addr, 6, vf_mac, 6);
}

static void test_reset(void)
{
    I40EVFShadow s;

    bring_up(&s);
    s.itr[1][2] = 0x3e;
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_RESET_VF, 0), ==, 0);
    assert_reset_state(&s, NQP);

    bring_up(&s);
    i40evf_shadow_reset(&s);
    assert_reset_state(&s, NQP);
}

static void test_request_queues(void)
{
    I40EVFShadow s, before;

    bring_up(&s);
    before = s;
    /* Refused: the PF answers with the count it could give. */
    stw_le_p(REQ, 16);
    stw_le_p(REPLY, 8);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_REQUEST_QUEUES, REQ,
                                         2, 0, REPLY, 2), ==, 0);
    g_assert_cmpint(i40evf_shadow_update(&s, VIRTCHNL_OP_REQUEST_QUEUES, REQ,
                                         2, 0, REPLY, 3), ==, -EINVAL);
    assert_shadow_equal(&s, &before);
    /* Granted: no reply, the VF is reset, the count stays. */
    stw_le_p(REQ, 2);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_REQUEST_QUEUES, 2), ==, 0);
    g_assert_cmpint(s.requested_queues, ==, 2);
    assert_reset_state(&s, 2);
}

/* Nothing negotiated, nothing to say; negotiated only, two messages. */
static void test_plan_minimal(void)
{
    static const uint32_t two[] = {
        VIRTCHNL_OP_VERSION, VIRTCHNL_OP_GET_VF_RESOURCES,
    };
    FakePF pf = { SRC_VSI, NQP, vf_mac };
    I40EVFShadow s, d;
    GArray *plan;

    i40evf_shadow_init(&s);
    plan = i40evf_shadow_plan(&s, DST_VSI, NULL);
    assert_ops(plan, NULL, 0);
    i40evf_shadow_plan_free(plan);

    negotiate(&s, &pf);
    plan = i40evf_shadow_plan(&s, DST_VSI, vf_mac);
    assert_ops(plan, two, 2);
    g_assert_cmphex(ldl_le_p(g_array_index(plan, I40EVFShadowMsg, 1).buf),
                    ==, REQ_CAPS);
    i40evf_shadow_plan_free(plan);

    /* Re-setting the defaults (strip on, HENA, spread LUT) adds nothing. */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ENABLE_VLAN_STRIPPING, 0), ==, 0);
    stq_le_p(REQ, I40E_DEFAULT_RSS_HENA);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_SET_RSS_HENA, 8), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_RSS_LUT,
                            rss_lut(SRC_VSI, NQP)), ==, 0);
    plan = i40evf_shadow_plan(&s, DST_VSI, vf_mac);
    assert_ops(plan, two, 2);
    i40evf_shadow_plan_free(plan);

    /* A destination with another default MAC must be given ours. */
    plan = i40evf_shadow_plan(&s, DST_VSI, other_mac);
    g_assert_cmpuint(plan->len, ==, 3);
    g_assert_cmpuint(g_array_index(plan, I40EVFShadowMsg, 2).opcode, ==,
                     VIRTCHNL_OP_ADD_ETH_ADDR);
    pf.vsi_id = DST_VSI;
    pf.mac = other_mac;
    replay(&d, plan, &pf);
    g_assert_cmpmem(d.default_mac, 6, vf_mac, 6);
    i40evf_shadow_plan_free(plan);
}

/* The order of the plan of a configured VF, and what it recreates. */
static void test_plan_bring_up(void)
{
    static const uint32_t ops[] = {
        VIRTCHNL_OP_VERSION, VIRTCHNL_OP_GET_VF_RESOURCES,
        VIRTCHNL_OP_CONFIG_VSI_QUEUES, VIRTCHNL_OP_CONFIG_IRQ_MAP,
        VIRTCHNL_OP_ADD_ETH_ADDR, VIRTCHNL_OP_ADD_VLAN,
        VIRTCHNL_OP_DISABLE_VLAN_STRIPPING, VIRTCHNL_OP_CONFIG_RSS_KEY,
        VIRTCHNL_OP_SET_RSS_HENA, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
        VIRTCHNL_OP_ENABLE_QUEUES,
    };
    const uint8_t *dst_macs[] = { vf_mac, NULL };
    I40EVFShadow s, d;

    bring_up(&s);
    for (int i = 0; i < ARRAY_SIZE(dst_macs); i++) {
        FakePF pf = { DST_VSI, NQP, dst_macs[i] };
        GArray *plan = i40evf_shadow_plan(&s, DST_VSI, dst_macs[i]);
        I40EVFShadowMsg *add = &g_array_index(plan, I40EVFShadowMsg, 4);

        /* The LUT is the default spread: not sent. */
        assert_ops(plan, ops, ARRAY_SIZE(ops));
        /* The destination's own default MAC filter is not added again. */
        g_assert_cmpint(lduw_le_p(add->buf + 2), ==, dst_macs[i] ? 2 : 3);
        replay(&d, plan, &pf);
        g_assert_cmpint(d.vsi_id, ==, DST_VSI);
        d.vsi_id = s.vsi_id;
        assert_shadow_equal(&d, &s);
        i40evf_shadow_plan_free(plan);
    }
}

static void test_plan_request_queues(void)
{
    static const uint32_t ops[] = {
        VIRTCHNL_OP_VERSION, VIRTCHNL_OP_GET_VF_RESOURCES,
        VIRTCHNL_OP_REQUEST_QUEUES, VIRTCHNL_OP_GET_VF_RESOURCES,
        VIRTCHNL_OP_CONFIG_VSI_QUEUES, VIRTCHNL_OP_CONFIG_IRQ_MAP,
        VIRTCHNL_OP_CONFIG_RSS_LUT, VIRTCHNL_OP_ENABLE_QUEUES,
    };
    FakePF pf = { SRC_VSI, NQP, NULL };
    I40EVFShadow s, d;
    GArray *plan;

    i40evf_shadow_init(&s);
    negotiate(&s, &pf);
    stw_le_p(REQ, 2);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_REQUEST_QUEUES, 2), ==, 0);

    /* Reset, resources not asked for again yet: leave that to the guest. */
    plan = i40evf_shadow_plan(&s, DST_VSI, NULL);
    assert_ops(plan, ops, 3);
    i40evf_shadow_plan_free(plan);

    pf.num_queue_pairs = 2;
    negotiate(&s, &pf);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_VSI_QUEUES,
                            vsi_queues(SRC_VSI, 2, 0)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_IRQ_MAP,
                            irq_map(SRC_VSI, 2)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_RSS_LUT,
                            rss_lut(SRC_VSI, 1)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ENABLE_QUEUES,
                            queue_select(SRC_VSI, 3, 3)), ==, 0);
    plan = i40evf_shadow_plan(&s, DST_VSI, NULL);
    assert_ops(plan, ops, ARRAY_SIZE(ops));
    pf = (FakePF) { DST_VSI, NQP, NULL };
    replay(&d, plan, &pf);
    d.vsi_id = s.vsi_id;
    assert_shadow_equal(&d, &s);
    i40evf_shadow_plan_free(plan);
}

/* Every vsi_id a planned message carries is the destination's. */
/*
 * Migration's two steps: the filters applied early (from a fresh VF),
 * then the queues and only what changed since; together they recreate
 * the shadow, deleting what the guest removed meanwhile.
 */
static void test_plan_delta(void)
{
    static const uint32_t ops[] = {
        VIRTCHNL_OP_DEL_ETH_ADDR, VIRTCHNL_OP_ADD_ETH_ADDR,
        VIRTCHNL_OP_DEL_VLAN, VIRTCHNL_OP_ADD_VLAN,
        VIRTCHNL_OP_ENABLE_VLAN_STRIPPING, VIRTCHNL_OP_CONFIG_RSS_KEY,
        VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
    };
    static const uint8_t extra[6] = { 0x52, 0x54, 0x00, 0x99, 0x99, 0x99 };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    static const uint8_t type = VIRTCHNL_ETHER_ADDR_EXTRA;
    static const uint16_t vid100 = 100, vid300 = 300;
    FakePF pf = { DST_VSI, NQP, vf_mac };
    I40EVFShadow early, s, d;
    GArray *plan;

    bring_up(&early);
    s = early;
    /*
     * Meanwhile: a MAC and a VLAN out, others in (which, as in i40e,
     * turns stripping on again), a new key, no promiscuous mode
     */
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_DEL_ETH_ADDR,
                            mac_list(SRC_VSI, mcast, &type, 1)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_ETH_ADDR,
                            mac_list(SRC_VSI, extra, &type, 1)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_DEL_VLAN,
                            vlan_list(SRC_VSI, &vid100, 1)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_ADD_VLAN,
                            vlan_list(SRC_VSI, &vid300, 1)), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_RSS_KEY,
                            rss_key(SRC_VSI, VIRTCHNL_RSS_KEY_SIZE)), ==, 0);
    REQ[4] ^= 0xff;
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_RSS_KEY,
                            VIRTCHNL_RSS_KEY_SIZE + 5), ==, 0);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                            promisc(SRC_VSI, 0)), ==, 0);

    /* Early: a VF granted its resources takes the filters */
    i40evf_shadow_init(&d);
    negotiate(&d, &pf);
    plan = i40evf_shadow_plan_filters(&early, NULL, DST_VSI, vf_mac);
    apply(&d, plan);
    i40evf_shadow_plan_free(plan);
    /* At the switchover: the queues, and what changed */
    plan = i40evf_shadow_plan_queues(&s, DST_VSI);
    apply(&d, plan);
    i40evf_shadow_plan_free(plan);
    plan = i40evf_shadow_plan_filters(&s, &early, DST_VSI, vf_mac);
    assert_ops(plan, ops, ARRAY_SIZE(ops));
    apply(&d, plan);
    i40evf_shadow_plan_free(plan);
    /* The queues start as the whole plan's last message starts them */
    g_assert_cmpint(send_ok(&d, VIRTCHNL_OP_ENABLE_QUEUES,
                            queue_select(DST_VSI, 0xf, 0xf)), ==, 0);
    d.vsi_id = s.vsi_id;
    assert_shadow_equal(&d, &s);

    /* Nothing changed: nothing to send */
    plan = i40evf_shadow_plan_filters(&s, &s, DST_VSI, vf_mac);
    assert_ops(plan, NULL, 0);
    i40evf_shadow_plan_free(plan);
}

static void test_plan_vsi_id(void)
{
    I40EVFShadow s;
    GArray *plan;
    unsigned int checked = 0;

    bring_up(&s);
    g_assert_cmpint(send_ok(&s, VIRTCHNL_OP_CONFIG_RSS_LUT,
                            rss_lut(SRC_VSI, 1)), ==, 0);
    plan = i40evf_shadow_plan(&s, DST_VSI, NULL);
    for (guint i = 0; i < plan->len; i++) {
        I40EVFShadowMsg *m = &g_array_index(plan, I40EVFShadowMsg, i);
        const struct virtchnl_vsi_queue_config_info *qci = (void *)m->buf;
        const struct virtchnl_irq_map_info *imi = (void *)m->buf;

        switch (m->opcode) {
        case VIRTCHNL_OP_CONFIG_VSI_QUEUES:
            for (int k = 0; k < le16_to_cpu(qci->num_queue_pairs); k++) {
                g_assert_cmpint(le16_to_cpu(qci->qpair[k].txq.vsi_id), ==,
                                DST_VSI);
                g_assert_cmpint(le16_to_cpu(qci->qpair[k].rxq.vsi_id), ==,
                                DST_VSI);
            }
            g_assert_cmpint(le16_to_cpu(qci->vsi_id), ==, DST_VSI);
            checked++;
            break;
        case VIRTCHNL_OP_CONFIG_IRQ_MAP:
            for (int k = 0; k < le16_to_cpu(imi->num_vectors); k++) {
                g_assert_cmpint(le16_to_cpu(imi->vecmap[k].vsi_id), ==,
                                DST_VSI);
            }
            checked++;
            break;
        case VIRTCHNL_OP_ADD_ETH_ADDR:
        case VIRTCHNL_OP_ADD_VLAN:
        case VIRTCHNL_OP_CONFIG_RSS_KEY:
        case VIRTCHNL_OP_CONFIG_RSS_LUT:
        case VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE:
        case VIRTCHNL_OP_ENABLE_QUEUES:
            g_assert_cmpint(lduw_le_p(m->buf), ==, DST_VSI);
            checked++;
            break;
        }
    }
    g_assert_cmpuint(checked, ==, 8);
    i40evf_shadow_plan_free(plan);
}

/* Queue pairs no X710 VF could hold, named by their field */
static void test_bad_qpair(void)
{
    static const struct {
        uint16_t txq_id, tx_len, rxq_id;
        uint32_t rx_len;
        const char *bad;
    } cases[] = {
        { 3, 512, 3, 512, NULL },
        { 3, 0, 3, 0, NULL },
        { 3, 8160, 3, 8160, NULL },
        { 2, 512, 3, 512, "queue_id" },
        { 3, 512, 4, 512, "queue_id" },
        { 3, 8168, 3, 512, "txq.ring_len" },
        { 3, 12, 3, 512, "txq.ring_len" },
        { 3, 512, 3, 8192, "rxq.ring_len" },
        { 3, 512, 3, 520, "rxq.ring_len" },
        { 3, 512, 3, 0xffffffe0, "rxq.ring_len" },
    };
    I40EVFShadow s;

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        struct virtchnl_queue_pair_info *qp = &s.qpair[3];

        i40evf_shadow_init(&s);
        qp->txq.queue_id = cpu_to_le16(cases[i].txq_id);
        qp->txq.ring_len = cpu_to_le16(cases[i].tx_len);
        qp->rxq.queue_id = cpu_to_le16(cases[i].rxq_id);
        qp->rxq.ring_len = cpu_to_le32(cases[i].rx_len);
        g_assert_cmpstr(i40evf_shadow_bad_qpair(&s, 3), ==, cases[i].bad);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i40evf-shadow/version", test_version);
    g_test_add_func("/i40evf-shadow/resources", test_resources);
    g_test_add_func("/i40evf-shadow/version-1.0", test_version_1_0);
    g_test_add_func("/i40evf-shadow/failure-ignored", test_failure_ignored);
    g_test_add_func("/i40evf-shadow/malformed", test_malformed);
    g_test_add_func("/i40evf-shadow/mac-filters", test_mac_filters);
    g_test_add_func("/i40evf-shadow/vlans-promisc", test_vlans_promisc);
    g_test_add_func("/i40evf-shadow/queues-irqs", test_queues_irqs);
    g_test_add_func("/i40evf-shadow/reset", test_reset);
    g_test_add_func("/i40evf-shadow/request-queues", test_request_queues);
    g_test_add_func("/i40evf-shadow/plan/minimal", test_plan_minimal);
    g_test_add_func("/i40evf-shadow/plan/bring-up", test_plan_bring_up);
    g_test_add_func("/i40evf-shadow/plan/request-queues",
                    test_plan_request_queues);
    g_test_add_func("/i40evf-shadow/plan/vsi-id", test_plan_vsi_id);
    g_test_add_func("/i40evf-shadow/plan/delta", test_plan_delta);
    g_test_add_func("/i40evf-shadow/bad-qpair", test_bad_qpair);
    return g_test_run();
}
