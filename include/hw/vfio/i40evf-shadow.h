/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the shadow of a passed-through X710 VF's configuration.
 *
 * The shadow is the configuration the PF holds for the VF, kept up to date
 * from the virtchnl requests the mailbox trap forwards and the PF's
 * replies, and nothing else: it is data, not a message log.  The replay
 * planner turns it back into the shortest message sequence that recreates
 * it on a fresh VF (migration's destination).
 *
 * No QOM and no device state here, so a unit test links it alone.
 */

#ifndef HW_VFIO_I40EVF_SHADOW_H
#define HW_VFIO_I40EVF_SHADOW_H

#include "net/virtchnl.h"
#include "hw/net/i40e-vf-regs.h"

/*
 * MAC filters a shadow holds.  An untrusted VF gets 18 from i40e; a
 * trusted one more, and a list that does not fit makes the update fail
 * (the caller must then not migrate).  All of them fit one ADD_ETH_ADDR.
 */
#define I40EVF_SHADOW_MAX_MACS      64
#define I40EVF_SHADOW_VLAN_WORDS    (4096 / 32)

typedef struct I40EVFShadowMac {
    uint8_t addr[6];
    uint8_t type;           /* VIRTCHNL_ETHER_ADDR_*, as the VF sent it */
} I40EVFShadowMac;

/* One CONFIG_IRQ_MAP entry as applied; both maps 0 means not mapped. */
typedef struct I40EVFShadowVector {
    uint16_t rxq_map;
    uint16_t txq_map;
    uint16_t rxitr_idx;
    uint16_t txitr_idx;
} I40EVFShadowVector;

typedef struct I40EVFShadow {
    /* What survives a VF reset, as in i40e */
    struct virtchnl_version_info version;   /* the VF's; 0.0 = not sent */
    uint32_t requested_caps;
    uint16_t requested_queues;  /* granted REQUEST_QUEUES; 0 = none */

    /* The GET_VF_RESOURCES reply (vsi_id and MAC survive a reset) */
    bool active;                /* resources granted since the last reset */
    uint32_t granted_caps;
    uint16_t vsi_id;
    uint16_t num_queue_pairs;
    uint16_t max_vectors;
    uint8_t default_mac[6];

    /*
     * Queue contexts (CONFIG_VSI_QUEUES) in wire format with their vsi_id
     * fields zeroed: the replay writes the destination's.
     */
    uint16_t configured_queues;             /* bit q: qpair[q] is set */
    struct virtchnl_queue_pair_info qpair[I40E_VF_MAX_QUEUES];
    I40EVFShadowVector vector[I40E_VF_MAX_VECTORS];
    uint16_t rx_enabled;
    uint16_t tx_enabled;

    /* Filters: MACs in the order they were added, VLANs as a bitmap */
    I40EVFShadowMac macs[I40EVF_SHADOW_MAX_MACS];
    unsigned int num_macs;
    uint32_t vlans[I40EVF_SHADOW_VLAN_WORDS];
    uint16_t promisc;           /* FLAG_VF_*_PROMISC, as the VF asked */
    bool vlan_strip;

    /* RSS, programmed by messages (RSS_PF) */
    uint8_t rss_key[VIRTCHNL_RSS_KEY_SIZE];
    uint8_t rss_lut[VIRTCHNL_RSS_LUT_SIZE];
    uint64_t rss_hena;

    /*
     * Register state no message carries: the trap reads it back from the
     * VF before migrating and writes it on the destination.  A VF reset
     * clears it.
     */
    uint16_t itr[I40E_VF_ITR_INDICES][I40E_VF_MAX_VECTORS]; /* VFINT_ITR* */
} I40EVFShadow;

/* One message of a replay plan; @buf is @len bytes, owned by the plan. */
typedef struct I40EVFShadowMsg {
    uint32_t opcode;
    uint16_t len;
    uint8_t *buf;
} I40EVFShadowMsg;

/* i40evf_shadow_init: the shadow of a VF no driver has spoken to yet. */
void i40evf_shadow_init(I40EVFShadow *s);

/*
 * i40evf_shadow_reset: what a VF reset (RESET_VF, FLR, a granted
 * REQUEST_QUEUES, a reset by the host) clears on the PF side.  The
 * version, the requested capabilities and queue count, the VSI id, the
 * queue count and the default MAC (with its filter) stay.
 */
void i40evf_shadow_reset(I40EVFShadow *s);

/*
 * i40evf_shadow_update:
 * @s: the shadow
 * @v_opcode: the request's opcode
 * @req, @req_len: the request as the VF sent it
 * @v_retval: the status of the PF's reply
 * @reply, @reply_len: the reply's payload
 *
 * Apply one request the PF answered, as the i40e PF applies it: only a
 * successful reply changes the shadow, and then the whole request.  A
 * granted REQUEST_QUEUES has no reply: pass v_retval 0 and reply_len 0
 * when the PF resets the VF for it.  Buffers are admin-queue buffers,
 * 8-byte aligned.  vsi_id fields are not checked: the PF did.
 *
 * Returns 0 (applied, or nothing to apply), -EINVAL for a request or reply
 * whose length or contents the PF could not have accepted (the shadow is
 * unchanged), -ENOSPC for filters beyond what the shadow holds, -ENOTSUP
 * for state the shadow does not hold (channels, cloud filters, VLAN v2);
 * after the last two the shadow no longer describes the VF.
 */
int i40evf_shadow_update(I40EVFShadow *s, uint32_t v_opcode,
                         const uint8_t *req, uint16_t req_len,
                         int32_t v_retval, const uint8_t *reply,
                         uint16_t reply_len);

/*
 * i40evf_shadow_plan:
 * @s: the shadow to recreate
 * @vsi_id: the destination VF's VSI id, written into every message
 * @dst_mac: the default MAC the destination VF reports (its PF installs
 *           that filter itself), or NULL
 *
 * The messages that turn a freshly reset VF into @s, in the order iavf
 * would send them, each skipped when it would set what a fresh VF already
 * has.  Every message expects a success reply, except a REQUEST_QUEUES:
 * the PF resets the VF instead, and the plan continues with a second
 * GET_VF_RESOURCES.
 *
 * Returns a GArray of I40EVFShadowMsg; free it with
 * i40evf_shadow_plan_free().
 */
GArray *i40evf_shadow_plan(const I40EVFShadow *s, uint16_t vsi_id,
                           const uint8_t *dst_mac);
/*
 * i40evf_shadow_plan_queues: the part of the plan that configures the
 * queues and maps them to vectors, for a VF granted its resources.
 *
 * i40evf_shadow_plan_filters: the part that sets MAC and VLAN filters,
 * VLAN stripping, RSS and promiscuous mode, to turn a VF whose filters
 * are @from's (NULL: a freshly granted VF) into @s; filters @from has and
 * @s has not are deleted.  The two parts make the whole plan.
 */
GArray *i40evf_shadow_plan_queues(const I40EVFShadow *s, uint16_t vsi_id);
GArray *i40evf_shadow_plan_filters(const I40EVFShadow *s,
                                   const I40EVFShadow *from,
                                   uint16_t vsi_id, const uint8_t *dst_mac);
void i40evf_shadow_plan_free(GArray *plan);

/*
 * i40evf_shadow_bad_qpair: what in queue pair @q no X710 VF could hold,
 * as the name of the field, or NULL if nothing.
 */
const char *i40evf_shadow_bad_qpair(const I40EVFShadow *s, unsigned int q);

#endif /* HW_VFIO_I40EVF_SHADOW_H */
