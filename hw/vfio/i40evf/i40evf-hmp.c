/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: info vfio-i40evf, the HMP view of x-query-vfio-i40evf.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vfio-i40evf.h"
#include "qapi/qapi-types-vfio-i40evf.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"

static void info_print_one(Monitor *mon, const VfioI40evfInfo *vf)
{
    const VfioI40evfShadow *s = vf->shadow;
    VfioI40evfRelayQueueList *rq;
    VfioI40evfOpStatsList *op;

    monitor_printf(mon, "%s: mailbox %s, IOVA 0x%" PRIx64 ", %u waiting\n",
                   vf->id ?: vf->qom_path,
                   VfioI40evfMailboxState_str(vf->mailbox), vf->iova,
                   vf->backlog);
    monitor_printf(mon, "  virtchnl %u.%u, caps 0x%08x granted of 0x%08x, "
                   "VSI %u, %u queue pairs, %u vectors, MAC %s%s\n",
                   s->version_major, s->version_minor, s->granted_caps,
                   s->requested_caps, s->vsi_id, s->num_queue_pairs,
                   s->max_vectors, s->default_mac,
                   s->complete ? "" : " (record incomplete)");
    monitor_printf(mon, "  %" PRIu64 " PF events, %" PRIu64 " VF resets, %"
                   PRIu64 " interrupts; trapped: mailbox %" PRIu64
                   ", vector 0 %" PRIu64 ", other %" PRIu64 ", RX tails %"
                   PRIu64 ", TX tails %" PRIu64 "\n", vf->events,
                   vf->vf_resets, vf->vf_interrupts, vf->trapped->mailbox,
                   vf->trapped->vector0, vf->trapped->passthrough,
                   vf->trapped->rx_tail, vf->trapped->tx_tail);
    for (rq = vf->relay; rq; rq = rq->next) {
        monitor_printf(mon, "  queue %u relayed: TX next %u tail %u, RX next "
                       "%u tail %u%s\n", rq->value->queue,
                       rq->value->tx_next, rq->value->tx_tail,
                       rq->value->rx_next, rq->value->rx_tail,
                       rq->value->waiting ? ", TX waits at slot 0" : "");
    }
    for (op = vf->messages; op; op = op->next) {
        monitor_printf(mon, "  %-24s %6" PRIu64 " sent, %" PRIu64 " ok, %"
                       PRIu64 " failed, %" PRIu64 " refused, %" PRIu64
                       " unanswered\n", op->value->name,
                       op->value->requests, op->value->ok, op->value->failed,
                       op->value->refused, op->value->unanswered);
    }
}

void hmp_info_vfio_i40evf(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    VfioI40evfInfoList *list = qmp_x_query_vfio_i40evf(&err), *l;

    if (hmp_handle_error(mon, err)) {
        return;
    }
    for (l = list; l; l = l->next) {
        info_print_one(mon, l->value);
    }
    qapi_free_VfioI40evfInfoList(list);
}
