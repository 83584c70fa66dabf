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

static void vec0_fire(I40EVFTrap *t)
{
    if (!t->vec0_pending || !t->vec0_armed) {
        return;
    }
    t->vec0_pending = false;
    /* The PF turns auto-masking off for an RX_POLLING VF (DPDK) */
    t->vec0_armed = t->shadow.granted_caps & VIRTCHNL_VF_OFFLOAD_RX_POLLING;
    t->icr01 |= I40E_VFINT_ICR01_INTEVENT;
    if (msix_enabled(trap_pdev(t))) {
        trace_i40evf_vec0_fire(t->icr01);
        msix_notify(trap_pdev(t), 0);
    }
}

static void vec0_update(I40EVFTrap *t)
{
    uint32_t fire = t->icr01_unsignalled &
                    (t->icr0_ena | I40E_VFINT_ICR01_SWINT);

    if (fire) {
        t->icr01_unsignalled &= ~fire;
        t->vec0_pending = true;
    }
    vec0_fire(t);
}

void i40evf_trap_latch_vec0(I40EVFTrap *t, uint32_t cause)
{
    t->icr01 |= cause;
    t->icr01_unsignalled |= cause;
    vec0_update(t);
}

static uint32_t vec0_read(I40EVFTrap *t, hwaddr addr)
{
    uint32_t val;

    switch (addr) {
    case I40E_VFINT_ICR01:
        val = t->icr01;
        t->icr01 = 0;
        t->icr01_unsignalled = 0;
        t->vec0_pending = false;
        return val;
    case I40E_VFINT_ICR0_ENA1:
        return t->icr0_ena;
    case I40E_VFINT_DYN_CTL01:
        return t->vec0_armed ? I40E_VFINT_DYN_CTL_INTENA : 0;
    }
    t->trapped[I40EVF_BLOCK_PASSTHROUGH]++;
    return i40evf_hw_read(t, addr);
}

static void vec0_write(I40EVFTrap *t, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case I40E_VFINT_ICR01:
        return;
    case I40E_VFINT_ICR0_ENA1:
        t->icr0_ena = val & I40E_VFINT_ICR0_ENA1_WRITABLE;
        vec0_update(t);
        return;
    case I40E_VFINT_DYN_CTL01:
        if (!(val & I40E_VFINT_DYN_CTL_INTENA_MSK)) {
            t->vec0_armed = val & I40E_VFINT_DYN_CTL_INTENA;
        }
        if (val & I40E_VFINT_DYN_CTL_CLEARPBA) {
            msix_clr_pending(trap_pdev(t), 0);
        }
        if (val & I40E_VFINT_DYN_CTL_SWINT_TRIG) {
            i40evf_trap_latch_vec0(t, I40E_VFINT_ICR01_SWINT);
        }
        vec0_fire(t);
        return;
    }
    t->trapped[I40EVF_BLOCK_PASSTHROUGH]++;
    i40evf_hw_write(t, addr, val);
}

static bool vec0_reg(hwaddr addr)
{
    return addr == I40E_VFINT_ICR01 || addr == I40E_VFINT_ICR0_ENA1 ||
           addr == I40E_VFINT_DYN_CTL01;
}

static uint64_t vec0_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = VEC0_START + off;
    uint32_t val;

    if (vec0_reg(addr)) {
        t->trapped[I40EVF_BLOCK_VECTOR0]++;
    }
    val = vec0_read(t, addr);
    trace_i40evf_trap_read(addr, val);
    return val;
}

static void vec0_mmio_write(void *opaque, hwaddr off, uint64_t val,
                            unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = VEC0_START + off;

    if (vec0_reg(addr)) {
        t->trapped[I40EVF_BLOCK_VECTOR0]++;
    }
    trace_i40evf_trap_write(addr, val);
    vec0_write(t, addr, val);
}

static const MemoryRegionOps vec0_ops = {
    .read = vec0_mmio_read,
    .write = vec0_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* The virtual mailbox */

void i40evf_trap_deliver(I40EVFTrap *t, uint32_t v_opcode, int32_t v_retval,
                         const uint8_t *msg, uint16_t len)
{
    trace_i40evf_deliver(virtchnl_op_name(v_opcode), v_opcode, v_retval, len);
    if (i40e_vf_aq_push(trap_pdev(t), &t->arq, v_opcode, v_retval,
                        msg, len)) {
        i40evf_trap_latch_vec0(t, I40E_VFINT_ICR01_ADMINQ);
    }
}

static I40EVFOpStats *op_stats(I40EVFTrap *t, uint32_t v_opcode)
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

    op_stats(t, v_opcode)->requests++;
    if (virtchnl_vc_validate_vf_msg(&t->shadow.version, v_opcode,
                                    buf, len)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: invalid virtchnl message %s (%u),"
                      " %u bytes: refused\n", t->vdev->vbasedev.name,
                      virtchnl_op_name(v_opcode), v_opcode, len);
        op_stats(t, v_opcode)->refused++;
        trace_i40evf_refused(virtchnl_op_name(v_opcode), v_opcode, len);
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
    i40evf_mbx_submit(t, req);
}

/*
 * Take what the guest posted, up to the backlog's limit: beyond it the
 * descriptors stay unconsumed until the hardware catches up, as a busy
 * mailbox leaves them.
 */
void i40evf_trap_pop_atq(I40EVFTrap *t)
{
    while (t->backlog_len < I40EVF_MBX_BACKLOG &&
           i40e_vf_aq_enabled(&t->atq) && t->atq.head != t->atq.tail) {
        uint32_t v_opcode;
        uint8_t *buf;
        uint16_t len;
        int ret = i40e_vf_aq_pop(trap_pdev(t), &t->atq, &v_opcode,
                                 &buf, &len);

        if (ret < 0) {
            return;
        }
        if (ret) {
            trap_take_request(t, v_opcode, buf, len);
        }
    }
}

/*
 * A VF reset clears the VF's mailbox registers: the guest's copy must
 * read the same, or iavf would not notice the reset.
 */
void i40evf_trap_hw_reset(I40EVFTrap *t)
{
    trace_i40evf_hw_reset();
    t->hw_resets++;
    i40evf_relay_end(t, "VF reset");
    memset(&t->atq, 0, sizeof(t->atq));
    memset(&t->arq, 0, sizeof(t->arq));
    t->icr01 = 0;
    t->icr01_unsignalled = 0;
    t->icr0_ena = 0;
    t->vec0_armed = false;
    t->vec0_pending = false;
    /* What the shadow could not record is gone from the VF too */
    i40evf_shadow_reset(&t->shadow);
    t->shadow_lost = false;
    i40evf_migration_update_blocker(t);
}

static uint64_t mbx_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = I40E_VF_AQ_REGS_START + off;
    I40EVFAQField field;
    bool arq;
    uint32_t val;

    if (addr == I40E_VFGEN_RSTAT) {
        t->trapped[I40EVF_BLOCK_MAILBOX]++;
        /* A VF that reads all ones is "in reset" for the guest */
        val = i40evf_mbx_check(t) ||
              (t->state == I40EVF_MBX_DOWN && !t->unreadable_since)
              ? i40evf_hw_read(t, addr) : I40E_VFR_INPROGRESS;
    } else if (i40e_vf_aq_decode(addr, &arq, &field)) {
        t->trapped[I40EVF_BLOCK_MAILBOX]++;
        if (field == I40E_VF_AQ_LEN) {
            /* iavf's watchdog reads ARQLEN to spot a VF reset */
            i40evf_mbx_check(t);
        }
        val = i40e_vf_aq_get(arq ? &t->arq : &t->atq, field);
    } else {
        t->trapped[I40EVF_BLOCK_PASSTHROUGH]++;
        val = i40evf_hw_read(t, addr);
    }
    trace_i40evf_trap_read(addr, val);
    return val;
}

static void mbx_mmio_write(void *opaque, hwaddr off, uint64_t val,
                           unsigned size)
{
    I40EVFTrap *t = opaque;
    hwaddr addr = I40E_VF_AQ_REGS_START + off;
    I40EVFAQField field;
    bool arq;

    trace_i40evf_trap_write(addr, val);
    if (addr == I40E_VFGEN_RSTAT) {
        t->trapped[I40EVF_BLOCK_MAILBOX]++;     /* read-only */
    } else if (i40e_vf_aq_decode(addr, &arq, &field)) {
        t->trapped[I40EVF_BLOCK_MAILBOX]++;
        i40e_vf_aq_set(arq ? &t->arq : &t->atq, field, val);
        if (!arq && field == I40E_VF_AQ_TAIL) {
            i40evf_trap_pop_atq(t);
        }
    } else {
        t->trapped[I40EVF_BLOCK_PASSTHROUGH]++;
        i40evf_hw_write(t, addr, val);
    }
}

static const MemoryRegionOps mbx_ops = {
    .read = mbx_mmio_read,
    .write = mbx_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

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

bool i40evf_trap_realize(I40EVFTrap *t, VFIOPCIDevice *vdev, bool migratable,
                         Error **errp)
{
    MemoryRegion *bar0;

    if (!trap_check_device(vdev, errp)) {
        return false;
    }
    t->vdev = vdev;
    i40evf_shadow_init(&t->shadow);
    QSIMPLEQ_INIT(&t->backlog);
    if (!i40evf_mbx_init(t, errp)) {
        return false;
    }

    bar0 = vdev->bars[0].region.mem;
    memory_region_init_io(&t->mbx_mr, OBJECT(vdev), &mbx_ops, t,
                          "i40evf-mailbox-trap",
                          I40E_VF_AQ_REGS_END - I40E_VF_AQ_REGS_START);
    memory_region_add_subregion_overlap(bar0, I40E_VF_AQ_REGS_START,
                                        &t->mbx_mr, 1);
    memory_region_init_io(&t->vec0_mr, OBJECT(vdev), &vec0_ops, t,
                          "i40evf-vector0-trap", VEC0_END - VEC0_START);
    memory_region_add_subregion_overlap(bar0, VEC0_START, &t->vec0_mr, 1);
    i40evf_migration_init(t, migratable);
    return true;
}

void i40evf_trap_exit(I40EVFTrap *t)
{
    MemoryRegion *bar0;

    if (!t->vdev) {
        return;
    }
    bar0 = t->vdev->bars[0].region.mem;
    memory_region_del_subregion(bar0, &t->mbx_mr);
    memory_region_del_subregion(bar0, &t->vec0_mr);
    i40evf_migration_exit(t);
    i40evf_mbx_exit(t);
}

void i40evf_trap_reset(I40EVFTrap *t)
{
    i40evf_mbx_down(t);
    i40evf_trap_hw_reset(t);
}
