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
#include "hw/vfio/i40evf.h"
#include "hw/vfio/vfio-container.h"
#include "hw/vfio/vfio-region.h"
#include "trace.h"

#define DESC_SIZE       sizeof(struct i40e_aq_desc)
#define ATQ_OFF         0
#define ARQ_OFF         (ATQ_OFF + I40EVF_MBX_RING_LEN * DESC_SIZE)
#define ARQ_BUF_OFF     (4 * KiB)
#define ATQ_BUF_OFF     (ARQ_BUF_OFF + I40EVF_MBX_RING_LEN * I40EVF_MBX_BUF_SIZE)
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
static bool hw_accessible(I40EVFTrap *t)
{
    PCIDevice *pdev = PCI_DEVICE(t->vdev);

    return (pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MEMORY) &&
           pci_get_bar_addr(pdev, 0) != PCI_BAR_UNMAPPED;
}

uint32_t i40evf_hw_read(I40EVFTrap *t, hwaddr addr)
{
    if (t->state == I40EVF_MBX_DEAD) {
        return UINT32_MAX;
    }
    if (!hw_accessible(t)) {
        return 0;
    }
    return vfio_region_read(&t->vdev->bars[0].region, addr, 4);
}

void i40evf_hw_write(I40EVFTrap *t, hwaddr addr, uint32_t val)
{
    if (t->state != I40EVF_MBX_DEAD && hw_accessible(t)) {
        vfio_region_write(&t->vdev->bars[0].region, addr, val, 4);
    }
}

static struct i40e_aq_desc *hw_desc(I40EVFTrap *t, bool arq, uint32_t idx)
{
    return (struct i40e_aq_desc *)(t->dma + (arq ? ARQ_OFF : ATQ_OFF) +
                                   idx * DESC_SIZE);
}

static void set_desc_addr(struct i40e_aq_desc *d, hwaddr addr)
{
    d->addr_high = cpu_to_le32(addr >> 32);
    d->addr_low = cpu_to_le32(addr);
}

/* Hand ARQ descriptor @idx back to the device with its empty buffer. */
static void arq_post(I40EVFTrap *t, uint32_t idx)
{
    struct i40e_aq_desc *d = hw_desc(t, true, idx);

    memset(d, 0, DESC_SIZE);
    d->flags = cpu_to_le16(I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_LB);
    d->datalen = cpu_to_le16(I40EVF_MBX_BUF_SIZE);
    set_desc_addr(d, t->iova + ARQ_BUF_OFF + idx * I40EVF_MBX_BUF_SIZE);
}

/* A VF that reads all ones is looked at less often: each read fails */
static void poll_schedule(I40EVFTrap *t)
{
    timer_mod(t->poll_timer, qemu_clock_get_us(QEMU_CLOCK_REALTIME) +
              (t->unreadable_since ? UNREADABLE_POLL_US : POLL_US));
}

static bool vector0_hooked(I40EVFTrap *t)
{
    VFIOPCIDevice *vdev = t->vdev;

    return vdev->interrupt == VFIO_INT_MSIX && vdev->nr_vectors > 0 &&
           vdev->msi_vectors[0].use;
}

/* Poll while something is expected and no interrupt will announce it. */
static void poll_update(I40EVFTrap *t)
{
    if (t->state == I40EVF_MBX_DEAD || !hw_accessible(t)) {
        /* The guest's next access to the mailbox brings it back */
        timer_del(t->poll_timer);
    } else if (t->state == I40EVF_MBX_DOWN || t->inflight ||
               t->reset_pending || !vector0_hooked(t)) {
        poll_schedule(t);
    } else {
        timer_del(t->poll_timer);
    }
}

/* Vector 0 masks itself when it fires: arm it for the next message. */
static void vector0_arm(I40EVFTrap *t)
{
    i40evf_hw_write(t, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_INTENA |
                    I40E_VFINT_DYN_CTL_CLEARPBA |
                    (I40E_VFINT_ITR_NONE << I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT));
}

/*
 * Program the VF's mailbox registers the way iavf does, once the PF has
 * finished resetting the VF.
 */
static void mbx_up(I40EVFTrap *t)
{
    uint32_t len = I40EVF_MBX_RING_LEN | I40E_VF_AQLEN_ENABLE;

    memset(t->dma, 0, ARQ_BUF_OFF);
    for (uint32_t i = 0; i < I40EVF_MBX_RING_LEN; i++) {
        arq_post(t, i);
    }
    t->atq_next = 0;
    t->arq_next = 0;

    i40evf_hw_write(t, I40E_VF_ATQH1, 0);
    i40evf_hw_write(t, I40E_VF_ATQT1, 0);
    i40evf_hw_write(t, I40E_VF_ATQLEN1, len);
    i40evf_hw_write(t, I40E_VF_ATQBAL1, t->iova + ATQ_OFF);
    i40evf_hw_write(t, I40E_VF_ATQBAH1, (t->iova + ATQ_OFF) >> 32);
    i40evf_hw_write(t, I40E_VF_ARQH1, 0);
    i40evf_hw_write(t, I40E_VF_ARQT1, 0);
    i40evf_hw_write(t, I40E_VF_ARQLEN1, len);
    i40evf_hw_write(t, I40E_VF_ARQBAL1, t->iova + ARQ_OFF);
    i40evf_hw_write(t, I40E_VF_ARQBAH1, (t->iova + ARQ_OFF) >> 32);
    i40evf_hw_write(t, I40E_VF_ARQT1, I40EVF_MBX_RING_LEN - 1);

    /* The mailbox cause raises the VF's vector 0, which QEMU takes */
    i40evf_hw_write(t, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    vector0_arm(t);
    t->state = I40EVF_MBX_UP;
    trace_i40evf_mbx_up(t->iova);
}

static void send_next(I40EVFTrap *t);
static bool arq_drain(I40EVFTrap *t, bool repost);

static void free_request(I40EVFRequest *req)
{
    if (req->waiter) {
        req->done = true;       /* the waiter frees it */
        return;
    }
    g_free(req->buf);
    g_free(req->reply);
    g_free(req);
}

static void finish_inflight(I40EVFTrap *t)
{
    if (t->inflight) {
        free_request(t->inflight);
        t->inflight = NULL;
    }
}

/* The PF will not answer: the guest gets an admin-queue error instead. */
static void fail_inflight(I40EVFTrap *t, const char *why)
{
    I40EVFRequest *req = t->inflight;

    trace_i40evf_mbx_fail(virtchnl_op_name(req->v_opcode), req->v_opcode,
                          why);
    req->v_retval = VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR;
    req->unanswered = true;
    if (!req->internal) {
        t->ops[MIN(req->v_opcode, I40EVF_OPS - 1)].unanswered++;
        i40evf_trap_deliver(t, req->v_opcode, req->v_retval, NULL, 0);
    }
    finish_inflight(t);
}

/*
 * The VF was reset (by the guest's RESET_VF, a granted REQUEST_QUEUES, an
 * FLR, or its host): the mailbox is down until the PF marks it active.
 */
void i40evf_mbx_down(I40EVFTrap *t)
{
    if (t->state == I40EVF_MBX_DEAD) {
        return;
    }
    if (t->inflight && t->inflight->v_opcode == VIRTCHNL_OP_REQUEST_QUEUES) {
        /* Granted: the PF resets the VF instead of replying */
        i40evf_shadow_update(&t->shadow, VIRTCHNL_OP_REQUEST_QUEUES,
                             t->inflight->buf, t->inflight->len, 0, NULL, 0);
        finish_inflight(t);
    } else if (t->inflight) {
        fail_inflight(t, "VF reset");
    }
    t->state = I40EVF_MBX_DOWN;
    t->reset_pending = false;
    trace_i40evf_mbx_down();
    poll_update(t);
}

/*
 * The device no longer answers (all ones, as a surprise-removed function
 * reads; or its vfio-user server died).  The guest keeps its virtual
 * mailbox and learns that the link is down; what it sends later fails.
 */
static void mbx_dead(I40EVFTrap *t)
{
    struct virtchnl_pf_event ev = {
        .event = cpu_to_le32(VIRTCHNL_EVENT_LINK_CHANGE),
        .severity = cpu_to_le32(VIRTCHNL_PF_EVENT_SEVERITY_INFO),
    };

    error_report("%s: the VF does not respond: link down",
                 t->vdev->vbasedev.name);
    if (t->inflight) {
        fail_inflight(t, "device gone");
    }
    /* What waited for the VF to come back gets the same answer */
    while ((t->inflight = QSIMPLEQ_FIRST(&t->backlog))) {
        QSIMPLEQ_REMOVE_HEAD(&t->backlog, next);
        t->backlog_len--;
        fail_inflight(t, "device gone");
    }
    t->state = I40EVF_MBX_DEAD;
    i40evf_migration_update_blocker(t);
    poll_update(t);
    i40evf_trap_deliver(t, VIRTCHNL_OP_EVENT, 0, (uint8_t *)&ev, sizeof(ev));
}

/*
 * A VF reads all ones while its host resets it (an FLR) and when it is
 * gone (surprise removal, its vfio-user server dead): taken for a reset
 * at first, for dead once it has read so for I40EVF_DEAD_MS.
 */
static void mbx_unreadable(I40EVFTrap *t)
{
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    if (!t->unreadable_since) {
        t->unreadable_since = now;
        if (t->state == I40EVF_MBX_UP) {
            i40evf_mbx_down(t);
            i40evf_trap_hw_reset(t);
        }
    } else if (now - t->unreadable_since >= I40EVF_DEAD_MS) {
        mbx_dead(t);
    }
}

/*
 * A VF reset shows on the hardware as a mailbox whose length registers
 * lost their enable bit.  Returns true if the mailbox is up.
 */
bool i40evf_mbx_check(I40EVFTrap *t)
{
    uint32_t arqlen, rstat;

    if (t->state == I40EVF_MBX_DEAD || !hw_accessible(t)) {
        return false;
    }
    arqlen = i40evf_hw_read(t, I40E_VF_ARQLEN1);
    if (arqlen == UINT32_MAX) {
        mbx_unreadable(t);
        return false;
    }
    t->unreadable_since = 0;
    if (t->state == I40EVF_MBX_UP && !(arqlen & I40E_VF_AQLEN_ENABLE)) {
        arq_drain(t, false);
        i40evf_mbx_down(t);
        i40evf_trap_hw_reset(t);
    }
    if (t->state == I40EVF_MBX_DOWN) {
        rstat = i40evf_hw_read(t, I40E_VFGEN_RSTAT) &
                I40E_VFGEN_RSTAT_VFR_STATE_MASK;
        if (rstat == I40E_VFR_COMPLETED || rstat == I40E_VFR_VFACTIVE) {
            mbx_up(t);
            send_next(t);
        }
    }
    return t->state == I40EVF_MBX_UP;
}

static void send_request(I40EVFTrap *t, I40EVFRequest *req)
{
    struct i40e_aq_desc *d = hw_desc(t, false, t->atq_next);
    uint16_t flags = I40E_AQ_FLAG_SI;

    memset(d, 0, DESC_SIZE);
    if (req->len) {
        flags |= I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD;
        if (req->len > I40E_AQ_LARGE_BUF) {
            flags |= I40E_AQ_FLAG_LB;
        }
        memcpy(t->dma + ATQ_BUF_OFF, req->buf, req->len);
        set_desc_addr(d, t->iova + ATQ_BUF_OFF);
    }
    d->flags = cpu_to_le16(flags);
    d->opcode = cpu_to_le16(I40E_AQC_OPC_SEND_MSG_TO_PF);
    d->datalen = cpu_to_le16(req->len);
    d->cookie_high = cpu_to_le32(req->v_opcode);
    t->atq_next = (t->atq_next + 1) % I40EVF_MBX_RING_LEN;
    smp_wmb();
    trace_i40evf_mbx_send(virtchnl_op_name(req->v_opcode), req->v_opcode,
                          req->len);
    i40evf_hw_write(t, I40E_VF_ATQT1, t->atq_next);
}

static void send_next(I40EVFTrap *t)
{
    I40EVFRequest *req;

    while (t->state == I40EVF_MBX_UP && !t->inflight && !t->reset_pending &&
           (req = QSIMPLEQ_FIRST(&t->backlog))) {
        QSIMPLEQ_REMOVE_HEAD(&t->backlog, next);
        t->backlog_len--;
        send_request(t, req);
        t->deadline_ms = qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                         t->timeout_ms;
        if (req->v_opcode == VIRTCHNL_OP_RESET_VF) {
            /*
             * No reply: the PF resets the VF, in its own time.  Like
             * iavf, wait for the mailbox to go down; until then the guest
             * sees its mailbox as it was.
             */
            free_request(req);
            t->reset_pending = true;
            break;
        }
        t->inflight = req;
    }
    /* Room in the backlog again: take what the guest posted meanwhile */
    i40evf_trap_pop_atq(t);
    poll_update(t);
}

void i40evf_mbx_submit(I40EVFTrap *t, I40EVFRequest *req)
{
    if (t->state == I40EVF_MBX_DEAD) {
        t->ops[MIN(req->v_opcode, I40EVF_OPS - 1)].unanswered++;
        i40evf_trap_deliver(t, req->v_opcode,
                            VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR, NULL, 0);
        g_free(req->buf);
        g_free(req);
        return;
    }
    QSIMPLEQ_INSERT_TAIL(&t->backlog, req, next);
    t->backlog_len++;
    if (t->state == I40EVF_MBX_DOWN) {
        i40evf_mbx_check(t);
    }
    send_next(t);
}

/* One message from the PF: the reply to the request out, or an event. */
static void handle_pf_msg(I40EVFTrap *t, uint32_t v_opcode, int32_t v_retval,
                          const uint8_t *msg, uint16_t len)
{
    I40EVFRequest *req = t->inflight;

    trace_i40evf_mbx_recv(virtchnl_op_name(v_opcode), v_opcode, v_retval,
                          len);
    if (v_opcode == VIRTCHNL_OP_EVENT) {
        t->events++;
    } else if (req && req->v_opcode == v_opcode && req->internal) {
        req->v_retval = v_retval;
        req->reply_len = len;
        if (req->reply) {
            memcpy(req->reply, msg, len);
        }
        finish_inflight(t);
        return;
    } else if (req && req->v_opcode == v_opcode) {
        I40EVFOpStats *st = &t->ops[MIN(v_opcode, I40EVF_OPS - 1)];

        if (v_retval) {
            st->failed++;
        } else {
            st->ok++;
        }
        if (i40evf_shadow_update(&t->shadow, v_opcode, req->buf, req->len,
                                 v_retval, msg, len) &&
            v_retval == 0) {
            warn_report_once("%s: the shadow cannot follow %s: the VF's "
                             "state can no longer be migrated",
                             t->vdev->vbasedev.name,
                             virtchnl_op_name(v_opcode));
            t->shadow_lost = true;
            i40evf_migration_update_blocker(t);
        }
        finish_inflight(t);
        if (v_opcode == VIRTCHNL_OP_GET_VF_RESOURCES && !v_retval) {
            t->guest_vsi = t->shadow.vsi_id;
        }
        /* The guest rebuilds its queues itself: the relay is over */
        if (v_opcode == VIRTCHNL_OP_DISABLE_QUEUES ||
            v_opcode == VIRTCHNL_OP_CONFIG_VSI_QUEUES ||
            v_opcode == VIRTCHNL_OP_ENABLE_QUEUES) {
            i40evf_relay_end(t, virtchnl_op_name(v_opcode));
        }
        if (v_opcode == VIRTCHNL_OP_GET_STATS && !v_retval) {
            i40evf_stats_offset(t, msg, len);
            return;
        }
    }
    i40evf_trap_deliver(t, v_opcode, v_retval, msg, len);
}

/*
 * The counters the guest reads go on from where they were on the VFs it
 * had before: each is the VF's own plus what the earlier VFs had counted.
 */
void i40evf_stats_offset(I40EVFTrap *t, const uint8_t *msg, uint16_t len)
{
    g_autofree uint8_t *stats = g_memdup2(msg, len);

    /* i40e sends i40e_eth_stats: the virtchnl counters, then one more */
    for (int i = 0; i < I40EVF_STATS_WORDS && 8 * i + 8 <= len; i++) {
        stq_le_p(stats + 8 * i, ldq_le_p(stats + 8 * i) + t->stats_base[i]);
    }
    i40evf_trap_deliver(t, VIRTCHNL_OP_GET_STATS, 0, stats, len);
}

static bool arq_ready(I40EVFTrap *t)
{
    return hw_desc(t, true, t->arq_next)->flags & cpu_to_le16(I40E_AQ_FLAG_DD);
}

/*
 * Hand the guest what the PF put on the ARQ.  The ring lives in QEMU's
 * memory, so this also works when the VF has just been reset: messages
 * that came before the reset (RESET_IMPENDING) still reach the guest.
 */
static bool arq_drain(I40EVFTrap *t, bool repost)
{
    bool took = false;

    while (arq_ready(t)) {
        struct i40e_aq_desc *d = hw_desc(t, true, t->arq_next);
        uint32_t idx = t->arq_next;
        uint16_t len = MIN(le16_to_cpu(d->datalen), I40EVF_MBX_BUF_SIZE);

        smp_rmb();
        handle_pf_msg(t, le32_to_cpu(d->cookie_high),
                      le32_to_cpu(d->cookie_low),
                      t->dma + ARQ_BUF_OFF + idx * I40EVF_MBX_BUF_SIZE, len);
        arq_post(t, idx);
        t->arq_next = (idx + 1) % I40EVF_MBX_RING_LEN;
        if (repost) {
            i40evf_hw_write(t, I40E_VF_ARQT1, idx);
        }
        took = true;
    }
    return took;
}

/* Take what the PF put on the ARQ, and see if the request out failed. */
bool i40evf_mbx_poll(I40EVFTrap *t)
{
    bool took;

    /* A message waiting says the mailbox is up: spare the register read */
    if ((t->state != I40EVF_MBX_UP || !arq_ready(t)) &&
        !i40evf_mbx_check(t)) {
        return false;
    }
    took = arq_drain(t, true);

    if (t->reset_pending &&
        qemu_clock_get_ms(QEMU_CLOCK_REALTIME) >= t->deadline_ms) {
        error_report("%s: the PF did not reset the VF within %u ms",
                     t->vdev->vbasedev.name, t->timeout_ms);
        t->reset_pending = false;
    }
    if (t->inflight) {
        uint32_t last = (t->atq_next + I40EVF_MBX_RING_LEN - 1) %
                        I40EVF_MBX_RING_LEN;
        uint16_t flags = le16_to_cpu(hw_desc(t, false, last)->flags);

        if ((flags & I40E_AQ_FLAG_DD) && (flags & I40E_AQ_FLAG_ERR)) {
            fail_inflight(t, "refused by the mailbox");
        } else if (qemu_clock_get_ms(QEMU_CLOCK_REALTIME) >=
                   t->deadline_ms) {
            error_report("%s: no reply from the PF to %s within %u ms",
                         t->vdev->vbasedev.name,
                         virtchnl_op_name(t->inflight->v_opcode),
                         t->timeout_ms);
            fail_inflight(t, "timeout");
        }
    }
    send_next(t);
    return took;
}

/*
 * Until the VF may have answered.  The destination loads in a coroutine:
 * it yields to the main loop.  The source stops its queues in the
 * migration thread, where the switchover cannot go on before the VF has
 * answered: it waits on the VF's vector 0, bounded by @end_ns (a VF whose
 * vector 0 the guest never enabled cannot signal: the wait is a tick).
 */
static void mbx_wait_for_vf(I40EVFTrap *t, int64_t end_ns)
{
    int64_t tick = MIN(MAX(end_ns - qemu_clock_get_ns(QEMU_CLOCK_REALTIME),
                           0), POLL_US * SCALE_US);
    EventNotifier *irq = &t->vdev->msi_vectors[0].interrupt;
    GPollFD pfd = { .events = G_IO_IN };

    if (qemu_in_coroutine()) {
        qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, tick);
        return;
    }
    if (vector0_hooked(t)) {
        pfd.fd = event_notifier_get_fd(irq);
    }
    if (qemu_poll_ns(&pfd, vector0_hooked(t), tick) > 0 &&
        event_notifier_test_and_clear(irq)) {
        /* Taken here, not by the main loop: acknowledge and re-arm */
        t->hw_irqs++;
        i40evf_hw_read(t, I40E_VFINT_ICR01);
        vector0_arm(t);
    }
}

/*
 * Wait for the mailbox to be idle or for @req to be answered.  For
 * migration only, with the VM stopped; bounded by the timeout.
 */
static bool mbx_wait(I40EVFTrap *t, I40EVFRequest *req, Error **errp)
{
    int64_t end = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                  2 * t->timeout_ms * SCALE_MS;

    for (;;) {
        i40evf_mbx_poll(t);
        if (t->state == I40EVF_MBX_DEAD) {
            error_setg(errp, "the VF does not respond");
            return false;
        }
        if (req ? req->done : !t->inflight && !t->backlog_len &&
                              !t->reset_pending &&
                              t->state == I40EVF_MBX_UP) {
            return true;
        }
        if (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) >= end) {
            error_setg(errp, "the VF's mailbox is still busy after %u ms",
                       2 * t->timeout_ms);
            return false;
        }
        mbx_wait_for_vf(t, end);
    }
}

bool i40evf_mbx_wait_idle(I40EVFTrap *t, Error **errp)
{
    return mbx_wait(t, NULL, errp);
}

static I40EVFRequest *internal_request(uint32_t v_opcode, const void *msg,
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
void i40evf_mbx_post(I40EVFTrap *t, uint32_t v_opcode, const void *msg,
                     uint16_t len)
{
    I40EVFRequest *req = internal_request(v_opcode, msg, len);

    QSIMPLEQ_INSERT_HEAD(&t->backlog, req, next);
    t->backlog_len++;
    send_next(t);
}

/*
 * A request of QEMU's own, answered before it returns.  False, with
 * @errp set, if the PF did not answer or answered with a status other
 * than success; that status goes to @status if the caller wants it.
 */
bool i40evf_mbx_call(I40EVFTrap *t, uint32_t v_opcode, const void *msg,
                     uint16_t len, void *reply, uint16_t *reply_len,
                     int32_t *status, Error **errp)
{
    ERRP_GUARD();
    I40EVFRequest *req = internal_request(v_opcode, msg, len);
    const char *op = virtchnl_op_name(v_opcode);
    int32_t ret = VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR;

    req->waiter = true;
    req->reply = g_malloc(I40EVF_MBX_BUF_SIZE);
    QSIMPLEQ_INSERT_HEAD(&t->backlog, req, next);
    t->backlog_len++;
    i40evf_mbx_check(t);
    send_next(t);
    if (!mbx_wait(t, req, errp)) {
        /* Still queued or out: let the mailbox free it */
        req->waiter = false;
        error_prepend(errp, "%s (%u): ", op, v_opcode);
        goto out;
    }
    ret = req->v_retval;
    if (req->unanswered) {
        error_setg(errp, "the PF did not answer %s (%u) within %u ms",
                   op, v_opcode, t->timeout_ms);
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

static void poll_timer_cb(void *opaque)
{
    I40EVFTrap *t = opaque;

    /* What the poll took fired vector 0 too, which masked itself */
    if (i40evf_mbx_poll(t) && t->state == I40EVF_MBX_UP) {
        vector0_arm(t);
    }
    poll_update(t);
}

/*
 * The VF's vector 0, intercepted from vfio: acknowledge its causes, take
 * the mailbox's messages, pass any other cause on to the guest's vector 0
 * and re-arm.  Queue vectors are intercepted only while the relay runs.
 */
void i40evf_mbx_vector0(VFIOPCIDevice *vdev, unsigned int nr)
{
    I40EVFTrap *t = i40evf_trap_of(OBJECT(vdev));
    uint32_t icr01;

    if (nr) {
        i40evf_relay_vector(t, nr);
        return;
    }

    t->hw_irqs++;
    icr01 = i40evf_hw_read(t, I40E_VFINT_ICR01);
    trace_i40evf_mbx_irq(icr01);
    i40evf_mbx_poll(t);
    icr01 &= ~(I40E_VFINT_ICR01_ADMINQ | I40E_VFINT_ICR01_INTEVENT);
    if (icr01 && icr01 != UINT32_MAX) {
        i40evf_trap_latch_vec0(t, icr01);
    }
    if (t->state == I40EVF_MBX_UP) {
        vector0_arm(t);
    }
    poll_update(t);
}

/*
 * The highest IOVA block of the container's valid ranges below IOVA_TOP,
 * if nothing the device can reach is there.
 */
static bool mbx_pick_iova(I40EVFTrap *t, Error **errp)
{
    VFIOContainer *bcontainer = t->vdev->vbasedev.bcontainer;
    AddressSpace *as = pci_device_iommu_address_space(PCI_DEVICE(t->vdev));
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
    t->iova = QEMU_ALIGN_DOWN(top - DMA_SIZE, 64 * KiB);
    sec = memory_region_find(as->root, t->iova, DMA_SIZE);
    if (sec.mr) {
        memory_region_unref(sec.mr);
        error_setg(errp, "no free IOVA for the mailbox: 0x%" PRIx64
                   " is in use", (uint64_t)t->iova);
        return false;
    }
    return true;
}

bool i40evf_mbx_init(I40EVFTrap *t, Error **errp)
{
    VFIOContainer *bcontainer = t->vdev->vbasedev.bcontainer;
    int ret;

    if (!t->timeout_ms) {
        error_setg(errp, "x-mbx-timeout-ms must be at least 1");
        return false;
    }
    if (!mbx_pick_iova(t, errp)) {
        return false;
    }
    /* Shared, so that a vfio-user server can map it like guest RAM */
    if (!memory_region_init_ram_flags_nomigrate(&t->dma_mr, OBJECT(t->vdev),
                                                "i40evf-mailbox", DMA_SIZE,
                                                RAM_SHARED, errp)) {
        return false;
    }
    t->dma = memory_region_get_ram_ptr(&t->dma_mr);
    ret = vfio_container_dma_map(bcontainer, t->iova, DMA_SIZE, t->dma,
                                 false, &t->dma_mr);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot map the mailbox for DMA at "
                         "0x%" PRIx64, (uint64_t)t->iova);
        object_unparent(OBJECT(&t->dma_mr));
        return false;
    }
    t->dma_mapped = true;
    t->poll_timer = timer_new_us(QEMU_CLOCK_REALTIME, poll_timer_cb, t);
    t->vdev->msix_intercepted = 1;
    t->vdev->msix_intercept = i40evf_mbx_vector0;
    t->state = I40EVF_MBX_DOWN;
    poll_update(t);
    return true;
}

void i40evf_mbx_exit(I40EVFTrap *t)
{
    I40EVFRequest *req;

    t->vdev->msix_intercepted = 0;
    t->vdev->msix_intercept = NULL;
    g_clear_pointer(&t->poll_timer, timer_free);
    finish_inflight(t);
    while ((req = QSIMPLEQ_FIRST(&t->backlog))) {
        QSIMPLEQ_REMOVE_HEAD(&t->backlog, next);
        g_free(req->buf);
        g_free(req);
    }
    if (t->dma_mapped) {
        vfio_container_dma_unmap(t->vdev->vbasedev.bcontainer, t->iova,
                                 DMA_SIZE, NULL, false);
        t->dma_mapped = false;
        object_unparent(OBJECT(&t->dma_mr));
    }
}
