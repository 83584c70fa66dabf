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
#include "qemu/cutils.h"
#include "net/net.h"
#include "i40e-vf-core.h"
#include "i40e-vf-pf.h"
#include "trace.h"

/*
 * Capabilities an X710 PF grants (i40e_vc_get_vf_resources_msg): some
 * always, some when asked.  ENCAP and ADQ, which i40e grants when asked,
 * are withheld: this model implements neither.
 */
#define I40E_VF_FIXED_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_CAP_ADV_LINK_SPEED | \
     VIRTCHNL_VF_OFFLOAD_VLAN)
#define I40E_VF_ASKED_CAPS \
    (VIRTCHNL_VF_OFFLOAD_RSS_PF | VIRTCHNL_VF_OFFLOAD_RX_POLLING | \
     VIRTCHNL_VF_OFFLOAD_REQ_QUEUES)

/* The port's largest frame, which i40e reports as max_mtu. */
#define I40E_VF_MAX_FRAME           9728

/* GET_VF_RESOURCES carries the legacy trailing VSI: 36 + 16 bytes. */
#define I40E_VF_RESOURCES_LEN       52

/* i40e_eth_stats: the virtchnl counters and rx_discards_other (0). */
#define I40E_VF_STATS_LEN           (sizeof(struct virtchnl_eth_stats) + 8)

typedef struct I40EVFMsgHandler {
    int (*handle)(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                  I40EVFReply *reply);
    bool link_event;    /* the link state follows any reply */
} I40EVFMsgHandler;

int i40e_vf_pf_bad_param(const char *what, unsigned int val)
{
    qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: virtchnl: bad %s %u\n",
                  what, val);
    return I40E_VC_EINVAL;
}

int i40e_vf_pf_check_vsi(I40EVFCore *core, uint16_t vsi_id)
{
    return vsi_id == core->vsi_id ? 0 : i40e_vf_pf_bad_param("vsi_id", vsi_id);
}

/* i40e_set_vf_link_state: the format the VF asked for; 0 when down. */
void i40e_vf_pf_link_change(I40EVFCore *core)
{
    bool up = i40e_vf_link_up(core);
    uint32_t speed = core->driver_caps & VIRTCHNL_VF_CAP_ADV_LINK_SPEED
                     ? I40E_VF_LINK_SPEED_MBPS : VIRTCHNL_LINK_SPEED_10GB;
    struct virtchnl_pf_event ev = {
        .event = cpu_to_le32(VIRTCHNL_EVENT_LINK_CHANGE),
        .link_speed = cpu_to_le32(up ? speed : 0),
        .link_status = up,
        .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_INFO),
    };

    trace_i40e_vf_pf_link_event(up, up ? speed : 0);
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

/* The reset the PF announces first (i40e_vc_reset_vf(vf, true)). */
void i40e_vf_pf_announce_reset(I40EVFCore *core)
{
    struct virtchnl_pf_event ev = {
        .event = cpu_to_le32(VIRTCHNL_EVENT_RESET_IMPENDING),
        .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_CERTAIN_DOOM),
    };

    i40e_vf_aq_send(core, VIRTCHNL_OP_EVENT, 0, &ev, sizeof(ev));
    i40e_vf_core_reset(core);
}

static void reset_announced(I40EVFCore *core, I40EVFReply *reply)
{
    reply->none = true;
    i40e_vf_pf_announce_reset(core);
}

/*
 * 6.12's validator gives RESET_VF a length of 0; the shared one accepts
 * any length, so the check is here.
 */
static int vc_reset_vf(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                       I40EVFReply *reply)
{
    if (len) {
        return i40e_vf_pf_bad_param("RESET_VF length", len);
    }
    reply->none = true;
    i40e_vf_core_reset(core);
    return 0;
}

static uint32_t grant_caps(uint32_t req)
{
    uint32_t caps = I40E_VF_FIXED_CAPS | (req & I40E_VF_ASKED_CAPS);

    /* RSS through messages if asked, else through registers. */
    if (!(caps & VIRTCHNL_VF_OFFLOAD_RSS_PF)) {
        caps |= VIRTCHNL_VF_OFFLOAD_RSS_REG;
    }
    return caps;
}

/*
 * Without an administratively set address the PF keeps the VF's own
 * primary address only for a VF that asks for USO (which 6.12 uses as
 * the marker of a driver that wants it back); others get zero.
 */
static void forget_vf_mac(I40EVFCore *core)
{
    if (core->admin_mac ||
        (core->driver_caps & VIRTCHNL_VF_OFFLOAD_USO)) {
        return;
    }
    i40e_vf_filter_del_mac(core, core->default_mac.a);
    memset(core->default_mac.a, 0, ETH_ALEN);
}

static int vc_get_vf_resources(I40EVFCore *core, const uint8_t *msg,
                               uint16_t len, I40EVFReply *reply)
{
    struct virtchnl_vf_resource *res = (void *)reply->buf;
    struct virtchnl_vsi_resource *vsi = res->vsi_res;

    if (core->resources_sent) {
        return i40e_vf_pf_bad_param("GET_VF_RESOURCES again before a reset,"
                                    " length", len);
    }
    core->driver_caps = len ? ldl_le_p(msg) : VIRTCHNL_VF_BASE_CAPS_1_0;
    core->caps = grant_caps(core->driver_caps);
    core->resources_sent = true;
    forget_vf_mac(core);

    res->num_vsis = cpu_to_le16(1);
    res->num_queue_pairs = cpu_to_le16(core->num_queue_pairs);
    res->max_vectors = cpu_to_le16(core->num_vectors);
    res->max_mtu = cpu_to_le16(I40E_VF_MAX_FRAME);
    res->vf_cap_flags = cpu_to_le32(core->caps);
    res->rss_key_size = cpu_to_le32(VIRTCHNL_RSS_KEY_SIZE);
    res->rss_lut_size = cpu_to_le32(VIRTCHNL_RSS_LUT_SIZE);
    vsi->vsi_id = cpu_to_le16(core->vsi_id);
    vsi->num_queue_pairs = cpu_to_le16(core->num_queue_pairs);
    vsi->vsi_type = cpu_to_le32(VIRTCHNL_VSI_SRIOV);
    vsi->qset_handle = cpu_to_le16(core->vsi_id);
    memcpy(vsi->default_mac_addr, core->default_mac.a, ETH_ALEN);
    reply->len = I40E_VF_RESOURCES_LEN;
    trace_i40e_vf_pf_resources(core->caps, core->num_queue_pairs);
    return 0;
}

static bool valid_filter_addr(const uint8_t *addr)
{
    return !buffer_is_zero(addr, ETH_ALEN) && !is_broadcast_ether_addr(addr);
}

/*
 * i40e_check_vf_permission: element by element, a zero or broadcast
 * address is -EINVAL and an untrusted VF's unicast other than the
 * administratively set one -EPERM; then the whole list must fit.
 */
static int check_mac_permission(I40EVFCore *core,
                                const struct virtchnl_ether_addr_list *al)
{
    unsigned int new = 0;

    for (int i = 0; i < le16_to_cpu(al->num_elements); i++) {
        const uint8_t *addr = al->list[i].addr;

        if (!valid_filter_addr(addr)) {
            return i40e_vf_pf_bad_param("MAC filter address, element", i);
        }
        if (!core->trusted && core->admin_mac &&
            !is_multicast_ether_addr(addr) &&
            memcmp(addr, core->default_mac.a, ETH_ALEN)) {
            qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: VF attempting to "
                          "override administratively set MAC address\n");
            return I40E_VC_EPERM;
        }
        new += !i40e_vf_filter_has_mac(core, addr);
    }
    if (new > i40e_vf_filter_mac_room(core)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: %u more MAC filters do not fit\n", new);
        return I40E_VC_EPERM;
    }
    return 0;
}

/* i40e_update_vf_mac_addr: the address the PF gives back after a reset */
static void update_default_mac(I40EVFCore *core,
                               const struct virtchnl_ether_addr *ea)
{
    uint8_t type = ea->type & VIRTCHNL_ETHER_ADDR_TYPE_MASK;

    if (is_multicast_ether_addr(ea->addr)) {
        return;
    }
    if (type == VIRTCHNL_ETHER_ADDR_PRIMARY ||
        (type == VIRTCHNL_ETHER_ADDR_LEGACY &&
         buffer_is_zero(core->default_mac.a, ETH_ALEN))) {
        memcpy(core->default_mac.a, ea->addr, ETH_ALEN);
    }
}

/* All or nothing: a list that does not fit adds none of its addresses. */
static int vc_add_eth_addr(I40EVFCore *core, const uint8_t *msg,
                           uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_ether_addr_list *al = (const void *)msg;
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(al->vsi_id)) ?:
              check_mac_permission(core, al);

    for (int i = 0; !ret && i < le16_to_cpu(al->num_elements); i++) {
        i40e_vf_filter_add_mac(core, al->list[i].addr, al->list[i].type);
        update_default_mac(core, &al->list[i]);
    }
    return ret;
}

/*
 * i40e_vc_del_mac_addr_msg: an administratively set address is kept
 * (silently); an address not in the table fails the message, after the
 * ones before it were deleted.
 */
static int del_macs(I40EVFCore *core, const struct virtchnl_ether_addr_list *al,
                    bool *default_deleted)
{
    for (int i = 0; i < le16_to_cpu(al->num_elements); i++) {
        const uint8_t *addr = al->list[i].addr;

        if (!memcmp(addr, core->default_mac.a, ETH_ALEN)) {
            if (core->admin_mac) {
                continue;
            }
            *default_deleted = true;
        }
        if (!i40e_vf_filter_del_mac(core, addr)) {
            return i40e_vf_pf_bad_param("MAC filter to delete, element", i);
        }
    }
    return 0;
}

static int vc_del_eth_addr(I40EVFCore *core, const uint8_t *msg,
                           uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_ether_addr_list *al = (const void *)msg;
    bool default_deleted = false;
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(al->vsi_id));

    for (int i = 0; !ret && i < le16_to_cpu(al->num_elements); i++) {
        if (!valid_filter_addr(al->list[i].addr)) {
            ret = i40e_vf_pf_bad_param("MAC filter address, element", i);
        }
    }
    ret = ret ?: del_macs(core, al, &default_deleted);
    if (!ret && default_deleted) {
        const uint8_t *other = core->trusted
                               ? i40e_vf_filter_any_unicast(core) : NULL;

        if (other) {
            memcpy(core->default_mac.a, other, ETH_ALEN);
        } else {
            memset(core->default_mac.a, 0, ETH_ALEN);
        }
    }
    return ret;
}

static int check_vlan_list(I40EVFCore *core, const uint8_t *msg)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)msg;
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(vl->vsi_id));

    for (int i = 0; !ret && i < le16_to_cpu(vl->num_elements); i++) {
        uint16_t vid = lduw_le_p(&vl->vlan_id[i]);

        if (vid >= 4096) {
            ret = i40e_vf_pf_bad_param("VLAN id", vid);
        }
    }
    return ret;
}

/*
 * i40e_vc_add_vlan_msg: an untrusted VF that has added 16 is told yes
 * and nothing changes; adding VLANs turns stripping on.
 */
static int vc_add_vlan(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                       I40EVFReply *reply)
{
    const struct virtchnl_vlan_filter_list *vl = (const void *)msg;
    int ret;

    if (!core->trusted && core->num_vlan >= I40E_VF_MAX_VLANS_UNTRUSTED) {
        qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: untrusted VF limited to %d "
                      "VLAN filters\n", I40E_VF_MAX_VLANS_UNTRUSTED);
        return 0;
    }
    ret = check_vlan_list(core, msg);
    if (ret) {
        return ret;
    }
    core->vlan_strip = true;
    for (int i = 0; i < le16_to_cpu(vl->num_elements); i++) {
        i40e_vf_filter_add_vlan(core, lduw_le_p(&vl->vlan_id[i]));
    }
    return 0;
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

/* i40e_vc_config_promiscuous_mode_msg: an untrusted VF is told yes first. */
static int vc_config_promisc(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_promisc_info *pi = (const void *)msg;
    uint16_t flags = le16_to_cpu(pi->flags);
    int ret;

    if (!core->trusted) {
        trace_i40e_vf_pf_promisc_untrusted(flags);
        return 0;
    }
    ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(pi->vsi_id));
    if (ret) {
        return ret;
    }
    if (flags & ~(FLAG_VF_UNICAST_PROMISC | FLAG_VF_MULTICAST_PROMISC)) {
        return i40e_vf_pf_bad_param("promiscuous flags", flags);
    }
    core->promisc = flags;
    trace_i40e_vf_pf_promisc(flags);
    return 0;
}

/* i40e_vc_get_stats_msg: the counters, zero on error, always 104 bytes. */
static int vc_get_stats(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                        I40EVFReply *reply)
{
    const struct virtchnl_queue_select *qs = (const void *)msg;
    const uint64_t *in = (const uint64_t *)&core->stats;
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(qs->vsi_id));

    reply->len = I40E_VF_STATS_LEN;
    for (size_t i = 0; !ret && i < sizeof(core->stats) / 8; i++) {
        stq_le_p(reply->buf + 8 * i, in[i]);
    }
    return ret;
}

static int vc_config_rss_key(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_rss_key *rk = (const void *)msg;
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(rk->vsi_id));

    if (ret) {
        return ret;
    }
    if (le16_to_cpu(rk->key_len) != VIRTCHNL_RSS_KEY_SIZE) {
        return i40e_vf_pf_bad_param("RSS key length", le16_to_cpu(rk->key_len));
    }
    memcpy(core->rss_key, rk->key, VIRTCHNL_RSS_KEY_SIZE);
    return 0;
}

static int vc_config_rss_lut(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_rss_lut *rl = (const void *)msg;
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(rl->vsi_id));

    if (ret) {
        return ret;
    }
    if (le16_to_cpu(rl->lut_entries) != VIRTCHNL_RSS_LUT_SIZE) {
        return i40e_vf_pf_bad_param("RSS LUT size",
                                    le16_to_cpu(rl->lut_entries));
    }
    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
        if (rl->lut[i] >= core->num_queue_pairs) {
            return i40e_vf_pf_bad_param("RSS LUT queue", rl->lut[i]);
        }
    }
    memcpy(core->rss_lut, rl->lut, VIRTCHNL_RSS_LUT_SIZE);
    return 0;
}

static int vc_get_rss_hena_caps(I40EVFCore *core, const uint8_t *msg,
                                uint16_t len, I40EVFReply *reply)
{
    stq_le_p(reply->buf, I40E_DEFAULT_RSS_HENA);
    reply->len = sizeof(struct virtchnl_rss_hena);
    return 0;
}

/* i40e_vc_set_rss_hena: no checks; it is the VF's VFQF_HENA register. */
static int vc_set_rss_hena(I40EVFCore *core, const uint8_t *msg,
                           uint16_t len, I40EVFReply *reply)
{
    core->rss_hena = ldq_le_p(msg);
    core->rss_hena_reg[0] = core->rss_hena;
    core->rss_hena_reg[1] = core->rss_hena >> 32;
    return 0;
}

static int vc_enable_vlan_stripping(I40EVFCore *core, const uint8_t *msg,
                                    uint16_t len, I40EVFReply *reply)
{
    core->vlan_strip = true;
    return 0;
}

static int vc_disable_vlan_stripping(I40EVFCore *core, const uint8_t *msg,
                                     uint16_t len, I40EVFReply *reply)
{
    core->vlan_strip = false;
    return 0;
}

/*
 * i40e_vc_request_queues_msg: a count the PF can give (0 meaning its
 * default) is granted by an announced VF reset; more than 16 is answered,
 * with success, by the count it could give.
 */
static int vc_request_queues(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    uint16_t req = lduw_le_p(msg);

    if (req > I40E_VF_MAX_QUEUES) {
        trace_i40e_vf_pf_request_queues(req, false);
        stw_le_p(reply->buf, I40E_VF_MAX_QUEUES);
        reply->len = sizeof(struct virtchnl_vf_res_request);
        return 0;
    }
    trace_i40e_vf_pf_request_queues(req, true);
    core->num_queue_pairs = req ?: core->default_queues;
    reset_announced(core, reply);
    return 0;
}

/* i40e_vc_del_qch_msg: with or without channels, an announced reset. */
static int vc_disable_channels(I40EVFCore *core, const uint8_t *msg,
                               uint16_t len, I40EVFReply *reply)
{
    reset_announced(core, reply);
    return 0;
}

/* RDMA (no client on an X710), channels and cloud filters (no ADQ) */
static int vc_refused(I40EVFCore *core, const uint8_t *msg, uint16_t len,
                      I40EVFReply *reply)
{
    return i40e_vf_pf_bad_param("request for a feature not granted, length",
                                len);
}

/* Known to the 6.12 validator, without a case in i40e_vc_process_vf_msg */
static int vc_not_supported(I40EVFCore *core, const uint8_t *msg,
                            uint16_t len, I40EVFReply *reply)
{
    qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: virtchnl request not "
                  "supported by the i40e PF\n");
    return I40E_VC_EOPNOTSUPP;
}

/*
 * What i40e_vc_process_vf_msg does with each opcode the shared validator
 * passes.  Opcodes not here (CONFIG_QUEUE_BW, CONFIG_QUANTA) are unknown
 * to the 6.12 validator: -EINVAL.  CONFIG_RDMA_IRQ_MAP never passes the
 * shared validator, which, like i40e's handler, refuses it.
 */
static const I40EVFMsgHandler i40e_vf_handlers[] = {
    [VIRTCHNL_OP_VERSION] = { vc_version },
    [VIRTCHNL_OP_RESET_VF] = { vc_reset_vf },
    [VIRTCHNL_OP_GET_VF_RESOURCES] = { vc_get_vf_resources, true },
    [VIRTCHNL_OP_CONFIG_TX_QUEUE] = { vc_not_supported },
    [VIRTCHNL_OP_CONFIG_RX_QUEUE] = { vc_not_supported },
    [VIRTCHNL_OP_CONFIG_VSI_QUEUES] = { i40e_vf_pf_config_vsi_queues },
    [VIRTCHNL_OP_CONFIG_IRQ_MAP] = { i40e_vf_pf_config_irq_map },
    [VIRTCHNL_OP_ENABLE_QUEUES] = { i40e_vf_pf_enable_queues, true },
    [VIRTCHNL_OP_DISABLE_QUEUES] = { i40e_vf_pf_disable_queues },
    [VIRTCHNL_OP_ADD_ETH_ADDR] = { vc_add_eth_addr },
    [VIRTCHNL_OP_DEL_ETH_ADDR] = { vc_del_eth_addr },
    [VIRTCHNL_OP_ADD_VLAN] = { vc_add_vlan },
    [VIRTCHNL_OP_DEL_VLAN] = { vc_del_vlan },
    [VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE] = { vc_config_promisc },
    [VIRTCHNL_OP_GET_STATS] = { vc_get_stats },
    [VIRTCHNL_OP_CONFIG_RSS_HFUNC] = { vc_not_supported },
    [VIRTCHNL_OP_RDMA] = { vc_refused },
    [VIRTCHNL_OP_RELEASE_RDMA_IRQ_MAP] = { vc_refused },
    [VIRTCHNL_OP_CONFIG_RSS_KEY] = { vc_config_rss_key },
    [VIRTCHNL_OP_CONFIG_RSS_LUT] = { vc_config_rss_lut },
    [VIRTCHNL_OP_GET_RSS_HENA_CAPS] = { vc_get_rss_hena_caps },
    [VIRTCHNL_OP_SET_RSS_HENA] = { vc_set_rss_hena },
    [VIRTCHNL_OP_ENABLE_VLAN_STRIPPING] = { vc_enable_vlan_stripping },
    [VIRTCHNL_OP_DISABLE_VLAN_STRIPPING] = { vc_disable_vlan_stripping },
    [VIRTCHNL_OP_REQUEST_QUEUES] = { vc_request_queues },
    [VIRTCHNL_OP_ENABLE_CHANNELS] = { vc_refused },
    [VIRTCHNL_OP_DISABLE_CHANNELS] = { vc_disable_channels },
    [VIRTCHNL_OP_ADD_CLOUD_FILTER] = { vc_refused },
    [VIRTCHNL_OP_DEL_CLOUD_FILTER] = { vc_refused },
    [VIRTCHNL_OP_GET_SUPPORTED_RXDIDS] = { vc_not_supported },
    [VIRTCHNL_OP_ADD_RSS_CFG] = { vc_not_supported },
    [VIRTCHNL_OP_DEL_RSS_CFG] = { vc_not_supported },
    [VIRTCHNL_OP_ADD_FDIR_FILTER] = { vc_not_supported },
    [VIRTCHNL_OP_DEL_FDIR_FILTER] = { vc_not_supported },
    [VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS] = { vc_not_supported },
    [VIRTCHNL_OP_ADD_VLAN_V2] = { vc_not_supported },
    [VIRTCHNL_OP_DEL_VLAN_V2] = { vc_not_supported },
    [VIRTCHNL_OP_ENABLE_VLAN_STRIPPING_V2] = { vc_not_supported },
    [VIRTCHNL_OP_DISABLE_VLAN_STRIPPING_V2] = { vc_not_supported },
    [VIRTCHNL_OP_ENABLE_VLAN_INSERTION_V2] = { vc_not_supported },
    [VIRTCHNL_OP_DISABLE_VLAN_INSERTION_V2] = { vc_not_supported },
};

/* Every message passes the validator first; a failure is -EINVAL. */
static int i40e_vf_pf_dispatch(I40EVFCore *core, uint32_t v_opcode,
                               const uint8_t *msg, uint16_t msglen,
                               I40EVFReply *reply, bool *link_event)
{
    const I40EVFMsgHandler *h = v_opcode < ARRAY_SIZE(i40e_vf_handlers)
                                ? &i40e_vf_handlers[v_opcode] : NULL;

    if (virtchnl_vc_validate_vf_msg(&core->ver, v_opcode, msg, msglen) ||
        !h || !h->handle) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: invalid virtchnl message, opcode %u, "
                      "len %u\n", v_opcode, msglen);
        return I40E_VC_EINVAL;
    }
    *link_event = h->link_event;
    return h->handle(core, msg, msglen, reply);
}

/* The PF takes up one message: carries it out and answers. */
void i40e_vf_pf_process(I40EVFCore *core, uint32_t v_opcode,
                        const uint8_t *msg, uint16_t msglen)
{
    I40EVFReply reply = { 0 };
    bool link_event = false;
    int ret;

    /* i40e_vc_process_vf_msg ignores a VF disabled by an MDD event. */
    if (core->mdd_disabled) {
        trace_i40e_vf_pf_msg_dropped(virtchnl_op_name(v_opcode), v_opcode);
        return;
    }
    trace_i40e_vf_pf_msg(virtchnl_op_name(v_opcode), v_opcode, msglen);
    ret = i40e_vf_pf_dispatch(core, v_opcode, msg, msglen, &reply,
                              &link_event);
    if (reply.none) {
        return;
    }
    trace_i40e_vf_pf_reply(virtchnl_op_name(v_opcode), ret, reply.len);
    i40e_vf_aq_send(core, v_opcode, ret, reply.buf, reply.len);
    if (link_event) {
        i40e_vf_pf_link_change(core);
    }
}

/* A message from the VF; the test-only faults may take it first. */
void i40e_vf_pf_handle_msg(I40EVFCore *core, uint32_t v_opcode,
                           const uint8_t *msg, uint16_t msglen)
{
    if (!i40e_vf_fault_hold(core, v_opcode, msg, msglen)) {
        i40e_vf_pf_process(core, v_opcode, msg, msglen);
    }
}

/*
 * What a VF reset clears on the PF side.  The version, the requested
 * capabilities, the queue count, the VF's default address and the
 * vector-0 auto-mask setting stay.
 */
void i40e_vf_pf_reset(I40EVFCore *core)
{
    core->caps = 0;
    core->resources_sent = false;
    core->promisc = 0;
    core->vlan_strip = true;
    memset(&core->stats, 0, sizeof(core->stats));
    i40e_vf_filter_reset(core);
    i40e_vf_rss_reset(core);
    i40e_vf_fault_reset(core);
}
