/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: receive-side scaling.
 *
 * The hash is the Toeplitz hash of net_rx_pkt; the packet classifier type
 * decides whether it is computed (HENA), the LUT turns it into a queue.
 * A VF granted RSS_PF programs key, LUT and HENA through virtchnl; one
 * left with RSS_REG writes the VFQF_* registers.
 */

#include "qemu/osdep.h"
#include "i40e-vf-core.h"
#include "hw/net/net_rx_pkt.h"
#include "trace.h"

/* net_rx_pkt's Toeplitz uses the standard 40-byte part of the key. */
#define RSS_TOEPLITZ_KEY_LEN    40

typedef struct RssClass {
    unsigned int pctype;
    NetRxPktRssType type;
} RssClass;

/* The classes of one IP version, by L4 protocol. */
typedef struct RssIpClasses {
    RssClass frag, other, tcp, udp, sctp;
} RssIpClasses;

static const RssIpClasses rss_ipv4 = {
    .frag = { I40E_PCTYPE_FRAG_IPV4, NetPktRssIpV4 },
    .other = { I40E_PCTYPE_NONF_IPV4_OTHER, NetPktRssIpV4 },
    .tcp = { I40E_PCTYPE_NONF_IPV4_TCP, NetPktRssIpV4Tcp },
    .udp = { I40E_PCTYPE_NONF_IPV4_UDP, NetPktRssIpV4Udp },
    .sctp = { I40E_PCTYPE_NONF_IPV4_SCTP, NetPktRssIpV4 },
};

static const RssIpClasses rss_ipv6 = {
    .frag = { I40E_PCTYPE_FRAG_IPV6, NetPktRssIpV6 },
    .other = { I40E_PCTYPE_NONF_IPV6_OTHER, NetPktRssIpV6 },
    .tcp = { I40E_PCTYPE_NONF_IPV6_TCP, NetPktRssIpV6Tcp },
    .udp = { I40E_PCTYPE_NONF_IPV6_UDP, NetPktRssIpV6Udp },
    .sctp = { I40E_PCTYPE_NONF_IPV6_SCTP, NetPktRssIpV6 },
};

static const RssClass *rss_classify(struct NetRxPkt *pkt)
{
    const RssIpClasses *c;
    bool ip4, ip6;
    EthL4HdrProto l4;

    net_rx_pkt_get_protocols(pkt, &ip4, &ip6, &l4);
    if (!ip4 && !ip6) {
        return NULL;
    }
    c = ip4 ? &rss_ipv4 : &rss_ipv6;
    if (ip4 ? net_rx_pkt_get_ip4_info(pkt)->fragment
            : net_rx_pkt_get_ip6_info(pkt)->fragment) {
        return &c->frag;
    }
    switch (l4) {
    case ETH_L4_HDR_PROTO_TCP:
        return &c->tcp;
    case ETH_L4_HDR_PROTO_UDP:
        return &c->udp;
    case ETH_L4_HDR_PROTO_SCTP:
        return &c->sctp;
    default:
        return &c->other;
    }
}

/* With RSS_PCTYPE_V2 UDP is split into unicast and multicast types. */
static bool rss_enabled_for(uint64_t hena, unsigned int pctype)
{
    uint64_t bits = BIT_ULL(pctype);

    if (pctype == I40E_PCTYPE_NONF_IPV4_UDP) {
        bits |= BIT_ULL(I40E_PCTYPE_NONF_IPV4_UDP_UCAST) |
                BIT_ULL(I40E_PCTYPE_NONF_IPV4_UDP_MCAST);
    } else if (pctype == I40E_PCTYPE_NONF_IPV6_UDP) {
        bits |= BIT_ULL(I40E_PCTYPE_NONF_IPV6_UDP_UCAST) |
                BIT_ULL(I40E_PCTYPE_NONF_IPV6_UDP_MCAST);
    } else if (pctype == I40E_PCTYPE_NONF_IPV4_TCP) {
        bits |= BIT_ULL(I40E_PCTYPE_NONF_IPV4_TCP_SYN_NO_ACK);
    } else if (pctype == I40E_PCTYPE_NONF_IPV6_TCP) {
        bits |= BIT_ULL(I40E_PCTYPE_NONF_IPV6_TCP_SYN_NO_ACK);
    }
    return hena & bits;
}

/*
 * Pick the RX queue of @pkt by its hash, returned in *hash.  Returns -1
 * when no hash applies (hash type disabled, not IP): such frames go to
 * queue 0.
 */
int i40e_vf_rss_queue(I40EVFCore *core, struct NetRxPkt *pkt, uint32_t *hash)
{
    uint8_t key[VIRTCHNL_RSS_KEY_SIZE], lut[VIRTCHNL_RSS_LUT_SIZE];
    uint64_t hena = core->rss_hena;
    const RssClass *c = rss_classify(pkt);
    int q;

    if (!(core->caps & VIRTCHNL_VF_OFFLOAD_RSS_PF)) {
        hena = ((uint64_t)core->rss_hena_reg[1] << 32) | core->rss_hena_reg[0];
        for (int i = 0; i < VIRTCHNL_RSS_KEY_SIZE; i++) {
            key[i] = core->rss_hkey_reg[i / 4] >> (8 * (i % 4));
        }
        for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
            lut[i] = core->rss_hlut_reg[i / 4] >> (8 * (i % 4));
        }
    } else {
        memcpy(key, core->rss_key, sizeof(key));
        memcpy(lut, core->rss_lut, sizeof(lut));
    }
    if (!c || !rss_enabled_for(hena, c->pctype)) {
        return -1;
    }
    QEMU_BUILD_BUG_ON(sizeof(key) < RSS_TOEPLITZ_KEY_LEN);
    *hash = net_rx_pkt_calc_rss_hash(pkt, c->type, key);
    q = lut[*hash % VIRTCHNL_RSS_LUT_SIZE] & (I40E_VF_MAX_QUEUES - 1);
    trace_i40e_vf_rss(c->pctype, *hash, q);
    return q;
}

/* The PF's defaults for a new VSI: its own hash types, a spread LUT. */
void i40e_vf_rss_reset(I40EVFCore *core)
{
    memset(core->rss_key, 0, sizeof(core->rss_key));
    for (int i = 0; i < VIRTCHNL_RSS_LUT_SIZE; i++) {
        core->rss_lut[i] = i % MAX(core->num_queue_pairs, 1);
    }
    core->rss_hena = I40E_DEFAULT_RSS_HENA;
}
