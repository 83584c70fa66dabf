/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the VF's real mailbox, the transport under the trap.
 *
 * QEMU drives the VF's admin queue from rings of its own and sends one
 * request at a time.  What comes back is reported through the ops the
 * owner registers; the transport takes no decision of its own about what
 * a message means.
 */

#ifndef HW_VFIO_I40EVF_MBX_H
#define HW_VFIO_I40EVF_MBX_H

#include "hw/vfio/pci.h"
#include "hw/net/i40e-vf-aq.h"
#include "qapi/qapi-types-vfio-i40evf.h"

/* QEMU's rings, 4 KiB buffers */
#define I40EVF_MBX_RING_LEN     16
#define I40EVF_MBX_BUF_SIZE     4096
#define I40EVF_MBX_TIMEOUT_MS   1000
/* A VF that reads all ones for this long is gone, not being reset */
#define I40EVF_DEAD_MS          1000

typedef struct I40EVFRequest {
    QSIMPLEQ_ENTRY(I40EVFRequest) next;
    uint32_t v_opcode;
    uint16_t len;
    uint8_t *buf;

    /*
     * QEMU's own request (migration): the guest never sees it or its
     * reply, and the shadow does not follow it.  With a waiter the
     * caller owns the request and finds the answer here.
     */
    bool internal;
    bool waiter;
    bool done;
    bool unanswered;            /* timed out, or the VF was reset or gone */
    int32_t v_retval;
    uint8_t *reply;             /* I40EVF_MBX_BUF_SIZE bytes */
    uint16_t reply_len;
} I40EVFRequest;

/* Why a request got no reply of the PF */
typedef enum I40EVFMbxEnd {
    I40EVF_MBX_ANSWERED,        /* it did get one */
    I40EVF_MBX_RESET,           /* the VF was reset while it was out */
    I40EVF_MBX_TIMEOUT,         /* the PF did not answer in time */
    I40EVF_MBX_ERROR,           /* the VF's mailbox refused to send it */
    I40EVF_MBX_GONE,            /* the VF does not respond any more */
} I40EVFMbxEnd;

typedef struct I40EVFMbxOps {
    /* A guest request is over: answered, or why not (no message then) */
    void (*reply)(void *opaque, const I40EVFRequest *req, I40EVFMbxEnd end,
                  int32_t v_retval, const uint8_t *msg, uint16_t len);
    /* A message the PF sent on its own, or one no request matches */
    void (*event)(void *opaque, uint32_t v_opcode, int32_t v_retval,
                  const uint8_t *msg, uint16_t len);
    /* The hardware shows a VF reset: the mailbox is down until it ends */
    void (*vf_reset)(void *opaque);
    /* The VF stopped responding: what is sent from now on fails */
    void (*vf_gone)(void *opaque);
    /* Room in the backlog again */
    void (*ready)(void *opaque);
} I40EVFMbxOps;

typedef struct I40EVFMbx {
    VFIOPCIDevice *vdev;
    uint32_t timeout_ms;        /* property: PF reply timeout */
    const I40EVFMbxOps *ops;
    void *opaque;

    VfioI40evfMailboxState state;
    MemoryRegion dma_mr;
    uint8_t *dma;
    hwaddr iova;
    bool dma_mapped;
    uint32_t atq_next;          /* next hardware ATQ slot to fill */
    uint32_t arq_next;          /* next hardware ARQ slot to read */
    QSIMPLEQ_HEAD(, I40EVFRequest) backlog;
    unsigned int backlog_len;
    I40EVFRequest *inflight;    /* sent, its reply not yet seen */
    bool reset_pending;         /* RESET_VF sent, the VF not yet reset */
    int64_t unreadable_since;   /* ms: the VF reads all ones since then */
    int64_t deadline_ms;        /* for either */
    QEMUTimer *poll_timer;
    uint64_t hw_irqs;           /* hardware vector-0 interrupts */
} I40EVFMbx;

bool i40evf_mbx_init(I40EVFMbx *m, VFIOPCIDevice *vdev,
                     const I40EVFMbxOps *ops, void *opaque, Error **errp);
void i40evf_mbx_exit(I40EVFMbx *m);

/* The VF's registers, while the guest lets BAR0 decode */
uint32_t i40evf_hw_read(I40EVFMbx *m, hwaddr addr);
void i40evf_hw_write(I40EVFMbx *m, hwaddr addr, uint32_t val);

/* A guest request, owned by the mailbox from here on */
void i40evf_mbx_submit(I40EVFMbx *m, I40EVFRequest *req);
/* QEMU's own request, ahead of the guest's; its reply stays in QEMU */
void i40evf_mbx_post(I40EVFMbx *m, uint32_t v_opcode, const void *msg,
                     uint16_t len);
bool i40evf_mbx_call(I40EVFMbx *m, uint32_t v_opcode, const void *msg,
                     uint16_t len, void *reply, uint16_t *reply_len,
                     int32_t *status, Error **errp);
/* Each message of a plan (I40EVFShadowMsg), in order, until one fails */
bool i40evf_mbx_call_all(I40EVFMbx *m, GArray *plan, Error **errp);
bool i40evf_mbx_wait_idle(I40EVFMbx *m, Error **errp);

/* Look at the hardware: true if the mailbox is up */
bool i40evf_mbx_check(I40EVFMbx *m);
/* The VF's vector 0 fired: returns its causes other than the mailbox's */
uint32_t i40evf_mbx_irq(I40EVFMbx *m);
/* The VF was reset by QEMU: start over once the PF has finished */
void i40evf_mbx_down(I40EVFMbx *m);

static inline const char *i40evf_mbx_name(const I40EVFMbx *m)
{
    return m->vdev->vbasedev.name;
}

#endif /* HW_VFIO_I40EVF_MBX_H */
