/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos driver for Intel 700-series virtual functions: brings a VF up the
 * way the Linux iavf driver does (admin queue, virtchnl negotiation, IRQ
 * map, queues) so that each qtest reads like one scenario.
 */

#ifndef QTEST_LIBQOS_IAVF_H
#define QTEST_LIBQOS_IAVF_H

#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "libqos.h"
#include "net/virtchnl.h"
#include "hw/net/i40e-vf-regs.h"

#define QIAVF_AQ_LEN        32
#define QIAVF_AQ_BUF        4096
#define QIAVF_MAX_QUEUES    I40E_VF_MAX_QUEUES

/* The capabilities Linux 6.12's iavf asks for (iavf_send_vf_config_msg). */
#define QIAVF_IAVF_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_RSS_PF | \
     VIRTCHNL_VF_OFFLOAD_RSS_AQ | VIRTCHNL_VF_OFFLOAD_RSS_REG | \
     VIRTCHNL_VF_OFFLOAD_VLAN | VIRTCHNL_VF_OFFLOAD_WB_ON_ITR | \
     VIRTCHNL_VF_OFFLOAD_RSS_PCTYPE_V2 | VIRTCHNL_VF_OFFLOAD_ENCAP | \
     VIRTCHNL_VF_OFFLOAD_TC_U32 | VIRTCHNL_VF_OFFLOAD_VLAN_V2 | \
     VIRTCHNL_VF_OFFLOAD_CRC | VIRTCHNL_VF_OFFLOAD_ENCAP_CSUM | \
     VIRTCHNL_VF_OFFLOAD_REQ_QUEUES | VIRTCHNL_VF_OFFLOAD_ADQ | \
     VIRTCHNL_VF_OFFLOAD_USO | VIRTCHNL_VF_OFFLOAD_FDIR_PF | \
     VIRTCHNL_VF_OFFLOAD_ADV_RSS_PF | VIRTCHNL_VF_CAP_ADV_LINK_SPEED)

/* What an X710 PF grants them; ENCAP and ADQ are withheld by the model. */
#define QIAVF_X710_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_REQ_QUEUES | \
     VIRTCHNL_VF_CAP_ADV_LINK_SPEED | VIRTCHNL_VF_OFFLOAD_VLAN | \
     VIRTCHNL_VF_OFFLOAD_RSS_PF)

/* The GET_VF_RESOURCES reply of a 6.12 PF: one VSI, legacy-sized. */
#define QIAVF_RESOURCES_LEN 52

typedef struct QIavfRing {
    uint64_t ring;
    uint64_t bufs;      /* one buffer per descriptor */
    uint32_t len;
    uint32_t buf_size;
    uint32_t next;      /* next descriptor the driver uses or cleans */
} QIavfRing;

typedef struct QIavf {
    QTestState *qts;
    QGuestAllocator *alloc;
    QPCIDevice *pdev;
    QPCIBar bar0;

    uint64_t atq, arq, atq_bufs, arq_bufs;
    uint32_t atq_ntu, arq_ntc;
    uint64_t irq_mem;   /* MSI-X messages land here: 4 bytes per vector */

    /* What GET_VF_RESOURCES and events told us */
    uint16_t vsi_id;
    uint16_t num_queue_pairs;
    uint16_t max_vectors;
    uint32_t caps;
    uint8_t mac[6];     /* the PF's, or chosen at random when it gave none */
    uint16_t max_mtu;
    bool link_up;
    uint32_t link_speed;    /* as the last event gave it */
    unsigned int link_events;
    unsigned int reset_events;

    /*
     * How long a reply or a TX write-back may take: 0 when the device
     * answers at once, as the emulated VF does
     */
    uint32_t reply_wait_ms;

    unsigned int nqueues;
    QIavfRing tx[QIAVF_MAX_QUEUES];
    QIavfRing rx[QIAVF_MAX_QUEUES];
} QIavf;

void qiavf_init(QIavf *d, QOSState *qs, int devfn);
void qiavf_pci_enable(QIavf *d);
uint32_t qiavf_rd(QIavf *d, uint32_t reg);
void qiavf_wr(QIavf *d, uint32_t reg, uint32_t val);

/* Admin queue and virtchnl */
void qiavf_wait_active(QIavf *d);
void qiavf_aq_init(QIavf *d);
void qiavf_aq_post(QIavf *d, uint32_t v_opcode, uint16_t flags,
                   const void *msg, uint16_t len, uint16_t *retval);
void qiavf_send(QIavf *d, uint32_t v_opcode, const void *msg, uint16_t len);
bool qiavf_recv(QIavf *d, uint32_t *v_opcode, int32_t *v_retval,
                void *buf, uint16_t *len);
int32_t qiavf_call(QIavf *d, uint32_t v_opcode, const void *msg,
                   uint16_t len, void *reply, uint16_t *reply_len);
bool qiavf_recv_wait(QIavf *d, uint32_t *v_opcode, int32_t *v_retval,
                     void *buf, uint16_t *len, uint32_t ms);
void qiavf_drain_events(QIavf *d);
void qiavf_negotiate(QIavf *d, uint32_t caps);
void qiavf_get_resources(QIavf *d, uint32_t caps);
void qiavf_get_stats(QIavf *d, struct virtchnl_eth_stats *st);

/* Interrupts: MSI-X messages are written into qiavf's memory. */
void qiavf_irq_init(QIavf *d);
void qiavf_irq_clear(QIavf *d, unsigned int vector);
bool qiavf_irq_seen(QIavf *d, unsigned int vector);
void qiavf_irq_enable(QIavf *d, unsigned int vector);

/* Queues, the way iavf's ndo_open sets them up */
void qiavf_alloc_rings(QIavf *d, unsigned int nqueues, uint16_t ring_len,
                       uint32_t buf_size);
int32_t qiavf_config_irq_map(QIavf *d);
int32_t qiavf_config_queues(QIavf *d, uint32_t max_pkt);
int32_t qiavf_enable_queues(QIavf *d, uint32_t mask);
void qiavf_rx_fill(QIavf *d, unsigned int q);
void qiavf_up(QIavf *d, unsigned int nqueues);
int32_t qiavf_add_mac(QIavf *d, const uint8_t *mac, bool del);
int32_t qiavf_add_vlan(QIavf *d, uint16_t vid, bool del);
int32_t qiavf_promisc(QIavf *d, uint16_t flags);

/* Data path */
uint64_t qiavf_tx_post(QIavf *d, unsigned int q, const void *frame,
                       size_t len, uint32_t cmd, uint32_t offset,
                       uint16_t l2tag1);
void qiavf_tx_wait(QIavf *d, uint64_t slot);
void qiavf_tx(QIavf *d, unsigned int q, const void *frame, size_t len,
              uint32_t cmd, uint32_t offset, uint16_t l2tag1);
bool qiavf_rx_poll(QIavf *d, unsigned int q, void *buf, size_t *len,
                   uint64_t *qw0, uint64_t *qw1);
bool qiavf_rx(QIavf *d, unsigned int q, void *buf, size_t *len,
              uint64_t *qw0, uint64_t *qw1);

/* The test's end of the VF's socket netdev */
void qiavf_sock_send(int fd, const void *frame, size_t len);
size_t qiavf_sock_recv(int fd, void *buf, size_t max);

/* After migration: continue with the destination's machine. */
void qiavf_switch(QIavf *d, QOSState *qs);

#endif
