/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the VF's real mailbox, driven by QEMU.
 *
 * QEMU is the VF driver on this side.  Its ATQ and ARQ rings and buffers
 * live in a memory region of its own, DMA-mapped for the device above
 * anything the guest can use.  Guest requests are sent one at a time, in
 * order, so that each reply pairs with its request for the shadow; a
 * reply that does not come within the timeout is answered to the guest
 * with an admin-queue error.  Nothing waits in a vCPU thread: the VF's
 * vector 0 (intercepted from vfio) and a poll timer, running only while
 * a request is out or the interrupt is not there yet, drain the ARQ.
 *
 * Memory layout: ATQ descriptors, ARQ descriptors, then one buffer per
 * ARQ descriptor and one for the request being sent.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/coroutine.h"
#include "qemu/main-loop.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "system/address-spaces.h"
#include "hw/vfio/i40evf-mbx.h"
#include "hw/vfio/i40evf-shadow.h"
#include "hw/vfio/vfio-container.h"
#include "hw/vfio/vfio-region.h"
#include "trace.h"

#define DESC_SIZE       sizeof(struct i40e_aq_desc)
#define ATQ_OFF         0
#define ARQ_OFF         (ATQ_OFF + I40EVF_MBX_RING_LEN * DESC_SIZE)
#define ARQ_BUF_OFF     (4 * KiB)
#define ATQ_BUF_OFF     (ARQ_BUF_OFF + \
                         I40EVF_MBX_RING_LEN * I40EVF_MBX_BUF_SIZE)
#define DMA_SIZE        (ATQ_BUF_OFF + I40EVF_MBX_BUF_SIZE)

#define POLL_US         200
#define UNREADABLE_POLL_US  (100 * 1000)

/*
 * IOVAs above this stay clear of guest memory and of every BAR: no x86
 * guest has 48 physical address bits' worth of memory.
 */
#define IOVA_TOP        (1ULL << 48)

/*
 * The VF's registers answer only while the guest lets BAR0 decode: the
 * command register and the BAR are the guest's, passed through.
 */
static bool mbx_hw_accessible(I40EVFMbx *m)
{
    PCIDevice *pdev = PCI_DEVICE(m->vdev);

    return (pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MEMORY) &&
           pci_get_bar_addr(pdev, 0) != PCI_BAR_UNMAPPED;
}

uint32_t i40evf_hw_read(I40EVFMbx *m, hwaddr addr)
{
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DEAD) {
        return UINT32_MAX;
    }
    if (!mbx_hw_accessible(m)) {
        return 0;
    }
    return vfio_region_read(&m->vdev->bars[0].region, addr, 4);
}

void i40evf_hw_write(I40EVFMbx *m, hwaddr addr, uint32_t val)
{
    if (m->state != VFIO_I40EVF_MAILBOX_STATE_DEAD && mbx_hw_accessible(m)) {
        vfio_region_write(&m->vdev->bars[0].region, addr, val, 4);
    }
}

static struct i40e_aq_desc *mbx_hw_desc(I40EVFMbx *m, bool arq, uint32_t idx)
{
    return (struct i40e_aq_desc *)(m->dma + (arq ? ARQ_OFF : ATQ_OFF) +
                                   idx * DESC_SIZE);
}

static void mbx_set_desc_addr(struct i40e_aq_desc *d, hwaddr addr)
{
    d->addr_high = cpu_to_le32(addr >> 32);
    d->addr_low = cpu_to_le32(addr);
}

/* Hand ARQ descriptor @idx back to the device with its empty buffer. */
static void mbx_arq_post(I40EVFMbx *m, uint32_t idx)
{
    struct i40e_aq_desc *d = mbx_hw_desc(m, true, idx);

    memset(d, 0, DESC_SIZE);
    d->flags = cpu_to_le16(I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_LB);
    d->datalen = cpu_to_le16(I40EVF_MBX_BUF_SIZE);
    mbx_set_desc_addr(d, m->iova + ARQ_BUF_OFF + idx * I40EVF_MBX_BUF_SIZE);
}

/* A VF that reads all ones is looked at less often: each read fails */
static void mbx_poll_schedule(I40EVFMbx *m)
{
    timer_mod(m->poll_timer, qemu_clock_get_us(QEMU_CLOCK_REALTIME) +
              (m->unreadable_since ? UNREADABLE_POLL_US : POLL_US));
}

static bool mbx_vector0_hooked(I40EVFMbx *m)
{
    VFIOPCIDevice *vdev = m->vdev;

    return vdev->interrupt == VFIO_INT_MSIX && vdev->nr_vectors > 0 &&
           vdev->msi_vectors[0].use;
}

/* Poll while something is expected and no interrupt will announce it. */
static void mbx_poll_update(I40EVFMbx *m)
{
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DEAD || !mbx_hw_accessible(m)) {
        /* The guest's next access to the mailbox brings it back */
        timer_del(m->poll_timer);
    } else if (m->state == VFIO_I40EVF_MAILBOX_STATE_DOWN || m->inflight ||
               m->reset_pending || !mbx_vector0_hooked(m)) {
        mbx_poll_schedule(m);
    } else {
        timer_del(m->poll_timer);
    }
}

/* Vector 0 masks itself when it fires: arm it for the next message. */
static void mbx_vector0_arm(I40EVFMbx *m)
{
    i40evf_hw_write(m, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_INTENA |
                    I40E_VFINT_DYN_CTL_CLEARPBA |
                    (I40E_VFINT_ITR_NONE << I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT));
}

/*
 * Program the VF's mailbox registers the way iavf does, once the PF has
 * finished resetting the VF.
 */
static void mbx_up(I40EVFMbx *m)
{
    uint32_t len = I40EVF_MBX_RING_LEN | I40E_VF_AQLEN_ENABLE;

    memset(m->dma, 0, ARQ_BUF_OFF);
    for (uint32_t i = 0; i < I40EVF_MBX_RING_LEN; i++) {
        mbx_arq_post(m, i);
    }
    m->atq_next = 0;
    m->arq_next = 0;

    i40evf_hw_write(m, I40E_VF_ATQH1, 0);
    i40evf_hw_write(m, I40E_VF_ATQT1, 0);
    i40evf_hw_write(m, I40E_VF_ATQLEN1, len);
    i40evf_hw_write(m, I40E_VF_ATQBAL1, m->iova + ATQ_OFF);
    i40evf_hw_write(m, I40E_VF_ATQBAH1, (m->iova + ATQ_OFF) >> 32);
    i40evf_hw_write(m, I40E_VF_ARQH1, 0);
    i40evf_hw_write(m, I40E_VF_ARQT1, 0);
    i40evf_hw_write(m, I40E_VF_ARQLEN1, len);
    i40evf_hw_write(m, I40E_VF_ARQBAL1, m->iova + ARQ_OFF);
    i40evf_hw_write(m, I40E_VF_ARQBAH1, (m->iova + ARQ_OFF) >> 32);
    i40evf_hw_write(m, I40E_VF_ARQT1, I40EVF_MBX_RING_LEN - 1);

    /* The mailbox cause raises the VF's vector 0, which QEMU takes */
    i40evf_hw_write(m, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    mbx_vector0_arm(m);
    m->state = VFIO_I40EVF_MAILBOX_STATE_UP;
    trace_i40evf_mbx_up(i40evf_mbx_name(m), m->iova);
}

static void mbx_send_next(I40EVFMbx *m);
static bool mbx_arq_drain(I40EVFMbx *m, bool repost);

static void mbx_free_request(I40EVFRequest *req)
{
    if (req->waiter) {
        req->done = true;       /* the waiter frees it */
        return;
    }
    g_free(req->buf);
    g_free(req->reply);
    g_free(req);
}

static void mbx_finish_inflight(I40EVFMbx *m)
{
    if (m->inflight) {
        mbx_free_request(m->inflight);
        m->inflight = NULL;
    }
}

static const char *const mbx_end_names[] = {
    [I40EVF_MBX_ANSWERED] = "answered",
    [I40EVF_MBX_RESET] = "VF reset",
    [I40EVF_MBX_TIMEOUT] = "timeout",
    [I40EVF_MBX_ERROR] = "refused by the mailbox",
    [I40EVF_MBX_GONE] = "device gone",
};

/* @req gets no reply: its owner hears why. */
static void mbx_end_request(I40EVFMbx *m, I40EVFRequest *req,
                            I40EVFMbxEnd end)
{
    trace_i40evf_mbx_fail(i40evf_mbx_name(m), virtchnl_op_name(req->v_opcode),
                          req->v_opcode, mbx_end_names[end]);
    req->v_retval = VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR;
    req->unanswered = true;
    if (!req->internal) {
        m->ops->reply(m->opaque, req, end, req->v_retval, NULL, 0);
    }
    mbx_free_request(req);
}

static void mbx_fail_inflight(I40EVFMbx *m, I40EVFMbxEnd end)
{
    I40EVFRequest *req = m->inflight;

    m->inflight = NULL;
    mbx_end_request(m, req, end);
}

/*
 * The VF was reset (by the guest's RESET_VF, a granted REQUEST_QUEUES, an
 * FLR, or its host): the mailbox is down until the PF marks it active.
 */
void i40evf_mbx_down(I40EVFMbx *m)
{
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DEAD) {
        return;
    }
    if (m->inflight) {
        /* REQUEST_QUEUES, granted, is answered so: the owner knows */
        mbx_fail_inflight(m, I40EVF_MBX_RESET);
    }
    m->state = VFIO_I40EVF_MAILBOX_STATE_DOWN;
    m->reset_pending = false;
    trace_i40evf_mbx_down(i40evf_mbx_name(m));
    mbx_poll_update(m);
}

/*
 * The device no longer answers (all ones, as a surprise-removed function
 * reads; or its vfio-user server died).  The guest keeps its virtual
 * mailbox and learns that the link is down; what it sends later fails.
 */
static void mbx_dead(I40EVFMbx *m)
{
    I40EVFRequest *req;

    error_report("%s: the VF does not respond", i40evf_mbx_name(m));
    if (m->inflight) {
        mbx_fail_inflight(m, I40EVF_MBX_GONE);
    }
    /* What waited for the VF to come back gets the same answer */
    while ((req = QSIMPLEQ_FIRST(&m->backlog))) {
        QSIMPLEQ_REMOVE_HEAD(&m->backlog, next);
        m->backlog_len--;
        mbx_end_request(m, req, I40EVF_MBX_GONE);
    }
    m->state = VFIO_I40EVF_MAILBOX_STATE_DEAD;
    mbx_poll_update(m);
    m->ops->vf_gone(m->opaque);
}

/*
 * A VF reads all ones while its host resets it (an FLR) and when it is
 * gone (surprise removal, its vfio-user server dead): taken for a reset
 * at first, for dead once it has read so for I40EVF_DEAD_MS.
 */
static void mbx_unreadable(I40EVFMbx *m)
{
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    if (!m->unreadable_since) {
        m->unreadable_since = now;
        if (m->state == VFIO_I40EVF_MAILBOX_STATE_UP) {
            i40evf_mbx_down(m);
            m->ops->vf_reset(m->opaque);
        }
    } else if (now - m->unreadable_since >= I40EVF_DEAD_MS) {
        mbx_dead(m);
    }
}

/*
 * A VF reset shows on the hardware as a mailbox whose length registers
 * lost their enable bit.  Returns true if the mailbox is up.
 */
bool i40evf_mbx_check(I40EVFMbx *m)
{
    uint32_t arqlen, rstat;

    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DEAD || !mbx_hw_accessible(m)) {
        return false;
    }
    arqlen = i40evf_hw_read(m, I40E_VF_ARQLEN1);
    if (arqlen == UINT32_MAX) {
        mbx_unreadable(m);
        return false;
    }
    m->unreadable_since = 0;
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_UP &&
        !(arqlen & I40E_VF_AQLEN_ENABLE)) {
        mbx_arq_drain(m, false);
        i40evf_mbx_down(m);
        m->ops->vf_reset(m->opaque);
    }
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DOWN) {
        rstat = i40evf_hw_read(m, I40E_VFGEN_RSTAT) &
                I40E_VFGEN_RSTAT_VFR_STATE_MASK;
        if (rstat == I40E_VFR_COMPLETED || rstat == I40E_VFR_VFACTIVE) {
            mbx_up(m);
            mbx_send_next(m);
        }
    }
    return m->state == VFIO_I40EVF_MAILBOX_STATE_UP;
}

static void mbx_send_request(I40EVFMbx *m, I40EVFRequest *req)
{
    struct i40e_aq_desc *d = mbx_hw_desc(m, false, m->atq_next);
    uint16_t flags = I40E_AQ_FLAG_SI;

    memset(d, 0, DESC_SIZE);
    if (req->len) {
        flags |= I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD;
        if (req->len > I40E_AQ_LARGE_BUF) {
            flags |= I40E_AQ_FLAG_LB;
        }
        memcpy(m->dma + ATQ_BUF_OFF, req->buf, req->len);
        mbx_set_desc_addr(d, m->iova + ATQ_BUF_OFF);
    }
    d->flags = cpu_to_le16(flags);
    d->opcode = cpu_to_le16(I40E_AQC_OPC_SEND_MSG_TO_PF);
    d->datalen = cpu_to_le16(req->len);
    d->cookie_high = cpu_to_le32(req->v_opcode);
    m->atq_next = (m->atq_next + 1) % I40EVF_MBX_RING_LEN;
    /* The descriptor and buffer are complete before the VF sees the tail */
    smp_wmb();
    trace_i40evf_mbx_send(i40evf_mbx_name(m), virtchnl_op_name(req->v_opcode),
                          req->v_opcode,
                          req->len);
    i40evf_hw_write(m, I40E_VF_ATQT1, m->atq_next);
}

static void mbx_send_next(I40EVFMbx *m)
{
    I40EVFRequest *req;

    while (m->state == VFIO_I40EVF_MAILBOX_STATE_UP && !m->inflight &&
           !m->reset_pending &&
           (req = QSIMPLEQ_FIRST(&m->backlog))) {
        QSIMPLEQ_REMOVE_HEAD(&m->backlog, next);
        m->backlog_len--;
        mbx_send_request(m, req);
        m->deadline_ms = qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                         m->timeout_ms;
        if (req->v_opcode == VIRTCHNL_OP_RESET_VF) {
            /*
             * No reply: the PF resets the VF, in its own time.  Like
             * iavf, wait for the mailbox to go down; until then the guest
             * sees its mailbox as it was.
             */
            mbx_free_request(req);
            m->reset_pending = true;
            break;
        }
        m->inflight = req;
    }
    m->ops->ready(m->opaque);
    mbx_poll_update(m);
}

void i40evf_mbx_submit(I40EVFMbx *m, I40EVFRequest *req)
{
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DEAD) {
        mbx_end_request(m, req, I40EVF_MBX_GONE);
        return;
    }
    QSIMPLEQ_INSERT_TAIL(&m->backlog, req, next);
    m->backlog_len++;
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_DOWN) {
        i40evf_mbx_check(m);
    }
    mbx_send_next(m);
}

/* One message from the PF: the reply to the request out, or an event. */
static void mbx_handle_pf_msg(I40EVFMbx *m, uint32_t v_opcode, int32_t v_retval,
                              const uint8_t *msg, uint16_t len)
{
    I40EVFRequest *req = m->inflight;

    trace_i40evf_mbx_recv(i40evf_mbx_name(m), virtchnl_op_name(v_opcode),
                          v_opcode, v_retval, len);
    if (v_opcode == VIRTCHNL_OP_EVENT || !req || req->v_opcode != v_opcode) {
        m->ops->event(m->opaque, v_opcode, v_retval, msg, len);
        return;
    }
    m->inflight = NULL;
    if (req->internal) {
        req->v_retval = v_retval;
        req->reply_len = len;
        if (req->reply) {
            memcpy(req->reply, msg, len);
        }
    } else {
        m->ops->reply(m->opaque, req, I40EVF_MBX_ANSWERED, v_retval, msg,
                      len);
    }
    mbx_free_request(req);
}

static bool mbx_arq_ready(I40EVFMbx *m)
{
    return mbx_hw_desc(m, true, m->arq_next)->flags &
           cpu_to_le16(I40E_AQ_FLAG_DD);
}

/*
 * Hand the guest what the PF put on the ARQ.  The ring lives in QEMU's
 * memory, so this also works when the VF has just been reset: messages
 * that came before the reset (RESET_IMPENDING) still reach the guest.
 */
static bool mbx_arq_drain(I40EVFMbx *m, bool repost)
{
    bool took = false;

    while (mbx_arq_ready(m)) {
        struct i40e_aq_desc *d = mbx_hw_desc(m, true, m->arq_next);
        uint32_t idx = m->arq_next;
        uint16_t len = MIN(le16_to_cpu(d->datalen), I40EVF_MBX_BUF_SIZE);

        /* The VF wrote the message before it set DD */
        smp_rmb();
        mbx_handle_pf_msg(m, le32_to_cpu(d->cookie_high),
                          le32_to_cpu(d->cookie_low),
                          m->dma + ARQ_BUF_OFF + idx * I40EVF_MBX_BUF_SIZE,
                          len);
        mbx_arq_post(m, idx);
        m->arq_next = (idx + 1) % I40EVF_MBX_RING_LEN;
        if (repost) {
            i40evf_hw_write(m, I40E_VF_ARQT1, idx);
        }
        took = true;
    }
    return took;
}

/* Take what the PF put on the ARQ, and see if the request out failed. */
static bool mbx_poll(I40EVFMbx *m)
{
    bool took;

    /* A message waiting says the mailbox is up: spare the register read */
    if ((m->state != VFIO_I40EVF_MAILBOX_STATE_UP || !mbx_arq_ready(m)) &&
        !i40evf_mbx_check(m)) {
        return false;
    }
    took = mbx_arq_drain(m, true);

    if (m->reset_pending &&
        qemu_clock_get_ms(QEMU_CLOCK_REALTIME) >= m->deadline_ms) {
        error_report("%s: the PF did not reset the VF within %u ms",
                     m->vdev->vbasedev.name, m->timeout_ms);
        m->reset_pending = false;
    }
    if (m->inflight) {
        uint32_t last = (m->atq_next + I40EVF_MBX_RING_LEN - 1) %
                        I40EVF_MBX_RING_LEN;
        uint16_t flags = le16_to_cpu(mbx_hw_desc(m, false, last)->flags);

        if ((flags & I40E_AQ_FLAG_DD) && (flags & I40E_AQ_FLAG_ERR)) {
            mbx_fail_inflight(m, I40EVF_MBX_ERROR);
        } else if (qemu_clock_get_ms(QEMU_CLOCK_REALTIME) >=
                   m->deadline_ms) {
            error_report("%s: no reply from the PF to %s within %u ms",
                         i40evf_mbx_name(m),
                         virtchnl_op_name(m->inflight->v_opcode),
                         m->timeout_ms);
            mbx_fail_inflight(m, I40EVF_MBX_TIMEOUT);
        }
    }
    mbx_send_next(m);
    return took;
}

/*
 * Until the VF may have answered.  The destination loads in a coroutine:
 * it yields to the main loop.  The source stops its queues in the
 * migration thread, where the switchover cannot go on before the VF has
 * answered: it waits on the VF's vector 0, bounded by @end_ns (a VF whose
 * vector 0 the guest never enabled cannot signal: the wait is a tick).
 */
static void mbx_wait_for_vf(I40EVFMbx *m, int64_t end_ns)
{
    int64_t tick = MIN(MAX(end_ns - qemu_clock_get_ns(QEMU_CLOCK_REALTIME),
                           0), POLL_US * SCALE_US);
    EventNotifier *irq = &m->vdev->msi_vectors[0].interrupt;
    GPollFD pfd = { .events = G_IO_IN };

    if (qemu_in_coroutine()) {
        qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, tick);
        return;
    }
    if (mbx_vector0_hooked(m)) {
        pfd.fd = event_notifier_get_fd(irq);
    }
    if (qemu_poll_ns(&pfd, mbx_vector0_hooked(m), tick) > 0 &&
        event_notifier_test_and_clear(irq)) {
        /* Taken here, not by the main loop: acknowledge and re-arm */
        m->hw_irqs++;
        i40evf_hw_read(m, I40E_VFINT_ICR01);
        mbx_vector0_arm(m);
    }
}

/*
 * Wait for the mailbox to be idle or for @req to be answered.  For
 * migration only, with the VM stopped; bounded by the timeout.
 */
static bool mbx_wait(I40EVFMbx *m, I40EVFRequest *req, Error **errp)
{
    int64_t end = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                  2 * m->timeout_ms * SCALE_MS;

    for (;;) {
        mbx_poll(m);
        if (m->state == VFIO_I40EVF_MAILBOX_STATE_DEAD) {
            error_setg(errp, "the VF does not respond");
            return false;
        }
        if (req ? req->done : !m->inflight && !m->backlog_len &&
                              !m->reset_pending &&
                              m->state == VFIO_I40EVF_MAILBOX_STATE_UP) {
            return true;
        }
        if (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) >= end) {
            error_setg(errp, "the VF's mailbox is still busy after %u ms",
                       2 * m->timeout_ms);
            return false;
        }
        mbx_wait_for_vf(m, end);
    }
}

bool i40evf_mbx_wait_idle(I40EVFMbx *m, Error **errp)
{
    return mbx_wait(m, NULL, errp);
}

static I40EVFRequest *mbx_internal_request(uint32_t v_opcode, const void *msg,
                                           uint16_t len)
{
    I40EVFRequest *req = g_new0(I40EVFRequest, 1);

    req->v_opcode = v_opcode;
    req->len = len;
    req->buf = g_memdup2(msg, len);
    req->internal = true;
    return req;
}

/* QEMU's own request, ahead of the guest's; its reply stays in QEMU. */
void i40evf_mbx_post(I40EVFMbx *m, uint32_t v_opcode, const void *msg,
                     uint16_t len)
{
    I40EVFRequest *req = mbx_internal_request(v_opcode, msg, len);

    QSIMPLEQ_INSERT_HEAD(&m->backlog, req, next);
    m->backlog_len++;
    mbx_send_next(m);
}

/*
 * A request of QEMU's own, answered before it returns.  False, with
 * @errp set, if the PF did not answer or answered with a status other
 * than success; that status goes to @status if the caller wants it.
 */
bool i40evf_mbx_call(I40EVFMbx *m, uint32_t v_opcode, const void *msg,
                     uint16_t len, void *reply, uint16_t *reply_len,
                     int32_t *status, Error **errp)
{
    ERRP_GUARD();
    I40EVFRequest *req = mbx_internal_request(v_opcode, msg, len);
    const char *op = virtchnl_op_name(v_opcode);
    int32_t ret = VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR;

    req->waiter = true;
    req->reply = g_malloc(I40EVF_MBX_BUF_SIZE);
    QSIMPLEQ_INSERT_HEAD(&m->backlog, req, next);
    m->backlog_len++;
    i40evf_mbx_check(m);
    mbx_send_next(m);
    if (!mbx_wait(m, req, errp)) {
        /* Still queued or out: let the mailbox free it */
        req->waiter = false;
        error_prepend(errp, "%s (%u): ", op, v_opcode);
        goto out;
    }
    ret = req->v_retval;
    if (req->unanswered) {
        error_setg(errp, "the PF did not answer %s (%u) within %u ms",
                   op, v_opcode, m->timeout_ms);
    } else if (ret != VIRTCHNL_STATUS_SUCCESS) {
        error_setg(errp, "the PF refused %s (%u): status %d", op, v_opcode,
                   ret);
    } else if (reply) {
        memcpy(reply, req->reply, req->reply_len);
        *reply_len = req->reply_len;
    }
    g_free(req->buf);
    g_free(req->reply);
    g_free(req);
out:
    if (status) {
        *status = ret;
    }
    return ret == VIRTCHNL_STATUS_SUCCESS;
}

bool i40evf_mbx_call_all(I40EVFMbx *m, GArray *plan, Error **errp)
{
    for (guint i = 0; i < plan->len; i++) {
        I40EVFShadowMsg *msg = &g_array_index(plan, I40EVFShadowMsg, i);

        if (!i40evf_mbx_call(m, msg->opcode, msg->buf, msg->len, NULL, NULL,
                             NULL, errp)) {
            return false;
        }
    }
    return true;
}

static void mbx_poll_timer_cb(void *opaque)
{
    I40EVFMbx *m = opaque;

    /* What the poll took fired vector 0 too, which masked itself */
    if (mbx_poll(m) && m->state == VFIO_I40EVF_MAILBOX_STATE_UP) {
        mbx_vector0_arm(m);
    }
    mbx_poll_update(m);
}

/*
 * The VF's vector 0 fired: acknowledge its causes, take the mailbox's
 * messages and re-arm.  The other causes are the caller's to pass on.
 */
uint32_t i40evf_mbx_irq(I40EVFMbx *m)
{
    uint32_t icr01;

    m->hw_irqs++;
    icr01 = i40evf_hw_read(m, I40E_VFINT_ICR01);
    trace_i40evf_mbx_irq(i40evf_mbx_name(m), icr01);
    mbx_poll(m);
    if (m->state == VFIO_I40EVF_MAILBOX_STATE_UP) {
        mbx_vector0_arm(m);
    }
    mbx_poll_update(m);
    icr01 &= ~(I40E_VFINT_ICR01_ADMINQ | I40E_VFINT_ICR01_INTEVENT);
    return icr01 == UINT32_MAX ? 0 : icr01;
}

/*
 * The highest IOVA block of the container's valid ranges below IOVA_TOP,
 * if nothing the device can reach is there.
 */
static bool mbx_pick_iova(I40EVFMbx *m, Error **errp)
{
    VFIOContainer *bcontainer = m->vdev->vbasedev.bcontainer;
    AddressSpace *as = pci_device_iommu_address_space(PCI_DEVICE(m->vdev));
    hwaddr top = IOVA_TOP;
    MemoryRegionSection sec;
    GList *l;

    /* Behind a vIOMMU the guest owns the IOVA space: no room is ours */
    if (as != &address_space_memory) {
        error_setg(errp, "a virtual IOMMU in front of the VF is not "
                   "supported");
        return false;
    }
    for (l = bcontainer->iova_ranges; l; l = l->next) {
        Range *r = l->data;

        if (range_lob(r) < IOVA_TOP && range_size(r) >= DMA_SIZE) {
            top = MIN(range_upb(r) + 1, IOVA_TOP);
        }
    }
    m->iova = QEMU_ALIGN_DOWN(top - DMA_SIZE, 64 * KiB);
    sec = memory_region_find(as->root, m->iova, DMA_SIZE);
    if (sec.mr) {
        memory_region_unref(sec.mr);
        error_setg(errp, "no free IOVA for the mailbox: 0x%" PRIx64
                   " is in use", (uint64_t)m->iova);
        return false;
    }
    return true;
}

bool i40evf_mbx_init(I40EVFMbx *m, VFIOPCIDevice *vdev,
                     const I40EVFMbxOps *ops, void *opaque, Error **errp)
{
    VFIOContainer *bcontainer = vdev->vbasedev.bcontainer;
    int ret;

    m->vdev = vdev;
    m->ops = ops;
    m->opaque = opaque;
    QSIMPLEQ_INIT(&m->backlog);
    if (!m->timeout_ms) {
        error_setg(errp, "x-mbx-timeout-ms must be at least 1");
        return false;
    }
    if (!mbx_pick_iova(m, errp)) {
        return false;
    }
    /* Shared, so that a vfio-user server can map it like guest RAM */
    if (!memory_region_init_ram_flags_nomigrate(&m->dma_mr, OBJECT(m->vdev),
                                                "i40evf-mailbox", DMA_SIZE,
                                                RAM_SHARED, errp)) {
        return false;
    }
    m->dma = memory_region_get_ram_ptr(&m->dma_mr);
    ret = vfio_container_dma_map(bcontainer, m->iova, DMA_SIZE, m->dma,
                                 false, &m->dma_mr);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot map the mailbox for DMA at "
                         "0x%" PRIx64, (uint64_t)m->iova);
        object_unparent(OBJECT(&m->dma_mr));
        return false;
    }
    m->dma_mapped = true;
    m->poll_timer = timer_new_us(QEMU_CLOCK_REALTIME, mbx_poll_timer_cb, m);
    m->state = VFIO_I40EVF_MAILBOX_STATE_DOWN;
    mbx_poll_update(m);
    return true;
}

void i40evf_mbx_exit(I40EVFMbx *m)
{
    I40EVFRequest *req;

    g_clear_pointer(&m->poll_timer, timer_free);
    mbx_finish_inflight(m);
    while ((req = QSIMPLEQ_FIRST(&m->backlog))) {
        QSIMPLEQ_REMOVE_HEAD(&m->backlog, next);
        g_free(req->buf);
        g_free(req);
    }
    if (m->dma_mapped) {
        vfio_container_dma_unmap(m->vdev->vbasedev.bcontainer, m->iova,
                                 DMA_SIZE, NULL, false);
        m->dma_mapped = false;
        object_unparent(OBJECT(&m->dma_mr));
    }
}
