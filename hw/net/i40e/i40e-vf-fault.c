/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: test-only faults of the PF
 * agent (the x-pf-fault property), so that the passthrough device's and
 * the drivers' error paths can meet a PF that hangs, is slow or refuses.
 *
 * Rules are matched when the PF takes a message up.  The PF handles one
 * message at a time, as the i40e PF does per VF: while a delayed message
 * waits, later ones queue behind it (their ATQ descriptors still complete
 * at once, as the firmware's mailbox takes them) and are taken up in order
 * when it has been answered.  A delayed message is carried out when its
 * delay ends, not before.  A VF reset discards the waiting messages and
 * the pending reply, as it discards a real PF's work for the old VF.
 * Nothing of this is migrated: rules and waiting messages stay behind.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/ctype.h"
#include "qemu/cutils.h"
#include "hw/qdev-core.h"
#include "i40e-vf-core.h"
#include "i40e-vf-pf.h"
#include "trace.h"

/* More waiting messages than this are lost, as in a full mailbox. */
#define I40E_VF_FAULT_MAX_WAITING   64

#define I40E_VF_FAULT_DEFAULT_STATUS VIRTCHNL_STATUS_ERR_NOT_SUPPORTED

typedef enum I40EVFFaultAction {
    I40E_VF_FAULT_DROP,
    I40E_VF_FAULT_DELAY,
    I40E_VF_FAULT_REFUSE,
} I40EVFFaultAction;

static const char *const i40e_vf_fault_action_names[] = {
    [I40E_VF_FAULT_DROP] = "drop",
    [I40E_VF_FAULT_DELAY] = "delay",
    [I40E_VF_FAULT_REFUSE] = "refuse",
};

struct I40EVFFaultRule {
    bool any_opcode;
    uint32_t v_opcode;
    I40EVFFaultAction action;
    int64_t arg;        /* delay: milliseconds; refuse: the status */
    bool counted;       /* *COUNT given */
    uint32_t left;      /* counted: matching messages it still applies to */
};

typedef struct I40EVFFaultMsg {
    uint32_t v_opcode;
    uint16_t len;
    uint8_t data[];
} I40EVFFaultMsg;

/* Parsing */

/* A decimal without sign, space or trailing characters */
static bool i40e_vf_fault_parse_uint(const char *s, uint32_t *val)
{
    unsigned int v;

    if (!qemu_isdigit(*s) || qemu_strtoui(s, NULL, 10, &v)) {
        return false;
    }
    *val = v;
    return true;
}

static bool i40e_vf_fault_parse_int(const char *s, int32_t *val)
{
    int v;

    if (!qemu_isdigit(*s == '-' ? s[1] : *s) || qemu_strtoi(s, NULL, 10, &v)) {
        return false;
    }
    *val = v;
    return true;
}

static bool i40e_vf_fault_parse_action(const char *rule, const char *act,
                                       I40EVFFaultRule *r, Error **errp)
{
    uint32_t ms;
    int32_t status = I40E_VF_FAULT_DEFAULT_STATUS;

    if (!strcmp(act, "drop")) {
        r->action = I40E_VF_FAULT_DROP;
    } else if (g_str_has_prefix(act, "delay=")) {
        if (!i40e_vf_fault_parse_uint(act + 6, &ms)) {
            error_setg(errp, "x-pf-fault rule '%s': delay needs a decimal "
                       "number of milliseconds", rule);
            return false;
        }
        r->action = I40E_VF_FAULT_DELAY;
        r->arg = ms;
    } else if (!strcmp(act, "refuse") || g_str_has_prefix(act, "refuse=")) {
        if (act[6] && !i40e_vf_fault_parse_int(act + 7, &status)) {
            error_setg(errp, "x-pf-fault rule '%s': refuse needs a signed "
                       "decimal virtchnl status", rule);
            return false;
        }
        r->action = I40E_VF_FAULT_REFUSE;
        r->arg = status;
    } else {
        error_setg(errp, "x-pf-fault rule '%s': unknown action '%s' "
                   "(drop, delay=MS, refuse[=STATUS])", rule, act);
        return false;
    }
    return true;
}

/* OPCODE:ACTION[*COUNT] */
static bool i40e_vf_fault_parse_rule(const char *rule, I40EVFFaultRule *r,
                                     Error **errp)
{
    g_autofree char *s = g_strdup(rule);
    char *act = strchr(s, ':');
    char *count;

    if (!act) {
        error_setg(errp, "x-pf-fault rule '%s': expected OPCODE:ACTION[*COUNT]",
                   rule);
        return false;
    }
    *act++ = '\0';
    count = strchr(act, '*');
    if (count) {
        *count++ = '\0';
        if (!i40e_vf_fault_parse_uint(count, &r->left) || !r->left) {
            error_setg(errp, "x-pf-fault rule '%s': COUNT must be a decimal "
                       "of at least 1", rule);
            return false;
        }
        r->counted = true;
    }
    r->any_opcode = !strcmp(s, "*");
    if (!r->any_opcode && !i40e_vf_fault_parse_uint(s, &r->v_opcode)) {
        error_setg(errp, "x-pf-fault rule '%s': the opcode must be a decimal "
                   "virtchnl opcode or '*'", rule);
        return false;
    }
    return i40e_vf_fault_parse_action(rule, act, r, errp);
}

static const char *i40e_vf_fault_name(I40EVFFault *f, DeviceState *dev)
{
    if (!f->name && dev) {
        f->name = dev->id ? g_strdup(dev->id)
                          : object_get_canonical_path(OBJECT(dev));
    }
    return f->name ?: "i40e-vf";
}

/* All rules or none: an invalid string leaves the previous rules. */
bool i40e_vf_fault_set(I40EVFFault *f, DeviceState *dev, const char *spec,
                       Error **errp)
{
    g_auto(GStrv) parts = *spec ? g_strsplit(spec, ";", -1) : g_new0(char *, 1);
    unsigned int n = g_strv_length(parts);
    g_autofree I40EVFFaultRule *rules = g_new0(I40EVFFaultRule, n);

    for (unsigned int i = 0; i < n; i++) {
        if (!i40e_vf_fault_parse_rule(parts[i], &rules[i], errp)) {
            return false;
        }
    }
    g_free(f->rules);
    f->rules = g_steal_pointer(&rules);
    f->nrules = n;
    g_free(f->spec);
    f->spec = g_strdup(spec);
    trace_i40e_vf_fault_rules(i40e_vf_fault_name(f, dev), spec);
    return true;
}

char *i40e_vf_fault_get(I40EVFFault *f)
{
    return g_strdup(f->spec ?: "");
}

void i40e_vf_fault_finalize(I40EVFFault *f)
{
    g_clear_pointer(&f->rules, g_free);
    g_clear_pointer(&f->spec, g_free);
    g_clear_pointer(&f->name, g_free);
    f->nrules = 0;
}

/* Applying */

/* The first rule that still applies to @v_opcode */
static I40EVFFaultRule *i40e_vf_fault_match(I40EVFFault *f, uint32_t v_opcode)
{
    for (unsigned int i = 0; i < f->nrules; i++) {
        I40EVFFaultRule *r = &f->rules[i];

        if ((r->any_opcode || r->v_opcode == v_opcode) &&
            (!r->counted || r->left)) {
            return r;
        }
    }
    return NULL;
}

static void i40e_vf_fault_discard(I40EVFCore *core, const I40EVFFaultMsg *m,
                                  const char *why)
{
    trace_i40e_vf_fault_discard(i40e_vf_fault_name(&core->fault,
                                                   DEVICE(core->owner)),
                                virtchnl_op_name(m->v_opcode), m->v_opcode,
                                why);
}

/* The PF takes up @m; false when it holds it back for a delay. */
static bool i40e_vf_fault_take_up(I40EVFCore *core, I40EVFFaultMsg *m)
{
    I40EVFFault *f = &core->fault;
    I40EVFFaultRule *r = core->mdd_disabled ? NULL
                         : i40e_vf_fault_match(f, m->v_opcode);

    if (!r) {
        i40e_vf_pf_process(core, m->v_opcode, m->data, m->len);
        return true;
    }
    r->left -= r->counted;
    trace_i40e_vf_fault_apply(i40e_vf_fault_name(f, DEVICE(core->owner)),
                              virtchnl_op_name(m->v_opcode), m->v_opcode,
                              i40e_vf_fault_action_names[r->action], r->arg);
    switch (r->action) {
    case I40E_VF_FAULT_DELAY:
        timer_mod(f->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                            r->arg * SCALE_MS);
        return false;
    case I40E_VF_FAULT_REFUSE:
        i40e_vf_aq_send(core, m->v_opcode, r->arg, NULL, 0);
        break;
    default:
        break;
    }
    return true;
}

/*
 * Take up waiting messages in order until one is delayed.  Each leaves
 * the queue before it is carried out: a VF reset it causes empties the
 * queue under us.
 */
static void i40e_vf_fault_run(I40EVFCore *core)
{
    I40EVFFaultMsg *m;

    while ((m = g_queue_pop_head(&core->fault.waiting))) {
        if (!i40e_vf_fault_take_up(core, m)) {
            g_queue_push_head(&core->fault.waiting, m);
            return;
        }
        g_free(m);
    }
}

static void i40e_vf_fault_delay_over(void *opaque)
{
    I40EVFCore *core = opaque;
    g_autofree I40EVFFaultMsg *m = g_queue_pop_head(&core->fault.waiting);

    if (!m) {
        return;
    }
    trace_i40e_vf_fault_delay_over(i40e_vf_fault_name(&core->fault,
                                                      DEVICE(core->owner)),
                                   virtchnl_op_name(m->v_opcode), m->v_opcode);
    i40e_vf_pf_process(core, m->v_opcode, m->data, m->len);
    i40e_vf_fault_run(core);
}

/*
 * A message for the PF agent: true when the faults took it (dropped,
 * refused, delayed, or waiting behind a delayed one); false when the PF
 * carries it out now, as without faults.
 */
bool i40e_vf_fault_hold(I40EVFCore *core, uint32_t v_opcode,
                        const uint8_t *msg, uint16_t msglen)
{
    I40EVFFault *f = &core->fault;
    unsigned int waiting = g_queue_get_length(&f->waiting);
    I40EVFFaultMsg *m;

    if (!waiting &&
        (core->mdd_disabled || !i40e_vf_fault_match(f, v_opcode))) {
        return false;
    }
    m = g_malloc(sizeof(*m) + msglen);
    m->v_opcode = v_opcode;
    m->len = msglen;
    if (msglen) {
        memcpy(m->data, msg, msglen);
    }
    if (waiting >= I40E_VF_FAULT_MAX_WAITING) {
        i40e_vf_fault_discard(core, m, "too many messages wait");
        g_free(m);
        return true;
    }
    g_queue_push_tail(&f->waiting, m);
    if (waiting) {
        trace_i40e_vf_fault_wait(i40e_vf_fault_name(f, DEVICE(core->owner)),
                                 virtchnl_op_name(v_opcode), v_opcode,
                                 waiting);
    } else {
        i40e_vf_fault_run(core);
    }
    return true;
}

/* A VF reset: the PF forgets what it had not answered yet. */
void i40e_vf_fault_reset(I40EVFCore *core)
{
    I40EVFFaultMsg *m;

    if (core->fault.timer) {
        timer_del(core->fault.timer);
    }
    while ((m = g_queue_pop_head(&core->fault.waiting))) {
        i40e_vf_fault_discard(core, m, "VF reset");
        g_free(m);
    }
}

void i40e_vf_fault_realize(I40EVFCore *core)
{
    g_queue_init(&core->fault.waiting);
    core->fault.timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                     i40e_vf_fault_delay_over, core);
}

void i40e_vf_fault_unrealize(I40EVFCore *core)
{
    g_queue_clear_full(&core->fault.waiting, g_free);
    g_clear_pointer(&core->fault.timer, timer_free);
}
