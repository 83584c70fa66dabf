/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: a PF that misbehaves on
 * purpose, for tests (the x-pf-fault property).  Rules name virtchnl
 * opcodes whose messages the PF agent drops, answers late or refuses;
 * docs/devel/i40e-vf.rst gives the grammar.  Test-only and off by default.
 */

#ifndef HW_NET_I40E_VF_FAULT_H
#define HW_NET_I40E_VF_FAULT_H

#include "qemu/timer.h"

typedef struct I40EVFFaultRule I40EVFFaultRule;
struct I40EVFCore;

/* Not migrated: a test sets its faults on each side it wants them. */
typedef struct I40EVFFault {
    char *spec;                 /* the property as last set, or NULL */
    I40EVFFaultRule *rules;
    unsigned int nrules;
    QEMUTimer *timer;           /* ends the delay of the queue's head */
    GQueue waiting;             /* the delayed message, then later ones */
    char *name;                 /* the device, for trace events */
} I40EVFFault;

bool i40e_vf_fault_set(I40EVFFault *f, DeviceState *dev, const char *spec,
                       Error **errp);
char *i40e_vf_fault_get(I40EVFFault *f);
void i40e_vf_fault_finalize(I40EVFFault *f);

void i40e_vf_fault_realize(struct I40EVFCore *core);
void i40e_vf_fault_unrealize(struct I40EVFCore *core);
void i40e_vf_fault_reset(struct I40EVFCore *core);
bool i40e_vf_fault_hold(struct I40EVFCore *core, uint32_t v_opcode,
                        const uint8_t *msg, uint16_t msglen);

#endif /* HW_NET_I40E_VF_FAULT_H */
