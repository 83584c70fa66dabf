/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VF side of an Intel 700-series admin queue (the virtchnl mailbox),
 * as the VF's driver sees it: the ring registers and the device's half of
 * the ring protocol.  Shared by the emulated VF (i40e-vf), which is the
 * device, and by the passthrough device's trap (vfio-i40evf), which
 * presents the guest a virtual mailbox with the same semantics.
 */

#ifndef HW_NET_I40E_VF_AQ_H
#define HW_NET_I40E_VF_AQ_H

#include "hw/pci/pci_device.h"

typedef struct I40EVFAdminQueue {
    uint32_t bal;
    uint32_t bah;
    uint32_t len;       /* LEN field, error bits and ENABLE, as written */
    uint32_t head;
    uint32_t tail;
} I40EVFAdminQueue;

/* A queue's registers in a migration stream */
extern const VMStateDescription vmstate_i40e_vf_aq;

/* The fields of one queue's registers (ATQBAL1 ... ATQT1, ARQ alike) */
typedef enum I40EVFAQField {
    I40E_VF_AQ_BAL,
    I40E_VF_AQ_BAH,
    I40E_VF_AQ_LEN,
    I40E_VF_AQ_HEAD,
    I40E_VF_AQ_TAIL,
} I40EVFAQField;

/*
 * i40e_vf_aq_decode: which queue (@arq) and field an admin-queue register
 * offset of BAR0 is.  False for any other offset, VFGEN_RSTAT included.
 */
bool i40e_vf_aq_decode(hwaddr addr, bool *arq, I40EVFAQField *field);

uint32_t i40e_vf_aq_get(const I40EVFAdminQueue *q, I40EVFAQField field);
/* Stores what the register keeps of @val (its writable bits). */
void i40e_vf_aq_set(I40EVFAdminQueue *q, I40EVFAQField field, uint32_t val);

bool i40e_vf_aq_enabled(const I40EVFAdminQueue *q);

/*
 * i40e_vf_aq_pop: consume the ATQ descriptor at the head, as the device
 * does: read it and its buffer from @dev's DMA space, complete it (DD,
 * CMP and an AQ return code) and advance the head.  A valid virtchnl
 * request is handed back in @v_opcode, @buf (g_free it; NULL when
 * @len is 0) and @len.
 *
 * Returns 1 for a request to hand on, 0 for a descriptor that was
 * consumed with nothing to hand on (bad or a QUEUE_SHUTDOWN) or an empty
 * ring, -1 when the ring cannot be accessed (CRIT is set in LEN).
 */
int i40e_vf_aq_pop(PCIDevice *dev, I40EVFAdminQueue *q, uint32_t *v_opcode,
                   uint8_t **buf, uint16_t *len);

/*
 * i40e_vf_aq_push: deliver a PF message into the next buffer the driver
 * posted on the ARQ.  With no free descriptor the message is lost and
 * OVFL set, as the firmware does.  Returns true if a descriptor was
 * written back: the caller raises the admin-queue cause.
 */
bool i40e_vf_aq_push(PCIDevice *dev, I40EVFAdminQueue *q, uint32_t v_opcode,
                     int32_t v_retval, const void *msg, uint16_t msglen);

#endif /* HW_NET_I40E_VF_AQ_H */
