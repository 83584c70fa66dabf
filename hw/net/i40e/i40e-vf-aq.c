/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: the admin queue (mailbox).
 *
 * The VF posts virtchnl requests on the ATQ; they are consumed at once
 * (ATQH advances, the descriptor is completed) and handed to the PF agent,
 * whose replies and events arrive on the ARQ in buffers the VF posted.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/pci_device.h"
#include "i40e-vf-core.h"
#include "trace.h"

static dma_addr_t aq_base(const I40EVFAdminQueue *q)
{
    return ((uint64_t)q->bah << 32) | q->bal;
}

static uint32_t aq_size(const I40EVFAdminQueue *q)
{
    return q->len & I40E_VF_AQLEN_LEN_MASK;
}

static bool aq_enabled(const I40EVFAdminQueue *q)
{
    return (q->len & I40E_VF_AQLEN_ENABLE) && aq_size(q);
}

static MemTxResult aq_desc_io(I40EVFCore *core, const I40EVFAdminQueue *q,
                              uint32_t idx, struct i40e_aq_desc *d, bool write)
{
    dma_addr_t addr = aq_base(q) + idx * sizeof(*d);

    return write ? pci_dma_write(core->owner, addr, d, sizeof(*d))
                 : pci_dma_read(core->owner, addr, d, sizeof(*d));
}

static void aq_desc_complete(struct i40e_aq_desc *d, uint16_t rc)
{
    uint16_t flags = le16_to_cpu(d->flags) | I40E_AQ_FLAG_DD |
                     I40E_AQ_FLAG_CMP;

    if (rc != I40E_AQ_RC_OK) {
        flags |= I40E_AQ_FLAG_ERR;
    }
    d->flags = cpu_to_le16(flags);
    d->retval = cpu_to_le16(rc);
}

/*
 * Consume one ATQ descriptor.  A virtchnl request is completed before the
 * PF agent sees it, as with the real mailbox: the reply is a separate ARQ
 * event.  Returns false if the ring itself cannot be accessed.
 */
static bool aq_process_one(I40EVFCore *core, uint32_t idx)
{
    g_autofree uint8_t *buf = NULL;
    struct i40e_aq_desc d;
    uint16_t opcode, flags, datalen, rc = I40E_AQ_RC_OK;
    uint32_t v_opcode;

    if (aq_desc_io(core, &core->atq, idx, &d, false) != MEMTX_OK) {
        return false;
    }
    opcode = le16_to_cpu(d.opcode);
    flags = le16_to_cpu(d.flags);
    datalen = le16_to_cpu(d.datalen);
    v_opcode = le32_to_cpu(d.cookie_high);
    trace_i40e_vf_atq_desc(idx, opcode, flags, datalen, v_opcode);

    if (opcode == I40E_AQC_OPC_SEND_MSG_TO_PF) {
        if (datalen && !(flags & I40E_AQ_FLAG_BUF)) {
            rc = I40E_AQ_RC_EINVAL;
        } else if (datalen > I40E_AQ_MAX_BUF) {
            rc = I40E_AQ_RC_EFBIG;
        } else if (datalen) {
            dma_addr_t addr = ((uint64_t)le32_to_cpu(d.addr_high) << 32) |
                              le32_to_cpu(d.addr_low);

            buf = g_malloc(datalen);
            if (pci_dma_read(core->owner, addr, buf, datalen) != MEMTX_OK) {
                rc = I40E_AQ_RC_EFAULT;
            }
        }
    } else if (opcode != I40E_AQC_OPC_QUEUE_SHUTDOWN) {
        rc = I40E_AQ_RC_ESRCH;
    }
    if (rc != I40E_AQ_RC_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: bad ATQ descriptor %u: opcode 0x%x flags 0x%x "
                      "datalen %u (AQ error %u)\n",
                      idx, opcode, flags, datalen, rc);
    }

    aq_desc_complete(&d, rc);
    if (aq_desc_io(core, &core->atq, idx, &d, true) != MEMTX_OK) {
        return false;
    }
    core->atq.head = (idx + 1) % aq_size(&core->atq);

    if (opcode == I40E_AQC_OPC_SEND_MSG_TO_PF && rc == I40E_AQ_RC_OK) {
        i40e_vf_pf_handle_msg(core, v_opcode, buf, datalen);
    }
    return true;
}

void i40e_vf_aq_process_atq(I40EVFCore *core)
{
    /* The PF does not listen while it rebuilds the VF. */
    if (core->rstat == I40E_VFR_INPROGRESS) {
        return;
    }
    while (aq_enabled(&core->atq) && core->atq.head != core->atq.tail) {
        uint32_t size = aq_size(&core->atq);

        if (core->atq.head >= size || core->atq.tail >= size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "i40e-vf: ATQ head %u / tail %u beyond length %u\n",
                          core->atq.head, core->atq.tail, size);
            core->atq.len |= I40E_VF_AQLEN_CRIT;
            return;
        }
        if (!aq_process_one(core, core->atq.head)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "i40e-vf: ATQ ring at 0x%" PRIx64 " not accessible\n",
                          (uint64_t)aq_base(&core->atq));
            core->atq.len |= I40E_VF_AQLEN_CRIT;
            return;
        }
    }
}

/*
 * Deliver a PF message into the next buffer the VF posted on the ARQ.
 * With no free descriptor the message is lost and OVFL is set, as the
 * firmware does.
 */
void i40e_vf_aq_send(I40EVFCore *core, uint32_t v_opcode, int32_t v_retval,
                     const void *msg, uint16_t msglen)
{
    I40EVFAdminQueue *q = &core->arq;
    struct i40e_aq_desc d;
    uint16_t flags, buflen, len;
    dma_addr_t addr;

    if (!aq_enabled(q) || q->head >= aq_size(q) || q->tail >= aq_size(q)) {
        trace_i40e_vf_arq_drop(v_opcode, "queue disabled");
        return;
    }
    if (q->head == q->tail) {
        trace_i40e_vf_arq_drop(v_opcode, "queue full");
        q->len |= I40E_VF_AQLEN_OVFL;
        return;
    }
    if (aq_desc_io(core, q, q->head, &d, false) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "i40e-vf: ARQ ring not accessible\n");
        q->len |= I40E_VF_AQLEN_CRIT;
        return;
    }

    flags = le16_to_cpu(d.flags) & (I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_LB);
    buflen = le16_to_cpu(d.datalen);
    addr = ((uint64_t)le32_to_cpu(d.addr_high) << 32) | le32_to_cpu(d.addr_low);
    len = (flags & I40E_AQ_FLAG_BUF) ? MIN(msglen, buflen) : 0;
    if (len < msglen) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: ARQ buffer of %u bytes too small for a "
                      "%u-byte message\n", buflen, msglen);
    }
    if (len && pci_dma_write(core->owner, addr, msg, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "i40e-vf: ARQ buffer at 0x%" PRIx64 " not accessible\n",
                      (uint64_t)addr);
        len = 0;
    }

    d.flags = cpu_to_le16(flags);
    d.opcode = cpu_to_le16(I40E_AQC_OPC_SEND_MSG_TO_VF);
    d.datalen = cpu_to_le16(len);
    d.cookie_high = cpu_to_le32(v_opcode);
    d.cookie_low = cpu_to_le32(v_retval);
    d.param0 = 0;
    d.param1 = 0;
    aq_desc_complete(&d, len < msglen ? I40E_AQ_RC_ENOMEM : I40E_AQ_RC_OK);
    if (aq_desc_io(core, q, q->head, &d, true) != MEMTX_OK) {
        q->len |= I40E_VF_AQLEN_CRIT;
        return;
    }
    trace_i40e_vf_arq_send(q->head, v_opcode, v_retval, len);
    q->head = (q->head + 1) % aq_size(q);
    i40e_vf_raise_adminq_irq(core);
}
