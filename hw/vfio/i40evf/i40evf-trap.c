/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: the guest's side of the trapped mailbox.
 *
 * Two overlays sit above BAR0's own mapping, as vfio quirks do: the
 * admin-queue page range (0x6000-0x8fff, VFGEN_RSTAT included) and the
 * page range of vector 0's cause registers (0x4000-0x5fff).  The guest
 * drives a virtual mailbox with the registers' exact semantics (the ring
 * code is the emulated VF's); each request it posts is validated with the
 * PF's rules, and refused at once or queued for the hardware (i40evf-mbx.c).
 * Vector 0 is modelled here: the guest's ICR01, ICR0_ENA1 and DYN_CTL01.
 * Everything else in those pages is forwarded to the device unchanged.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/vfio/i40evf.h"
#include "trace.h"

/*
 * Whole pages: TCG's TLB takes an MMIO section's offset within the page
 * as page-aligned, and kernel VFIO can only leave whole pages mmap'd.
 */
#define VEC0_START      QEMU_ALIGN_DOWN(I40E_VFINT_ICR01, 4 * KiB)
#define VEC0_END        QEMU_ALIGN_UP(I40E_VFINT_DYN_CTL01 + 4, 4 * KiB)

static PCIDevice *trap_pdev(I40EVFTrap *t)
{
    return PCI_DEVICE(t->vdev);
}

/* Vector 0 as the guest sees it: the emulated VF's rules, no ITR pacing */

static void trap_vec0_fire(I40EVFTrap *t)
{
    if (!t->guest.vec0_pending || !t->guest.vec0_armed) {
        return;
    }
    t->guest.vec0_pending = false;
    /* The PF turns auto-masking off for an RX_POLLING VF (DPDK) */
    t->guest.vec0_armed = t->shadow.granted_caps &
                          VIRTCHNL_VF_OFFLOAD_RX_POLLING;
    t->guest.icr01 |= I40E_VFINT_ICR01_INTEVENT;
    if (msix_enabled(trap_pdev(t))) {
        trace_i40evf_vec0_fire(i40evf_name(t), t->guest.icr01);
        msix_notify(trap_pdev(t), 0);
    }
}

static void trap_vec0_update(I40EVFTrap *t)
{
    uint32_t fire = t->guest.icr01_unsignalled &
                    (t->guest.icr0_ena | I40E_VFINT_ICR01_SWINT);

    if (fire) {
        t->guest.icr01_unsignalled &= ~fire;
        t->guest.vec0_pending = true;
    }
    trap_vec0_fire(t);
}

static void trap_latch_vec0(I40EVFTrap *t, uint32_t cause)
{
    t->guest.icr01 |= cause;
    t->guest.icr01_unsignalled |= cause;
    trap_vec0_update(t);
}

static uint32_t trap_vec0_read(I40EVFTrap *t, hwaddr addr)
{
    uint32_t val;

    switch (addr) {
    case I40E_VFINT_ICR01:
        val = t->guest.icr01;
        t->guest.icr01 = 0;
        t->guest.icr01_unsignalled = 0;
        t->guest.vec0_pending = false;
        return val;
    case I40E_VFINT_ICR0_ENA1:
        return t->guest.icr0_ena;
    case I40E_VFINT_DYN_CTL01:
        return t->guest.vec0_armed ? I40E_VFINT_DYN_CTL_INTENA : 0;
    }
    t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH]++;
    return i40evf_hw_read(&t->mbx, addr);
}

static void trap_vec0_write(I40EVFTrap *t, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case I40E_VFINT_ICR01:
        return;
    case I40E_VFINT_ICR0_ENA1:
        t->guest.icr0_ena = val & I40E_VFINT_ICR0_ENA1_WRITABLE;
        trap_vec0_update(t);
        return;
    case I40E_VFINT_DYN_CTL01:
        if (!(val & I40E_VFINT_DYN_CTL_INTENA_MSK)) {
            t->guest.vec0_armed = val & I40E_VFINT_DYN_CTL_INTENA;
        }
        if (val & I40E_VFINT_DYN_CTL_CLEARPBA) {
            msix_clr_pending(trap_pdev(t), 0);
        }
        if (val & I40E_VFINT_DYN_CTL_SWINT_TRIG) {
            trap_latch_vec0(t, I40E_VFINT_ICR01_SWINT);
        }
        trap_vec0_fire(t);
        return;
    }
    t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH]++;
    i40evf_hw_write(&t->mbx, addr, val);
}

static bool trap_vec0_reg(hwaddr addr)
{
    return addr == I40E_VFINT_ICR01 || addr == I40E_VFINT_ICR0_ENA1 ||
           addr == I40E_VFINT_DYN_CTL01;
}

static uint64_t trap_vec0_mmio_read(void *opaque, hwaddr off,
                                    unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = VEC0_START + off;
    uint32_t val;

    if (trap_vec0_reg(addr)) {
        t->guest.trapped[I40EVF_BLOCK_VECTOR0]++;
    }
    val = trap_vec0_read(t, addr);
    trace_i40evf_trap_read(i40evf_name(t), addr, val);
    return val;
}

static void trap_vec0_mmio_write(void *opaque, hwaddr off, uint64_t val,
                                 unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = VEC0_START + off;

    if (trap_vec0_reg(addr)) {
        t->guest.trapped[I40EVF_BLOCK_VECTOR0]++;
    }
    trace_i40evf_trap_write(i40evf_name(t), addr, val);
    trap_vec0_write(t, addr, val);
}

static const MemoryRegionOps trap_vec0_ops = {
    .read = trap_vec0_mmio_read,
    .write = trap_vec0_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* The virtual mailbox */

void i40evf_trap_deliver(I40EVFTrap *t, uint32_t v_opcode, int32_t v_retval,
                         const uint8_t *msg, uint16_t len)
{
    trace_i40evf_deliver(i40evf_name(t), virtchnl_op_name(v_opcode), v_opcode,
                         v_retval, len);
    if (i40e_vf_aq_push(trap_pdev(t), &t->guest.arq, v_opcode, v_retval,
                        msg, len)) {
        trap_latch_vec0(t, I40E_VFINT_ICR01_ADMINQ);
    }
}

I40EVFOpStats *i40evf_trap_op_stats(I40EVFTrap *t, uint32_t v_opcode)
{
    return &t->ops[MIN(v_opcode, I40EVF_OPS - 1)];
}

/*
 * A request the PF would refuse for its form never reaches it: the guest
 * gets the PF's answer (i40e_vc_process_vf_msg: -EINVAL) from us.
 */
static void trap_take_request(I40EVFTrap *t, uint32_t v_opcode,
                              uint8_t *buf, uint16_t len)
{
    I40EVFRequest *req;

    i40evf_trap_op_stats(t, v_opcode)->requests++;
    if (virtchnl_vc_validate_vf_msg(&t->shadow.version, v_opcode,
                                    buf, len)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: invalid virtchnl message %s (%u),"
                      " %u bytes: refused\n", t->vdev->vbasedev.name,
                      virtchnl_op_name(v_opcode), v_opcode, len);
        i40evf_trap_op_stats(t, v_opcode)->refused++;
        trace_i40evf_refused(i40evf_name(t), virtchnl_op_name(v_opcode),
                             v_opcode, len);
        i40evf_trap_deliver(t, v_opcode, I40E_VC_EINVAL, NULL, 0);
        g_free(buf);
        return;
    }
    /* A guest that migrated keeps the VSI id of its source's VF */
    if (t->guest_vsi && t->guest_vsi != t->shadow.vsi_id) {
        virtchnl_move_vsi(v_opcode, buf, len, t->guest_vsi,
                          t->shadow.vsi_id);
    }
    req = g_new0(I40EVFRequest, 1);
    req->v_opcode = v_opcode;
    req->buf = buf;
    req->len = len;
    i40evf_mbx_submit(&t->mbx, req);
}

/*
 * Take what the guest posted, up to the backlog's limit: beyond it the
 * descriptors stay unconsumed until the hardware catches up, as a busy
 * mailbox leaves them.
 */
void i40evf_trap_pop_atq(I40EVFTrap *t)
{
    while (t->mbx.backlog_len < I40EVF_MBX_BACKLOG &&
           i40e_vf_aq_enabled(&t->guest.atq) &&
           t->guest.atq.head != t->guest.atq.tail) {
        uint32_t v_opcode;
        uint8_t *buf;
        uint16_t len;
        int ret = i40e_vf_aq_pop(trap_pdev(t), &t->guest.atq, &v_opcode,
                                 &buf, &len);

        if (ret < 0) {
            return;
        }
        if (ret) {
            trap_take_request(t, v_opcode, buf, len);
        }
    }
}

void i40evf_trap_notify(I40EVFTrap *t, I40EVFTrapEvent event,
                        const char *why)
{
    I40EVFTrapNotice notice = { .event = event, .why = why };

    notifier_list_notify(&t->notifiers, &notice);
}

const char *i40evf_trap_unmigratable(I40EVFTrap *t)
{
    if (t->shadow_lost) {
        return "its configuration was not fully recorded";
    }
    if (t->mbx.state == VFIO_I40EVF_MAILBOX_STATE_DEAD) {
        return "the VF does not respond";
    }
    return NULL;
}

/*
 * A VF reset clears the VF's mailbox registers: the guest's copy must
 * read the same, or iavf would not notice the reset.
 */
void i40evf_trap_vf_reset(I40EVFTrap *t)
{
    I40EVFGuest *g = &t->guest;

    trace_i40evf_hw_reset(i40evf_name(t));
    t->hw_resets++;
    i40evf_trap_notify(t, I40EVF_EVENT_VF_RESET, "VF reset");
    memset(&g->atq, 0, sizeof(g->atq));
    memset(&g->arq, 0, sizeof(g->arq));
    g->icr01 = 0;
    g->icr01_unsignalled = 0;
    g->icr0_ena = 0;
    g->vec0_armed = false;
    g->vec0_pending = false;
    /* What the shadow could not record is gone from the VF too */
    i40evf_shadow_reset(&t->shadow);
    t->shadow_lost = false;
    i40evf_trap_notify(t, I40EVF_EVENT_MIGRATABLE, NULL);
}

static uint64_t trap_mbx_mmio_read(void *opaque, hwaddr off,
                                   unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = I40E_VF_AQ_REGS_START + off;
    I40EVFAQField field;
    bool arq;
    uint32_t val;

    if (addr == I40E_VFGEN_RSTAT) {
        t->guest.trapped[I40EVF_BLOCK_MAILBOX]++;
        /* A VF that reads all ones is "in reset" for the guest */
        val = i40evf_mbx_check(&t->mbx) ||
              (t->mbx.state == VFIO_I40EVF_MAILBOX_STATE_DOWN &&
               !t->mbx.unreadable_since)
              ? i40evf_hw_read(&t->mbx, addr) : I40E_VFR_INPROGRESS;
    } else if (i40e_vf_aq_decode(addr, &arq, &field)) {
        t->guest.trapped[I40EVF_BLOCK_MAILBOX]++;
        if (field == I40E_VF_AQ_LEN) {
            /* iavf's watchdog reads ARQLEN to spot a VF reset */
            i40evf_mbx_check(&t->mbx);
        }
        val = i40e_vf_aq_get(arq ? &t->guest.arq : &t->guest.atq, field);
    } else {
        t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH]++;
        val = i40evf_hw_read(&t->mbx, addr);
    }
    trace_i40evf_trap_read(i40evf_name(t), addr, val);
    return val;
}

static void trap_mbx_mmio_write(void *opaque, hwaddr off, uint64_t val,
                                unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = I40E_VF_AQ_REGS_START + off;
    I40EVFAQField field;
    bool arq;

    trace_i40evf_trap_write(i40evf_name(t), addr, val);
    if (addr == I40E_VFGEN_RSTAT) {
        t->guest.trapped[I40EVF_BLOCK_MAILBOX]++;     /* read-only */
    } else if (i40e_vf_aq_decode(addr, &arq, &field)) {
        t->guest.trapped[I40EVF_BLOCK_MAILBOX]++;
        i40e_vf_aq_set(arq ? &t->guest.arq : &t->guest.atq, field, val);
        if (!arq && field == I40E_VF_AQ_TAIL) {
            i40evf_trap_pop_atq(t);
        }
    } else {
        t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH]++;
        i40evf_hw_write(&t->mbx, addr, val);
    }
}

static const MemoryRegionOps trap_mbx_ops = {
    .read = trap_mbx_mmio_read,
    .write = trap_mbx_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/*
 * The queue tail doorbells, trapped only while a hook watches them: a
 * hook takes a write or lets it through to the VF.
 */
#define TXTAIL_PAGE     QEMU_ALIGN_DOWN(I40E_QTX_TAIL1(0), 4 * KiB)
#define RXTAIL_PAGE     QEMU_ALIGN_DOWN(I40E_QRX_TAIL1(0), 4 * KiB)

static bool trap_tail_queue(bool tx, hwaddr addr, unsigned int *q)
{
    hwaddr first = tx ? I40E_QTX_TAIL1(0) : I40E_QRX_TAIL1(0);

    if (addr < first || (addr - first) / 4 >= I40E_VF_MAX_QUEUES) {
        return false;
    }
    *q = (addr - first) / 4;
    return true;
}

static I40EVFTailHook *trap_tail_hook(I40EVFTrap *t, unsigned int i,
                                      bool tx)
{
    I40EVFTailHook *h = t->guest.tail_hooks[i];

    return h && (tx ? h->tx : h->rx) ? h : NULL;
}

static void trap_tail_write(I40EVFTrap *t, bool tx, hwaddr addr,
                            uint32_t val)
{
    unsigned int q;

    if (!trap_tail_queue(tx, addr, &q)) {
        t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH]++;
        i40evf_hw_write(&t->mbx, addr, val);
        return;
    }
    t->guest.trapped[tx ? I40EVF_BLOCK_TXTAIL : I40EVF_BLOCK_RXTAIL]++;
    for (unsigned int i = 0; i < I40EVF_TAIL_HOOKS; i++) {
        I40EVFTailHook *h = trap_tail_hook(t, i, tx);

        if (h && h->write(h->opaque, tx, q, val)) {
            return;
        }
    }
    i40evf_hw_write(&t->mbx, addr, val);
}

static uint32_t trap_tail_read(I40EVFTrap *t, bool tx, hwaddr addr)
{
    unsigned int q;
    uint32_t val;

    if (!trap_tail_queue(tx, addr, &q)) {
        t->guest.trapped[I40EVF_BLOCK_PASSTHROUGH]++;
        return i40evf_hw_read(&t->mbx, addr);
    }
    t->guest.trapped[tx ? I40EVF_BLOCK_TXTAIL : I40EVF_BLOCK_RXTAIL]++;
    for (unsigned int i = 0; i < I40EVF_TAIL_HOOKS; i++) {
        I40EVFTailHook *h = trap_tail_hook(t, i, tx);

        if (h && h->read && h->read(h->opaque, tx, q, &val)) {
            return val;
        }
    }
    return i40evf_hw_read(&t->mbx, addr);
}

static void trap_txtail_write(void *opaque, hwaddr off, uint64_t val,
                              unsigned size)
{
    trap_tail_write(opaque, true, TXTAIL_PAGE + off, val);
}

static uint64_t trap_txtail_read(void *opaque, hwaddr off, unsigned size)
{
    return trap_tail_read(opaque, true, TXTAIL_PAGE + off);
}

static void trap_rxtail_write(void *opaque, hwaddr off, uint64_t val,
                              unsigned size)
{
    trap_tail_write(opaque, false, RXTAIL_PAGE + off, val);
}

static uint64_t trap_rxtail_read(void *opaque, hwaddr off, unsigned size)
{
    return trap_tail_read(opaque, false, RXTAIL_PAGE + off);
}

static const MemoryRegionOps trap_txtail_ops = {
    .read = trap_txtail_read,
    .write = trap_txtail_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static const MemoryRegionOps trap_rxtail_ops = {
    .read = trap_rxtail_read,
    .write = trap_rxtail_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

void i40evf_trap_add_tail_hook(I40EVFTrap *t, I40EVFTailHook *hook)
{
    for (unsigned int i = 0; i < I40EVF_TAIL_HOOKS; i++) {
        if (!t->guest.tail_hooks[i]) {
            t->guest.tail_hooks[i] = hook;
            return;
        }
    }
    g_assert_not_reached();
}

/* A hook started or stopped watching: trap the tails it needs */
void i40evf_trap_update_tails(I40EVFTrap *t)
{
    bool rx = false, tx = false;

    for (unsigned int i = 0; i < I40EVF_TAIL_HOOKS; i++) {
        rx |= !!trap_tail_hook(t, i, false);
        tx |= !!trap_tail_hook(t, i, true);
    }
    memory_region_set_enabled(&t->guest.txtail_mr, tx);
    memory_region_set_enabled(&t->guest.rxtail_mr, rx);
}

static bool trap_check_device(VFIOPCIDevice *vdev, Error **errp)
{
    if (vdev->vendor_id != PCI_VENDOR_ID_INTEL ||
        vdev->device_id != I40EVF_PCI_DEVICE_ID) {
        error_setg(errp, "%04x:%04x is not an Intel X710-family virtual "
                   "function (8086:%04x)", vdev->vendor_id, vdev->device_id,
                   I40EVF_PCI_DEVICE_ID);
        return false;
    }
    if (vdev->bars[0].ioport || vdev->bars[0].size < I40E_VF_BAR0_SIZE ||
        !vdev->bars[0].region.mem) {
        error_setg(errp, "BAR0 is not the VF's %u KiB register space",
                   (unsigned)(I40E_VF_BAR0_SIZE / KiB));
        return false;
    }
    if (!vdev->msix || vdev->msix->table_bar == 0) {
        error_setg(errp, "the VF's MSI-X table is not outside BAR0");
        return false;
    }
    return true;
}

/* The VF's vector 0: what is not the mailbox's goes to the guest's */
void i40evf_trap_vector0(I40EVFTrap *t)
{
    uint32_t cause = i40evf_mbx_irq(&t->mbx);

    if (cause) {
        trap_latch_vec0(t, cause);
    }
}

static void trap_add_overlay(I40EVFTrap *t, MemoryRegion *mr,
                             const MemoryRegionOps *ops, const char *name,
                             hwaddr start, uint64_t size)
{
    memory_region_init_io(mr, OBJECT(t->vdev), ops, t, name, size);
    memory_region_add_subregion_overlap(t->vdev->bars[0].region.mem, start,
                                        mr, 1);
}

bool i40evf_trap_realize(I40EVFTrap *t, VFIOPCIDevice *vdev, Error **errp)
{
    I40EVFGuest *g = &t->guest;

    if (!trap_check_device(vdev, errp)) {
        return false;
    }
    t->vdev = vdev;
    i40evf_shadow_init(&t->shadow);
    notifier_list_init(&t->notifiers);
    if (!i40evf_mbx_init(&t->mbx, vdev, &i40evf_trap_mbx_ops, t, errp)) {
        return false;
    }
    trap_add_overlay(t, &g->mbx_mr, &trap_mbx_ops, "i40evf-mailbox-trap",
                     I40E_VF_AQ_REGS_START,
                     I40E_VF_AQ_REGS_END - I40E_VF_AQ_REGS_START);
    trap_add_overlay(t, &g->vec0_mr, &trap_vec0_ops, "i40evf-vector0-trap",
                     VEC0_START, VEC0_END - VEC0_START);
    trap_add_overlay(t, &g->txtail_mr, &trap_txtail_ops,
                     "i40evf-tx-tail-trap", TXTAIL_PAGE, 4 * KiB);
    trap_add_overlay(t, &g->rxtail_mr, &trap_rxtail_ops,
                     "i40evf-rx-tail-trap", RXTAIL_PAGE, 4 * KiB);
    i40evf_trap_update_tails(t);
    return true;
}

void i40evf_trap_exit(I40EVFTrap *t)
{
    MemoryRegion *bar0;

    if (!t->vdev) {
        return;
    }
    bar0 = t->vdev->bars[0].region.mem;
    memory_region_del_subregion(bar0, &t->guest.mbx_mr);
    memory_region_del_subregion(bar0, &t->guest.vec0_mr);
    memory_region_del_subregion(bar0, &t->guest.txtail_mr);
    memory_region_del_subregion(bar0, &t->guest.rxtail_mr);
    i40evf_mbx_exit(&t->mbx);
}

void i40evf_trap_reset(I40EVFTrap *t)
{
    i40evf_mbx_down(&t->mbx);
    i40evf_trap_vf_reset(t);
}
