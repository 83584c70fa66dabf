/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: what the PF agent's files
 * share.  i40e-vf-pf.c dispatches virtchnl and answers capabilities,
 * filters, RSS and resets; i40e-vf-pf-queues.c configures, maps, starts
 * and stops queues.
 */

#ifndef HW_NET_I40E_VF_PF_H
#define HW_NET_I40E_VF_PF_H

#include "i40e-vf-core.h"

typedef struct I40EVFReply {
    uint8_t buf[128] QEMU_ALIGNED(8);   /* holds virtchnl structures */
    uint16_t len;
    bool none;          /* the VF is being reset: no reply */
} I40EVFReply;

/* i40e-vf-pf.c */
void i40e_vf_pf_process(I40EVFCore *core, uint32_t v_opcode,
                        const uint8_t *msg, uint16_t msglen);
int i40e_vf_pf_bad_param(const char *what, unsigned int val);
int i40e_vf_pf_check_vsi(I40EVFCore *core, uint16_t vsi_id);

/* i40e-vf-pf-queues.c: handlers of the queue messages */
int i40e_vf_pf_config_vsi_queues(I40EVFCore *core, const uint8_t *msg,
                                 uint16_t len, I40EVFReply *reply);
int i40e_vf_pf_config_irq_map(I40EVFCore *core, const uint8_t *msg,
                              uint16_t len, I40EVFReply *reply);
int i40e_vf_pf_enable_queues(I40EVFCore *core, const uint8_t *msg,
                             uint16_t len, I40EVFReply *reply);
int i40e_vf_pf_disable_queues(I40EVFCore *core, const uint8_t *msg,
                              uint16_t len, I40EVFReply *reply);

#endif /* HW_NET_I40E_VF_PF_H */
