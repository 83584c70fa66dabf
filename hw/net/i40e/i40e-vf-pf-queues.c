/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: the PF agent's queue
 * messages (CONFIG_VSI_QUEUES, CONFIG_IRQ_MAP, ENABLE/DISABLE_QUEUES),
 * as the Linux 6.12 i40e PF handles them: what it checks, in its order,
 * and no more; pair by pair and map by map rather than all or nothing.
 */

#include "qemu/osdep.h"
#include "i40e-vf-pf.h"
#include "trace.h"

#define I40E_VF_MAX_HDR_SPLIT       (2 * 1024 - 64)

/* i40e_validate_queue_map: every set bit names one of the VF's queues. */
static int check_queue_map(I40EVFCore *core, uint16_t map)
{
    if (map >> core->num_queue_pairs) {
        return i40e_vf_pf_bad_param("queue map", map);
    }
    return 0;
}

/* i40e_config_vsi_tx_queue: ring length 0 and any base are accepted. */
static int config_txq(I40EVFCore *core, uint16_t q,
                      const struct virtchnl_txq_info *t)
{
    I40EVFRing *tx = &core->tx[q];
    uint16_t len = le16_to_cpu(t->ring_len);

    if (len % 8 || len > I40E_VF_MAX_RING_LEN) {
        return i40e_vf_pf_bad_param("TX ring length", len);
    }
    tx->base = le64_to_cpu(t->dma_ring_addr) & ~(uint64_t)
               (I40E_VF_RING_ALIGN - 1);
    tx->len = len;
    /*
     * A new context starts empty: i40e's own ifdown/ifup reuses a queue
     * with a fresh ring and never writes its TX tail, so the silicon must
     * clear it here.  (RX tails are kept: iavf fills its RX ring before
     * this message arrives.)
     */
    tx->head = 0;
    tx->tail = 0;
    tx->headwb = le16_to_cpu(t->headwb_enabled) & 1;
    tx->headwb_addr = le64_to_cpu(t->dma_headwb_addr);
    return 0;
}

/*
 * i40e_config_vsi_rx_queue: ring length and buffer size 0 are accepted;
 * header split is accepted and not done (frames go whole into the data
 * buffers, as if the VF had not asked for it).
 */
static int config_rxq(I40EVFCore *core, uint16_t q,
                      const struct virtchnl_rxq_info *r)
{
    I40EVFRing *rx = &core->rx[q];
    uint32_t len = le32_to_cpu(r->ring_len);
    uint32_t dbuf = le32_to_cpu(r->databuffer_size);
    uint32_t max_pkt = le32_to_cpu(r->max_pkt_size);

    if (len % 32 || len > I40E_VF_MAX_RING_LEN) {
        return i40e_vf_pf_bad_param("RX ring length", len);
    }
    if (le16_to_cpu(r->splithdr_enabled) &&
        le16_to_cpu(r->hdr_size) > I40E_VF_MAX_HDR_SPLIT) {
        return i40e_vf_pf_bad_param("RX header buffer size",
                                    le16_to_cpu(r->hdr_size));
    }
    if (dbuf > I40E_VF_MAX_RXBUF) {
        return i40e_vf_pf_bad_param("RX buffer size", dbuf);
    }
    if (max_pkt < I40E_VF_MIN_PKT || max_pkt > I40E_VF_MAX_PKT) {
        return i40e_vf_pf_bad_param("RX max packet size", max_pkt);
    }
    rx->base = le64_to_cpu(r->dma_ring_addr) & ~(uint64_t)
               (I40E_VF_RING_ALIGN - 1);
    rx->len = len;
    rx->head = 0;
    /* The hardware takes the buffer size in 128-byte units. */
    rx->buf_size = QEMU_ALIGN_DOWN(dbuf, I40E_VF_RXBUF_UNIT);
    rx->max_pkt = max_pkt;
    return 0;
}

/* i40e_vc_config_queues_msg: the ids of one pair. */
static int check_qpair(I40EVFCore *core, uint16_t vsi_id,
                       const struct virtchnl_queue_pair_info *qp)
{
    uint16_t q = le16_to_cpu(qp->txq.queue_id);

    if (q >= core->num_queue_pairs) {
        return i40e_vf_pf_bad_param("queue id", q);
    }
    if (le16_to_cpu(qp->txq.vsi_id) != vsi_id ||
        le16_to_cpu(qp->rxq.vsi_id) != vsi_id ||
        le16_to_cpu(qp->rxq.queue_id) != q) {
        return i40e_vf_pf_bad_param("queue pair ids of queue", q);
    }
    return 0;
}

/* Pair by pair, RX then TX: a bad pair leaves the ones before it set. */
int i40e_vf_pf_config_vsi_queues(I40EVFCore *core, const uint8_t *msg,
                                uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_vsi_queue_config_info *qci = (const void *)msg;
    uint16_t vsi_id = le16_to_cpu(qci->vsi_id);
    uint16_t n = le16_to_cpu(qci->num_queue_pairs);
    int ret = i40e_vf_pf_check_vsi(core, vsi_id);

    if (!ret && n > I40E_VF_MAX_QUEUES) {
        ret = i40e_vf_pf_bad_param("number of queue pairs", n);
    }
    for (int i = 0; !ret && i < n; i++) {
        const struct virtchnl_queue_pair_info *qp = &qci->qpair[i];
        uint16_t q = le16_to_cpu(qp->txq.queue_id);

        ret = check_qpair(core, vsi_id, qp) ?:
              config_rxq(core, q, &qp->rxq) ?:
              config_txq(core, q, &qp->txq);
        if (!ret) {
            trace_i40e_vf_pf_config_queue(q, core->tx[q].base,
                                          core->tx[q].len, core->rx[q].base,
                                          core->rx[q].len,
                                          core->rx[q].buf_size,
                                          core->rx[q].max_pkt);
        }
    }
    return ret;
}

/* i40e_config_irq_link_list: the vector's cause list is rebuilt. */
static void map_vector(I40EVFCore *core, const struct virtchnl_vector_map *m)
{
    uint16_t v = le16_to_cpu(m->vector_id);
    uint16_t rxq = le16_to_cpu(m->rxq_map), txq = le16_to_cpu(m->txq_map);

    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (core->rx[q].vector == v) {
            core->rx[q].vector = I40E_VF_NO_VECTOR;
        }
        if (core->tx[q].vector == v) {
            core->tx[q].vector = I40E_VF_NO_VECTOR;
        }
        if (rxq & BIT(q)) {
            core->rx[q].vector = v;
            core->rx[q].itr_idx = le16_to_cpu(m->rxitr_idx) & 3;
        }
        if (txq & BIT(q)) {
            core->tx[q].vector = v;
            core->tx[q].itr_idx = le16_to_cpu(m->txitr_idx) & 3;
        }
    }
    /* GLINT_CTL.DIS_AUTOMASK_VF0, a PF-wide bit no VF reset clears */
    if (v == 0 && (rxq | txq) &&
        (core->driver_caps & VIRTCHNL_VF_OFFLOAD_RX_POLLING)) {
        core->automask_vf0_off = true;
    }
    trace_i40e_vf_pf_irq_map(v, rxq, txq);
}

/* i40e_vc_config_irq_map_msg: map by map; a bad one stops the rest. */
int i40e_vf_pf_config_irq_map(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply)
{
    const struct virtchnl_irq_map_info *imi = (const void *)msg;
    uint16_t n = le16_to_cpu(imi->num_vectors);

    if (n > core->num_vectors) {
        return i40e_vf_pf_bad_param("number of vectors", n);
    }
    for (int i = 0; i < n; i++) {
        const struct virtchnl_vector_map *m = &imi->vecmap[i];
        int ret;

        if (le16_to_cpu(m->vector_id) >= core->num_vectors) {
            return i40e_vf_pf_bad_param("vector id", le16_to_cpu(m->vector_id));
        }
        ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(m->vsi_id)) ?:
              check_queue_map(core, le16_to_cpu(m->rxq_map)) ?:
              check_queue_map(core, le16_to_cpu(m->txq_map));
        if (ret) {
            return ret;
        }
        map_vector(core, m);
    }
    return 0;
}

/*
 * i40e_vc_validate_vqs_bitmaps: only 16 bits and not both empty; bits
 * beyond the VF's queues are ignored here (i40e applies them to queues
 * that are not the VF's).
 */
static int check_queue_select(I40EVFCore *core, const uint8_t *msg,
                              uint32_t *rxq, uint32_t *txq)
{
    const struct virtchnl_queue_select *qs = (const void *)msg;
    uint32_t mask = MAKE_64BIT_MASK(0, core->num_queue_pairs);
    int ret = i40e_vf_pf_check_vsi(core, le16_to_cpu(qs->vsi_id));

    *rxq = le32_to_cpu(qs->rx_queues);
    *txq = le32_to_cpu(qs->tx_queues);
    if (!ret && (!(*rxq | *txq) || *rxq >> 16 || *txq >> 16)) {
        ret = i40e_vf_pf_bad_param("queue selection", *rxq | *txq);
    }
    *rxq &= mask;
    *txq &= mask;
    return ret;
}

/*
 * i40e_control_tx_q / i40e_control_rx_q: a queue already in the state
 * asked for is left alone; a TX queue that starts gets head 0, its tail
 * stays as written.  Unconfigured queues may start: they do nothing.
 */
int i40e_vf_pf_enable_queues(I40EVFCore *core, const uint8_t *msg,
                            uint16_t len, I40EVFReply *reply)
{
    uint32_t rxq, txq;
    int ret = check_queue_select(core, msg, &rxq, &txq);

    if (ret) {
        return ret;
    }
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (rxq & BIT(q)) {
            core->rx[q].enabled = true;
        }
    }
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        I40EVFRing *tx = &core->tx[q];

        if ((txq & BIT(q)) && !tx->enabled) {
            tx->enabled = true;
            tx->head = 0;
            if (tx->tail != tx->head) {
                i40e_vf_tx_schedule(core, q);
            }
        }
    }
    trace_i40e_vf_pf_queues(true, rxq, txq);
    return 0;
}

int i40e_vf_pf_disable_queues(I40EVFCore *core, const uint8_t *msg,
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
    return 0;
}
