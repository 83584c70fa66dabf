/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos driver for Intel 700-series virtual functions, modelled on what
 * the Linux iavf driver does (see docs/devel/i40e-vf.rst).
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/iov.h"
#include "../libqtest.h"
#include "pci-pc.h"
#include "iavf.h"

#define QIAVF_TIMEOUT_US    (10 * G_USEC_PER_SEC)
#define QIAVF_IRQ_DATA(v)   (0x4000u + (v))
#define QIAVF_SOCK_WAIT_MS  5000    /* the longest a frame takes to come */

uint32_t qiavf_rd(QIavf *d, uint32_t reg)
{
    return qpci_io_readl(d->pdev, d->bar0, reg);
}

void qiavf_wr(QIavf *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(d->pdev, d->bar0, reg, val);
}

void qiavf_pci_enable(QIavf *d)
{
    qpci_device_enable(d->pdev);
    d->bar0 = qpci_iomap(d->pdev, 0, NULL);
    qpci_msix_enable(d->pdev);
}

void qiavf_init(QIavf *d, QOSState *qs, int devfn)
{
    memset(d, 0, sizeof(*d));
    d->qts = qs->qts;
    d->alloc = &qs->alloc;
    d->pdev = qpci_device_find(qs->pcibus, devfn);
    g_assert(d->pdev);
    qiavf_pci_enable(d);

    d->atq = guest_alloc(d->alloc, QIAVF_AQ_LEN * sizeof(struct i40e_aq_desc));
    d->arq = guest_alloc(d->alloc, QIAVF_AQ_LEN * sizeof(struct i40e_aq_desc));
    d->atq_bufs = guest_alloc(d->alloc, QIAVF_AQ_LEN * QIAVF_AQ_BUF);
    d->arq_bufs = guest_alloc(d->alloc, QIAVF_AQ_LEN * QIAVF_AQ_BUF);
    d->irq_mem = guest_alloc(d->alloc, 4 * I40E_VF_MAX_VECTORS);
}

void qiavf_switch(QIavf *d, QOSState *qs)
{
    d->qts = qs->qts;
    d->alloc = &qs->alloc;
    d->pdev->bus = qs->pcibus;
}

/* The PF rebuilds a VF in the background: wait as iavf does. */
void qiavf_wait_active(QIavf *d)
{
    for (int i = 0; i < 1000; i++) {
        if ((qiavf_rd(d, I40E_VFGEN_RSTAT) & I40E_VFGEN_RSTAT_VFR_STATE_MASK)
            == I40E_VFR_VFACTIVE) {
            return;
        }
        qtest_clock_step(d->qts, 1 * 1000 * 1000);
    }
    g_assert_not_reached();
}

static void arq_arm(QIavf *d, uint32_t i)
{
    struct i40e_aq_desc desc = {
        .flags = cpu_to_le16(I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_LB),
        .datalen = cpu_to_le16(QIAVF_AQ_BUF),
    };
    uint64_t buf = d->arq_bufs + i * QIAVF_AQ_BUF;

    desc.addr_high = cpu_to_le32(buf >> 32);
    desc.addr_low = cpu_to_le32(buf);
    qtest_memwrite(d->qts, d->arq + i * sizeof(desc), &desc, sizeof(desc));
}

/* The register sequence of iavf_init_adminq: LEN before the base. */
void qiavf_aq_init(QIavf *d)
{
    qiavf_wr(d, I40E_VF_ATQH1, 0);
    qiavf_wr(d, I40E_VF_ATQT1, 0);
    qiavf_wr(d, I40E_VF_ATQLEN1, QIAVF_AQ_LEN | I40E_VF_AQLEN_ENABLE);
    qiavf_wr(d, I40E_VF_ATQBAL1, d->atq);
    qiavf_wr(d, I40E_VF_ATQBAH1, d->atq >> 32);
    g_assert_cmphex(qiavf_rd(d, I40E_VF_ATQBAL1), ==, (uint32_t)d->atq);

    for (uint32_t i = 0; i < QIAVF_AQ_LEN; i++) {
        arq_arm(d, i);
    }
    qiavf_wr(d, I40E_VF_ARQH1, 0);
    qiavf_wr(d, I40E_VF_ARQT1, 0);
    qiavf_wr(d, I40E_VF_ARQLEN1, QIAVF_AQ_LEN | I40E_VF_AQLEN_ENABLE);
    qiavf_wr(d, I40E_VF_ARQBAL1, d->arq);
    qiavf_wr(d, I40E_VF_ARQBAH1, d->arq >> 32);
    qiavf_wr(d, I40E_VF_ARQT1, QIAVF_AQ_LEN - 1);
    g_assert_cmphex(qiavf_rd(d, I40E_VF_ARQBAL1), ==, (uint32_t)d->arq);
    d->atq_ntu = 0;
    d->arq_ntc = 0;
}

/* Post one ATQ descriptor; the device must consume it at once. */
void qiavf_aq_post(QIavf *d, uint32_t v_opcode, uint16_t flags,
                   const void *msg, uint16_t len, uint16_t *retval)
{
    struct i40e_aq_desc desc = {
        .flags = cpu_to_le16(flags),
        .opcode = cpu_to_le16(I40E_AQC_OPC_SEND_MSG_TO_PF),
        .datalen = cpu_to_le16(len),
        .cookie_high = cpu_to_le32(v_opcode),
    };
    uint64_t slot = d->atq + d->atq_ntu * sizeof(desc);
    uint64_t buf = d->atq_bufs + d->atq_ntu * QIAVF_AQ_BUF;

    if (flags & I40E_AQ_FLAG_BUF) {
        qtest_memwrite(d->qts, buf, msg, MIN(len, QIAVF_AQ_BUF));
        desc.addr_high = cpu_to_le32(buf >> 32);
        desc.addr_low = cpu_to_le32(buf);
    }
    qtest_memwrite(d->qts, slot, &desc, sizeof(desc));
    d->atq_ntu = (d->atq_ntu + 1) % QIAVF_AQ_LEN;
    qiavf_wr(d, I40E_VF_ATQT1, d->atq_ntu);

    /* Reset requests clear the ATQ registers instead of advancing them. */
    if (qiavf_rd(d, I40E_VF_ATQLEN1) & I40E_VF_AQLEN_ENABLE) {
        g_assert_cmpuint(qiavf_rd(d, I40E_VF_ATQH1), ==, d->atq_ntu);
    }
    qtest_memread(d->qts, slot, &desc, sizeof(desc));
    g_assert_cmphex(le16_to_cpu(desc.flags) & I40E_AQ_FLAG_DD, ==,
                    I40E_AQ_FLAG_DD);
    *retval = le16_to_cpu(desc.flags) & I40E_AQ_FLAG_ERR ?
              le16_to_cpu(desc.retval) : 0;
}

void qiavf_send(QIavf *d, uint32_t v_opcode, const void *msg, uint16_t len)
{
    uint16_t flags = I40E_AQ_FLAG_SI;
    uint16_t rc;

    if (len) {
        flags |= I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD;
        flags |= len > I40E_AQ_LARGE_BUF ? I40E_AQ_FLAG_LB : 0;
    }
    qiavf_aq_post(d, v_opcode, flags, msg, len, &rc);
    g_assert_cmpuint(rc, ==, 0);
}

static void handle_event(QIavf *d, const uint8_t *buf, uint16_t len)
{
    const struct virtchnl_pf_event *ev = (const void *)buf;

    g_assert_cmpuint(len, ==, sizeof(*ev));
    switch (le32_to_cpu(ev->event)) {
    case VIRTCHNL_EVENT_LINK_CHANGE:
        d->link_up = ev->link_status;
        d->link_speed = le32_to_cpu(ev->link_speed);
        d->link_events++;
        break;
    case VIRTCHNL_EVENT_RESET_IMPENDING:
        d->reset_events++;
        break;
    default:
        g_assert_not_reached();
    }
}

/* Take the next ARQ event, if any, and hand the descriptor back. */
bool qiavf_recv(QIavf *d, uint32_t *v_opcode, int32_t *v_retval,
                void *buf, uint16_t *len)
{
    struct i40e_aq_desc desc;
    uint64_t slot = d->arq + d->arq_ntc * sizeof(desc);

    if ((qiavf_rd(d, I40E_VF_ARQH1) & I40E_VF_AQ_HT_MASK) == d->arq_ntc) {
        return false;
    }
    qtest_memread(d->qts, slot, &desc, sizeof(desc));
    g_assert_cmphex(le16_to_cpu(desc.flags) & I40E_AQ_FLAG_DD, ==,
                    I40E_AQ_FLAG_DD);
    *v_opcode = le32_to_cpu(desc.cookie_high);
    *v_retval = le32_to_cpu(desc.cookie_low);
    *len = le16_to_cpu(desc.datalen);
    g_assert_cmpuint(*len, <=, QIAVF_AQ_BUF);
    qtest_memread(d->qts, d->arq_bufs + d->arq_ntc * QIAVF_AQ_BUF, buf, *len);
    /* A reply to an EVENT the VF sent has no payload: not an event. */
    if (*v_opcode == VIRTCHNL_OP_EVENT && *len) {
        handle_event(d, buf, *len);
    }
    arq_arm(d, d->arq_ntc);
    qiavf_wr(d, I40E_VF_ARQT1, d->arq_ntc);
    d->arq_ntc = (d->arq_ntc + 1) % QIAVF_AQ_LEN;
    return true;
}

/*
 * The next ARQ message, waiting up to @ms of real time for one: a reply
 * that comes from another process does not come with the request.
 */
bool qiavf_recv_wait(QIavf *d, uint32_t *v_opcode, int32_t *v_retval,
                     void *buf, uint16_t *len, uint32_t ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;

    while (!qiavf_recv(d, v_opcode, v_retval, buf, len)) {
        if (g_get_monotonic_time() >= end) {
            return false;
        }
        g_usleep(500);
    }
    return true;
}

void qiavf_drain_events(QIavf *d)
{
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint32_t op;
    int32_t ret;
    uint16_t len;

    while (qiavf_recv(d, &op, &ret, buf, &len)) {
        g_assert_cmpuint(op, ==, VIRTCHNL_OP_EVENT);
    }
}

/*
 * One request, exactly one reply with its opcode (events are absorbed on
 * the way).  Returns the reply's status.
 */
int32_t qiavf_call(QIavf *d, uint32_t v_opcode, const void *msg,
                   uint16_t len, void *reply, uint16_t *reply_len)
{
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint32_t op;
    int32_t ret;
    uint16_t rlen;

    qiavf_send(d, v_opcode, msg, len);
    while (qiavf_recv_wait(d, &op, &ret, buf, &rlen, d->reply_wait_ms)) {
        if (op != v_opcode && op == VIRTCHNL_OP_EVENT) {
            continue;
        }
        g_assert_cmpuint(op, ==, v_opcode);
        if (reply) {
            memcpy(reply, buf, rlen);
        }
        if (reply_len) {
            *reply_len = rlen;
        }
        return ret;
    }
    g_assert_not_reached();
}

/* The virtchnl counters at the head of i40e's i40e_eth_stats */
void qiavf_get_stats(QIavf *d, struct virtchnl_eth_stats *st)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(d->vsi_id) };
    uint8_t reply[QIAVF_AQ_BUF];
    uint16_t len;

    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs),
                               reply, &len), ==, 0);
    g_assert_cmpuint(len, >=, sizeof(*st));
    memcpy(st, reply, sizeof(*st));
}

void qiavf_get_resources(QIavf *d, uint32_t caps)
{
    uint8_t buf[QIAVF_AQ_BUF];
    struct virtchnl_vf_resource *res = (void *)buf;
    struct virtchnl_vsi_resource *vsi = res->vsi_res;
    uint32_t req = cpu_to_le32(caps);
    uint16_t len;

    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_GET_VF_RESOURCES, &req,
                               sizeof(req), buf, &len), ==, 0);
    g_assert_cmpuint(len, ==, QIAVF_RESOURCES_LEN);
    g_assert_cmpuint(le16_to_cpu(res->num_vsis), ==, 1);
    g_assert_cmpint(le32_to_cpu(vsi->vsi_type), ==, VIRTCHNL_VSI_SRIOV);
    d->vsi_id = le16_to_cpu(vsi->vsi_id);
    d->num_queue_pairs = le16_to_cpu(res->num_queue_pairs);
    d->max_vectors = le16_to_cpu(res->max_vectors);
    d->caps = le32_to_cpu(res->vf_cap_flags);
    d->max_mtu = le16_to_cpu(res->max_mtu);
    memcpy(d->mac, vsi->default_mac_addr, sizeof(d->mac));
    /* Like iavf: no address from the PF, a random local one. */
    if (!memcmp(d->mac, "\0\0\0\0\0\0", 6)) {
        for (int i = 0; i < 6; i++) {
            d->mac[i] = g_random_int();
        }
        d->mac[0] = (d->mac[0] & ~1) | 2;
    }
    qiavf_drain_events(d);
}

void qiavf_negotiate(QIavf *d, uint32_t caps)
{
    struct virtchnl_version_info ver = {
        cpu_to_le32(VIRTCHNL_VERSION_MAJOR),
        cpu_to_le32(VIRTCHNL_VERSION_MINOR),
    };
    struct virtchnl_version_info pf;
    uint16_t len;

    qiavf_wait_active(d);
    qiavf_aq_init(d);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_VERSION, &ver, sizeof(ver),
                               &pf, &len), ==, 0);
    g_assert_cmpuint(len, ==, sizeof(pf));
    g_assert_cmpuint(le32_to_cpu(pf.major), ==, 1);
    g_assert_cmpuint(le32_to_cpu(pf.minor), ==, 1);
    qiavf_get_resources(d, caps);
}

/* Interrupts */

void qiavf_irq_init(QIavf *d)
{
    uint16_t n = qpci_msix_table_size(d->pdev);

    for (uint16_t v = 0; v < n; v++) {
        uint64_t entry = d->pdev->msix_table_off + v * PCI_MSIX_ENTRY_SIZE;
        uint64_t addr = d->irq_mem + 4 * v;

        qpci_io_writel(d->pdev, d->pdev->msix_table_bar,
                       entry + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
        qpci_io_writel(d->pdev, d->pdev->msix_table_bar,
                       entry + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
        qpci_io_writel(d->pdev, d->pdev->msix_table_bar,
                       entry + PCI_MSIX_ENTRY_DATA, QIAVF_IRQ_DATA(v));
        qpci_io_writel(d->pdev, d->pdev->msix_table_bar,
                       entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
        qiavf_irq_clear(d, v);
    }
}

void qiavf_irq_clear(QIavf *d, unsigned int vector)
{
    qtest_writel(d->qts, d->irq_mem + 4 * vector, 0);
}

bool qiavf_irq_seen(QIavf *d, unsigned int vector)
{
    uint32_t data = qtest_readl(d->qts, d->irq_mem + 4 * vector);

    qiavf_irq_clear(d, vector);
    return data == QIAVF_IRQ_DATA(vector);
}

/* The values iavf writes to arm a vector. */
void qiavf_irq_enable(QIavf *d, unsigned int vector)
{
    uint32_t val = I40E_VFINT_DYN_CTL_INTENA |
                   (I40E_VFINT_ITR_NONE << I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT);

    if (vector == 0) {
        qiavf_wr(d, I40E_VFINT_DYN_CTL01, val);
        qiavf_wr(d, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    } else {
        qiavf_wr(d, I40E_VFINT_DYN_CTLN1(vector - 1), val);
    }
}

/* Queues */

void qiavf_alloc_rings(QIavf *d, unsigned int nqueues, uint16_t ring_len,
                       uint32_t buf_size)
{
    g_assert_cmpuint(nqueues, <=, d->num_queue_pairs);
    d->nqueues = nqueues;
    for (unsigned int q = 0; q < nqueues; q++) {
        QIavfRing *tx = &d->tx[q], *rx = &d->rx[q];

        tx->len = rx->len = ring_len;
        tx->buf_size = rx->buf_size = buf_size;
        tx->next = rx->next = 0;
        tx->ring = guest_alloc(d->alloc, ring_len * I40E_TX_DESC_SIZE);
        rx->ring = guest_alloc(d->alloc, ring_len * I40E_RX_DESC_SIZE);
        tx->bufs = guest_alloc(d->alloc, ring_len * buf_size);
        rx->bufs = guest_alloc(d->alloc, ring_len * buf_size);
        qtest_memset(d->qts, tx->ring, 0, ring_len * I40E_TX_DESC_SIZE);
        qtest_memset(d->qts, rx->ring, 0, ring_len * I40E_RX_DESC_SIZE);
    }
}

/* Queue q on vector 1 + q % (vectors - 1), then vector 0 with no queues. */
int32_t qiavf_config_irq_map(QIavf *d)
{
    unsigned int nvec = MIN(d->nqueues + 1, d->max_vectors);
    size_t len = sizeof(struct virtchnl_irq_map_info) +
                 nvec * sizeof(struct virtchnl_vector_map);
    g_autofree struct virtchnl_irq_map_info *im = g_malloc0(len + 12);

    im->num_vectors = cpu_to_le16(nvec);
    for (unsigned int v = 0; v < nvec; v++) {
        struct virtchnl_vector_map *m = &im->vecmap[v];
        uint16_t vid = v + 1 < nvec ? v + 1 : 0;
        uint16_t map = 0;

        for (unsigned int q = 0; vid && q < d->nqueues; q++) {
            map |= (1 + q % (nvec - 1) == vid) << q;
        }
        m->vsi_id = cpu_to_le16(d->vsi_id);
        m->vector_id = cpu_to_le16(vid);
        m->rxq_map = m->txq_map = cpu_to_le16(map);
        m->rxitr_idx = 0;
        m->txitr_idx = cpu_to_le16(1);
    }
    /* The wire length keeps the legacy trailing element. */
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_IRQ_MAP, im, len + 12, NULL,
                      NULL);
}

int32_t qiavf_config_queues(QIavf *d, uint32_t max_pkt)
{
    size_t len = sizeof(struct virtchnl_vsi_queue_config_info) +
                 d->nqueues * sizeof(struct virtchnl_queue_pair_info);
    g_autofree struct virtchnl_vsi_queue_config_info *qc = g_malloc0(len + 64);

    qc->vsi_id = cpu_to_le16(d->vsi_id);
    qc->num_queue_pairs = cpu_to_le16(d->nqueues);
    for (unsigned int q = 0; q < d->nqueues; q++) {
        struct virtchnl_queue_pair_info *qp = &qc->qpair[q];

        qp->txq.vsi_id = qp->rxq.vsi_id = cpu_to_le16(d->vsi_id);
        qp->txq.queue_id = qp->rxq.queue_id = cpu_to_le16(q);
        qp->txq.ring_len = cpu_to_le16(d->tx[q].len);
        qp->txq.dma_ring_addr = cpu_to_le64(d->tx[q].ring);
        qp->rxq.ring_len = cpu_to_le32(d->rx[q].len);
        qp->rxq.dma_ring_addr = cpu_to_le64(d->rx[q].ring);
        qp->rxq.databuffer_size = cpu_to_le32(d->rx[q].buf_size);
        qp->rxq.max_pkt_size = cpu_to_le32(max_pkt);
    }
    /* The wire length keeps the legacy trailing element. */
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, qc, len + 64, NULL,
                      NULL);
}

int32_t qiavf_enable_queues(QIavf *d, uint32_t mask)
{
    struct virtchnl_queue_select qs = {
        .vsi_id = cpu_to_le16(d->vsi_id),
        .rx_queues = cpu_to_le32(mask),
        .tx_queues = cpu_to_le32(mask),
    };

    return qiavf_call(d, VIRTCHNL_OP_ENABLE_QUEUES, &qs, sizeof(qs), NULL,
                      NULL);
}

/* Post every RX buffer but one and ring the doorbell, as iavf does. */
void qiavf_rx_fill(QIavf *d, unsigned int q)
{
    QIavfRing *rx = &d->rx[q];

    for (uint32_t i = 0; i < rx->len; i++) {
        uint64_t desc[4] = { cpu_to_le64(rx->bufs + i * rx->buf_size) };

        qtest_memwrite(d->qts, rx->ring + i * I40E_RX_DESC_SIZE, desc,
                       sizeof(desc));
    }
    rx->next = 0;
    qiavf_wr(d, I40E_QRX_TAIL1(q), rx->len - 1);
}

void qiavf_up(QIavf *d, unsigned int nqueues)
{
    qiavf_irq_init(d);
    qiavf_alloc_rings(d, nqueues, 64, 2048);
    g_assert_cmpint(qiavf_config_irq_map(d), ==, 0);
    qiavf_irq_enable(d, 0);
    g_assert_cmpint(qiavf_add_mac(d, d->mac, false), ==, 0);
    for (unsigned int q = 0; q < nqueues; q++) {
        qiavf_rx_fill(d, q);
    }
    g_assert_cmpint(qiavf_config_queues(d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(d, (1u << nqueues) - 1), ==, 0);
    qiavf_drain_events(d);
    for (unsigned int v = 1; v < MIN(nqueues + 1, d->max_vectors); v++) {
        qiavf_irq_enable(d, v);
    }
}

int32_t qiavf_add_mac(QIavf *d, const uint8_t *mac, bool del)
{
    struct {
        struct virtchnl_ether_addr_list hdr;
        struct virtchnl_ether_addr addr[2];
    } msg = {
        .hdr.vsi_id = cpu_to_le16(d->vsi_id),
        .hdr.num_elements = cpu_to_le16(1),
    };

    memcpy(msg.addr[0].addr, mac, 6);
    msg.addr[0].type = memcmp(mac, d->mac, 6) ? VIRTCHNL_ETHER_ADDR_EXTRA
                                               : VIRTCHNL_ETHER_ADDR_PRIMARY;
    return qiavf_call(d, del ? VIRTCHNL_OP_DEL_ETH_ADDR
                             : VIRTCHNL_OP_ADD_ETH_ADDR,
                      &msg, sizeof(msg), NULL, NULL);
}

int32_t qiavf_add_vlan(QIavf *d, uint16_t vid, bool del)
{
    uint16_t msg[4] = {
        cpu_to_le16(d->vsi_id), cpu_to_le16(1), cpu_to_le16(vid),
    };

    return qiavf_call(d, del ? VIRTCHNL_OP_DEL_VLAN : VIRTCHNL_OP_ADD_VLAN,
                      msg, sizeof(msg), NULL, NULL);
}

int32_t qiavf_promisc(QIavf *d, uint16_t flags)
{
    struct virtchnl_promisc_info pi = {
        .vsi_id = cpu_to_le16(d->vsi_id),
        .flags = cpu_to_le16(flags),
    };

    return qiavf_call(d, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE, &pi,
                      sizeof(pi), NULL, NULL);
}

/* Data path */

/* Post one frame in one descriptor; returns the descriptor's address. */
uint64_t qiavf_tx_post(QIavf *d, unsigned int q, const void *frame,
                       size_t len, uint32_t cmd, uint32_t offset,
                       uint16_t l2tag1)
{
    QIavfRing *tx = &d->tx[q];
    uint64_t buf = tx->bufs + tx->next * tx->buf_size;
    uint64_t slot = tx->ring + tx->next * I40E_TX_DESC_SIZE;
    uint64_t desc[2];

    g_assert_cmpuint(len, <=, tx->buf_size);
    cmd |= I40E_TXD_CMD_EOP | I40E_TXD_CMD_RS | I40E_TXD_CMD_ICRC;
    qtest_memwrite(d->qts, buf, frame, len);
    desc[0] = cpu_to_le64(buf);
    desc[1] = cpu_to_le64(I40E_TXD_DTYPE_DATA |
                          ((uint64_t)cmd << I40E_TXD_CMD_SHIFT) |
                          ((uint64_t)offset << I40E_TXD_OFFSET_SHIFT) |
                          ((uint64_t)len << I40E_TXD_BUF_SZ_SHIFT) |
                          ((uint64_t)l2tag1 << I40E_TXD_L2TAG1_SHIFT));
    qtest_memwrite(d->qts, slot, desc, sizeof(desc));
    tx->next = (tx->next + 1) % tx->len;
    qiavf_wr(d, I40E_QTX_TAIL1(q), tx->next);
    return slot;
}

/* Wait for the write-back of the TX descriptor at @slot. */
void qiavf_tx_wait(QIavf *d, uint64_t slot)
{
    uint64_t qw1;
    int64_t end;

    /* A device in another process writes back in its own time */
    end = g_get_monotonic_time() + d->reply_wait_ms * 1000;
    do {
        qtest_memread(d->qts, slot + 8, &qw1, sizeof(qw1));
    } while ((le64_to_cpu(qw1) & I40E_TXD_DTYPE_MASK) !=
             I40E_TXD_DTYPE_DESC_DONE && g_get_monotonic_time() < end &&
             (g_usleep(500), true));
    g_assert_cmphex(le64_to_cpu(qw1) & I40E_TXD_DTYPE_MASK, ==,
                    I40E_TXD_DTYPE_DESC_DONE);
}

/* Send one frame from one descriptor and wait for its write-back. */
void qiavf_tx(QIavf *d, unsigned int q, const void *frame, size_t len,
              uint32_t cmd, uint32_t offset, uint16_t l2tag1)
{
    qiavf_tx_wait(d, qiavf_tx_post(d, q, frame, len, cmd, offset, l2tag1));
}

/* Take the next received frame of queue q if there is one. */
bool qiavf_rx_poll(QIavf *d, unsigned int q, void *buf, size_t *len,
                   uint64_t *qw0, uint64_t *qw1)
{
    QIavfRing *rx = &d->rx[q];
    uint64_t slot = rx->ring + rx->next * I40E_RX_DESC_SIZE;
    uint32_t prev = (rx->next + rx->len - 1) % rx->len;
    uint32_t done = rx->next;
    uint64_t desc[4];

    qtest_memread(d->qts, slot, desc, sizeof(desc));
    if (!(le64_to_cpu(desc[1]) & I40E_RXD_STATUS_DD)) {
        return false;
    }
    *qw0 = le64_to_cpu(desc[0]);
    *qw1 = le64_to_cpu(desc[1]);
    *len = (*qw1 >> I40E_RXD_LEN_PBUF_SHIFT) & I40E_RXD_LEN_PBUF_MASK;
    g_assert_cmpuint(*len, <=, rx->buf_size);
    qtest_memread(d->qts, rx->bufs + rx->next * rx->buf_size, buf, *len);

    /* Hand the slot behind us back to the device, with its buffer. */
    memset(desc, 0, sizeof(desc));
    desc[0] = cpu_to_le64(rx->bufs + prev * rx->buf_size);
    qtest_memwrite(d->qts, rx->ring + prev * I40E_RX_DESC_SIZE, desc,
                   sizeof(desc));
    rx->next = (rx->next + 1) % rx->len;
    qiavf_wr(d, I40E_QRX_TAIL1(q), done);
    return true;
}

/* Wait (in real time: the frame comes through a socket) for a frame. */
bool qiavf_rx(QIavf *d, unsigned int q, void *buf, size_t *len,
              uint64_t *qw0, uint64_t *qw1)
{
    int64_t end = g_get_monotonic_time() + QIAVF_TIMEOUT_US;

    while (g_get_monotonic_time() < end) {
        if (qiavf_rx_poll(d, q, buf, len, qw0, qw1)) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

/* The test's end of a socket netdev: a 32-bit big-endian length, a frame */

void qiavf_sock_send(int fd, const void *frame, size_t len)
{
    uint32_t be = htonl(len);
    struct iovec iov[] = {
        { .iov_base = &be, .iov_len = sizeof(be) },
        { .iov_base = (void *)frame, .iov_len = len },
    };

    g_assert_cmpint(iov_send(fd, iov, 2, 0, sizeof(be) + len), ==,
                    sizeof(be) + len);
}

/*
 * The next frame the VF sent; QEMU's RARP announcements are skipped.  A
 * frame that has not come within QIAVF_SOCK_WAIT_MS of real time fails
 * the test: 0 is returned.
 */
size_t qiavf_sock_recv(int fd, void *buf, size_t max)
{
    int64_t end = g_get_monotonic_time() + QIAVF_SOCK_WAIT_MS * 1000;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    uint32_t be;
    size_t len;

    do {
        int64_t left = end - g_get_monotonic_time();

        if (left <= 0 || poll(&pfd, 1, left / 1000 + 1) != 1) {
            g_test_message("no frame from the VF within %d ms",
                           QIAVF_SOCK_WAIT_MS);
            g_test_fail();
            return 0;
        }
        g_assert_cmpint(recv(fd, &be, sizeof(be), MSG_WAITALL), ==,
                        sizeof(be));
        len = ntohl(be);
        g_assert_cmpuint(len, <=, max);
        g_assert_cmpint(recv(fd, buf, len, MSG_WAITALL), ==, len);
    } while (len >= 14 && lduw_be_p((uint8_t *)buf + 12) == 0x8035);
    return len;
}
