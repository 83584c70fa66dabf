/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: the PF agent.
 *
 * Answers every virtchnl request the way the Linux i40e PF driver does for
 * a VF: the same validation, the same replies and status codes, the same
 * link events after GET_VF_RESOURCES and ENABLE_QUEUES, and a VF reset for
 * RESET_VF and a granted REQUEST_QUEUES.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "net/net.h"
#include "i40e-vf-core.h"
#include "trace.h"

/* What this model can grant; anything else a VF asks for is refused. */
#define I40E_VF_SUPPORTED_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_VLAN | \
     VIRTCHNL_VF_OFFLOAD_RSS_PF | VIRTCHNL_VF_OFFLOAD_WB_ON_ITR | \
     VIRTCHNL_VF_OFFLOAD_REQ_QUEUES | VIRTCHNL_VF_OFFLOAD_RSS_PCTYPE_V2 | \
     VIRTCHNL_VF_CAP_ADV_LINK_SPEED)

/* Largest MTU the PF allows: 9728-byte frames less the header pad. */
#define I40E_VF_MAX_MTU             (9728 - 26)

typedef struct I40EVFReply {
    uint8_t buf[128] QEMU_ALIGNED(8);   /* holds virtchnl structures */
    uint16_t len;
    bool none;          /* RESET_VF and a granted REQUEST_QUEUES: no reply */
    bool link_event;    /* follow the reply with the link state */
} I40EVFReply;

typedef struct I40EVFMsgHandler {
    int (*handle)(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                  I40EVFReply *reply);
    bool needs_active;  /* only after GET_VF_RESOURCES */
    uint32_t needs_cap; /* only if this capability was granted */
} I40EVFMsgHandler;

static int bad_param(const char *what, unsigned int val)
{
    qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: virtchnl: bad %s %u\n",
                  what, val);
    return VIRTCHNL_STATUS_ERR_PARAM;
}

static int check_vsi(I40EVFCore *core, uint16_t vsi_id)
{
    return vsi_id == core->vsi_id ? VIRTCHNL_STATUS_SUCCESS
                                  : bad_param("vsi_id", vsi_id);
}

static int check_queue_bitmap(I40EVFCore *core, uint32_t map)
{
    return map >> core->num_queue_pairs ? bad_param("queue bitmap", map)
                                        : VIRTCHNL_STATUS_SUCCESS;
}

void i40e_vf_pf_link_change(I40EVFCore *core)
{
    struct virtchnl_pf_event ev = {
        .event = cpu_to_le32(VIRTCHNL_EVENT_LINK_CHANGE),
        .link_status = i40e_vf_link_up(core),
        .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_INFO),
    };
    uint32_t speed = core->caps & VIRTCHNL_VF_CAP_ADV_LINK_SPEED
                     ? I40E_VF_LINK_SPEED_MBPS : VIRTCHNL_LINK_SPEED_10GB;

    if (!core->resources_sent) {
        return;
    }
    ev.link_speed = cpu_to_le32(speed);
    trace_i40e_vf_pf_link_event(ev.link_status, speed);
    i40e_vf_aq_send(core, VIRTCHNL_OP_EVENT, 0, &ev, sizeof(ev));
}

static int vc_version(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                      I40EVFReply *reply)
{
    struct virtchnl_version_info pf = {
        .major = cpu_to_le32(VIRTCHNL_VERSION_MAJOR),
        .minor = cpu_to_le32(VIRTCHNL_VERSION_MINOR),
    };

    core->ver.major = ldl_le_p(msg);
    core->ver.minor = ldl_le_p(msg + 4);
    if (core->ver.major == 1 && core->ver.minor == 0) {
        pf.minor = cpu_to_le32(VIRTCHNL_VERSION_MINOR_NO_VF_CAPS);
    }
    memcpy(reply->buf, &pf, sizeof(pf));
    reply->len = sizeof(pf);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_reset_vf(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                       I40EVFReply *reply)
{
    reply->none = true;
    i40e_vf_core_reset(core);
    return VIRTCHNL_STATUS_SUCCESS;
}

static uint32_t grant_caps(uint32_t req)
{
    uint32_t caps = VIRTCHNL_VF_OFFLOAD_L2 | (req & I40E_VF_SUPPORTED_CAPS);

    /* RSS is programmed through messages if possible, else registers. */
    if (!(caps & VIRTCHNL_VF_OFFLOAD_RSS_PF)) {
        caps |= VIRTCHNL_VF_OFFLOAD_RSS_REG;
    }
    return caps;
}

static int vc_get_vf_resources(I40EVFCore *core, const uint8_t *msg,
                               uint16_t len, I40EVFReply *reply)
{
    struct virtchnl_vf_resource *res = (void *)reply->buf;
    struct virtchnl_vsi_resource *vsi = res->vsi_res;

    core->caps = grant_caps(len ? ldl_le_p(msg) : VIRTCHNL_VF_BASE_CAPS_1_0);
    core->resources_sent = true;

    res->num_vsis = cpu_to_le16(1);
    res->num_queue_pairs = cpu_to_le16(core->num_queue_pairs);
    res->max_vectors = cpu_to_le16(core->num_vectors);
    res->max_mtu = cpu_to_le16(I40E_VF_MAX_MTU);
    res->vf_cap_flags = cpu_to_le32(core->caps);
    res->rss_key_size = cpu_to_le32(VIRTCHNL_RSS_KEY_SIZE);
    res->rss_lut_size = cpu_to_le32(VIRTCHNL_RSS_LUT_SIZE);
    vsi->vsi_id = cpu_to_le16(core->vsi_id);
    vsi->num_queue_pairs = cpu_to_le16(core->num_queue_pairs);
    vsi->vsi_type = cpu_to_le32(VIRTCHNL_VSI_SRIOV);
    vsi->qset_handle = cpu_to_le16(core->vsi_id);
    memcpy(vsi->default_mac_addr, core->default_mac.a, ETH_ALEN);
    reply->len = sizeof(*res) + sizeof(*vsi);
    reply->link_event = true;
    trace_i40e_vf_pf_resources(core->caps, core->num_queue_pairs);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int check_txq(I40EVFCore *core, const struct virtchnl_txq_info *t,
                     uint16_t qid)
{
    uint16_t len = le16_to_cpu(t->ring_len);
    uint64_t base = le64_to_cpu(t->dma_ring_addr);

    if (le16_to_cpu(t->vsi_id) != core->vsi_id ||
        le16_to_cpu(t->queue_id) != qid) {
        return bad_param("TX queue id", le16_to_cpu(t->queue_id));
    }
    if (!len || len % 8 || len > I40E_VF_MAX_RING_LEN) {
        return bad_param("TX ring length", len);
    }
    if (!base || base % I40E_VF_RING_ALIGN) {
        return bad_param("TX ring address (low bits)", (uint32_t)base);
    }
    return VIRTCHNL_STATUS_SUCCESS;
}

static int check_rxq(I40EVFCore *core, const struct virtchnl_rxq_info *r,
                     uint16_t qid)
{
    uint32_t len = le32_to_cpu(r->ring_len);
    uint64_t base = le64_to_cpu(r->dma_ring_addr);
    uint32_t dbuf = le32_to_cpu(r->databuffer_size);
    uint32_t max_pkt = le32_to_cpu(r->max_pkt_size);

    if (le16_to_cpu(r->vsi_id) != core->vsi_id ||
        le16_to_cpu(r->queue_id) != qid) {
        return bad_param("RX queue id", le16_to_cpu(r->queue_id));
    }
    if (!len || len % 32 || len > I40E_VF_MAX_RING_LEN) {
        return bad_param("RX ring length", len);
    }
    if (!base || base % I40E_VF_RING_ALIGN) {
        return bad_param("RX ring address (low bits)", (uint32_t)base);
    }
    if (dbuf < I40E_VF_RXBUF_UNIT || dbuf > I40E_VF_MAX_RXBUF) {
        return bad_param("RX buffer size", dbuf);
    }
    if (max_pkt < I40E_VF_MIN_PKT || max_pkt > I40E_VF_MAX_PKT) {
        return bad_param("RX max packet size", max_pkt);
    }
    if (le16_to_cpu(r->splithdr_enabled)) {
        return bad_param("RX header split", le16_to_cpu(r->splithdr_enabled));
    }
    return VIRTCHNL_STATUS_SUCCESS;
}

/* Program a queue pair; like a fresh hardware context, it starts at 0. */
static void config_qpair(I40EVFCore *core, const struct virtchnl_queue_pair_info *qp)
{
    uint16_t q = le16_to_cpu(qp->txq.queue_id);
    I40EVFRing *tx = &core->tx[q], *rx = &core->rx[q];

    tx->base = le64_to_cpu(qp->txq.dma_ring_addr);
    tx->len = le16_to_cpu(qp->txq.ring_len);
    tx->head = 0;
    tx->headwb = le16_to_cpu(qp->txq.headwb_enabled);
    tx->headwb_addr = le64_to_cpu(qp->txq.dma_headwb_addr);

    rx->base = le64_to_cpu(qp->rxq.dma_ring_addr);
    rx->len = le32_to_cpu(qp->rxq.ring_len);
    rx->head = 0;
    /* The hardware takes the buffer size in 128-byte units. */
    rx->buf_size = QEMU_ALIGN_DOWN(le32_to_cpu(qp->rxq.databuffer_size),
                                   I40E_VF_RXBUF_UNIT);
    rx->max_pkt = le32_to_cpu(qp->rxq.max_pkt_size);
    trace_i40e_vf_pf_config_queue(q, tx->base, tx->len, rx->base, rx->len,
                                  rx->buf_size, rx->max_pkt);
}

static int vc_config_vsi_queues(I40EVFCore *core, const uint8_t *msg,
                                uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_vsi_queue_config_info *qci = (const void *)msg;
    uint16_t n = le16_to_cpu(qci->num_queue_pairs);
    int ret = check_vsi(core, le16_to_cpu(qci->vsi_id));

    if (ret) {
        return ret;
    }
    if (n > core->num_queue_pairs) {
        return bad_param("number of queue pairs", n);
    }
    for (int i = 0; i < n; i++) {
        const struct virtchnl_queue_pair_info *qp = &qci->qpair[i];
        uint16_t q = le16_to_cpu(qp->txq.queue_id);

        if (q >= core->num_queue_pairs) {
            return bad_param("queue id", q);
        }
        ret = check_txq(core, &qp->txq, q) ?: check_rxq(core, &qp->rxq, q);
        if (ret) {
            return ret;
        }
    }
    for (int i = 0; i < n; i++) {
        config_qpair(core, &qci->qpair[i]);
    }
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_config_irq_map(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_irq_map_info *imi = (const void *)msg;
    uint16_t n = le16_to_cpu(imi->num_vectors);

    for (int i = 0; i < n; i++) {
        const struct virtchnl_vector_map *m = &imi->vecmap[i];
        int ret = check_vsi(core, le16_to_cpu(m->vsi_id));

        if (ret) {
            return ret;
        }
        if (le16_to_cpu(m->vector_id) >= core->num_vectors) {
            return bad_param("vector id", le16_to_cpu(m->vector_id));
        }
        ret = check_queue_bitmap(core, le16_to_cpu(m->rxq_map)) ?:
              check_queue_bitmap(core, le16_to_cpu(m->txq_map));
        if (ret) {
            return ret;
        }
        if (le16_to_cpu(m->rxitr_idx) > I40E_VFINT_ITR_NONE ||
            le16_to_cpu(m->txitr_idx) > I40E_VFINT_ITR_NONE) {
            return bad_param("ITR index", MAX(le16_to_cpu(m->rxitr_idx),
                                              le16_to_cpu(m->txitr_idx)));
        }
    }

    /* Each listed vector's cause list is rebuilt from its maps. */
    for (int i = 0; i < n; i++) {
        const struct virtchnl_vector_map *m = &imi->vecmap[i];
        uint16_t v = le16_to_cpu(m->vector_id);

        for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
            if (core->rx[q].vector == v) {
                core->rx[q].vector = I40E_VF_NO_VECTOR;
            }
            if (core->tx[q].vector == v) {
                core->tx[q].vector = I40E_VF_NO_VECTOR;
            }
            if (le16_to_cpu(m->rxq_map) & BIT(q)) {
                core->rx[q].vector = v;
                core->rx[q].itr_idx = le16_to_cpu(m->rxitr_idx);
            }
            if (le16_to_cpu(m->txq_map) & BIT(q)) {
                core->tx[q].vector = v;
                core->tx[q].itr_idx = le16_to_cpu(m->txitr_idx);
            }
        }
        trace_i40e_vf_pf_irq_map(v, le16_to_cpu(m->rxq_map),
                                 le16_to_cpu(m->txq_map));
    }
    return VIRTCHNL_STATUS_SUCCESS;
}

static int check_queue_select(I40EVFCore *core, const uint8_t *msg,
                              uint32_t *rxq, uint32_t *txq)
{
    const struct virtchnl_queue_select *qs = (const void *)msg;
    int ret = check_vsi(core, le16_to_cpu(qs->vsi_id));

    *rxq = le32_to_cpu(qs->rx_queues);
    *txq = le32_to_cpu(qs->tx_queues);
    if (ret) {
        return ret;
    }
    if (!*rxq && !*txq) {
        return bad_param("empty queue selection", 0);
    }
    return check_queue_bitmap(core, *rxq) ?: check_queue_bitmap(core, *txq);
}

static int vc_enable_queues(I40EVFCore *core, const uint8_t *msg,
                            uint16_t len, I40EVFReply *reply)
{
    uint32_t rxq, txq;
    int ret = check_queue_select(core, msg, &rxq, &txq);

    if (ret) {
        return ret;
    }
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (((rxq & BIT(q)) && !core->rx[q].len) ||
            ((txq & BIT(q)) && !core->tx[q].len)) {
            return bad_param("unconfigured queue", q);
        }
    }
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (rxq & BIT(q)) {
            core->rx[q].enabled = true;
        }
        if (txq & BIT(q)) {
            /* The TX head is zeroed on enable; the driver starts over. */
            core->tx[q].enabled = true;
            core->tx[q].head = 0;
            core->tx[q].tail = 0;
        }
    }
    trace_i40e_vf_pf_queues(true, rxq, txq);
    reply->link_event = true;
    qemu_flush_queued_packets(qemu_get_queue(core->nic));
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_disable_queues(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    uint32_t rxq, txq;
    int ret = check_queue_select(core, msg, &rxq, &txq);

    if (ret) {
        return ret;
    }
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (txq & BIT(q)) {
            core->tx[q].enabled = false;
        }
        if (rxq & BIT(q)) {
            core->rx[q].enabled = false;
        }
    }
    trace_i40e_vf_pf_queues(false, rxq, txq);
    return VIRTCHNL_STATUS_SUCCESS;
}

static bool valid_filter_addr(const uint8_t *addr)
{
    static const uint8_t zero[ETH_ALEN];
    static const uint8_t bcast[ETH_ALEN] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff
    };

    return memcmp(addr, zero, ETH_ALEN) && memcmp(addr, bcast, ETH_ALEN);
}

static int check_addr_list(I40EVFCore *core, const uint8_t *msg)
{
    const struct virtchnl_ether_addr_list *al = (const void *)msg;
    int ret = check_vsi(core, le16_to_cpu(al->vsi_id));

    for (int i = 0; !ret && i < le16_to_cpu(al->num_elements); i++) {
        if (!valid_filter_addr(al->list[i].addr)) {
            ret = bad_param("MAC filter address, element", i);
        }
    }
    return ret;
}

/* All or nothing: a list that does not fit adds none of its addresses. */
static int vc_add_eth_addr(I40EVFCore *core, const uint8_t *msg,
                           uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_ether_addr_list *al = (const void *)msg;
    unsigned int n = le16_to_cpu(al->num_elements), new = 0;
    int ret = check_addr_list(core, msg);

    for (int i = 0; i < n; i++) {
        new += !i40e_vf_filter_has_mac(core, al->list[i].addr);
    }
    if (!ret && new > i40e_vf_filter_mac_room(core)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: %u more MAC filters do not fit\n", new);
        return VIRTCHNL_STATUS_ERR_NO_MEMORY;
    }
    for (int i = 0; !ret && i < n; i++) {
        ret = i40e_vf_filter_add_mac(core, al->list[i].addr,
                                     al->list[i].type);
    }
    return ret;
}

static int vc_del_eth_addr(I40EVFCore *core, const uint8_t *msg,
                           uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_ether_addr_list *al = (const void *)msg;
    int ret = check_addr_list(core, msg);

    for (int i = 0; !ret && i < le16_to_cpu(al->num_elements); i++) {
        i40e_vf_filter_del_mac(core, al->list[i].addr);
    }
    return ret;
}

static int check_vlan_list(I40EVFCore *core, const uint8_t *msg)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)msg;
    int ret = check_vsi(core, le16_to_cpu(vl->vsi_id));

    for (int i = 0; !ret && i < le16_to_cpu(vl->num_elements); i++) {
        uint16_t vid = lduw_le_p(&vl->vlan_id[i]);

        if (vid >= 4096) {
            ret = bad_param("VLAN id", vid);
        }
    }
    return ret;
}

static int vc_add_vlan(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                       I40EVFReply *reply)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)msg;
    int ret = check_vlan_list(core, msg);

    for (int i = 0; !ret && i < le16_to_cpu(vl->num_elements); i++) {
        ret = i40e_vf_filter_add_vlan(core, lduw_le_p(&vl->vlan_id[i]));
    }
    return ret;
}

static int vc_del_vlan(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                       I40EVFReply *reply)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)msg;
    int ret = check_vlan_list(core, msg);

    for (int i = 0; !ret && i < le16_to_cpu(vl->num_elements); i++) {
        i40e_vf_filter_del_vlan(core, lduw_le_p(&vl->vlan_id[i]));
    }
    return ret;
}

static int vc_config_promisc(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_promisc_info *pi = (const void *)msg;
    uint16_t flags = le16_to_cpu(pi->flags);
    int ret = check_vsi(core, le16_to_cpu(pi->vsi_id));

    if (ret) {
        return ret;
    }
    if (flags & ~(FLAG_VF_UNICAST_PROMISC | FLAG_VF_MULTICAST_PROMISC)) {
        return bad_param("promiscuous flags", flags);
    }
    /* Like the i40e PF, tell an untrusted VF yes and change nothing. */
    if (!core->trusted) {
        trace_i40e_vf_pf_promisc_untrusted(flags);
        return VIRTCHNL_STATUS_SUCCESS;
    }
    core->promisc = flags;
    trace_i40e_vf_pf_promisc(flags);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_get_stats(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                        I40EVFReply *reply)
{
    const struct virtchnl_queue_select *qs = (const void *)msg;
    const uint64_t *in = (const uint64_t *)&core->stats;
    int ret = check_vsi(core, le16_to_cpu(qs->vsi_id));

    if (ret) {
        return ret;
    }
    for (size_t i = 0; i < sizeof(core->stats) / sizeof(uint64_t); i++) {
        stq_le_p(reply->buf + 8 * i, in[i]);
    }
    reply->len = sizeof(core->stats);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_config_rss_key(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_rss_key *rk = (const void *)msg;
    int ret = check_vsi(core, le16_to_cpu(rk->vsi_id));

    if (ret) {
        return ret;
    }
    if (le16_to_cpu(rk->key_len) != VIRTCHNL_RSS_KEY_SIZE) {
        return bad_param("RSS key length", le16_to_cpu(rk->key_len));
    }
    memcpy(core->rss_key, rk->key, VIRTCHNL_RSS_KEY_SIZE);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_config_rss_lut(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_rss_lut *rl = (const void *)msg;
    int ret = check_vsi(core, le16_to_cpu(rl->vsi_id));

    if (ret) {
        return ret;
    }
    if (le16_to_cpu(rl->lut_entries) != VIRTCHNL_RSS_LUT_SIZE) {
        return bad_param("RSS LUT size", le16_to_cpu(rl->lut_entries));
    }
    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
        if (rl->lut[i] >= core->num_queue_pairs) {
            return bad_param("RSS LUT queue", rl->lut[i]);
        }
    }
    memcpy(core->rss_lut, rl->lut, VIRTCHNL_RSS_LUT_SIZE);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_get_rss_hena_caps(I40EVFCore *core, const uint8_t *msg,
                                uint16_t len, I40EVFReply *reply)
{
    stq_le_p(reply->buf, I40E_DEFAULT_RSS_HENA);
    reply->len = sizeof(struct virtchnl_rss_hena);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_set_rss_hena(I40EVFCore *core, const uint8_t *msg,
                           uint16_t len, I40EVFReply *reply)
{
    core->rss_hena = ldq_le_p(msg);
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_enable_vlan_stripping(I40EVFCore *core, const uint8_t *msg,
                                    uint16_t len, I40EVFReply *reply)
{
    core->vlan_strip = true;
    return VIRTCHNL_STATUS_SUCCESS;
}

static int vc_disable_vlan_stripping(I40EVFCore *core, const uint8_t *msg,
                                     uint16_t len, I40EVFReply *reply)
{
    core->vlan_strip = false;
    return VIRTCHNL_STATUS_SUCCESS;
}

/*
 * A count the PF can give is granted by a VF reset announced with
 * RESET_IMPENDING; otherwise the reply names the count it could give.
 */
static int vc_request_queues(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    uint16_t req = lduw_le_p(msg);

    if (req && req <= I40E_VF_MAX_QUEUES) {
        struct virtchnl_pf_event ev = {
            .event = cpu_to_le32(VIRTCHNL_EVENT_RESET_IMPENDING),
            .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_CERTAIN_DOOM),
        };

        trace_i40e_vf_pf_request_queues(req, true);
        core->num_queue_pairs = req;
        i40e_vf_aq_send(core, VIRTCHNL_OP_EVENT, 0, &ev, sizeof(ev));
        reply->none = true;
        i40e_vf_core_reset(core);
        return VIRTCHNL_STATUS_SUCCESS;
    }
    trace_i40e_vf_pf_request_queues(req, false);
    stw_le_p(reply->buf, I40E_VF_MAX_QUEUES);
    reply->len = sizeof(struct virtchnl_vf_res_request);
    return req ? VIRTCHNL_STATUS_SUCCESS : bad_param("queue count", req);
}

static const I40EVFMsgHandler i40e_vf_handlers[] = {
    [VIRTCHNL_OP_VERSION] = { vc_version },
    [VIRTCHNL_OP_RESET_VF] = { vc_reset_vf },
    [VIRTCHNL_OP_GET_VF_RESOURCES] = { vc_get_vf_resources },
    [VIRTCHNL_OP_CONFIG_VSI_QUEUES] = { vc_config_vsi_queues, true },
    [VIRTCHNL_OP_CONFIG_IRQ_MAP] = { vc_config_irq_map, true },
    [VIRTCHNL_OP_ENABLE_QUEUES] = { vc_enable_queues, true },
    [VIRTCHNL_OP_DISABLE_QUEUES] = { vc_disable_queues, true },
    [VIRTCHNL_OP_ADD_ETH_ADDR] = { vc_add_eth_addr, true },
    [VIRTCHNL_OP_DEL_ETH_ADDR] = { vc_del_eth_addr, true },
    [VIRTCHNL_OP_ADD_VLAN] = { vc_add_vlan, true, VIRTCHNL_VF_OFFLOAD_VLAN },
    [VIRTCHNL_OP_DEL_VLAN] = { vc_del_vlan, true, VIRTCHNL_VF_OFFLOAD_VLAN },
    [VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE] = { vc_config_promisc, true },
    [VIRTCHNL_OP_GET_STATS] = { vc_get_stats, true },
    [VIRTCHNL_OP_CONFIG_RSS_KEY] = {
        vc_config_rss_key, true, VIRTCHNL_VF_OFFLOAD_RSS_PF },
    [VIRTCHNL_OP_CONFIG_RSS_LUT] = {
        vc_config_rss_lut, true, VIRTCHNL_VF_OFFLOAD_RSS_PF },
    [VIRTCHNL_OP_GET_RSS_HENA_CAPS] = {
        vc_get_rss_hena_caps, true, VIRTCHNL_VF_OFFLOAD_RSS_PF },
    [VIRTCHNL_OP_SET_RSS_HENA] = {
        vc_set_rss_hena, true, VIRTCHNL_VF_OFFLOAD_RSS_PF },
    [VIRTCHNL_OP_ENABLE_VLAN_STRIPPING] = {
        vc_enable_vlan_stripping, true, VIRTCHNL_VF_OFFLOAD_VLAN },
    [VIRTCHNL_OP_DISABLE_VLAN_STRIPPING] = {
        vc_disable_vlan_stripping, true, VIRTCHNL_VF_OFFLOAD_VLAN },
    [VIRTCHNL_OP_REQUEST_QUEUES] = {
        vc_request_queues, true, VIRTCHNL_VF_OFFLOAD_REQ_QUEUES },
};

static int i40e_vf_pf_dispatch(I40EVFCore *core, uint32_t v_opcode,
                               const uint8_t *msg, uint16_t msglen,
                               I40EVFReply *reply)
{
    const I40EVFMsgHandler *h = v_opcode < ARRAY_SIZE(i40e_vf_handlers)
                                ? &i40e_vf_handlers[v_opcode] : NULL;
    int ret = virtchnl_vc_validate_vf_msg(&core->ver, v_opcode, msg, msglen);

    if (ret) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: virtchnl %s (%u): invalid length %u\n",
                      virtchnl_op_name(v_opcode), v_opcode, msglen);
        return ret;
    }
    if (!h || !h->handle) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: virtchnl %s (%u) not supported\n",
                      virtchnl_op_name(v_opcode), v_opcode);
        return VIRTCHNL_STATUS_ERR_NOT_SUPPORTED;
    }
    if (h->needs_active && !core->resources_sent) {
        return bad_param("request before GET_VF_RESOURCES, opcode", v_opcode);
    }
    if ((core->caps & h->needs_cap) != h->needs_cap) {
        return bad_param("request without its capability, opcode", v_opcode);
    }
    return h->handle(core, msg, msglen, reply);
}

void i40e_vf_pf_handle_msg(I40EVFCore *core, uint32_t v_opcode,
                           const uint8_t *msg, uint16_t msglen)
{
    I40EVFReply reply = { 0 };
    int ret;

    trace_i40e_vf_pf_msg(virtchnl_op_name(v_opcode), v_opcode, msglen);
    if (v_opcode == VIRTCHNL_OP_UNKNOWN) {
        /* A reply with opcode 0 would stop the VF's ARQ processing. */
        qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: virtchnl opcode 0 ignored\n");
        return;
    }
    ret = i40e_vf_pf_dispatch(core, v_opcode, msg, msglen, &reply);
    if (reply.none) {
        return;
    }
    trace_i40e_vf_pf_reply(virtchnl_op_name(v_opcode), ret, reply.len);
    i40e_vf_aq_send(core, v_opcode, ret, reply.buf, reply.len);
    if (ret == VIRTCHNL_STATUS_SUCCESS && reply.link_event) {
        i40e_vf_pf_link_change(core);
    }
}

/* What a VF reset clears on the PF side; version and queue count stay. */
void i40e_vf_pf_reset(I40EVFCore *core)
{
    core->caps = 0;
    core->resources_sent = false;
    core->promisc = 0;
    core->vlan_strip = true;
    memset(&core->stats, 0, sizeof(core->stats));
    i40e_vf_filter_reset(core);
    i40e_vf_rss_reset(core);
}
