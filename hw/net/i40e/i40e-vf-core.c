/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: BAR0 registers, interrupts
 * and VF resets.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "hw/pci/msix.h"
#include "system/runstate.h"
#include "net/net.h"
#include "i40e-vf-core.h"
#include "hw/net/net_tx_pkt.h"
#include "hw/net/net_rx_pkt.h"
#include "trace.h"

/*
 * Interrupts.  A vector fires when a cause is pending, the driver armed it
 * (INTENA) and the ITR interval of the cause's ITR index has passed since
 * it last fired; firing disarms it (auto-mask), except vector 0 once the
 * PF turned auto-masking off for an RX_POLLING VF.  Causes pile up
 * meanwhile: the pending state is the vector's, not the MSI-X PBA's.
 */

static void i40e_vf_vector_update(I40EVFCore *core, unsigned int v)
{
    I40EVFVector *vec = &core->vec[v];
    int64_t now;

    if (!vec->intena || !vec->pending) {
        return;
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (now < vec->due) {
        timer_mod_anticipate(core->itr_timer, vec->due);
        return;
    }
    vec->intena = v == 0 && core->automask_vf0_off;
    vec->pending = false;
    vec->last_fire = now;
    if (v == 0) {
        core->icr01 |= I40E_VFINT_ICR01_INTEVENT;
    }
    if (v < core->num_vectors && msix_enabled(core->owner)) {
        trace_i40e_vf_irq_fire(v);
        msix_notify(core->owner, v);
    }
}

/* A cause for vector v, paced by its ITR index (3: not paced). */
static void i40e_vf_vector_cause(I40EVFCore *core, unsigned int v,
                                 unsigned int itr_idx)
{
    I40EVFVector *vec = &core->vec[v];
    int64_t due = 0;

    if (itr_idx < I40E_VF_ITR_INDICES) {
        due = vec->last_fire +
              (int64_t)vec->itr[itr_idx] * I40E_VF_ITR_UNIT_NS;
    }
    if (!vec->pending || due < vec->due) {
        vec->due = due;
    }
    vec->pending = true;
    trace_i40e_vf_irq_cause(v, vec->intena);
    i40e_vf_vector_update(core, v);
}

static void i40e_vf_itr_expired(void *opaque)
{
    I40EVFCore *core = opaque;

    for (unsigned int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        i40e_vf_vector_update(core, v);
    }
}

/*
 * Vector 0's causes latch in ICR01 until it is read; each raises the
 * vector once, when it is latched or, if ICR0_ENA masked it then, when
 * ICR0_ENA lets it through.  A cause that already raised the vector does
 * not raise it again from ICR0_ENA: DPDK re-arms without reading ICR01.
 */
static void i40e_vf_update_vec0(I40EVFCore *core)
{
    uint32_t fire = core->icr01_unsignalled &
                    (core->icr0_ena | I40E_VFINT_ICR01_SWINT);

    if (fire) {
        core->icr01_unsignalled &= ~fire;
        i40e_vf_vector_cause(core, 0, I40E_VFINT_ITR_NONE);
    }
}

static void i40e_vf_latch_vec0(I40EVFCore *core, uint32_t cause)
{
    core->icr01 |= cause;
    core->icr01_unsignalled |= cause;
    i40e_vf_update_vec0(core);
}

void i40e_vf_raise_adminq_irq(I40EVFCore *core)
{
    i40e_vf_latch_vec0(core, I40E_VFINT_ICR01_ADMINQ);
}

/*
 * The PF agent takes each request as its descriptor completes: its reply
 * is a separate ARQ event, as with the real mailbox.
 */
void i40e_vf_aq_process_atq(I40EVFCore *core)
{
    /* The PF does not listen while it rebuilds the VF. */
    while (core->rstat != I40E_VFR_INPROGRESS &&
           i40e_vf_aq_enabled(&core->atq) && core->atq.head != core->atq.tail) {
        g_autofree uint8_t *buf = NULL;
        uint32_t v_opcode;
        uint16_t len;
        int ret = i40e_vf_aq_pop(core->owner, &core->atq, &v_opcode,
                                 &buf, &len);

        if (ret < 0) {
            return;
        }
        if (ret) {
            i40e_vf_pf_handle_msg(core, v_opcode, buf, len);
        }
    }
}

void i40e_vf_aq_send(I40EVFCore *core, uint32_t v_opcode, int32_t v_retval,
                     const void *msg, uint16_t msglen)
{
    if (i40e_vf_aq_push(core->owner, &core->arq, v_opcode, v_retval,
                        msg, msglen)) {
        i40e_vf_raise_adminq_irq(core);
    }
}

void i40e_vf_raise_queue_irq(I40EVFCore *core, const I40EVFRing *ring)
{
    if (ring->vector < core->num_vectors) {
        i40e_vf_vector_cause(core, ring->vector, ring->itr_idx);
    }
}

static void i40e_vf_write_dyn_ctl(I40EVFCore *core, unsigned int v,
                                  uint32_t val)
{
    I40EVFVector *vec = &core->vec[v];
    unsigned int itr = (val & I40E_VFINT_DYN_CTL_ITR_INDX_MASK) >>
                       I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT;

    trace_i40e_vf_dyn_ctl(v, val);
    if (!(val & I40E_VFINT_DYN_CTL_INTENA_MSK)) {
        vec->intena = val & I40E_VFINT_DYN_CTL_INTENA;
    }
    /* The MSI-X pending bit, not a cause: those stay until they fire. */
    if ((val & I40E_VFINT_DYN_CTL_CLEARPBA) && v < core->num_vectors) {
        msix_clr_pending(core->owner, v);
    }
    if (itr < I40E_VF_ITR_INDICES) {
        vec->itr[itr] = (val & I40E_VFINT_DYN_CTL_INTERVAL_MASK) >>
                        I40E_VFINT_DYN_CTL_INTERVAL_SHIFT;
    }
    if ((val & I40E_VFINT_DYN_CTL_SWINT_TRIG) && v == 0) {
        i40e_vf_latch_vec0(core, I40E_VFINT_ICR01_SWINT);
    } else if (val & I40E_VFINT_DYN_CTL_SWINT_TRIG) {
        i40e_vf_vector_cause(core, v, I40E_VFINT_ITR_NONE);
    } else {
        i40e_vf_vector_update(core, v);
    }
}

/* Register file: each entry covers an array of registers. */

typedef struct I40EVFReg {
    const char *name;
    hwaddr base;
    unsigned int count;
    unsigned int arg;   /* added to the index: selects an AQ field */
    uint32_t (*read)(I40EVFCore *core, unsigned int i);
    void (*write)(I40EVFCore *core, unsigned int i, uint32_t val);
} I40EVFReg;

static uint32_t rd_zero(I40EVFCore *core, unsigned int i)
{
    return 0;
}

static void wr_ignore(I40EVFCore *core, unsigned int i, uint32_t val)
{
}

static uint32_t rd_tx_tail(I40EVFCore *core, unsigned int i)
{
    return core->tx[i].tail;
}

/*
 * Like the silicon, transmit after the doorbell write has returned: the
 * guest goes on queueing (and its TCP stack coalescing) while the packets
 * leave, and the work runs beside the vCPU.
 */
static void wr_tx_tail(I40EVFCore *core, unsigned int i, uint32_t val)
{
    core->tx[i].tail = val & I40E_QTAIL_MASK;
    i40e_vf_tx_schedule(core, i);
}

static uint32_t rd_rx_tail(I40EVFCore *core, unsigned int i)
{
    return core->rx[i].tail;
}

static void wr_rx_tail(I40EVFCore *core, unsigned int i, uint32_t val)
{
    core->rx[i].tail = val & I40E_QTAIL_MASK;
    i40e_vf_rx_tail_written(core, i);
}

static uint32_t rd_itrn(I40EVFCore *core, unsigned int i)
{
    return core->vec[1 + i % I40E_VF_MAX_QUEUES].itr[i / I40E_VF_MAX_QUEUES];
}

static void wr_itrn(I40EVFCore *core, unsigned int i, uint32_t val)
{
    core->vec[1 + i % I40E_VF_MAX_QUEUES].itr[i / I40E_VF_MAX_QUEUES] =
        val & I40E_VFINT_ITR_INTERVAL_MASK;
}

static uint32_t rd_itr0(I40EVFCore *core, unsigned int i)
{
    return core->vec[0].itr[i];
}

static void wr_itr0(I40EVFCore *core, unsigned int i, uint32_t val)
{
    core->vec[0].itr[i] = val & I40E_VFINT_ITR_INTERVAL_MASK;
}

static uint32_t rd_dyn_ctln(I40EVFCore *core, unsigned int i)
{
    return core->vec[1 + i].intena ? I40E_VFINT_DYN_CTL_INTENA : 0;
}

static void wr_dyn_ctln(I40EVFCore *core, unsigned int i, uint32_t val)
{
    i40e_vf_write_dyn_ctl(core, 1 + i, val);
}

static uint32_t rd_dyn_ctl0(I40EVFCore *core, unsigned int i)
{
    return core->vec[0].intena ? I40E_VFINT_DYN_CTL_INTENA : 0;
}

static void wr_dyn_ctl0(I40EVFCore *core, unsigned int i, uint32_t val)
{
    i40e_vf_write_dyn_ctl(core, 0, val);
}

static bool vec0_has_queues(I40EVFCore *core)
{
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (core->rx[q].vector == 0 || core->tx[q].vector == 0) {
            return true;
        }
    }
    return false;
}

/*
 * The vector-0 handler reads ICR01 to acknowledge its causes: what it read
 * no longer waits to raise the vector (a queue cause on vector 0 does).
 */
static uint32_t rd_icr01(I40EVFCore *core, unsigned int i)
{
    uint32_t val = core->icr01;

    core->icr01 = 0;
    core->icr01_unsignalled = 0;
    if (!vec0_has_queues(core)) {
        core->vec[0].pending = false;
    }
    return val;
}

static uint32_t rd_icr0_ena(I40EVFCore *core, unsigned int i)
{
    return core->icr0_ena;
}

static void wr_icr0_ena(I40EVFCore *core, unsigned int i, uint32_t val)
{
    core->icr0_ena = val & I40E_VFINT_ICR0_ENA1_WRITABLE;
    i40e_vf_update_vec0(core);
}

/* Admin queue registers: i selects the field of the ATQ or ARQ. */
static uint32_t rd_atq(I40EVFCore *core, unsigned int f)
{
    return i40e_vf_aq_get(&core->atq, f);
}

static void wr_atq(I40EVFCore *core, unsigned int f, uint32_t val)
{
    i40e_vf_aq_set(&core->atq, f, val);
    if (f == I40E_VF_AQ_TAIL) {
        i40e_vf_aq_process_atq(core);
    }
}

static uint32_t rd_arq(I40EVFCore *core, unsigned int f)
{
    return i40e_vf_aq_get(&core->arq, f);
}

static void wr_arq(I40EVFCore *core, unsigned int f, uint32_t val)
{
    i40e_vf_aq_set(&core->arq, f, val);
}

static uint32_t rd_rstat(I40EVFCore *core, unsigned int i)
{
    return core->rstat;
}

/*
 * Register-mode RSS.  iavf's loops write one register past the HKEY and
 * HLUT arrays; those writes are dropped like on the hardware.
 */
static uint32_t rd_hena(I40EVFCore *core, unsigned int i)
{
    return core->rss_hena_reg[i];
}

static void wr_hena(I40EVFCore *core, unsigned int i, uint32_t val)
{
    core->rss_hena_reg[i] = val;
}

static uint32_t rd_hkey(I40EVFCore *core, unsigned int i)
{
    return i < I40E_VFQF_HKEY_REGS ? core->rss_hkey_reg[i] : 0;
}

static void wr_hkey(I40EVFCore *core, unsigned int i, uint32_t val)
{
    if (i < I40E_VFQF_HKEY_REGS) {
        core->rss_hkey_reg[i] = val;
    }
}

static uint32_t rd_hlut(I40EVFCore *core, unsigned int i)
{
    return i < I40E_VFQF_HLUT_REGS ? core->rss_hlut_reg[i] : 0;
}

static void wr_hlut(I40EVFCore *core, unsigned int i, uint32_t val)
{
    if (i < I40E_VFQF_HLUT_REGS) {
        core->rss_hlut_reg[i] = val & 0x0f0f0f0f;
    }
}

#define REG(n, b, c, r, w) \
    { .name = n, .base = b, .count = c, .read = r, .write = w }
#define AQREG(n, q, f) \
    { .name = #n, .base = I40E_##n, .count = 1, .arg = f, \
      .read = rd_##q, .write = wr_##q }

static const I40EVFReg i40e_vf_regs[] = {
    /* Doorbells first: they are the hot ones. */
    REG("QTX_TAIL1", I40E_QTX_TAIL1(0), I40E_VF_MAX_QUEUES,
        rd_tx_tail, wr_tx_tail),
    REG("QRX_TAIL1", I40E_QRX_TAIL1(0), I40E_VF_MAX_QUEUES,
        rd_rx_tail, wr_rx_tail),
    REG("VFINT_DYN_CTLN1", I40E_VFINT_DYN_CTLN1(0), I40E_VF_MAX_QUEUES,
        rd_dyn_ctln, wr_dyn_ctln),
    REG("VFINT_ITRN1", I40E_VFINT_ITRN1(0, 0),
        I40E_VF_ITR_INDICES * I40E_VF_MAX_QUEUES, rd_itrn, wr_itrn),
    REG("VFINT_ICR01", I40E_VFINT_ICR01, 1, rd_icr01, wr_ignore),
    REG("VFINT_ITR01", I40E_VFINT_ITR01(0), I40E_VF_ITR_INDICES,
        rd_itr0, wr_itr0),
    REG("VFINT_ICR0_ENA1", I40E_VFINT_ICR0_ENA1, 1, rd_icr0_ena, wr_icr0_ena),
    REG("VFINT_STAT_CTL01", I40E_VFINT_STAT_CTL01, 1, rd_zero, wr_ignore),
    REG("VFINT_DYN_CTL01", I40E_VFINT_DYN_CTL01, 1, rd_dyn_ctl0, wr_dyn_ctl0),
    AQREG(VF_ARQBAH1, arq, I40E_VF_AQ_BAH),
    AQREG(VF_ATQH1, atq, I40E_VF_AQ_HEAD),
    AQREG(VF_ATQLEN1, atq, I40E_VF_AQ_LEN),
    AQREG(VF_ARQBAL1, arq, I40E_VF_AQ_BAL),
    AQREG(VF_ARQT1, arq, I40E_VF_AQ_TAIL),
    AQREG(VF_ARQH1, arq, I40E_VF_AQ_HEAD),
    AQREG(VF_ATQBAH1, atq, I40E_VF_AQ_BAH),
    AQREG(VF_ATQBAL1, atq, I40E_VF_AQ_BAL),
    AQREG(VF_ARQLEN1, arq, I40E_VF_AQ_LEN),
    AQREG(VF_ATQT1, atq, I40E_VF_AQ_TAIL),
    REG("VFGEN_RSTAT", I40E_VFGEN_RSTAT, 1, rd_rstat, wr_ignore),
    REG("VFQF_HENA", I40E_VFQF_HENA(0), I40E_VFQF_HENA_REGS, rd_hena, wr_hena),
    REG("VFQF_HKEY", I40E_VFQF_HKEY(0), I40E_VFQF_HKEY_REGS + 1,
        rd_hkey, wr_hkey),
    REG("VFQF_HLUT", I40E_VFQF_HLUT(0), I40E_VFQF_HLUT_REGS + 1,
        rd_hlut, wr_hlut),
    REG("VFQF_HREGION", I40E_VFQF_HREGION(0), I40E_VFQF_HREGION_REGS,
        rd_zero, wr_ignore),
    REG("VFCM_PE_ERRINFO", I40E_VFCM_PE_ERRINFO, 1, rd_zero, wr_ignore),
    REG("VFCM_PE_ERRDATA", I40E_VFCM_PE_ERRDATA, 1, rd_zero, wr_ignore),
};

static const I40EVFReg *i40e_vf_find_reg(hwaddr addr, unsigned int *index)
{
    for (size_t i = 0; i < ARRAY_SIZE(i40e_vf_regs); i++) {
        const I40EVFReg *r = &i40e_vf_regs[i];

        if (addr >= r->base && addr < r->base + 4 * r->count) {
            *index = (addr - r->base) / 4 + r->arg;
            return r;
        }
    }
    return NULL;
}

uint64_t i40e_vf_core_read(I40EVFCore *core, hwaddr addr)
{
    unsigned int i;
    const I40EVFReg *r = i40e_vf_find_reg(addr & ~3ull, &i);
    uint32_t val;

    if (!r) {
        trace_i40e_vf_reg_read_unknown(addr);
        return 0;
    }
    val = r->read(core, i);
    trace_i40e_vf_reg_read(r->name, i - r->arg, val);
    return val;
}

void i40e_vf_core_write(I40EVFCore *core, hwaddr addr, uint64_t val)
{
    unsigned int i;
    const I40EVFReg *r = i40e_vf_find_reg(addr & ~3ull, &i);

    if (!r) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: write 0x%" PRIx64 " to unknown register "
                      "0x%" HWADDR_PRIx "\n", val, addr);
        return;
    }
    trace_i40e_vf_reg_write(r->name, i - r->arg, val);
    r->write(core, i, val);
}

/* Resets */

static void i40e_vf_reset_done(void *opaque)
{
    I40EVFCore *core = opaque;

    core->rstat = I40E_VFR_VFACTIVE;
    trace_i40e_vf_reset_done();
}

/*
 * A VF reset (RESET_VF, FLR, REQUEST_QUEUES, or a reset of the machine):
 * the hardware clears the admin queue and the interrupt state at once, so
 * the driver sees ARQLEN.ENABLE drop; the PF then rebuilds the VF and
 * reports VFACTIVE tens of milliseconds later.  The negotiated version and
 * a granted queue count survive, as they do in the i40e PF.
 */
void i40e_vf_core_reset(I40EVFCore *core)
{
    trace_i40e_vf_reset();
    core->rstat = I40E_VFR_INPROGRESS;
    i40e_vf_queues_stop(core);
    memset(&core->atq, 0, sizeof(core->atq));
    memset(&core->arq, 0, sizeof(core->arq));
    core->icr01 = 0;
    core->icr01_unsignalled = 0;
    core->icr0_ena = 0;
    memset(core->vec, 0, sizeof(core->vec));
    timer_del(core->itr_timer);
    /* The PF writes the default hash set at every VSI creation. */
    core->rss_hena_reg[0] = (uint32_t)I40E_DEFAULT_RSS_HENA;
    core->rss_hena_reg[1] = I40E_DEFAULT_RSS_HENA >> 32;
    memset(core->rss_hkey_reg, 0, sizeof(core->rss_hkey_reg));
    memset(core->rss_hlut_reg, 0, sizeof(core->rss_hlut_reg));
    i40e_vf_pf_reset(core);
    timer_mod(core->reset_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                                 core->reset_ms * SCALE_MS);
}

/*
 * A function-level reset, or the machine's: also what re-enables a VF that
 * a malicious-driver event disabled (its RESET_VF goes unanswered).
 */
void i40e_vf_core_flr(I40EVFCore *core)
{
    core->mdd_disabled = false;
    i40e_vf_core_reset(core);
}

/*
 * Interrupts and transmit wait for the VM to run: after an incoming
 * migration nothing is raised from post_load, and no packet leaves while
 * the VM is stopped and its memory may already have been sent.
 */
static void i40e_vf_vm_state_change(void *opaque, bool running,
                                    RunState state)
{
    I40EVFCore *core = opaque;

    if (!running) {
        return;
    }
    for (unsigned int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        i40e_vf_vector_update(core, v);
    }
    for (int q = 0; q < I40E_VF_MAX_QUEUES; q++) {
        if (core->tx[q].enabled && core->tx[q].head != core->tx[q].tail) {
            i40e_vf_tx_schedule(core, q);
        }
    }
}

bool i40e_vf_link_up(I40EVFCore *core)
{
    return !qemu_get_queue(core->nic)->link_down;
}

void i40e_vf_core_realize(I40EVFCore *core, PCIDevice *owner, NICState *nic)
{
    core->owner = owner;
    core->nic = nic;
    core->reset_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                     i40e_vf_reset_done, core);
    core->itr_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                   i40e_vf_itr_expired, core);
    core->tx_bh = qemu_bh_new_guarded(i40e_vf_tx_bh, core,
                                      &DEVICE(owner)->mem_reentrancy_guard);
    core->vmstate = qemu_add_vm_change_state_handler(i40e_vf_vm_state_change,
                                                     core);
    core->num_queue_pairs = core->default_queues;
    net_tx_pkt_init(&core->tx_pkt, I40E_VF_MAX_TX_FRAGS);
    net_rx_pkt_init(&core->rx_pkt);
    i40e_vf_fault_realize(core);
}

void i40e_vf_core_unrealize(I40EVFCore *core)
{
    timer_free(core->reset_timer);
    timer_free(core->itr_timer);
    qemu_bh_delete(core->tx_bh);
    qemu_del_vm_change_state_handler(core->vmstate);
    net_tx_pkt_uninit(core->tx_pkt);
    net_rx_pkt_uninit(core->rx_pkt);
    i40e_vf_fault_unrealize(core);
}

/* An enabled queue may have no ring: i40e lets it start, inert. */
static bool ring_valid(I40EVFCore *core, const I40EVFRing *r)
{
    return r->len <= I40E_VF_MAX_RING_LEN &&
           (r->len ? r->head < r->len : !r->head) &&
           r->tail <= I40E_QTAIL_MASK &&
           r->buf_size <= I40E_VF_MAX_RXBUF &&
           (r->vector < core->num_vectors || r->vector == I40E_VF_NO_VECTOR) &&
           r->itr_idx <= I40E_VFINT_ITR_NONE;
}

/* The migration stream is checked like anything else from outside. */
int i40e_vf_core_post_load(I40EVFCore *core)
{
    const char *bad = NULL;

    if (core->rstat > I40E_VFR_VFACTIVE) {
        bad = "reset state";
    } else if (!core->num_queue_pairs ||
               core->num_queue_pairs > I40E_VF_MAX_QUEUES) {
        bad = "queue count";
    } else if ((core->atq.head | core->atq.tail | core->arq.head |
                core->arq.tail) & ~I40E_VF_AQ_HT_MASK) {
        bad = "admin queue head or tail";
    }
    for (int q = 0; !bad && q < I40E_VF_MAX_QUEUES; q++) {
        if (!ring_valid(core, &core->rx[q]) ||
            !ring_valid(core, &core->tx[q])) {
            bad = "queue context";
        }
    }
    if (bad) {
        error_report("i40e-vf: migration stream has an invalid %s", bad);
        return -EINVAL;
    }
    core->icr0_ena &= I40E_VFINT_ICR0_ENA1_WRITABLE;
    core->icr01_unsignalled &= core->icr01;
    /* ITR pacing restarts; what is pending fires when the VM runs. */
    for (unsigned int v = 0; v < I40E_VF_MAX_VECTORS; v++) {
        core->vec[v].last_fire = 0;
        core->vec[v].due = 0;
    }
    return 0;
}
