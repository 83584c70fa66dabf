/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: x-query-vfio-i40evf, the trap and shadow of each device.
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vfio-i40evf.h"
#include "qom/object.h"
#include "hw/qdev-core.h"
#include "net/net.h"
#include "hw/vfio/i40evf.h"
#include "hw/vfio/i40evf-device.h"

static char *query_hex_str(const uint8_t *buf, size_t len)
{
    return g_string_free(qemu_hexdump_line(NULL, buf, len, 0, 0), false);
}

static void query_shadow_queues(const I40EVFShadow *s, VfioI40evfShadow *info)
{
    VfioI40evfQueueList **qtail = &info->queues;
    VfioI40evfVectorList **vtail = &info->vectors;

    for (int q = I40E_VF_MAX_QUEUES - 1; q >= 0; q--) {
        const struct virtchnl_queue_pair_info *qp = &s->qpair[q];
        VfioI40evfQueue *e;

        if (!(s->configured_queues & BIT(q))) {
            continue;
        }
        e = g_new0(VfioI40evfQueue, 1);
        e->id = q;
        e->tx_ring = le64_to_cpu(qp->txq.dma_ring_addr);
        e->tx_ring_len = le16_to_cpu(qp->txq.ring_len);
        e->rx_ring = le64_to_cpu(qp->rxq.dma_ring_addr);
        e->rx_ring_len = le32_to_cpu(qp->rxq.ring_len);
        e->rx_buffer_size = le32_to_cpu(qp->rxq.databuffer_size);
        e->max_frame = le32_to_cpu(qp->rxq.max_pkt_size);
        e->rx_enabled = s->rx_enabled & BIT(q);
        e->tx_enabled = s->tx_enabled & BIT(q);
        QAPI_LIST_PREPEND(*qtail, e);
    }
    for (int v = I40E_VF_MAX_VECTORS - 1; v >= 0; v--) {
        const I40EVFShadowVector *sv = &s->vector[v];
        VfioI40evfVector *e;

        if (!sv->rxq_map && !sv->txq_map) {
            continue;
        }
        e = g_new0(VfioI40evfVector, 1);
        e->vector = v;
        e->rx_queues = sv->rxq_map;
        e->tx_queues = sv->txq_map;
        e->rx_itr = sv->rxitr_idx;
        e->tx_itr = sv->txitr_idx;
        QAPI_LIST_PREPEND(*vtail, e);
    }
}

static VfioI40evfShadow *query_shadow_info(const I40EVFTrap *t)
{
    const I40EVFShadow *s = &t->shadow;
    VfioI40evfShadow *info = g_new0(VfioI40evfShadow, 1);

    info->complete = !t->shadow_lost;
    info->version_major = s->version.major;
    info->version_minor = s->version.minor;
    info->active = s->active;
    info->requested_caps = s->requested_caps;
    info->granted_caps = s->granted_caps;
    info->vsi_id = s->vsi_id;
    info->num_queue_pairs = s->num_queue_pairs;
    info->max_vectors = s->max_vectors;
    info->requested_queues = s->requested_queues;
    info->default_mac = qemu_mac_strdup_printf(s->default_mac);
    query_shadow_queues(s, info);
    for (int i = s->num_macs - 1; i >= 0; i--) {
        QAPI_LIST_PREPEND(info->macs, qemu_mac_strdup_printf(s->macs[i].addr));
    }
    for (int vid = 4095; vid >= 0; vid--) {
        if (s->vlans[vid / 32] & BIT(vid % 32)) {
            QAPI_LIST_PREPEND(info->vlans, vid);
        }
    }
    info->unicast_promisc = s->promisc & FLAG_VF_UNICAST_PROMISC;
    info->multicast_promisc = s->promisc & FLAG_VF_MULTICAST_PROMISC;
    info->vlan_strip = s->vlan_strip;
    info->rss_key = query_hex_str(s->rss_key, sizeof(s->rss_key));
    info->rss_lut = query_hex_str(s->rss_lut, sizeof(s->rss_lut));
    info->rss_hena = s->rss_hena;
    return info;
}

static VfioI40evfOpStatsList *query_op_stats_info(const I40EVFTrap *t)
{
    VfioI40evfOpStatsList *list = NULL;

    for (int op = I40EVF_OPS - 1; op >= 0; op--) {
        const I40EVFOpStats *st = &t->ops[op];
        VfioI40evfOpStats *e;

        if (!st->requests) {
            continue;
        }
        e = g_new0(VfioI40evfOpStats, 1);
        e->opcode = op;
        e->name = g_strdup(virtchnl_op_name(op));
        e->requests = st->requests;
        e->refused = st->refused;
        e->ok = st->ok;
        e->failed = st->failed;
        e->unanswered = st->unanswered;
        QAPI_LIST_PREPEND(list, e);
    }
    return list;
}

static VfioI40evfRelayQueueList *query_relay_info(const I40EVFTrap *t)
{
    VfioI40evfRelayQueueList *list = NULL;

    for (int q = I40E_VF_MAX_QUEUES - 1; q >= 0; q--) {
        const I40EVFRelayRing *tx = &t->relay.tx[q], *rx = &t->relay.rx[q];
        VfioI40evfRelayQueue *e;

        if (!tx->active) {
            continue;
        }
        e = g_new0(VfioI40evfRelayQueue, 1);
        e->queue = q;
        e->tx_next = tx->done % tx->len;
        e->tx_tail = tx->tail % tx->len;
        e->rx_next = rx->done % rx->len;
        e->rx_tail = rx->tail % rx->len;
        e->waiting = tx->done == tx->limit;
        QAPI_LIST_PREPEND(list, e);
    }
    return list;
}

static VfioI40evfInfo *query_trap_info(Object *obj, const I40EVFTrap *t)
{
    VfioI40evfInfo *info = g_new0(VfioI40evfInfo, 1);
    DeviceState *dev = DEVICE(obj);

    info->qom_path = object_get_canonical_path(obj);
    info->id = g_strdup(dev->id);
    info->mailbox = t->mbx.state;
    info->iova = t->mbx.iova;
    info->backlog = t->mbx.backlog_len;
    info->timeout_ms = t->mbx.timeout_ms;
    info->messages = query_op_stats_info(t);
    info->events = t->events;
    info->vf_resets = t->hw_resets;
    info->vf_interrupts = t->mbx.hw_irqs;
    info->trapped = g_new0(VfioI40evfTrapped, 1);
    info->trapped->mailbox = t->guest.trapped[I40EVF_BLOCK_MAILBOX];
    info->trapped->vector0 = t->guest.trapped[I40EVF_BLOCK_VECTOR0];
    info->trapped->passthrough = t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH];
    info->trapped->rx_tail = t->guest.trapped[I40EVF_BLOCK_RXTAIL];
    info->trapped->tx_tail = t->guest.trapped[I40EVF_BLOCK_TXTAIL];
    info->shadow = query_shadow_info(t);
    info->migration_phase = t->mig.phase;
    info->device_downtime_us = t->mig.device_downtime_us;
    info->relay = query_relay_info(t);
    info->handovers = t->relay.handovers;
    return info;
}

static int query_collect(Object *obj, void *opaque)
{
    VfioI40evfInfoList ***tail = opaque;
    I40EVFTrap *t = i40evf_trap_of(obj);

    if (t && t->vdev) {
        QAPI_LIST_APPEND(*tail, query_trap_info(obj, t));
    }
    return 0;
}

VfioI40evfInfoList *qmp_x_query_vfio_i40evf(Error **errp)
{
    VfioI40evfInfoList *list = NULL, **tail = &list;

    object_child_foreach_recursive(object_get_root(), query_collect, &tail);
    return list;
}
