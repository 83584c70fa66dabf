/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: what the PF's messages mean to the trap.
 *
 * The mailbox transport (i40evf-mbx.c) reports each reply, event, VF
 * reset and dead VF here.  A reply updates the shadow and is handed to
 * the guest; the opcodes that mean more (the guest's VSI, its queues
 * taken back, counters that go on from an earlier VF, queues granted by
 * a VF reset) say so in one table, as the emulated PF's handlers do.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "hw/vfio/i40evf.h"
#include "trace.h"

typedef struct I40EVFReplyRule {
    /* The guest's reply, when it is not the PF's as it came */
    void (*deliver)(I40EVFTrap *t, const uint8_t *msg, uint16_t len);
    bool vsi;                   /* it names the VSI the guest uses */
    bool queues;                /* the guest rebuilds its queues itself */
    bool granted_by_reset;      /* the PF resets the VF instead of a reply */
} I40EVFReplyRule;

/*
 * The counters the guest reads go on from where they were on the VFs it
 * had before: each is the VF's own plus what the earlier VFs had counted.
 * i40e sends i40e_eth_stats: the virtchnl counters, then one more.
 */
static void reply_stats(I40EVFTrap *t, const uint8_t *msg, uint16_t len)
{
    g_autofree uint8_t *stats = g_memdup2(msg, len);

    for (int i = 0; i < I40EVF_STATS_WORDS && 8 * i + 8 <= len; i++) {
        stq_le_p(stats + 8 * i, ldq_le_p(stats + 8 * i) + t->stats_base[i]);
    }
    i40evf_trap_deliver(t, VIRTCHNL_OP_GET_STATS, 0, stats, len);
}

static const I40EVFReplyRule reply_rules[] = {
    [VIRTCHNL_OP_GET_VF_RESOURCES] = { .vsi = true },
    [VIRTCHNL_OP_CONFIG_VSI_QUEUES] = { .queues = true },
    [VIRTCHNL_OP_ENABLE_QUEUES] = { .queues = true },
    [VIRTCHNL_OP_DISABLE_QUEUES] = { .queues = true },
    [VIRTCHNL_OP_GET_STATS] = { .deliver = reply_stats },
    [VIRTCHNL_OP_REQUEST_QUEUES] = { .granted_by_reset = true },
};

static const I40EVFReplyRule *reply_rule(uint32_t v_opcode)
{
    static const I40EVFReplyRule none;

    return v_opcode < ARRAY_SIZE(reply_rules) ? &reply_rules[v_opcode] : &none;
}

/* The shadow follows what the PF accepted; what it cannot follow is lost */
static void reply_shadow(I40EVFTrap *t, const I40EVFRequest *req,
                         int32_t v_retval, const uint8_t *msg, uint16_t len)
{
    if (i40evf_shadow_update(&t->shadow, req->v_opcode, req->buf, req->len,
                             v_retval, msg, len) &&
        v_retval == VIRTCHNL_STATUS_SUCCESS) {
        warn_report_once("%s: the shadow cannot follow %s: the VF's state "
                         "can no longer be migrated", i40evf_name(t),
                         virtchnl_op_name(req->v_opcode));
        t->shadow_lost = true;
        i40evf_trap_notify(t, I40EVF_EVENT_MIGRATABLE, NULL);
    }
}

static void reply_cb(void *opaque, const I40EVFRequest *req, I40EVFMbxEnd end,
                     int32_t v_retval, const uint8_t *msg, uint16_t len)
{
    I40EVFTrap *t = opaque;
    const I40EVFReplyRule *rule = reply_rule(req->v_opcode);
    I40EVFOpStats *st = i40evf_trap_op_stats(t, req->v_opcode);

    if (end == I40EVF_MBX_RESET && rule->granted_by_reset) {
        reply_shadow(t, req, VIRTCHNL_STATUS_SUCCESS, NULL, 0);
        return;
    }
    if (end != I40EVF_MBX_ANSWERED) {
        st->unanswered++;
        i40evf_trap_deliver(t, req->v_opcode,
                            VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR, NULL, 0);
        return;
    }
    if (v_retval) {
        st->failed++;
    } else {
        st->ok++;
    }
    reply_shadow(t, req, v_retval, msg, len);
    if (rule->vsi && !v_retval) {
        t->guest_vsi = t->shadow.vsi_id;
    }
    if (rule->queues) {
        i40evf_trap_notify(t, I40EVF_EVENT_QUEUES,
                           virtchnl_op_name(req->v_opcode));
    }
    if (rule->deliver && !v_retval) {
        rule->deliver(t, msg, len);
    } else {
        i40evf_trap_deliver(t, req->v_opcode, v_retval, msg, len);
    }
}

static void reply_event_cb(void *opaque, uint32_t v_opcode, int32_t v_retval,
                           const uint8_t *msg, uint16_t len)
{
    I40EVFTrap *t = opaque;

    if (v_opcode == VIRTCHNL_OP_EVENT) {
        t->events++;
    }
    i40evf_trap_deliver(t, v_opcode, v_retval, msg, len);
}

static void reply_vf_reset_cb(void *opaque)
{
    i40evf_trap_vf_reset(opaque);
}

/*
 * The guest keeps its virtual mailbox and learns that the link is down;
 * what it sends later fails.
 */
static void reply_vf_gone_cb(void *opaque)
{
    I40EVFTrap *t = opaque;
    struct virtchnl_pf_event ev = {
        .event = cpu_to_le32(VIRTCHNL_EVENT_LINK_CHANGE),
        .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_INFO),
    };

    i40evf_trap_notify(t, I40EVF_EVENT_MIGRATABLE, NULL);
    i40evf_trap_deliver(t, VIRTCHNL_OP_EVENT, 0, (uint8_t *)&ev, sizeof(ev));
}

/* Room in the backlog: take what the guest posted meanwhile */
static void reply_ready_cb(void *opaque)
{
    i40evf_trap_pop_atq(opaque);
}

const I40EVFMbxOps i40evf_trap_mbx_ops = {
    .reply = reply_cb,
    .event = reply_event_cb,
    .vf_reset = reply_vf_reset_cb,
    .vf_gone = reply_vf_gone_cb,
    .ready = reply_ready_cb,
};
