/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the emulated VF's test-only PF faults (i40e-vf's x-pf-fault
 * property): dropped, delayed and refused virtchnl messages, rules that
 * expire, runtime changes and the strings the property refuses.  The
 * admin queue is driven through libqos/iavf; delays run on the virtual
 * clock, which only clock_step moves here.
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "qobject/qdict.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/iavf.h"

#define VF_DEVFN        QPCI_DEVFN(4, 0)
#define VF_VSI          7

/* i40e_eth_stats: what a GET_STATS reply carries */
#define STATS_LEN       (sizeof(struct virtchnl_eth_stats) + 8)

/* Virtual time a dropped message is given to be answered after all */
#define LONG_NS         (10 * NANOSECONDS_PER_SECOND)

typedef struct Fixture {
    QOSState *qs;
    QIavf d;
    int sock[2];
} Fixture;

static void fixture_start(Fixture *f, const char *faults)
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sock), ==, 0);
    /* Quoted: libqtest starts QEMU through the shell, and rules hold ';'. */
    f->qs = qtest_pc_boot("-netdev socket,fd=%d,id=n0 "
                          "-device 'i40e-vf,netdev=n0,addr=04.0,id=vf,"
                          "vsi-id=%d%s%s'", f->sock[1], VF_VSI,
                          faults ? ",x-pf-fault=" : "", faults ?: "");
    qiavf_init(&f->d, f->qs, VF_DEVFN);
    qiavf_negotiate(&f->d, QIAVF_IAVF_CAPS);
}

static void fixture_stop(Fixture *f)
{
    qtest_shutdown(f->qs);
    close(f->sock[0]);
    close(f->sock[1]);
}

static void set_faults(Fixture *f, const char *spec)
{
    qtest_qmp_assert_success(f->qs->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf', "
                             "'property': 'x-pf-fault', 'value': %s } }",
                             spec);
}

static char *get_faults(Fixture *f)
{
    QDict *rsp = qtest_qmp(f->qs->qts, "{ 'execute': 'qom-get', "
                           "'arguments': { 'path': 'vf', "
                           "'property': 'x-pf-fault' } }");
    char *spec = g_strdup(qdict_get_try_str(rsp, "return"));

    g_assert_nonnull(spec);
    qobject_unref(rsp);
    return spec;
}

static void send_stats(Fixture *f)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(VF_VSI) };

    qiavf_send(&f->d, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs));
}

static void send_version(Fixture *f)
{
    struct virtchnl_version_info ver = {
        cpu_to_le32(VIRTCHNL_VERSION_MAJOR),
        cpu_to_le32(VIRTCHNL_VERSION_MINOR),
    };

    qiavf_send(&f->d, VIRTCHNL_OP_VERSION, &ver, sizeof(ver));
}

/* The next ARQ message is @op's reply with @status and @len bytes. */
static void expect_reply(Fixture *f, uint32_t op, int32_t status,
                         uint16_t len)
{
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint32_t rop;
    int32_t ret;
    uint16_t rlen;

    g_assert_true(qiavf_recv(&f->d, &rop, &ret, buf, &rlen));
    g_assert_cmpuint(rop, ==, op);
    g_assert_cmpint(ret, ==, status);
    g_assert_cmpuint(rlen, ==, len);
}

static void expect_stats(Fixture *f)
{
    expect_reply(f, VIRTCHNL_OP_GET_STATS, 0, STATS_LEN);
}

/* Nothing on the ARQ, after @ns of virtual time and a little real time */
static void expect_nothing(Fixture *f, int64_t ns)
{
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint32_t op;
    int32_t ret;
    uint16_t len;

    if (ns) {
        qtest_clock_step(f->qs->qts, ns);
    }
    g_assert_false(qiavf_recv_wait(&f->d, &op, &ret, buf, &len, 50));
}

/* A message sent before the rule expires has no reply; the next one has. */
static void test_drop(void)
{
    Fixture f;

    fixture_start(&f, "15:drop*1");
    send_stats(&f);
    expect_nothing(&f, LONG_NS);
    send_stats(&f);
    expect_stats(&f);
    expect_nothing(&f, 0);

    /* Without a count the rule holds; other opcodes pass. */
    set_faults(&f, "15:drop");
    for (int i = 0; i < 3; i++) {
        send_stats(&f);
        expect_nothing(&f, LONG_NS);
    }
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                 sizeof(struct virtchnl_version_info));
    fixture_stop(&f);
}

static void test_delay(void)
{
    Fixture f;

    fixture_start(&f, "15:delay=200");
    send_stats(&f);
    expect_nothing(&f, 199 * SCALE_MS);
    qtest_clock_step(f.qs->qts, SCALE_MS);
    expect_stats(&f);
    expect_nothing(&f, LONG_NS);

    /* A rule that does not match is answered at once. */
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                 sizeof(struct virtchnl_version_info));
    fixture_stop(&f);
}

/*
 * The PF handles one message at a time: one sent during the delay waits
 * behind the delayed one, even if no rule matches it, and both replies
 * come in order when the delay ends.
 */
static void test_delay_in_order(void)
{
    Fixture f;

    fixture_start(&f, "15:delay=100*1");
    send_stats(&f);
    send_version(&f);
    send_stats(&f);
    expect_nothing(&f, 99 * SCALE_MS);
    qtest_clock_step(f.qs->qts, SCALE_MS);
    expect_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                 sizeof(struct virtchnl_version_info));
    expect_stats(&f);
    expect_nothing(&f, LONG_NS);

    /* Each waiting message that matches is delayed in its turn. */
    set_faults(&f, "15:delay=100");
    send_stats(&f);
    send_stats(&f);
    expect_nothing(&f, 100 * SCALE_MS - 1);
    qtest_clock_step(f.qs->qts, 1);
    expect_stats(&f);
    expect_nothing(&f, 100 * SCALE_MS - 1);
    qtest_clock_step(f.qs->qts, 1);
    expect_stats(&f);
    fixture_stop(&f);
}

/* A VF reset discards the pending reply and what waited behind it. */
static void test_delay_reset(void)
{
    Fixture f;

    fixture_start(&f, "15:delay=200");
    send_stats(&f);
    send_version(&f);
    qtest_clock_step(f.qs->qts, 100 * SCALE_MS);
    /* The host changes the VF's trust: an announced VF reset */
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf', "
                             "'property': 'trusted', 'value': true } }");
    expect_reply(&f, VIRTCHNL_OP_EVENT, 0,
                 sizeof(struct virtchnl_pf_event));
    g_assert_cmpuint(f.d.reset_events, ==, 1);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    expect_nothing(&f, LONG_NS);

    /* The new VF is served; the rule still holds. */
    qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
    send_stats(&f);
    expect_nothing(&f, 199 * SCALE_MS);
    qtest_clock_step(f.qs->qts, SCALE_MS);
    expect_stats(&f);
    fixture_stop(&f);
}

/*
 * Refused messages are answered with the status and not carried out: a
 * refused GET_VF_RESOURCES leaves the PF willing to answer the next one,
 * which i40e refuses once it has answered (-22).
 */
static void test_refuse(void)
{
    uint32_t caps = cpu_to_le32(QIAVF_IAVF_CAPS);
    Fixture f;

    fixture_start(&f, NULL);
    set_faults(&f, "3:refuse");
    /* A reset lets the VF ask for its resources again. */
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_send(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES, &caps, sizeof(caps));
    expect_reply(&f, VIRTCHNL_OP_GET_VF_RESOURCES,
                 VIRTCHNL_STATUS_ERR_NOT_SUPPORTED, 0);
    expect_nothing(&f, 0);

    set_faults(&f, "1:refuse=-5");
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, VIRTCHNL_STATUS_ERR_PARAM, 0);
    qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
    qiavf_send(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES, &caps, sizeof(caps));
    expect_reply(&f, VIRTCHNL_OP_GET_VF_RESOURCES, -22, 0);
    qiavf_drain_events(&f.d);

    /* Any status, success included, without doing the work */
    set_faults(&f, "15:refuse=0;1:refuse=-2147483648");
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, 0, 0);
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, INT32_MIN, 0);
    fixture_stop(&f);
}

/* Counted rules expire one by one; the first live matching rule wins. */
static void test_count(void)
{
    Fixture f;

    /* Set once the VF is up: the fixture's bring-up sends VERSION. */
    fixture_start(&f, NULL);
    set_faults(&f, "15:refuse=-5*2;15:refuse=-7*1;1:drop*1");
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, -5, 0);
    send_version(&f);
    expect_nothing(&f, LONG_NS);
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, -5, 0);
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, -7, 0);
    for (int i = 0; i < 2; i++) {
        send_stats(&f);
        expect_stats(&f);
        send_version(&f);
        expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                     sizeof(struct virtchnl_version_info));
    }

    /* Setting the rules again restores their counts. */
    set_faults(&f, "15:refuse=-5*1");
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, -5, 0);
    send_stats(&f);
    expect_stats(&f);
    fixture_stop(&f);
}

/* '*' matches every opcode; the spec's example of two delays, then refuse */
static void test_any_opcode(void)
{
    Fixture f;

    fixture_start(&f, NULL);
    set_faults(&f, "*:delay=200*2;15:refuse");
    send_stats(&f);
    expect_nothing(&f, 199 * SCALE_MS);
    qtest_clock_step(f.qs->qts, SCALE_MS);
    expect_stats(&f);
    send_version(&f);
    expect_nothing(&f, 199 * SCALE_MS);
    qtest_clock_step(f.qs->qts, SCALE_MS);
    expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                 sizeof(struct virtchnl_version_info));
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS,
                 VIRTCHNL_STATUS_ERR_NOT_SUPPORTED, 0);
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                 sizeof(struct virtchnl_version_info));

    set_faults(&f, "*:refuse=-38");
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, -38, 0);
    qiavf_send(&f.d, 12345, NULL, 0);
    expect_reply(&f, 12345, -38, 0);
    fixture_stop(&f);
}

/* The property reads back as set; "" turns the faults off. */
static void test_runtime(void)
{
    g_autofree char *spec = NULL;
    g_autofree char *off = NULL;
    Fixture f;

    fixture_start(&f, "15:drop");
    spec = get_faults(&f);
    g_assert_cmpstr(spec, ==, "15:drop");
    send_stats(&f);
    expect_nothing(&f, LONG_NS);

    set_faults(&f, "");
    off = get_faults(&f);
    g_assert_cmpstr(off, ==, "");
    send_stats(&f);
    expect_stats(&f);

    /*
     * A reply already delayed still comes when the rules go; what waits
     * behind it is taken up under the new rules.
     */
    set_faults(&f, "15:delay=100");
    send_stats(&f);
    send_stats(&f);
    set_faults(&f, "15:refuse=-5");
    expect_nothing(&f, 99 * SCALE_MS);
    qtest_clock_step(f.qs->qts, SCALE_MS);
    expect_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, -5, 0);
    set_faults(&f, "");
    send_stats(&f);
    expect_stats(&f);
    fixture_stop(&f);
}

static const char *const bad_specs[] = {
    "15", "15:", ":drop", "x:drop", "15:explode", "15:drop*0", "15:drop*",
    "15:drop*x", "15:drop*2*3", "15:delay", "15:delay=", "15:delay=-1",
    "15:delay=1.5", "15:refuse=", "15:refuse=abc", "15:refuse=+5",
    "15:refuse=99999999999", "15:refusex", "15:drop=1", "15:drop;",
    ";15:drop", "15:drop;;1:drop", "-1:drop", "99999999999:drop",
    " 15:drop", "15 :drop", "15:drop ", "**:drop", "15*2:drop",
    "15:DROP", "0x0f:drop",
};

/* Each malformed string is refused, naming its rule; the rules stay. */
static void test_invalid(void)
{
    Fixture f;

    fixture_start(&f, "15:refuse=-5");
    for (size_t i = 0; i < ARRAY_SIZE(bad_specs); i++) {
        g_autofree char *spec = g_strdup_printf("1:drop*1;%s", bad_specs[i]);
        g_autofree char *bad = NULL;
        g_autofree char *now = NULL;
        g_auto(GStrv) rules = g_strsplit(bad_specs[i], ";", -1);
        QDict *rsp, *err;
        const char *desc;

        rsp = qtest_qmp(f.qs->qts, "{ 'execute': 'qom-set', 'arguments': "
                        "{ 'path': 'vf', 'property': 'x-pf-fault', "
                        "'value': %s } }", spec);
        err = qdict_get_qdict(rsp, "error");
        g_assert_nonnull(err);
        desc = qdict_get_str(err, "desc");
        /* The first bad rule of the string is named. */
        for (char **r = rules; *r; r++) {
            g_autofree char *quoted = g_strdup_printf("'%s'", *r);

            if (strstr(desc, quoted)) {
                bad = g_strdup(*r);
                break;
            }
        }
        g_assert_nonnull(bad);
        g_assert_true(strstr(desc, "x-pf-fault rule"));
        qobject_unref(rsp);

        now = get_faults(&f);
        g_assert_cmpstr(now, ==, "15:refuse=-5");
    }
    /* The old rules still apply, and the valid prefix was not taken. */
    send_stats(&f);
    expect_reply(&f, VIRTCHNL_OP_GET_STATS, -5, 0);
    send_version(&f);
    expect_reply(&f, VIRTCHNL_OP_VERSION, 0,
                 sizeof(struct virtchnl_version_info));
    fixture_stop(&f);
}

/* On the command line an invalid string stops QEMU with the same error. */
static void test_invalid_cmdline(void)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    /* Had the device been accepted, the second -device would end QEMU. */
    g_autofree char *cmd = g_strdup_printf("exec %s -M pc -nodefaults "
                                           "-display none -device "
                                           "'i40e-vf,x-pf-fault=3:drop;3:bogus' "
                                           "-device no-such-device-model",
                                           qtest_qemu_binary(NULL));
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                               &out, &err, &status, &gerr));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "x-pf-fault rule '3:bogus'"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/i40e-vf/fault/drop", test_drop);
    qtest_add_func("/i40e-vf/fault/delay", test_delay);
    qtest_add_func("/i40e-vf/fault/delay-in-order", test_delay_in_order);
    qtest_add_func("/i40e-vf/fault/delay-reset", test_delay_reset);
    qtest_add_func("/i40e-vf/fault/refuse", test_refuse);
    qtest_add_func("/i40e-vf/fault/count", test_count);
    qtest_add_func("/i40e-vf/fault/any-opcode", test_any_opcode);
    qtest_add_func("/i40e-vf/fault/runtime", test_runtime);
    qtest_add_func("/i40e-vf/fault/invalid", test_invalid);
    qtest_add_func("/i40e-vf/fault/invalid-cmdline", test_invalid_cmdline);
    return g_test_run();
}
