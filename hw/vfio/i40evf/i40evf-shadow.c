/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the shadow of a passed-through X710 VF's configuration,
 * kept from the virtchnl requests the PF accepted, and the plan that
 * replays it on a fresh VF.
 *
 * Each request is applied the way the Linux 6.12 i40e PF applies it (the
 * emulated VF, hw/net/i40e/i40e-vf-pf*.c, is the executable reference),
 * but only once the PF said yes: i40e applies CONFIG_VSI_QUEUES and
 * CONFIG_IRQ_MAP pair by pair, so after a success reply all of it holds.
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "hw/vfio/i40evf-shadow.h"

QEMU_BUILD_BUG_ON(12 + 8 * I40EVF_SHADOW_MAX_MACS > VIRTCHNL_MAX_MSG_LEN);

/* Expected reply length of a successful request: none, or any. */
#define REPLY_NONE  0
#define REPLY_ANY   (-1)

typedef struct ShadowOp {
    int (*apply)(I40EVFShadow *s, const uint8_t *req, uint16_t req_len,
                 const uint8_t *reply, uint16_t reply_len);
    int reply_len;
} ShadowOp;

static bool shadow_version_has_caps(const struct virtchnl_version_info *v)
{
    return v->major > 1 || (v->major == 1 && v->minor >= 1);
}

/* A new VSI's LUT spreads the hash over all of the VF's queues. */
static void shadow_default_lut(I40EVFShadow *s)
{
    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
        s->rss_lut[i] = i % MAX(s->num_queue_pairs, 1);
    }
}

/* The PF installs the default MAC's filter in every new VSI. */
static void shadow_default_macs(I40EVFShadow *s)
{
    memset(s->macs, 0, sizeof(s->macs));
    s->num_macs = 0;
    if (!buffer_is_zero(s->default_mac, sizeof(s->default_mac))) {
        memcpy(s->macs[0].addr, s->default_mac, sizeof(s->default_mac));
        s->macs[0].type = VIRTCHNL_ETHER_ADDR_PRIMARY;
        s->num_macs = 1;
    }
}

void i40evf_shadow_init(I40EVFShadow *s)
{
    memset(s, 0, sizeof(*s));
    i40evf_shadow_reset(s);
}

void i40evf_shadow_reset(I40EVFShadow *s)
{
    s->active = false;
    s->granted_caps = 0;
    s->configured_queues = 0;
    memset(s->qpair, 0, sizeof(s->qpair));
    memset(s->vector, 0, sizeof(s->vector));
    s->rx_enabled = 0;
    s->tx_enabled = 0;
    shadow_default_macs(s);
    memset(s->vlans, 0, sizeof(s->vlans));
    s->promisc = 0;
    s->vlan_strip = true;
    memset(s->rss_key, 0, sizeof(s->rss_key));
    shadow_default_lut(s);
    s->rss_hena = I40E_DEFAULT_RSS_HENA;
    memset(s->itr, 0, sizeof(s->itr));
}

static int shadow_apply_version(I40EVFShadow *s, const uint8_t *req,
                                uint16_t req_len, const uint8_t *reply,
                                uint16_t reply_len)
{
    s->version.major = ldl_le_p(req);
    s->version.minor = ldl_le_p(req + 4);
    return 0;
}

static int shadow_apply_reset_vf(I40EVFShadow *s, const uint8_t *req,
                                 uint16_t req_len, const uint8_t *reply,
                                 uint16_t reply_len)
{
    i40evf_shadow_reset(s);
    return 0;
}

/* iavf's choice: the first VSI of type SRIOV the reply carries. */
static const struct virtchnl_vsi_resource *
shadow_sriov_vsi(const uint8_t *reply, uint16_t reply_len)
{
    const struct virtchnl_vf_resource *res = (const void *)reply;
    size_t room = (reply_len - sizeof(*res)) / sizeof(res->vsi_res[0]);
    size_t n = MIN(le16_to_cpu(res->num_vsis), room);

    for (size_t i = 0; i < n; i++) {
        if (le32_to_cpu(res->vsi_res[i].vsi_type) == VIRTCHNL_VSI_SRIOV) {
            return &res->vsi_res[i];
        }
    }
    return NULL;
}

/*
 * Answered once per reset: the VSI is new, so its filters are the default
 * MAC's alone (the PF drops that one for a driver that gets no MAC back)
 * and its LUT spreads over the queues granted now.
 */
static int shadow_apply_get_vf_resources(I40EVFShadow *s, const uint8_t *req,
                                         uint16_t req_len, const uint8_t *reply,
                                         uint16_t reply_len)
{
    const struct virtchnl_vf_resource *res = (const void *)reply;
    const struct virtchnl_vsi_resource *vsi;

    if (reply_len < sizeof(*res) + sizeof(*vsi)) {
        return -EINVAL;
    }
    vsi = shadow_sriov_vsi(reply, reply_len);
    if (!vsi || le16_to_cpu(vsi->num_queue_pairs) > I40E_VF_MAX_QUEUES) {
        return -EINVAL;
    }
    s->requested_caps = req_len ? ldl_le_p(req) : VIRTCHNL_VF_BASE_CAPS_1_0;
    s->active = true;
    s->granted_caps = le32_to_cpu(res->vf_cap_flags);
    s->max_vectors = le16_to_cpu(res->max_vectors);
    s->vsi_id = le16_to_cpu(vsi->vsi_id);
    s->num_queue_pairs = le16_to_cpu(vsi->num_queue_pairs);
    memcpy(s->default_mac, vsi->default_mac_addr, sizeof(s->default_mac));
    shadow_default_macs(s);
    shadow_default_lut(s);
    return 0;
}

static int shadow_apply_config_vsi_queues(I40EVFShadow *s,
                                          const uint8_t *req,
                                          uint16_t req_len,
                                          const uint8_t *reply,
                                          uint16_t reply_len)
{
    const struct virtchnl_vsi_queue_config_info *qci = (const void *)req;
    uint16_t n = le16_to_cpu(qci->num_queue_pairs);

    for (int i = 0; i < n; i++) {
        const struct virtchnl_queue_pair_info *qp = &qci->qpair[i];
        uint16_t q = le16_to_cpu(qp->txq.queue_id);

        if (q >= I40E_VF_MAX_QUEUES || le16_to_cpu(qp->rxq.queue_id) != q) {
            return -EINVAL;
        }
    }
    for (int i = 0; i < n; i++) {
        uint16_t q = le16_to_cpu(qci->qpair[i].txq.queue_id);

        s->qpair[q] = qci->qpair[i];
        s->qpair[q].txq.vsi_id = 0;
        s->qpair[q].rxq.vsi_id = 0;
        s->configured_queues |= BIT(q);
    }
    return 0;
}

/*
 * i40e rebuilds the vector's cause list; a queue listed raises this vector
 * and no longer the one it was on before (the model's reading of the
 * queue's QINT_[RT]QCTL being rewritten).
 */
static void shadow_map_vector(I40EVFShadow *s,
                              const struct virtchnl_vector_map *m)
{
    I40EVFShadowVector *vec = &s->vector[le16_to_cpu(m->vector_id)];
    uint16_t rxq = le16_to_cpu(m->rxq_map), txq = le16_to_cpu(m->txq_map);

    for (int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        s->vector[v].rxq_map &= ~rxq;
        s->vector[v].txq_map &= ~txq;
        if (!s->vector[v].rxq_map && !s->vector[v].txq_map) {
            memset(&s->vector[v], 0, sizeof(s->vector[v]));
        }
    }
    if (rxq || txq) {
        vec->rxq_map = rxq;
        vec->txq_map = txq;
        vec->rxitr_idx = le16_to_cpu(m->rxitr_idx);
        vec->txitr_idx = le16_to_cpu(m->txitr_idx);
    } else {
        memset(vec, 0, sizeof(*vec));
    }
}

static int shadow_apply_config_irq_map(I40EVFShadow *s, const uint8_t *req,
                                       uint16_t req_len, const uint8_t *reply,
                                       uint16_t reply_len)
{
    const struct virtchnl_irq_map_info *imi = (const void *)req;
    uint16_t n = le16_to_cpu(imi->num_vectors);

    for (int i = 0; i < n; i++) {
        if (le16_to_cpu(imi->vecmap[i].vector_id) >= I40E_VF_MAX_VECTORS) {
            return -EINVAL;
        }
    }
    for (int i = 0; i < n; i++) {
        shadow_map_vector(s, &imi->vecmap[i]);
    }
    return 0;
}

/*
 * The PF refuses bits beyond 16 and ignores those beyond the VF's queues;
 * *rxq and *txq are what remains.
 */
static int shadow_queue_select(I40EVFShadow *s, const uint8_t *req,
                               uint16_t *rxq,
                               uint16_t *txq)
{
    const struct virtchnl_queue_select *qs = (const void *)req;
    uint32_t rx = le32_to_cpu(qs->rx_queues), tx = le32_to_cpu(qs->tx_queues);
    /* (MAKE_64BIT_MASK(0, 0) would shift by 64) */
    uint32_t mask = BIT_ULL(MIN(s->num_queue_pairs, 32)) - 1;

    if ((rx | tx) >> I40E_VF_MAX_QUEUES) {
        return -EINVAL;
    }
    *rxq = rx & mask;
    *txq = tx & mask;
    return 0;
}

static int shadow_apply_enable_queues(I40EVFShadow *s, const uint8_t *req,
                                      uint16_t req_len, const uint8_t *reply,
                                      uint16_t reply_len)
{
    uint16_t rxq, txq;
    int ret = shadow_queue_select(s, req, &rxq, &txq);

    if (!ret) {
        s->rx_enabled |= rxq;
        s->tx_enabled |= txq;
    }
    return ret;
}

static int shadow_apply_disable_queues(I40EVFShadow *s, const uint8_t *req,
                                       uint16_t req_len, const uint8_t *reply,
                                       uint16_t reply_len)
{
    uint16_t rxq, txq;
    int ret = shadow_queue_select(s, req, &rxq, &txq);

    if (!ret) {
        s->rx_enabled &= ~rxq;
        s->tx_enabled &= ~txq;
    }
    return ret;
}

static I40EVFShadowMac *shadow_find_mac(I40EVFShadow *s, const uint8_t *addr)
{
    for (unsigned int i = 0; i < s->num_macs; i++) {
        if (!memcmp(s->macs[i].addr, addr, sizeof(s->macs[i].addr))) {
            return &s->macs[i];
        }
    }
    return NULL;
}

/* i40e_update_vf_mac_addr: the address a reset gives back */
static void shadow_update_default_mac(I40EVFShadow *s,
                                      const struct virtchnl_ether_addr *ea)
{
    uint8_t type = ea->type & VIRTCHNL_ETHER_ADDR_TYPE_MASK;

    if (ea->addr[0] & 1) {
        return;     /* multicast */
    }
    if (type == VIRTCHNL_ETHER_ADDR_PRIMARY ||
        (type == VIRTCHNL_ETHER_ADDR_LEGACY &&
         buffer_is_zero(s->default_mac, sizeof(s->default_mac)))) {
        memcpy(s->default_mac, ea->addr, sizeof(s->default_mac));
    }
}

/* New addresses go last; a known one only takes the new type. */
static int shadow_apply_add_eth_addr(I40EVFShadow *s, const uint8_t *req,
                                     uint16_t req_len, const uint8_t *reply,
                                     uint16_t reply_len)
{
    const struct virtchnl_ether_addr_list *al = (const void *)req;
    uint16_t n = le16_to_cpu(al->num_elements);
    unsigned int new = 0;

    for (int i = 0; i < n; i++) {
        bool dup = false;

        for (int j = 0; j < i; j++) {
            dup |= !memcmp(al->list[i].addr, al->list[j].addr, 6);
        }
        new += !dup && !shadow_find_mac(s, al->list[i].addr);
    }
    if (s->num_macs + new > I40EVF_SHADOW_MAX_MACS) {
        return -ENOSPC;
    }
    for (int i = 0; i < n; i++) {
        I40EVFShadowMac *f = shadow_find_mac(s, al->list[i].addr);

        if (!f) {
            f = &s->macs[s->num_macs++];
            memcpy(f->addr, al->list[i].addr, sizeof(f->addr));
        }
        f->type = al->list[i].type & VIRTCHNL_ETHER_ADDR_TYPE_MASK;
        shadow_update_default_mac(s, &al->list[i]);
    }
    return 0;
}

/* Removal keeps the others' order; deleting the default MAC forgets it. */
static int shadow_apply_del_eth_addr(I40EVFShadow *s, const uint8_t *req,
                                     uint16_t req_len, const uint8_t *reply,
                                     uint16_t reply_len)
{
    const struct virtchnl_ether_addr_list *al = (const void *)req;

    for (int i = 0; i < le16_to_cpu(al->num_elements); i++) {
        I40EVFShadowMac *f = shadow_find_mac(s, al->list[i].addr);

        if (!memcmp(al->list[i].addr, s->default_mac, 6)) {
            memset(s->default_mac, 0, sizeof(s->default_mac));
        }
        if (f) {
            memmove(f, f + 1, (s->macs + --s->num_macs - f) * sizeof(*f));
            memset(&s->macs[s->num_macs], 0, sizeof(*f));
        }
    }
    return 0;
}

static int shadow_check_vlans(const struct virtchnl_vlan_filter_list *vl)
{
    for (int i = 0; i < le16_to_cpu(vl->num_elements); i++) {
        if (lduw_le_p(&vl->vlan_id[i]) >= 4096) {
            return -EINVAL;
        }
    }
    return 0;
}

/* i40e turns stripping on with the first VLAN; VLAN 0 is implicit. */
static int shadow_apply_add_vlan(I40EVFShadow *s, const uint8_t *req,
                                 uint16_t req_len, const uint8_t *reply,
                                 uint16_t reply_len)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)req;
    int ret = shadow_check_vlans(vl);

    if (ret) {
        return ret;
    }
    for (int i = 0; i < le16_to_cpu(vl->num_elements); i++) {
        uint16_t vid = lduw_le_p(&vl->vlan_id[i]);

        if (vid) {
            s->vlans[vid / 32] |= BIT(vid % 32);
        }
    }
    s->vlan_strip = true;
    return 0;
}

static int shadow_apply_del_vlan(I40EVFShadow *s, const uint8_t *req,
                                 uint16_t req_len, const uint8_t *reply,
                                 uint16_t reply_len)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)req;
    int ret = shadow_check_vlans(vl);

    for (int i = 0; !ret && i < le16_to_cpu(vl->num_elements); i++) {
        uint16_t vid = lduw_le_p(&vl->vlan_id[i]);

        s->vlans[vid / 32] &= ~BIT(vid % 32);
    }
    return ret;
}

/*
 * What the VF asked for: i40e tells an untrusted VF yes and changes
 * nothing, and will say the same to the replay.
 */
static int shadow_apply_promisc(I40EVFShadow *s, const uint8_t *req,
                                uint16_t req_len, const uint8_t *reply,
                                uint16_t reply_len)
{
    const struct virtchnl_promisc_info *pi = (const void *)req;

    s->promisc = le16_to_cpu(pi->flags);
    return 0;
}

static int shadow_apply_rss_key(I40EVFShadow *s, const uint8_t *req,
                                uint16_t req_len, const uint8_t *reply,
                                uint16_t reply_len)
{
    const struct virtchnl_rss_key *rk = (const void *)req;

    if (le16_to_cpu(rk->key_len) != VIRTCHNL_RSS_KEY_SIZE) {
        return -EINVAL;
    }
    memcpy(s->rss_key, rk->key, sizeof(s->rss_key));
    return 0;
}

static int shadow_apply_rss_lut(I40EVFShadow *s, const uint8_t *req,
                                uint16_t req_len, const uint8_t *reply,
                                uint16_t reply_len)
{
    const struct virtchnl_rss_lut *rl = (const void *)req;

    if (le16_to_cpu(rl->lut_entries) != VIRTCHNL_RSS_LUT_SIZE) {
        return -EINVAL;
    }
    memcpy(s->rss_lut, rl->lut, sizeof(s->rss_lut));
    return 0;
}

static int shadow_apply_rss_hena(I40EVFShadow *s, const uint8_t *req,
                                 uint16_t req_len, const uint8_t *reply,
                                 uint16_t reply_len)
{
    s->rss_hena = ldq_le_p(req);
    return 0;
}

static int shadow_apply_vlan_strip_on(I40EVFShadow *s, const uint8_t *req,
                                      uint16_t req_len, const uint8_t *reply,
                                      uint16_t reply_len)
{
    s->vlan_strip = true;
    return 0;
}

static int shadow_apply_vlan_strip_off(I40EVFShadow *s, const uint8_t *req,
                                       uint16_t req_len, const uint8_t *reply,
                                       uint16_t reply_len)
{
    s->vlan_strip = false;
    return 0;
}

/*
 * Granted, the PF remembers the count and resets the VF without a reply;
 * refused, it replies with the count it could give.
 */
static int shadow_apply_request_queues(I40EVFShadow *s, const uint8_t *req,
                                       uint16_t req_len, const uint8_t *reply,
                                       uint16_t reply_len)
{
    uint16_t n = lduw_le_p(req);

    if (reply_len == sizeof(struct virtchnl_vf_res_request)) {
        return 0;
    }
    if (reply_len || n > I40E_VF_MAX_QUEUES) {
        return -EINVAL;
    }
    s->requested_queues = n;
    if (n) {
        s->num_queue_pairs = n;
    }
    i40evf_shadow_reset(s);
    return 0;
}

/* Questions: the answer changes nothing the PF holds for the VF. */
static int shadow_apply_nothing(I40EVFShadow *s, const uint8_t *req,
                                uint16_t req_len, const uint8_t *reply,
                                uint16_t reply_len)
{
    return 0;
}

static const ShadowOp shadow_ops[] = {
    [VIRTCHNL_OP_VERSION] = { shadow_apply_version,
                              sizeof(struct virtchnl_version_info) },
    [VIRTCHNL_OP_RESET_VF] = { shadow_apply_reset_vf, REPLY_NONE },
    [VIRTCHNL_OP_GET_VF_RESOURCES] = { shadow_apply_get_vf_resources,
                                       REPLY_ANY },
    [VIRTCHNL_OP_CONFIG_VSI_QUEUES] = { shadow_apply_config_vsi_queues,
                                        REPLY_NONE },
    [VIRTCHNL_OP_CONFIG_IRQ_MAP] = { shadow_apply_config_irq_map, REPLY_NONE },
    [VIRTCHNL_OP_ENABLE_QUEUES] = { shadow_apply_enable_queues, REPLY_NONE },
    [VIRTCHNL_OP_DISABLE_QUEUES] = { shadow_apply_disable_queues, REPLY_NONE },
    [VIRTCHNL_OP_ADD_ETH_ADDR] = { shadow_apply_add_eth_addr, REPLY_NONE },
    [VIRTCHNL_OP_DEL_ETH_ADDR] = { shadow_apply_del_eth_addr, REPLY_NONE },
    [VIRTCHNL_OP_ADD_VLAN] = { shadow_apply_add_vlan, REPLY_NONE },
    [VIRTCHNL_OP_DEL_VLAN] = { shadow_apply_del_vlan, REPLY_NONE },
    [VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE] = { shadow_apply_promisc,
                                              REPLY_NONE },
    [VIRTCHNL_OP_GET_STATS] = { shadow_apply_nothing, REPLY_ANY },
    [VIRTCHNL_OP_CONFIG_RSS_KEY] = { shadow_apply_rss_key, REPLY_NONE },
    [VIRTCHNL_OP_CONFIG_RSS_LUT] = { shadow_apply_rss_lut, REPLY_NONE },
    [VIRTCHNL_OP_GET_RSS_HENA_CAPS] = { shadow_apply_nothing,
                                        sizeof(struct virtchnl_rss_hena) },
    [VIRTCHNL_OP_SET_RSS_HENA] = { shadow_apply_rss_hena, REPLY_NONE },
    [VIRTCHNL_OP_ENABLE_VLAN_STRIPPING] = { shadow_apply_vlan_strip_on,
                                            REPLY_NONE },
    [VIRTCHNL_OP_DISABLE_VLAN_STRIPPING] = { shadow_apply_vlan_strip_off,
                                             REPLY_NONE },
    [VIRTCHNL_OP_REQUEST_QUEUES] = { shadow_apply_request_queues, REPLY_ANY },
};

int i40evf_shadow_update(I40EVFShadow *s, uint32_t v_opcode,
                         const uint8_t *req, uint16_t req_len,
                         int32_t v_retval, const uint8_t *reply,
                         uint16_t reply_len)
{
    const ShadowOp *op = v_opcode < ARRAY_SIZE(shadow_ops) &&
                         shadow_ops[v_opcode].apply ? &shadow_ops[v_opcode]
                                                    : NULL;

    if (v_retval != VIRTCHNL_STATUS_SUCCESS) {
        return 0;
    }
    if (virtchnl_vc_validate_vf_msg(&s->version, v_opcode, req, req_len)) {
        return -EINVAL;
    }
    if (!op) {
        return -ENOTSUP;
    }
    if (op->reply_len != REPLY_ANY && op->reply_len != reply_len) {
        return -EINVAL;
    }
    return op->apply(s, req, req_len, reply, reply_len);
}

/*
 * Replay.  One step per piece of state, in the order iavf configures a VF,
 * each adding nothing when the state is what a fresh VF has anyway.
 */

/* ADD_VLAN elements that fit one message: 6 + 2 * n bytes */
#define VLANS_PER_MSG   ((VIRTCHNL_MAX_MSG_LEN - 6) / 2)

typedef struct ShadowPlan {
    GArray *msgs;
    uint16_t vsi_id;
    const uint8_t *dst_mac;
    const I40EVFShadow *to;     /* the shadow to recreate */
    const I40EVFShadow *from;   /* the filters the VF has; NULL: fresh */
} ShadowPlan;

static void shadow_msg_clear(gpointer data)
{
    g_free(((I40EVFShadowMsg *)data)->buf);
}

/* A zeroed message of @len bytes, appended to the plan. */
static void *shadow_plan_msg(ShadowPlan *p, uint32_t opcode, uint16_t len)
{
    I40EVFShadowMsg m = {
        .opcode = opcode,
        .len = len,
        .buf = g_malloc0(len),
    };

    g_array_append_val(p->msgs, m);
    return m.buf;
}

static void shadow_replay_version(const I40EVFShadow *s, ShadowPlan *p)
{
    struct virtchnl_version_info *v;

    if (!s->version.major) {
        return;
    }
    v = shadow_plan_msg(p, VIRTCHNL_OP_VERSION, sizeof(*v));
    v->major = cpu_to_le32(s->version.major);
    v->minor = cpu_to_le32(s->version.minor);
}

/* A 1.0 VF asks without naming capabilities. */
static void shadow_plan_get_resources(const I40EVFShadow *s, ShadowPlan *p)
{
    if (shadow_version_has_caps(&s->version)) {
        stl_le_p(shadow_plan_msg(p, VIRTCHNL_OP_GET_VF_RESOURCES,
                                 sizeof(uint32_t)),
                 s->requested_caps);
    } else {
        shadow_plan_msg(p, VIRTCHNL_OP_GET_VF_RESOURCES, 0);
    }
}

/* REQUEST_QUEUES needs an active VF, even when the guest's is not yet. */
static void shadow_replay_resources(const I40EVFShadow *s, ShadowPlan *p)
{
    if (s->active || s->requested_queues) {
        shadow_plan_get_resources(s, p);
    }
}

/*
 * A granted count resets the VF: asked again, the PF grants it.  A VF the
 * guest has not asked resources of since is left for the guest to ask.
 */
static void shadow_replay_request_queues(const I40EVFShadow *s, ShadowPlan *p)
{
    if (!s->requested_queues) {
        return;
    }
    stw_le_p(shadow_plan_msg(p, VIRTCHNL_OP_REQUEST_QUEUES,
                             sizeof(struct virtchnl_vf_res_request)),
             s->requested_queues);
    if (s->active) {
        shadow_plan_get_resources(s, p);
    }
}

static void shadow_replay_queues(const I40EVFShadow *s, ShadowPlan *p)
{
    unsigned int n = ctpop16(s->configured_queues), i = 0;
    struct virtchnl_vsi_queue_config_info *qci;

    if (!n) {
        return;
    }
    /* The legacy length counts one more, unused, pair. */
    qci = shadow_plan_msg(p, VIRTCHNL_OP_CONFIG_VSI_QUEUES,
                          sizeof(*qci) + (n + 1) * sizeof(qci->qpair[0]));
    qci->vsi_id = cpu_to_le16(p->vsi_id);
    qci->num_queue_pairs = cpu_to_le16(n);
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (s->configured_queues & BIT(q)) {
            qci->qpair[i] = s->qpair[q];
            qci->qpair[i].txq.vsi_id = cpu_to_le16(p->vsi_id);
            qci->qpair[i].rxq.vsi_id = cpu_to_le16(p->vsi_id);
            i++;
        }
    }
}

static bool shadow_vector_mapped(const I40EVFShadowVector *vec)
{
    return vec->rxq_map || vec->txq_map;
}

static void shadow_replay_irq_map(const I40EVFShadow *s, ShadowPlan *p)
{
    struct virtchnl_irq_map_info *imi;
    unsigned int n = 0, i = 0;

    for (int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        n += shadow_vector_mapped(&s->vector[v]);
    }
    if (!n) {
        return;
    }
    imi = shadow_plan_msg(p, VIRTCHNL_OP_CONFIG_IRQ_MAP,
                          sizeof(*imi) + (n + 1) * sizeof(imi->vecmap[0]));
    imi->num_vectors = cpu_to_le16(n);
    for (int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        const I40EVFShadowVector *vec = &s->vector[v];

        if (shadow_vector_mapped(vec)) {
            imi->vecmap[i++] = (struct virtchnl_vector_map) {
                .vsi_id = cpu_to_le16(p->vsi_id),
                .vector_id = cpu_to_le16(v),
                .rxq_map = cpu_to_le16(vec->rxq_map),
                .txq_map = cpu_to_le16(vec->txq_map),
                .rxitr_idx = cpu_to_le16(vec->rxitr_idx),
                .txitr_idx = cpu_to_le16(vec->txitr_idx),
            };
        }
    }
}

/* The destination's PF installed its default MAC's filter itself. */
static bool shadow_mac_preset(const ShadowPlan *p, const I40EVFShadowMac *f)
{
    return p->dst_mac && !memcmp(f->addr, p->dst_mac, sizeof(f->addr)) &&
           f->type == VIRTCHNL_ETHER_ADDR_PRIMARY;
}

static bool shadow_mac_in(const I40EVFShadow *s, const I40EVFShadowMac *f)
{
    for (unsigned int k = 0; s && k < s->num_macs; k++) {
        if (!memcmp(s->macs[k].addr, f->addr, sizeof(f->addr))) {
            return true;
        }
    }
    return false;
}

/* The entries of @s's MAC list that @in says to send, in one message */
static void shadow_plan_macs(const I40EVFShadow *s, ShadowPlan *p,
                             uint32_t opcode,
                             bool (*in)(const ShadowPlan *,
                                        const I40EVFShadowMac *))
{
    struct virtchnl_ether_addr_list *al;
    unsigned int n = 0, i = 0;

    for (unsigned int k = 0; k < s->num_macs; k++) {
        n += in(p, &s->macs[k]);
    }
    if (!n) {
        return;
    }
    al = shadow_plan_msg(p, opcode,
                         sizeof(*al) + (n + 1) * sizeof(al->list[0]));
    al->vsi_id = cpu_to_le16(p->vsi_id);
    al->num_elements = cpu_to_le16(n);
    for (unsigned int k = 0; k < s->num_macs; k++) {
        if (in(p, &s->macs[k])) {
            memcpy(al->list[i].addr, s->macs[k].addr, sizeof(s->macs[k].addr));
            al->list[i++].type = s->macs[k].type;
        }
    }
}

static bool shadow_mac_to_add(const ShadowPlan *p, const I40EVFShadowMac *f)
{
    return p->from ? !shadow_mac_in(p->from, f) : !shadow_mac_preset(p, f);
}

static bool shadow_mac_to_del(const ShadowPlan *p, const I40EVFShadowMac *f)
{
    return !shadow_mac_in(p->to, f);
}

static void shadow_replay_macs(const I40EVFShadow *s, ShadowPlan *p)
{
    if (p->from) {
        shadow_plan_macs(p->from, p, VIRTCHNL_OP_DEL_ETH_ADDR,
                         shadow_mac_to_del);
    }
    shadow_plan_macs(s, p, VIRTCHNL_OP_ADD_ETH_ADDR, shadow_mac_to_add);
}

static void shadow_plan_vlan_list(ShadowPlan *p, uint32_t opcode,
                                  const uint16_t *vids, unsigned int n)
{
    struct virtchnl_vlan_filter_list *vl;

    vl = shadow_plan_msg(p, opcode,
                         sizeof(*vl) + (n + 1) * sizeof(vl->vlan_id[0]));
    vl->vsi_id = cpu_to_le16(p->vsi_id);
    vl->num_elements = cpu_to_le16(n);
    for (unsigned int i = 0; i < n; i++) {
        stw_le_p(&vl->vlan_id[i], vids[i]);
    }
}

static bool shadow_vlan_in(const uint32_t *vlans, unsigned int vid)
{
    return vlans[vid / 32] & BIT(vid % 32);
}

/*
 * The VLANs in @set and not in @unless (NULL: none), in as many messages
 * as the 4 KiB limit needs (i40e lets 16 VLANs in one).  Returns how many.
 */
static unsigned int shadow_plan_vlans(ShadowPlan *p, uint32_t opcode,
                                      const uint32_t *set,
                                      const uint32_t *unless)
{
    uint16_t vids[VLANS_PER_MSG];
    unsigned int n = 0, total = 0;

    for (unsigned int vid = 1; vid < 4096; vid++) {
        if (shadow_vlan_in(set, vid) &&
            !(unless && shadow_vlan_in(unless, vid))) {
            vids[n++] = vid;
            total++;
        }
        if (n == VLANS_PER_MSG) {
            shadow_plan_vlan_list(p, opcode, vids, n);
            n = 0;
        }
    }
    if (n) {
        shadow_plan_vlan_list(p, opcode, vids, n);
    }
    return total;
}

/*
 * Then the stripping: a fresh VF strips, and adding a VLAN turns it on
 * again.
 */
static void shadow_replay_vlans(const I40EVFShadow *s, ShadowPlan *p)
{
    const uint32_t *had = p->from ? p->from->vlans : NULL;
    bool added, strips = p->from ? p->from->vlan_strip : true;

    if (had) {
        shadow_plan_vlans(p, VIRTCHNL_OP_DEL_VLAN, had, s->vlans);
    }
    added = shadow_plan_vlans(p, VIRTCHNL_OP_ADD_VLAN, s->vlans, had);
    if (s->vlan_strip != strips || (added && !s->vlan_strip)) {
        shadow_plan_msg(p, s->vlan_strip ? VIRTCHNL_OP_ENABLE_VLAN_STRIPPING
                        : VIRTCHNL_OP_DISABLE_VLAN_STRIPPING, 0);
    }
}

static void shadow_replay_rss_key(const I40EVFShadow *s, ShadowPlan *p)
{
    struct virtchnl_rss_key *rk;

    if (p->from ? !memcmp(s->rss_key, p->from->rss_key, sizeof(s->rss_key))
        : buffer_is_zero(s->rss_key, sizeof(s->rss_key))) {
        return;
    }
    rk = shadow_plan_msg(p, VIRTCHNL_OP_CONFIG_RSS_KEY,
                         sizeof(*rk) + sizeof(s->rss_key) + 1);
    rk->vsi_id = cpu_to_le16(p->vsi_id);
    rk->key_len = cpu_to_le16(sizeof(s->rss_key));
    memcpy(rk->key, s->rss_key, sizeof(s->rss_key));
}

static void shadow_replay_rss_lut(const I40EVFShadow *s, ShadowPlan *p)
{
    struct virtchnl_rss_lut *rl;
    bool spread = true;

    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
        spread &= s->rss_lut[i] == i % MAX(s->num_queue_pairs, 1);
    }
    if (p->from ? !memcmp(s->rss_lut, p->from->rss_lut, sizeof(s->rss_lut))
        : spread) {
        return;
    }
    rl = shadow_plan_msg(p, VIRTCHNL_OP_CONFIG_RSS_LUT,
                         sizeof(*rl) + sizeof(s->rss_lut) + 1);
    rl->vsi_id = cpu_to_le16(p->vsi_id);
    rl->lut_entries = cpu_to_le16(sizeof(s->rss_lut));
    memcpy(rl->lut, s->rss_lut, sizeof(s->rss_lut));
}

static void shadow_replay_rss_hena(const I40EVFShadow *s, ShadowPlan *p)
{
    if (s->rss_hena != (p->from ? p->from->rss_hena
                        : I40E_DEFAULT_RSS_HENA)) {
        stq_le_p(shadow_plan_msg(p, VIRTCHNL_OP_SET_RSS_HENA,
                                 sizeof(struct virtchnl_rss_hena)),
                 s->rss_hena);
    }
}

static void shadow_replay_promisc(const I40EVFShadow *s, ShadowPlan *p)
{
    struct virtchnl_promisc_info *pi;

    if (s->promisc == (p->from ? p->from->promisc : 0)) {
        return;
    }
    pi = shadow_plan_msg(p, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE, sizeof(*pi));
    pi->vsi_id = cpu_to_le16(p->vsi_id);
    pi->flags = cpu_to_le16(s->promisc);
}

/* Last: the queues start with everything else in place. */
static void shadow_replay_enable(const I40EVFShadow *s, ShadowPlan *p)
{
    struct virtchnl_queue_select *qs;

    if (!s->rx_enabled && !s->tx_enabled) {
        return;
    }
    qs = shadow_plan_msg(p, VIRTCHNL_OP_ENABLE_QUEUES, sizeof(*qs));
    qs->vsi_id = cpu_to_le16(p->vsi_id);
    qs->rx_queues = cpu_to_le32(s->rx_enabled);
    qs->tx_queues = cpu_to_le32(s->tx_enabled);
}

static ShadowPlan shadow_plan_new(const I40EVFShadow *s,
                                  const I40EVFShadow *from,
                                  uint16_t vsi_id, const uint8_t *dst_mac)
{
    ShadowPlan p = {
        .msgs = g_array_new(false, false, sizeof(I40EVFShadowMsg)),
        .vsi_id = vsi_id,
        .dst_mac = dst_mac,
        .to = s,
        .from = from,
    };

    g_array_set_clear_func(p.msgs, shadow_msg_clear);
    return p;
}

/* Filters, VLAN stripping, RSS and promiscuous mode */
static void shadow_replay_filters(const I40EVFShadow *s, ShadowPlan *p)
{
    shadow_replay_macs(s, p);
    shadow_replay_vlans(s, p);
    shadow_replay_rss_key(s, p);
    shadow_replay_rss_lut(s, p);
    shadow_replay_rss_hena(s, p);
    shadow_replay_promisc(s, p);
}

GArray *i40evf_shadow_plan(const I40EVFShadow *s, uint16_t vsi_id,
                           const uint8_t *dst_mac)
{
    ShadowPlan p = shadow_plan_new(s, NULL, vsi_id, dst_mac);

    shadow_replay_version(s, &p);
    shadow_replay_resources(s, &p);
    shadow_replay_request_queues(s, &p);
    /* Before GET_VF_RESOURCES the PF accepts no configuration. */
    if (s->active) {
        shadow_replay_queues(s, &p);
        shadow_replay_irq_map(s, &p);
        shadow_replay_filters(s, &p);
        shadow_replay_enable(s, &p);
    }
    return p.msgs;
}

GArray *i40evf_shadow_plan_queues(const I40EVFShadow *s, uint16_t vsi_id)
{
    ShadowPlan p = shadow_plan_new(s, NULL, vsi_id, NULL);

    if (s->active) {
        shadow_replay_queues(s, &p);
        shadow_replay_irq_map(s, &p);
    }
    return p.msgs;
}

GArray *i40evf_shadow_plan_filters(const I40EVFShadow *s,
                                   const I40EVFShadow *from,
                                   uint16_t vsi_id, const uint8_t *dst_mac)
{
    ShadowPlan p = shadow_plan_new(s, from, vsi_id, dst_mac);

    if (s->active) {
        shadow_replay_filters(s, &p);
    }
    return p.msgs;
}

void i40evf_shadow_plan_free(GArray *plan)
{
    g_array_unref(plan);
}

/*
 * Ring lengths of at most 8160 descriptors, RX in multiples of 32 and TX
 * of 8 (what i40e and iavf size rings in), and the pair's own queue ids.
 */
const char *i40evf_shadow_bad_qpair(const I40EVFShadow *s, unsigned int q)
{
    const struct virtchnl_queue_pair_info *qp = &s->qpair[q];
    uint32_t txl = le16_to_cpu(qp->txq.ring_len);
    uint32_t rxl = le32_to_cpu(qp->rxq.ring_len);

    if (le16_to_cpu(qp->txq.queue_id) != q ||
        le16_to_cpu(qp->rxq.queue_id) != q) {
        return "queue_id";
    }
    if (txl > I40E_VF_MAX_RING_LEN || txl % 8) {
        return "txq.ring_len";
    }
    if (rxl > I40E_VF_MAX_RING_LEN || rxl % 32) {
        return "rxq.ring_len";
    }
    return NULL;
}
