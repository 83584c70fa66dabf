/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device's half of an Intel 700-series VF admin queue: the driver
 * posts virtchnl requests on the ATQ, which the device consumes at once
 * (the head advances, the descriptor is completed), and the PF's replies
 * and events land on the ARQ in buffers the driver posted.  Used by the
 * emulated VF and by the passthrough device's virtual mailbox.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "migration/vmstate.h"
#include "hw/net/i40e-vf-regs.h"
#include "hw/net/i40e-vf-aq.h"
#include "trace.h"

const VMStateDescription vmstate_i40e_vf_aq = {
    .name = "i40e-vf/aq",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(bal, I40EVFAdminQueue),
        VMSTATE_UINT32(bah, I40EVFAdminQueue),
        VMSTATE_UINT32(len, I40EVFAdminQueue),
        VMSTATE_UINT32(head, I40EVFAdminQueue),
        VMSTATE_UINT32(tail, I40EVFAdminQueue),
        VMSTATE_END_OF_LIST()
    }
};

bool i40e_vf_aq_decode(hwaddr addr, bool *arq, I40EVFAQField *field)
{
    static const struct {
        hwaddr addr;
        bool arq;
        I40EVFAQField field;
    } regs[] = {
        { I40E_VF_ARQBAH1, true, I40E_VF_AQ_BAH },
        { I40E_VF_ATQH1, false, I40E_VF_AQ_HEAD },
        { I40E_VF_ATQLEN1, false, I40E_VF_AQ_LEN },
        { I40E_VF_ARQBAL1, true, I40E_VF_AQ_BAL },
        { I40E_VF_ARQT1, true, I40E_VF_AQ_TAIL },
        { I40E_VF_ARQH1, true, I40E_VF_AQ_HEAD },
        { I40E_VF_ATQBAH1, false, I40E_VF_AQ_BAH },
        { I40E_VF_ATQBAL1, false, I40E_VF_AQ_BAL },
        { I40E_VF_ARQLEN1, true, I40E_VF_AQ_LEN },
        { I40E_VF_ATQT1, false, I40E_VF_AQ_TAIL },
    };

    for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
        if (regs[i].addr == addr) {
            *arq = regs[i].arq;
            *field = regs[i].field;
            return true;
        }
    }
    return false;
}

uint32_t i40e_vf_aq_get(const I40EVFAdminQueue *q, I40EVFAQField field)
{
    switch (field) {
    case I40E_VF_AQ_BAL:
        return q->bal;
    case I40E_VF_AQ_BAH:
        return q->bah;
    case I40E_VF_AQ_LEN:
        return q->len;
    case I40E_VF_AQ_HEAD:
        return q->head;
    default:
        return q->tail;
    }
}

void i40e_vf_aq_set(I40EVFAdminQueue *q, I40EVFAQField field, uint32_t val)
{
    switch (field) {
    case I40E_VF_AQ_BAL:
        q->bal = val;
        break;
    case I40E_VF_AQ_BAH:
        q->bah = val;
        break;
    case I40E_VF_AQ_LEN:
        q->len = val & (I40E_VF_AQLEN_LEN_MASK | I40E_VF_AQLEN_ERRORS |
                        I40E_VF_AQLEN_ENABLE);
        break;
    case I40E_VF_AQ_HEAD:
        q->head = val & I40E_VF_AQ_HT_MASK;
        break;
    default:
        q->tail = val & I40E_VF_AQ_HT_MASK;
        break;
    }
}

static dma_addr_t aq_base(const I40EVFAdminQueue *q)
{
    return ((uint64_t)q->bah << 32) | q->bal;
}

static uint32_t aq_size(const I40EVFAdminQueue *q)
{
    return q->len & I40E_VF_AQLEN_LEN_MASK;
}

bool i40e_vf_aq_enabled(const I40EVFAdminQueue *q)
{
    return (q->len & I40E_VF_AQLEN_ENABLE) && aq_size(q);
}

static MemTxResult aq_desc_io(PCIDevice *dev, const I40EVFAdminQueue *q,
                              uint32_t idx, struct i40e_aq_desc *d, bool write)
{
    dma_addr_t addr = aq_base(q) + idx * sizeof(*d);

    return write ? pci_dma_write(dev, addr, d, sizeof(*d))
                 : pci_dma_read(dev, addr, d, sizeof(*d));
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

/* Head and tail inside the ring, or the ring is marked critical. */
static bool aq_indices_valid(PCIDevice *dev, I40EVFAdminQueue *q,
                             const char *name)
{
    if (q->head < aq_size(q) && q->tail < aq_size(q)) {
        return true;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: %s head %u / tail %u beyond length "
                  "%u\n", object_get_typename(OBJECT(dev)), name, q->head,
                  q->tail, aq_size(q));
    q->len |= I40E_VF_AQLEN_CRIT;
    return false;
}

/* The request's AQ return code; reads its buffer into *buf. */
static uint16_t aq_read_request(PCIDevice *dev, const struct i40e_aq_desc *d,
                                uint8_t **buf)
{
    uint16_t opcode = le16_to_cpu(d->opcode);
    uint16_t flags = le16_to_cpu(d->flags);
    uint16_t datalen = le16_to_cpu(d->datalen);
    dma_addr_t addr = ((uint64_t)le32_to_cpu(d->addr_high) << 32) |
                      le32_to_cpu(d->addr_low);

    if (opcode != I40E_AQC_OPC_SEND_MSG_TO_PF) {
        return opcode == I40E_AQC_OPC_QUEUE_SHUTDOWN ? I40E_AQ_RC_OK
                                                     : I40E_AQ_RC_ESRCH;
    }
    if (datalen && !(flags & I40E_AQ_FLAG_BUF)) {
        return I40E_AQ_RC_EINVAL;
    }
    if (datalen > I40E_AQ_MAX_BUF) {
        return I40E_AQ_RC_EFBIG;
    }
    if (datalen) {
        *buf = g_malloc(datalen);
        if (pci_dma_read(dev, addr, *buf, datalen) != MEMTX_OK) {
            g_clear_pointer(buf, g_free);
            return I40E_AQ_RC_EFAULT;
        }
    }
    return I40E_AQ_RC_OK;
}

int i40e_vf_aq_pop(PCIDevice *dev, I40EVFAdminQueue *q, uint32_t *v_opcode,
                   uint8_t **buf, uint16_t *len)
{
    const char *name = object_get_typename(OBJECT(dev));
    struct i40e_aq_desc d;
    uint32_t idx = q->head;
    uint16_t rc;

    *buf = NULL;
    if (!i40e_vf_aq_enabled(q) || q->head == q->tail) {
        return 0;
    }
    if (!aq_indices_valid(dev, q, "ATQ")) {
        return -1;
    }
    if (aq_desc_io(dev, q, idx, &d, false) != MEMTX_OK) {
        goto inaccessible;
    }
    *v_opcode = le32_to_cpu(d.cookie_high);
    *len = le16_to_cpu(d.datalen);
    trace_i40e_vf_atq_desc(idx, le16_to_cpu(d.opcode), le16_to_cpu(d.flags),
                           *len, *v_opcode);

    rc = aq_read_request(dev, &d, buf);
    if (rc != I40E_AQ_RC_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: bad ATQ descriptor %u: opcode 0x%x flags 0x%x "
                      "datalen %u (AQ error %u)\n", name, idx,
                      le16_to_cpu(d.opcode), le16_to_cpu(d.flags), *len, rc);
    }
    aq_desc_complete(&d, rc);
    if (aq_desc_io(dev, q, idx, &d, true) != MEMTX_OK) {
        g_clear_pointer(buf, g_free);
        goto inaccessible;
    }
    q->head = (idx + 1) % aq_size(q);
    if (rc != I40E_AQ_RC_OK ||
        le16_to_cpu(d.opcode) != I40E_AQC_OPC_SEND_MSG_TO_PF) {
        g_clear_pointer(buf, g_free);
        return 0;
    }
    return 1;

inaccessible:
    qemu_log_mask(LOG_GUEST_ERROR, "%s: ATQ ring at 0x%" PRIx64
                  " not accessible\n", name, (uint64_t)aq_base(q));
    q->len |= I40E_VF_AQLEN_CRIT;
    return -1;
}

bool i40e_vf_aq_push(PCIDevice *dev, I40EVFAdminQueue *q, uint32_t v_opcode,
                     int32_t v_retval, const void *msg, uint16_t msglen)
{
    const char *name = object_get_typename(OBJECT(dev));
    struct i40e_aq_desc d;
    uint16_t flags, buflen, len;
    dma_addr_t addr;

    if (!i40e_vf_aq_enabled(q) || q->head >= aq_size(q) ||
        q->tail >= aq_size(q)) {
        trace_i40e_vf_arq_drop(v_opcode, "queue disabled");
        return false;
    }
    if (q->head == q->tail) {
        trace_i40e_vf_arq_drop(v_opcode, "queue full");
        q->len |= I40E_VF_AQLEN_OVFL;
        return false;
    }
    if (aq_desc_io(dev, q, q->head, &d, false) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: ARQ ring not accessible\n", name);
        q->len |= I40E_VF_AQLEN_CRIT;
        return false;
    }

    flags = le16_to_cpu(d.flags) & (I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_LB);
    buflen = le16_to_cpu(d.datalen);
    addr = ((uint64_t)le32_to_cpu(d.addr_high) << 32) | le32_to_cpu(d.addr_low);
    len = (flags & I40E_AQ_FLAG_BUF) ? MIN(msglen, buflen) : 0;
    if (len < msglen) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: ARQ buffer of %u bytes too small "
                      "for a %u-byte message\n", name, buflen, msglen);
    }
    if (len && pci_dma_write(dev, addr, msg, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: ARQ buffer at 0x%" PRIx64
                      " not accessible\n", name, (uint64_t)addr);
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
    if (aq_desc_io(dev, q, q->head, &d, true) != MEMTX_OK) {
        q->len |= I40E_VF_AQLEN_CRIT;
        return false;
    }
    trace_i40e_vf_arq_send(q->head, v_opcode, v_retval, len);
    q->head = (q->head + 1) % aq_size(q);
    return true;
}
