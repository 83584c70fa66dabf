/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scenarios of the mailbox trap, once for every transport: bring-up
 * and traffic, the three kinds of VF reset, and live migration with the
 * guest told of a reset or its rings relayed.  What only one transport
 * can see it checks in the hooks of its TrapTransport.
 */

#include "qemu/osdep.h"
#include "qobject/qlist.h"
#include "libqos/pci-pc.h"
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"
#include "vfio-i40evf-trap.h"

static int64_t deadline(TrapVF *vf)
{
    return g_get_monotonic_time() + vf->t->wait_ms * 1000;
}

/* A frame of our EtherType carrying @tag and a count, 64 to 963 bytes */
size_t trap_make_frame(uint8_t *frame, const uint8_t *dst, const uint8_t *src,
                       const char *tag, uint32_t seq)
{
    size_t len = 64 + seq * 97 % 900;

    memset(frame, 0, len);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    stw_be_p(frame + 12, TRAP_ETH_TYPE);
    snprintf((char *)frame + 14, 32, "%s", tag);
    stl_be_p(frame + 46, seq);
    for (size_t i = 50; i < len; i++) {
        frame[i] = seq + i;
    }
    return len;
}

/* The next frame on RX queue 0, false if none came in time */
bool trap_rx_wait(TrapVF *vf, void *buf, size_t *len)
{
    int64_t end = deadline(vf);
    uint64_t qw0, qw1;

    while (!qiavf_rx_poll(&vf->d, 0, buf, len, &qw0, &qw1)) {
        if (g_get_monotonic_time() >= end) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}

/* One frame each way checked byte for byte, or only @tx / @rx ones */
void trap_exchange(TrapVF *vf, const char *tag, uint32_t seq, bool tx,
                   bool rx)
{
    uint8_t frame[1024], buf[2048];
    size_t len, got;

    if (tx) {
        len = trap_make_frame(frame, vf->peer_mac, vf->d.mac, tag, seq);
        qiavf_tx(&vf->d, seq % vf->d.nqueues, frame, len, 0, 0, 0);
        got = vf->t->recv(vf, buf, sizeof(buf));
        g_assert_cmpmem(buf, got, frame, len);
    }
    if (rx) {
        len = trap_make_frame(frame, vf->d.mac, vf->peer_mac, tag, seq);
        vf->t->send(vf, frame, len);
        g_assert_true(trap_rx_wait(vf, buf, &got));
        g_assert_cmpmem(buf, got, frame, len);
    }
}

void trap_check_traffic(TrapVF *vf, const char *tag, uint32_t n)
{
    for (uint32_t seq = 0; seq < n; seq++) {
        trap_exchange(vf, tag, seq, true, true);
    }
}

/* The MSI-X message of @vector reached the VM's memory */
void trap_wait_irq(TrapVF *vf, unsigned int vector)
{
    int64_t end = deadline(vf);

    while (!qtest_readl(vf->d.qts, vf->d.irq_mem + 4 * vector)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_true(qiavf_irq_seen(&vf->d, vector));
}

QDict *trap_query_vf_of(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'x-query-vfio-i40evf' }");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *vf;

    g_assert_nonnull(list);
    g_assert_cmpint(qlist_size(list), ==, 1);
    vf = qobject_to(QDict, qlist_peek(list));
    qobject_ref(vf);
    qobject_unref(rsp);
    g_assert_cmpstr(qdict_get_str(vf, "id"), ==, "vf");
    return vf;
}

QDict *trap_query_vf(TrapVF *vf)
{
    return trap_query_vf_of(vf->qs->qts);
}

/* The VF resets the device has seen so far: a reset test's baseline */
int64_t trap_resets(TrapVF *vf)
{
    QDict *q = trap_query_vf(vf);
    int64_t n = qdict_get_int(q, "vf-resets");

    qobject_unref(q);
    return n;
}

int64_t trap_trapped(QDict *vf, const char *block)
{
    return qdict_get_int(qdict_get_qdict(vf, "trapped"), block);
}

QDict *trap_relay_of(QDict *vf)
{
    QList *l = qdict_get_qlist(vf, "relay");

    return qlist_empty(l) ? NULL : qobject_to(QDict, qlist_peek(l));
}

/* The destination announces the guest's MAC first: a RARP from it */
void trap_expect_announce(TrapVF *vf)
{
    uint8_t buf[2048];
    size_t n = vf->t->recv_announce(vf, buf, sizeof(buf));

    g_assert_cmpuint(n, >=, 28);
    g_assert_cmpmem(buf + 6, 6, vf->d.mac, 6);
    g_assert_cmphex(lduw_be_p(buf + 12), ==, TRAP_ETH_RARP);
    g_assert_cmpmem(buf + 22, 6, vf->d.mac, 6);
}

/*
 * The announcement of a VF reset is among the ARQ messages the guest has
 * not read; the reset clears the guest's mailbox right after, so they are
 * read from memory.
 */
void trap_expect_reset_event(TrapVF *vf)
{
    QIavf *d = &vf->d;
    struct i40e_aq_desc desc;
    struct virtchnl_pf_event ev = { 0 };

    for (uint32_t i = d->arq_ntc; ; i = (i + 1) % QIAVF_AQ_LEN) {
        qtest_memread(d->qts, d->arq + i * sizeof(desc), &desc, sizeof(desc));
        g_assert_cmphex(le16_to_cpu(desc.flags) & I40E_AQ_FLAG_DD, ==,
                        I40E_AQ_FLAG_DD);
        g_assert_cmpuint((i + 1) % QIAVF_AQ_LEN, !=, d->arq_ntc);
        if (le32_to_cpu(desc.cookie_high) != VIRTCHNL_OP_EVENT ||
            le16_to_cpu(desc.datalen) != sizeof(ev)) {
            continue;
        }
        qtest_memread(d->qts, d->arq_bufs + i * QIAVF_AQ_BUF, &ev,
                      sizeof(ev));
        if (le32_to_cpu(ev.event) == VIRTCHNL_EVENT_RESET_IMPENDING) {
            return;
        }
    }
}

/*
 * The PF rebuilds a VF in its own time, which for an emulated one is the
 * VM's virtual time: wait as iavf does, moving both clocks.
 */
void trap_wait_active(TrapVF *vf)
{
    int64_t end = deadline(vf);

    while ((qiavf_rd(&vf->d, I40E_VFGEN_RSTAT) &
            I40E_VFGEN_RSTAT_VFR_STATE_MASK) != I40E_VFR_VFACTIVE) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        qtest_clock_step(vf->d.qts, 1000 * 1000);
        g_usleep(100);
    }
}

/* As iavf's watchdog does: the VF's mailbox went down. */
void trap_wait_reset_detected(TrapVF *vf)
{
    int64_t end = deadline(vf);

    while (qiavf_rd(&vf->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

void trap_vf_init(TrapVF *vf)
{
    qiavf_init(&vf->d, vf->qs, TRAP_DEVFN);
    vf->d.reply_wait_ms = vf->t->wait_ms;
    trap_wait_active(vf);
}

/* A VM on the first host's VF, brought up as iavf does */
TrapVF *trap_up(const TrapTransport *t, unsigned int nqueues)
{
    TrapStart how = { 0 };
    TrapVF *vf = t->start(&how);

    trap_vf_init(vf);
    qiavf_negotiate(&vf->d, QIAVF_IAVF_CAPS);
    qiavf_up(&vf->d, nqueues);
    return vf;
}

/*
 * After a VF reset the guest finds its mailbox cleared, waits for the VF,
 * brings it up again the way iavf does, and traffic flows; the shadow
 * starts over.
 */
void trap_check_recover(TrapVF *vf, int64_t resets_before)
{
    QDict *q;

    trap_wait_active(vf);
    g_assert_false(qiavf_rd(&vf->d, I40E_VF_ATQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_aq_init(&vf->d);
    qiavf_get_resources(&vf->d, QIAVF_IAVF_CAPS);
    q = trap_query_vf(vf);
    g_assert_cmpstr(qdict_get_str(q, "mailbox"), ==, "up");
    g_assert_cmpint(qdict_get_int(q, "vf-resets"), ==, resets_before + 1);
    g_assert_cmpint(qlist_size(qdict_get_qlist(qdict_get_qdict(q, "shadow"),
                                               "queues")), ==, 0);
    qobject_unref(q);
    qiavf_up(&vf->d, 2);
    trap_check_traffic(vf, "after a reset", 4);
}

/*
 * The VM of @from starts to migrate over the loopback to that of @to,
 * started with -incoming defer; the destination checks its PF in pre-copy
 * and acks the switchover.
 */
void trap_migrate_start(QTestState *from, QTestState *to)
{
    for (QTestState *qts = from; qts; qts = qts == from ? to : NULL) {
        migrate_set_capability(qts, "return-path", true);
        migrate_set_capability(qts, "switchover-ack", true);
    }
    migrate_incoming_qmp(to, "tcp:127.0.0.1:0", NULL, "{}");
    migrate_qmp(from, to, NULL, NULL, "{}");
}

/* The same, until the destination runs */
void trap_migrate_qts(QTestState *from, QTestState *to)
{
    trap_migrate_start(from, to);
    wait_for_migration_complete(from);
    qtest_qmp_eventwait(to, "RESUME");
}

/*
 * @src's VM migrates to one on the other host's VF, @resume its resume
 * property; the source is gone after, and the destination goes on with
 * the source's driver.
 */
TrapVF *trap_migrate_to(TrapVF *src, const char *resume)
{
    TrapStart how = { .destination = true, .incoming = true,
                      .resume = resume };
    TrapVF *dst = src->t->start(&how);

    trap_migrate_onto(src, dst);
    return dst;
}

/* The same onto @dst, a VM started with -incoming defer */
void trap_migrate_onto(TrapVF *src, TrapVF *dst)
{
    trap_migrate_qts(src->qs->qts, dst->qs->qts);
    trap_take_over(src, dst);
}

/* @dst runs with @src's state: the test's driver goes on there */
void trap_take_over(TrapVF *src, TrapVF *dst)
{
    const TrapTransport *t = src->t;

    migrate_allocator(&src->qs->alloc, &dst->qs->alloc);
    if (t->migrated) {
        t->migrated(src, dst);
    }
    dst->d = src->d;
    qiavf_switch(&dst->d, dst->qs);
    t->stop(src);
}

static bool trap_available(const TrapTransport *t)
{
    return !t->available || t->available();
}

/*
 * The iavf bring-up through the trap, then verified traffic both ways on
 * two queues; the shadow holds what was configured, and the data path
 * never met the trap.
 */
static void test_bringup_traffic(const void *opaque)
{
    const TrapTransport *t = opaque;
    QDict *q, *shadow;
    TrapVF *vf;

    if (!trap_available(t)) {
        return;
    }
    vf = trap_up(t, 2);
    q = trap_query_vf(vf);
    g_assert_cmpstr(qdict_get_str(q, "mailbox"), ==, "up");
    shadow = qdict_get_qdict(q, "shadow");
    g_assert_true(qdict_get_bool(shadow, "complete"));
    g_assert_true(qdict_get_bool(shadow, "active"));
    g_assert_cmpint(qdict_get_int(shadow, "vsi-id"), ==, vf->d.vsi_id);
    g_assert_cmpint(qdict_get_int(shadow, "granted-caps"), ==, vf->d.caps);
    g_assert_cmpint(qlist_size(qdict_get_qlist(shadow, "queues")), ==, 2);
    g_assert_cmpint(trap_trapped(q, "mailbox"), >, 0);
    qobject_unref(q);

    trap_check_traffic(vf, "bring-up", 40);
    q = trap_query_vf(vf);
    g_assert_cmpint(trap_trapped(q, "passthrough"), ==, 0);
    qobject_unref(q);
    if (t->check_bringup) {
        t->check_bringup(vf);
    }
    t->stop(vf);
}

/*
 * A VM with its VF up and traffic; @reset resets the VF and returns once
 * the guest saw it; the guest recovers, and the VF resets counted grew
 * by one.
 */
static void reset_run(const TrapTransport *t, void (*reset)(TrapVF *vf))
{
    int64_t resets;
    TrapVF *vf;

    if (!trap_available(t)) {
        return;
    }
    vf = trap_up(t, 2);
    trap_check_traffic(vf, "before the reset", 2);
    resets = trap_resets(vf);
    reset(vf);
    trap_check_recover(vf, resets);
    t->stop(vf);
}

/* The guest's driver resets the VF through its PF (RESET_VF) */
static void reset_by_request(TrapVF *vf)
{
    qiavf_send(&vf->d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    trap_wait_reset_detected(vf);
    if (vf->t->pf_saw) {
        g_assert_cmpint(vf->t->pf_saw(vf, VIRTCHNL_OP_RESET_VF), ==, 1);
    }
}

/*
 * The guest resets the function: an FLR in its config space, after which
 * it restores the config space as an OS does.
 */
static void reset_by_flr(TrapVF *vf)
{
    uint8_t cap = qpci_find_capability(vf->d.pdev, PCI_CAP_ID_EXP, 0);

    g_assert_cmpuint(cap, !=, 0);
    qpci_config_writew(vf->d.pdev, cap + PCI_EXP_DEVCTL,
                       qpci_config_readw(vf->d.pdev, cap + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    qiavf_pci_enable(&vf->d);
    trap_wait_reset_detected(vf);
}

static void test_reset_vf(const void *opaque)
{
    reset_run(opaque, reset_by_request);
}

static void test_reset_flr(const void *opaque)
{
    reset_run(opaque, reset_by_flr);
}

/* The VF's host resets it, each transport its own way */
static void test_reset_host(const void *opaque)
{
    const TrapTransport *t = opaque;

    reset_run(t, t->host_reset);
}

/*
 * resume=reset: the destination's PF is checked in pre-copy (and asked
 * nothing else), the source stops its queues for the copy, and the guest,
 * told of a VF reset, brings the new VF (another VSI) up; its counters go
 * on from the source's.
 */
static void test_migrate_reset(const void *opaque)
{
    const TrapTransport *t = opaque;
    TrapStart how = { .destination = true, .incoming = true,
                      .resume = "reset" };
    struct virtchnl_eth_stats before, after;
    uint16_t source_vsi;
    int64_t resets;
    TrapVF *f, *g;
    QDict *q;

    if (!trap_available(t)) {
        return;
    }
    f = trap_up(t, 2);
    trap_check_traffic(f, "before migration", 4);
    qiavf_get_stats(&f->d, &before);
    source_vsi = f->d.vsi_id;
    g = t->start(&how);
    resets = trap_resets(g);    /* the destination's own: not migrated */
    trap_migrate_onto(f, g);
    trap_expect_reset_event(g);
    if (t->pf_saw) {
        g_assert_cmpint(t->pf_saw(g, VIRTCHNL_OP_GET_VF_RESOURCES), ==, 1);
        g_assert_cmpint(t->pf_saw(g, VIRTCHNL_OP_CONFIG_VSI_QUEUES), ==, 0);
    }
    trap_wait_reset_detected(g);
    trap_check_recover(g, resets);
    g_assert_cmpint(g->d.vsi_id, !=, source_vsi);
    qiavf_get_stats(&g->d, &after);
    g_assert_cmpuint(le64_to_cpu(after.tx_unicast), ==,
                     le64_to_cpu(before.tx_unicast) + 4);
    g_assert_cmpuint(le64_to_cpu(after.rx_bytes), >,
                     le64_to_cpu(before.rx_bytes));

    q = trap_query_vf(g);
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(q, "shadow"), "vsi-id"),
                    ==, g->d.vsi_id);
    g_assert_cmpstr(qdict_get_str(q, "migration-phase"), ==, "none");
    g_assert_cmpint(qdict_get_int(q, "device-downtime-us"), >, 0);
    g_assert_cmpint(trap_trapped(q, "passthrough"), ==, 0);
    qobject_unref(q);
    t->stop(g);
}

#define RELAY_AT        37  /* the guest's ring indices at the migration */
#define RELAY_WRAP      64  /* the ring's length */
#define RELAY_PENDING   3   /* TX frames a held source never sent */
#define RELAY_FRAMES    (RELAY_WRAP - RELAY_AT)   /* each way, relayed */

/*
 * The destination of a relay: the pending frames leave once, after the
 * announcement of the guest's MAC, and the queue is relayed from where
 * the guest's indices are.  Returns the VF resets counted so far.
 */
static int64_t relay_check_start(TrapVF *g, const uint64_t *slot, int pending,
                                 QDict *src_vf)
{
    uint8_t frame[1024], buf[2048];
    int64_t end = deadline(g), resets;
    size_t len, n;
    QDict *q, *r;

    /* The queue's vector fires once, to make the guest look at its rings */
    while (pending && !qiavf_irq_seen(&g->d, 1)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    trap_expect_announce(g);
    for (int i = 0; i < pending; i++) {
        len = trap_make_frame(frame, g->peer_mac, g->d.mac, "pending", i);
        n = g->t->recv(g, buf, sizeof(buf));
        g_assert_cmpmem(buf, n, frame, len);
        qiavf_tx_wait(&g->d, slot[i]);
    }
    g_assert_true(qiavf_rd(&g->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    q = trap_query_vf(g);
    r = trap_relay_of(q);
    g_assert_nonnull(r);
    g_assert_cmpint(qdict_get_int(r, "tx-next"), ==, RELAY_AT + pending);
    g_assert_cmpint(qdict_get_int(r, "rx-next"), ==, RELAY_AT);
    resets = qdict_get_int(q, "vf-resets");
    if (g->t->check_relayed) {
        g->t->check_relayed(g, src_vf);
    }
    qobject_unref(q);
    return resets;
}

/*
 * Both indices run to the wrap through the relay rings, TX first (it
 * waits there for RX); then the pair is handed back.  Returns the query
 * after the handover.
 */
static QDict *relay_run_to_wrap(TrapVF *g, int pending, int64_t resets)
{
    int64_t end;
    QDict *q;

    for (uint32_t seq = RELAY_AT + pending; seq < RELAY_WRAP; seq++) {
        trap_exchange(g, "relayed", seq, true, false);
    }
    q = trap_query_vf(g);
    g_assert_true(qdict_get_bool(trap_relay_of(q), "waiting"));
    qobject_unref(q);
    for (uint32_t seq = RELAY_AT; seq < RELAY_WRAP; seq++) {
        trap_exchange(g, "relayed", seq, false, true);
    }
    end = deadline(g);
    while ((q = trap_query_vf(g)) && trap_relay_of(q)) {
        qobject_unref(q);
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_cmpint(qdict_get_int(q, "handovers"), ==, 1);
    g_assert_cmpint(qdict_get_int(q, "vf-resets"), ==, resets);
    g_assert_cmpint(trap_trapped(q, "tx-tail"), >=, RELAY_FRAMES - pending);
    return q;
}

/*
 * resume=relay, the default: the guest's indices are at 37, and where the
 * transport can hold the source's transmitter three TX frames are posted
 * that the source never sent.  On the destination the guest goes on
 * without a reset, its descriptors completing in order through the relay
 * rings (doorbells trapped) until both indices wrap; then the queue is
 * back on the guest's rings, its doorbells untrapped.  No frame is lost
 * and the counters go on.
 */
static void test_migrate_relay(const void *opaque)
{
    const TrapTransport *t = opaque;
    struct virtchnl_eth_stats before, after;
    uint8_t frame[1024];
    uint64_t slot[RELAY_PENDING];
    int64_t tx_trapped, rx_trapped, resets;
    int pending = 0;
    QDict *q, *src_vf;
    TrapVF *f, *g;

    if (!trap_available(t)) {
        return;
    }
    f = trap_up(t, 1);
    trap_check_traffic(f, "before", RELAY_AT);
    qiavf_get_stats(&f->d, &before);
    if (t->hold && t->hold(f)) {
        for (pending = 0; pending < RELAY_PENDING; pending++) {
            size_t len = trap_make_frame(frame, f->peer_mac, f->d.mac,
                                         "pending", pending);

            slot[pending] = qiavf_tx_post(&f->d, 0, frame, len, 0, 0, 0);
        }
    }
    qiavf_irq_clear(&f->d, 1);
    src_vf = trap_query_vf(f);
    g = trap_migrate_to(f, NULL);
    resets = relay_check_start(g, slot, pending, src_vf);
    qobject_unref(src_vf);

    q = relay_run_to_wrap(g, pending, resets);
    tx_trapped = trap_trapped(q, "tx-tail");
    rx_trapped = trap_trapped(q, "rx-tail");
    qobject_unref(q);
    if (t->check_direct) {
        t->check_direct(g);
    }
    trap_check_traffic(g, "direct", 8);
    q = trap_query_vf(g);
    g_assert_cmpint(trap_trapped(q, "tx-tail"), ==, tx_trapped);
    g_assert_cmpint(trap_trapped(q, "rx-tail"), ==, rx_trapped);
    g_assert_cmpint(trap_trapped(q, "passthrough"), ==, 0);
    qobject_unref(q);

    /* Every frame since the source's counters, pending ones too */
    qiavf_get_stats(&g->d, &after);
    g_assert_cmpuint(le64_to_cpu(after.tx_unicast), ==,
                     le64_to_cpu(before.tx_unicast) + RELAY_FRAMES + 8);
    g_assert_cmpuint(le64_to_cpu(after.rx_unicast), ==,
                     le64_to_cpu(before.rx_unicast) + RELAY_FRAMES + 8);
    /* The guest was never told of a reset */
    qiavf_drain_events(&g->d);
    g_assert_cmpint(g->d.reset_events, ==, 0);
    t->stop(g);
}

/* The relay of queue pair @q in the query @vf, NULL once handed back */
static QDict *relay_queue(QDict *vf, unsigned int q)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(vf, "relay"), e) {
        QDict *r = qobject_to(QDict, e->value);

        if (qdict_get_int(r, "queue") == q) {
            return r;
        }
    }
    return NULL;
}

/*
 * Queue pair @q is relayed with the guest's TX and RX at @tx and @rx
 * (modulo the ring), or handed back if @tx is negative; @handovers so
 * far.
 */
static void pairs_check(TrapVF *g, unsigned int q, int tx, int rx,
                        int64_t handovers)
{
    int64_t end = deadline(g);
    QDict *vf, *r;

    /* A handover runs in a bottom half, after the frame that allows it */
    while ((vf = trap_query_vf(g)) &&
           qdict_get_int(vf, "handovers") < handovers) {
        qobject_unref(vf);
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_cmpint(qdict_get_int(vf, "handovers"), ==, handovers);
    r = relay_queue(vf, q);
    if (tx < 0) {
        g_assert_null(r);
    } else {
        g_assert_nonnull(r);
        g_assert_cmpint(qdict_get_int(r, "tx-next") % RELAY_WRAP, ==, tx);
        g_assert_cmpint(qdict_get_int(r, "rx-next") % RELAY_WRAP, ==, rx);
    }
    qobject_unref(vf);
}

/* @n frames out of TX queue @q (of two), from the guest's slot @from */
static void pairs_tx(TrapVF *g, unsigned int q, uint32_t from, uint32_t n)
{
    for (uint32_t i = from; i < from + n; i++) {
        trap_exchange(g, "pairs", 2 * i + q, true, false);
    }
}

/*
 * Two pairs relayed at once, each handed back on its own when both its
 * directions are at a wrap: pair 1 (RX never used, at slot 0) as soon as
 * its TX wraps.  Pair 0's TX waits at its wrap while its RX idles at 37,
 * and the pair stays relayed; a frame to send then goes round once more
 * rather than wait for an RX that does not move.
 */
static void test_migrate_relay_pairs(const void *opaque)
{
    const TrapTransport *t = opaque;
    TrapVF *f = trap_available(t) ? trap_up(t, 2) : NULL;
    TrapVF *g;
    int64_t resets;
    QDict *q;

    if (!f) {
        return;
    }
    pairs_tx(f, 0, 0, RELAY_AT);
    pairs_tx(f, 1, 0, RELAY_AT);
    for (uint32_t seq = 0; seq < RELAY_AT; seq++) {
        trap_exchange(f, "pairs", seq, false, true);
    }
    g = trap_migrate_to(f, NULL);
    trap_expect_announce(g);
    resets = trap_resets(g);
    pairs_check(g, 0, RELAY_AT, RELAY_AT, 0);
    pairs_check(g, 1, RELAY_AT, 0, 0);

    pairs_tx(g, 1, RELAY_AT, RELAY_FRAMES);
    pairs_check(g, 1, -1, 0, 1);
    pairs_tx(g, 0, RELAY_AT, RELAY_FRAMES);
    g_usleep(200 * 1000);
    pairs_check(g, 0, 0, RELAY_AT, 1);
    q = trap_query_vf(g);
    g_assert_true(qdict_get_bool(relay_queue(q, 0), "waiting"));
    qobject_unref(q);
    pairs_tx(g, 0, RELAY_WRAP, 1);
    pairs_check(g, 0, 1, RELAY_AT, 1);

    /* RX to its wrap, TX round to the next: pair 0 goes back too */
    for (uint32_t seq = RELAY_AT; seq < RELAY_WRAP; seq++) {
        trap_exchange(g, "pairs", seq, false, true);
    }
    pairs_tx(g, 0, RELAY_WRAP + 1, RELAY_WRAP - 1);
    pairs_check(g, 0, -1, 0, 2);
    g_assert_cmpint(trap_resets(g), ==, resets);
    trap_check_traffic(g, "direct", 8);
    qiavf_drain_events(&g->d);
    g_assert_cmpint(g->d.reset_events, ==, 0);
    t->stop(g);
}

/*
 * Frames @from to @to from the peer, at once, and until the last is on
 * the guest's RX ring (the guest reads them later: its buffers stay
 * posted, the ring does not move meanwhile)
 */
static void relay_rx_burst(TrapVF *g, uint32_t from, uint32_t to)
{
    uint64_t qw1 = g->d.rx[0].ring + ((to - 1) % RELAY_WRAP) * 32 + 8;
    int64_t end = deadline(g);
    uint8_t frame[1024];

    for (uint32_t seq = from; seq < to; seq++) {
        g->t->send(g, frame, trap_make_frame(frame, g->d.mac, g->peer_mac,
                                             "burst", seq));
    }
    while (!(qtest_readq(g->d.qts, qw1) & 1)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(100);
    }
}

/* ...and the guest's RX ring has them, in order */
static void relay_rx_check(TrapVF *g, uint32_t from, uint32_t to)
{
    uint8_t want[1024], buf[2048];
    size_t len, got;

    for (uint32_t seq = from; seq < to; seq++) {
        len = trap_make_frame(want, g->d.mac, g->peer_mac, "burst", seq);
        g_assert_true(trap_rx_wait(g, buf, &got));
        g_assert_cmpmem(buf, got, want, len);
    }
}

/*
 * TX waits at its wrap, RX moving towards its own: a frame the guest
 * sends then waits (at most 40 ms) for RX to get there, and the pair is
 * handed back with the frame on the guest's ring, rather than TX going
 * round once more (the pair would stay relayed).
 */
static void test_migrate_relay_hold(const void *opaque)
{
    const TrapTransport *t = opaque;
    uint8_t frame[1024], buf[2048];
    uint64_t slot;
    size_t len, n;
    TrapVF *f, *g;

    if (!trap_available(t)) {
        return;
    }
    f = trap_up(t, 1);
    trap_check_traffic(f, "before", RELAY_AT);
    g = trap_migrate_to(f, NULL);
    trap_expect_announce(g);
    for (uint32_t seq = RELAY_AT; seq < RELAY_WRAP; seq++) {
        trap_exchange(g, "to the wrap", seq, true, false);
    }
    /*
     * RX moves, in two bursts (its speed is measured between them),
     * and is three frames from its wrap when the guest has a frame to
     * send: TX holds it for RX, which gets there in a third burst,
     * within the 40 ms however slow this machine is.
     */
    relay_rx_burst(g, RELAY_AT, RELAY_WRAP - 16);
    relay_rx_burst(g, RELAY_WRAP - 16, RELAY_WRAP - 3);
    len = trap_make_frame(frame, g->peer_mac, g->d.mac, "held", RELAY_WRAP);
    slot = qiavf_tx_post(&g->d, 0, frame, len, 0, 0, 0);
    relay_rx_burst(g, RELAY_WRAP - 3, RELAY_WRAP);
    relay_rx_check(g, RELAY_AT, RELAY_WRAP);
    n = t->recv(g, buf, sizeof(buf));
    g_assert_cmpmem(buf, n, frame, len);
    qiavf_tx_wait(&g->d, slot);
    pairs_check(g, 0, -1, 0, 1);
    trap_check_traffic(g, "direct", 8);
    t->stop(g);
}

static void trap_add(const TrapTransport *t, const char *name,
                     void (*fn)(const void *))
{
    g_autofree char *path = g_strdup_printf("/%s/%s", t->name, name);

    qtest_add_data_func(path, t, fn);
}

/* The shared scenarios, under /@t->name/ */
void trap_add_tests(const TrapTransport *t)
{
    trap_add(t, "bringup-traffic", test_bringup_traffic);
    trap_add(t, "reset/vf", test_reset_vf);
    trap_add(t, "reset/flr", test_reset_flr);
    trap_add(t, "reset/host", test_reset_host);
    trap_add(t, "migration/relay", test_migrate_relay);
    trap_add(t, "migration/relay-pairs", test_migrate_relay_pairs);
    trap_add(t, "migration/relay-hold", test_migrate_relay_hold);
    trap_add(t, "migration/reset", test_migrate_reset);
}
