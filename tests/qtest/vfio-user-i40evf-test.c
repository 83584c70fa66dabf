/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of vfio-user-i40evf: the qtest VM passes through an i40e-vf that
 * an x-remote QEMU serves over vfio-user, and libqos/iavf drives it
 * through the mailbox trap.  The server's trace of the messages its PF
 * agent took shows what crossed the trap.
 *
 * This file is the vfio-user transport of the trap's shared scenarios
 * (vfio-i40evf-trap.c) and the tests only this transport can run: a
 * server that dies or misbehaves, a device that is no X710 VF, and the
 * ways a migration can fail.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/wait.h>
#include "qemu/units.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci-pc.h"
#include "libqos/iavf.h"
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"
#include "vfio-i40evf-trap.h"

#define VF_MAC          "52:54:00:12:34:56"
#define VF_VSI          7
#define WAIT_MS         5000

typedef struct UserVF {
    TrapVF vf;
    QTestState *srv;    /* the x-remote QEMU serving the VF */
    int sock[2];        /* the VF's netdev; sock[0] is the test's end */
    char *dir;
    char *path;         /* the vfio-user socket */
    char *log;          /* the server's trace */
    char *err;          /* the VM's stderr, if kept */
    bool held;          /* the server is stopped */
} UserVF;

/* A "host": the server with its VF as its PF provisioned it, and a VM */
typedef struct UserHost {
    const char *mac;        /* the VF's administrative MAC, NULL: VF_MAC */
    bool destination;       /* another VSI */
    const char *incoming;   /* -incoming's argument, or NULL */
    const char *resume;     /* the device's resume property, NULL: relay */
    const char *fault;      /* the PF's x-pf-fault; the VM's stderr kept */
    const char *props;      /* more of the device's JSON, each with ", " */
    bool keep_err;          /* the VM's stderr kept in ->err */
    const char *vf_props;   /* more of the i40e-vf's, each with "," */
} UserHost;

static const uint8_t vf_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const TrapTransport user;

static UserVF *user_vf(TrapVF *vf)
{
    return container_of(vf, UserVF, vf);
}

static void user_server(UserVF *f, const UserHost *h)
{
    g_autofree char *fault = h->fault ?
                             g_strdup_printf(",x-pf-fault=%s", h->fault) :
                             g_strdup("");

    /* The VF becomes active at once: the server's clock is the qtest's. */
    f->srv = qtest_initf("-machine x-remote,vfio-user=on,auto-shutdown=off "
                         "-nodefaults -trace i40e_vf_pf_msg -D %s "
                         "-netdev socket,fd=%d,id=n0 "
                         "-device i40e-vf,id=vf0,netdev=n0,mac=%s"
                         ",vsi-id=%d,reset-delay=0%s%s "
                         "-object '{\"qom-type\": \"x-vfio-user-server\", "
                         "\"id\": \"s0\", \"device\": \"vf0\", "
                         "\"socket\": {\"type\": \"unix\", "
                         "\"path\": \"%s\"}}'",
                         f->log, f->sock[1], h->mac ?: VF_MAC,
                         h->destination ? VF_VSI + 2 : VF_VSI, fault,
                         h->vf_props ?: "", f->path);
}

static UserVF *user_host(const UserHost *h)
{
    UserVF *f = g_new0(UserVF, 1);
    g_autofree char *err = NULL;

    f->vf.t = &user;
    memcpy(f->vf.peer_mac, peer_mac, 6);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sock), ==, 0);
    f->dir = g_dir_make_tmp("vfio-user-i40evf-XXXXXX", NULL);
    g_assert(f->dir);
    f->path = g_build_filename(f->dir, "vfu.sock", NULL);
    f->log = g_build_filename(f->dir, "server.log", NULL);
    if (h->fault || h->keep_err) {
        f->err = g_build_filename(f->dir, "vm.err", NULL);
        err = g_strdup_printf("2>%s", f->err);
    }
    user_server(f, h);

    /* The server maps guest memory for DMA: it must be shareable. */
    f->vf.qs = qtest_pc_boot("-object memory-backend-memfd,id=mem,"
                             "size=128M,share=on -machine memory-backend=mem "
                             "-m 128M -device '{\"driver\": "
                             "\"vfio-user-i40evf\", \"id\": \"vf\", "
                             "\"addr\": \"04.0\", \"resume\": \"%s\"%s, "
                             "\"socket\": {\"type\": \"unix\", "
                             "\"path\": \"%s\"}}' %s %s %s",
                             h->resume ?: "relay", h->props ?: "", f->path,
                             h->incoming ? "-incoming" : "",
                             h->incoming ?: "", err ?: "");
    return f;
}

static TrapVF *user_start(const TrapStart *how)
{
    UserHost h = {
        .destination = how->destination,
        .incoming = how->incoming ? "defer" : NULL,
        .resume = how->resume,
    };

    return &user_host(&h)->vf;
}

static void user_stop(TrapVF *vf)
{
    UserVF *f = user_vf(vf);

    qtest_shutdown(vf->qs);
    if (f->srv) {
        qtest_quit(f->srv);
    }
    close(f->sock[0]);
    close(f->sock[1]);
    unlink(f->path);
    unlink(f->log);
    if (f->err) {
        unlink(f->err);
    }
    rmdir(f->dir);
    g_free(f->err);
    g_free(f->log);
    g_free(f->path);
    g_free(f->dir);
    g_free(f);
}

/* The test's end of the VF's socket netdev */
static void user_send(TrapVF *vf, const void *frame, size_t len)
{
    qiavf_sock_send(user_vf(vf)->sock[0], frame, len);
}

static size_t user_recv(TrapVF *vf, void *buf, size_t max)
{
    return qiavf_sock_recv(user_vf(vf)->sock[0], buf, max);
}

/* The frame a destination sends first, which user_recv() skips */
static size_t user_recv_announce(TrapVF *vf, void *buf, size_t max)
{
    struct pollfd pfd = { .fd = user_vf(vf)->sock[0], .events = POLLIN };
    uint32_t be;
    size_t len;

    if (poll(&pfd, 1, WAIT_MS) != 1) {
        return 0;
    }
    g_assert_cmpint(recv(pfd.fd, &be, 4, MSG_WAITALL), ==, 4);
    len = ntohl(be);
    g_assert_cmpuint(len, <=, max);
    g_assert_cmpint(recv(pfd.fd, buf, len, MSG_WAITALL), ==, len);
    return len;
}

/* How many messages of @op the server's PF agent took. */
static int user_pf_saw(TrapVF *vf, uint32_t op)
{
    g_autofree char *text = NULL;
    g_autofree char *needle = g_strdup_printf("(%u) len", op);
    int n = 0;

    g_assert_true(g_file_get_contents(user_vf(vf)->log, &text, NULL, NULL));
    for (char *p = text; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

/*
 * The host resets the VF: like 'ip link set PF vf N trust on', which
 * makes i40e announce the reset (RESET_IMPENDING, which reaches the
 * guest's ARQ) and reset the VF.
 */
static void user_host_reset(TrapVF *vf)
{
    int64_t events;
    QDict *q;

    q = trap_query_vf(vf);
    events = qdict_get_int(q, "events");
    qobject_unref(q);
    qtest_qmp_assert_success(user_vf(vf)->srv, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf0', 'property': "
                             "'trusted', 'value': true } }");
    trap_wait_reset_detected(vf);
    q = trap_query_vf(vf);
    g_assert_cmpint(qdict_get_int(q, "events"), ==, events + 1);
    qobject_unref(q);
}

static int32_t config_rss_key(QIavf *d, uint8_t seed)
{
    uint8_t msg[4 + VIRTCHNL_RSS_KEY_SIZE + 1] = { 0 };

    stw_le_p(msg, d->vsi_id);
    stw_le_p(msg + 2, VIRTCHNL_RSS_KEY_SIZE);
    for (int i = 0; i < VIRTCHNL_RSS_KEY_SIZE; i++) {
        msg[4 + i] = seed + i;
    }
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_RSS_KEY, msg, sizeof(msg),
                      NULL, NULL);
}

/* The shadow holds the VLAN and the RSS key too, and HMP shows the VF */
static void user_check_bringup(TrapVF *vf)
{
    g_autofree char *hmp = NULL;
    QDict *q, *shadow;

    g_assert_cmpmem(vf->d.mac, 6, vf_mac, 6);
    g_assert_cmpint(qiavf_add_vlan(&vf->d, 100, false), ==, 0);
    g_assert_cmpint(config_rss_key(&vf->d, 0x40), ==, 0);
    q = trap_query_vf(vf);
    shadow = qdict_get_qdict(q, "shadow");
    g_assert_cmpint(qdict_get_int(shadow, "vsi-id"), ==, VF_VSI);
    g_assert_cmpstr(qdict_get_str(shadow, "default-mac"), ==, VF_MAC);
    g_assert_true(qdict_get_bool(qobject_to(QDict, qlist_peek(
                  qdict_get_qlist(shadow, "queues"))), "rx-enabled"));
    g_assert_cmpstr(qstring_get_str(qobject_to(QString, qlist_peek(
                    qdict_get_qlist(shadow, "macs")))), ==, VF_MAC);
    g_assert_cmpint(qnum_get_int(qobject_to(QNum, qlist_peek(
                    qdict_get_qlist(shadow, "vlans")))), ==, 100);
    g_assert_true(g_str_has_prefix(qdict_get_str(shadow, "rss-key"),
                                   "404142434445"));
    qobject_unref(q);

    hmp = qtest_hmp(vf->qs->qts, "info vfio-i40evf");
    g_assert_true(g_str_has_prefix(hmp, "vf: mailbox up"));
    g_assert_nonnull(strstr(hmp, "VSI 7, 4 queue pairs"));
}

/* The source's server stops: its VF sends nothing any more */
static bool user_hold(TrapVF *vf)
{
    qtest_qmp_assert_success(user_vf(vf)->srv, "{ 'execute': 'stop' }");
    user_vf(vf)->held = true;
    return true;
}

/* The source's VF is stopped for good: nothing leaves it any more */
static void user_migrated(TrapVF *src, TrapVF *dst)
{
    UserVF *f = user_vf(src);
    struct pollfd pfd = { .fd = f->sock[0], .events = POLLIN };

    if (f->held) {
        qtest_qmp_assert_success(f->srv, "{ 'execute': 'cont' }");
        g_assert_cmpint(poll(&pfd, 1, 200), ==, 0);
    }
}

/* The destination's shadow is the source's, on another VSI */
static void user_check_relayed(TrapVF *dst, QDict *src_vf)
{
    g_autofree char *hmp = qtest_hmp(dst->qs->qts, "info vfio-i40evf");
    QDict *q = trap_query_vf(dst);

    g_assert_nonnull(strstr(hmp, "queue 0 relayed: TX next 40 tail 40, "
                            "RX next 37 tail 36"));
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(q, "shadow"), "vsi-id"),
                    ==, VF_VSI + 2);
    qdict_del(qdict_get_qdict(q, "shadow"), "vsi-id");
    qdict_del(qdict_get_qdict(src_vf, "shadow"), "vsi-id");
    g_assert_true(qobject_is_equal(qdict_get(q, "shadow"),
                                   qdict_get(src_vf, "shadow")));
    qobject_unref(q);
}

/* The handover was announced for queue 0 */
static void user_check_direct(TrapVF *dst)
{
    QDict *ev = qtest_qmp_eventwait_ref(dst->qs->qts, "VFIO_I40EVF_HANDOVER");

    g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"), "queue"), ==,
                    0);
    qobject_unref(ev);
}

static const TrapTransport user = {
    .name = "vfio-user-i40evf", .wait_ms = WAIT_MS,
    .start = user_start, .stop = user_stop,
    .send = user_send, .recv = user_recv,
    .recv_announce = user_recv_announce,
    .pf_saw = user_pf_saw,
    .host_reset = user_host_reset,
    .check_bringup = user_check_bringup,
    .hold = user_hold, .migrated = user_migrated,
    .check_relayed = user_check_relayed, .check_direct = user_check_direct,
};

/* A VM with its VF brought up, one queue pair */
static UserVF *user_up(void)
{
    return user_vf(trap_up(&user, 1));
}

static UserVF *user_destination(const char *mac, const char *fault)
{
    UserHost h = {
        .mac = mac, .destination = true, .incoming = "defer", .fault = fault,
    };

    return user_host(&h);
}

static QTestState *vm(UserVF *f)
{
    return f->vf.qs->qts;
}

/* The refused request's counters in the QMP reply */
static QDict *op_stats(QDict *vf, uint32_t op)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(vf, "messages"), e) {
        QDict *st = qobject_to(QDict, e->value);

        if (qdict_get_int(st, "opcode") == op) {
            return st;
        }
    }
    g_assert_not_reached();
}

static int32_t call(UserVF *f, uint32_t op, const void *msg, uint16_t len)
{
    return qiavf_call(&f->vf.d, op, msg, len, NULL, NULL);
}

/*
 * Requests the PF would refuse for their form are answered by the trap
 * with the PF's status and never reach the device.
 */
static void test_malformed(void)
{
    struct {
        struct virtchnl_ether_addr_list hdr;
        struct virtchnl_ether_addr addr[2];
    } macs = { 0 };
    size_t one = sizeof(macs.hdr) + sizeof(macs.addr[0]);
    uint8_t junk[24] = { 0 };
    UserHost h = { 0 };
    UserVF *f = user_host(&h);
    QDict *vf, *st;

    trap_vf_init(&f->vf);
    qiavf_negotiate(&f->vf.d, QIAVF_IAVF_CAPS);
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_GET_VF_RESOURCES), ==, 1);

    /* No element, then a length that does not match the count */
    macs.hdr.vsi_id = cpu_to_le16(f->vf.d.vsi_id);
    g_assert_cmpint(call(f, VIRTCHNL_OP_ADD_ETH_ADDR, &macs, one), ==,
                    I40E_VC_EINVAL);
    macs.hdr.num_elements = cpu_to_le16(2);
    g_assert_cmpint(call(f, VIRTCHNL_OP_ADD_ETH_ADDR, &macs, one), ==,
                    I40E_VC_EINVAL);
    /* A request only a PF sends, and a truncated queue configuration */
    g_assert_cmpint(call(f, VIRTCHNL_OP_EVENT, junk, sizeof(junk)), ==,
                    I40E_VC_EINVAL);
    g_assert_cmpint(call(f, VIRTCHNL_OP_CONFIG_VSI_QUEUES, junk,
                         sizeof(junk)), ==, I40E_VC_EINVAL);

    vf = trap_query_vf(&f->vf);
    st = op_stats(vf, VIRTCHNL_OP_ADD_ETH_ADDR);
    g_assert_cmpint(qdict_get_int(st, "requests"), ==, 2);
    g_assert_cmpint(qdict_get_int(st, "refused"), ==, 2);
    g_assert_cmpint(qdict_get_int(op_stats(vf, VIRTCHNL_OP_CONFIG_VSI_QUEUES),
                                  "refused"), ==, 1);
    qobject_unref(vf);
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_ADD_ETH_ADDR), ==, 0);
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_CONFIG_VSI_QUEUES), ==, 0);
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_EVENT), ==, 0);

    /* The mailbox still works */
    g_assert_cmpint(qiavf_add_mac(&f->vf.d, f->vf.d.mac, false), ==, 0);
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_ADD_ETH_ADDR), ==, 1);
    user_stop(&f->vf);
}

/* migrate is refused at once by a blocker giving @reason */
static void check_blocked(UserVF *f, const char *reason)
{
    QDict *rsp = qtest_qmp(vm(f), "{ 'execute': 'migrate', 'arguments': "
                           "{ 'uri': 'unix:/nonexistent' } }");

    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), reason));
    qobject_unref(rsp);
}

/* The server's PF misbehaves from now on as @rules say (x-pf-fault) */
static void set_pf_fault(UserVF *f, const char *rules)
{
    qtest_qmp_assert_success(f->srv, "{ 'execute': 'qom-set', 'arguments': "
                             "{ 'path': 'vf0', 'property': 'x-pf-fault', "
                             "'value': %s } }", rules);
}

/* The counter @what of the guest's requests of @op */
static int64_t op_count(UserVF *f, uint32_t op, const char *what)
{
    QDict *vf = trap_query_vf(&f->vf);
    int64_t n = qdict_get_int(op_stats(vf, op), what);

    qobject_unref(vf);
    return n;
}

#define MBX_TIMEOUT_MS  300

/*
 * A PF that never answers a request: after x-mbx-timeout-ms the guest
 * gets ERR_ADMIN_QUEUE_ERROR for it, counted unanswered, and the mailbox
 * carries on: the next request is answered and traffic flows.
 */
static void test_mbx_timeout(void)
{
    UserHost h = {
        .props = ", \"x-mbx-timeout-ms\": " stringify(MBX_TIMEOUT_MS),
    };
    UserVF *f = user_host(&h);
    int64_t start, ms;

    trap_vf_init(&f->vf);
    qiavf_negotiate(&f->vf.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->vf.d, 1);
    set_pf_fault(f, "14:drop*1");
    start = g_get_monotonic_time();
    g_assert_cmpint(qiavf_promisc(&f->vf.d, 0), ==,
                    VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR);
    ms = (g_get_monotonic_time() - start) / 1000;
    g_test_message("unanswered after %" PRId64 " ms", ms);
    /* QEMU counts whole milliseconds from when it sent the request */
    g_assert_cmpint(ms, >=, MBX_TIMEOUT_MS - 10);
    g_assert_cmpint(ms, <, MBX_TIMEOUT_MS + 1000);
    g_assert_cmpint(op_count(f, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                             "unanswered"), ==, 1);
    /* The dropped request was never carried out */
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE),
                    ==, 0);

    g_assert_cmpint(qiavf_promisc(&f->vf.d, 0), ==, 0);
    g_assert_cmpint(op_count(f, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                             "unanswered"), ==, 1);
    g_assert_cmpint(op_count(f, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE, "ok"),
                    ==, 1);
    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE),
                    ==, 1);
    trap_check_traffic(&f->vf, "after a request unanswered", 4);
    user_stop(&f->vf);
}

/* Whether the shadow holds all the VF's configuration */
static bool shadow_complete(UserVF *f)
{
    QDict *vf = trap_query_vf(&f->vf);
    bool complete = qdict_get_bool(qdict_get_qdict(vf, "shadow"), "complete");

    qobject_unref(vf);
    return complete;
}

/*
 * A reply the shadow cannot follow (a PF that answers GET_RSS_HENA_CAPS
 * with no capabilities) registers a blocker: migrate refuses at once,
 * naming it.  A VF reset starts the record over, and the VM migrates.
 */
static void test_migrate_blocked(void)
{
    UserVF *f = user_up();
    UserVF *g;
    int64_t resets;

    set_pf_fault(f, "25:refuse=0*1");
    g_assert_cmpint(call(f, VIRTCHNL_OP_GET_RSS_HENA_CAPS, NULL, 0), ==, 0);
    g_assert_false(shadow_complete(f));
    check_blocked(f, "its configuration was not fully recorded");
    trap_check_traffic(&f->vf, "blocked", 2);

    resets = trap_resets(&f->vf);
    qiavf_send(&f->vf.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    trap_wait_reset_detected(&f->vf);
    trap_check_recover(&f->vf, resets);
    g_assert_true(shadow_complete(f));

    g = user_vf(trap_migrate_to(&f->vf, NULL));
    trap_check_traffic(&g->vf, "migrated once unblocked", 4);
    user_stop(&g->vf);
}

static UserVF *fallback_destination(void)
{
    UserHost h = { .destination = true, .incoming = "defer",
                   .keep_err = true };

    return user_host(&h);
}

/*
 * The guest's VF, migrated from @f onto @g, could not be carried over on
 * relay rings (@why): the destination warns that the guest's driver will
 * reset its VF, the guest is told of a reset, and brings the VF up again
 * with traffic.
 */
static void check_fallback(UserVF *g, int64_t resets, const char *why)
{
    g_autofree char *err = NULL;
    QDict *q;

    trap_expect_reset_event(&g->vf);
    trap_wait_reset_detected(&g->vf);
    trap_check_recover(&g->vf, resets);
    g_assert_true(g_file_get_contents(g->err, &err, NULL, NULL));
    g_test_message("destination: %s", err);
    g_assert_nonnull(strstr(err, "the guest's driver will reset its VF"));
    g_assert_nonnull(strstr(err, why));
    q = trap_query_vf(&g->vf);
    g_assert_null(trap_relay_of(q));
    g_assert_cmpint(qdict_get_int(q, "handovers"), ==, 0);
    qobject_unref(q);
    user_stop(&g->vf);
}

static void migrate_fallback(UserVF *f, const char *why)
{
    UserVF *g = fallback_destination();
    int64_t resets = trap_resets(&g->vf);    /* its own, not migrated */

    trap_migrate_onto(&f->vf, &g->vf);
    check_fallback(g, resets, why);
}

/* A guest granted REQUEST_QUEUES (by a VF reset) is not relayed */
static void test_migrate_fallback_queues(void)
{
    UserVF *f = user_up();
    uint16_t n = cpu_to_le16(2);
    int64_t resets = trap_resets(&f->vf);
    QDict *q;

    qiavf_send(&f->vf.d, VIRTCHNL_OP_REQUEST_QUEUES, &n, sizeof(n));
    trap_wait_reset_detected(&f->vf);
    trap_check_recover(&f->vf, resets);
    q = trap_query_vf(&f->vf);
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(q, "shadow"),
                                  "requested-queues"), ==, 2);
    qobject_unref(q);
    migrate_fallback(f, "REQUEST_QUEUES");
}

/* Queue 0 configured again, its TX head written back to @headwb */
static void config_headwb(QIavf *d, uint64_t headwb)
{
    struct {
        struct virtchnl_vsi_queue_config_info hdr;
        struct virtchnl_queue_pair_info qp[2];
    } qc = {
        .hdr.vsi_id = cpu_to_le16(d->vsi_id),
        .hdr.num_queue_pairs = cpu_to_le16(1),
    };
    struct virtchnl_queue_pair_info *qp = &qc.hdr.qpair[0];

    qp->txq.vsi_id = qp->rxq.vsi_id = cpu_to_le16(d->vsi_id);
    qp->txq.ring_len = cpu_to_le16(d->tx[0].len);
    qp->txq.dma_ring_addr = cpu_to_le64(d->tx[0].ring);
    qp->txq.headwb_enabled = cpu_to_le16(1);
    qp->txq.dma_headwb_addr = cpu_to_le64(headwb);
    qp->rxq.ring_len = cpu_to_le32(d->rx[0].len);
    qp->rxq.dma_ring_addr = cpu_to_le64(d->rx[0].ring);
    qp->rxq.databuffer_size = cpu_to_le32(d->rx[0].buf_size);
    qp->rxq.max_pkt_size = cpu_to_le32(1518);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, &qc,
                               sizeof(qc), NULL, NULL), ==, 0);
}

/* A guest that asked for TX head write-back is not relayed */
static void test_migrate_fallback_headwb(void)
{
    UserVF *f = user_up();
    QIavf *d = &f->vf.d;
    struct virtchnl_queue_select qs = {
        .vsi_id = cpu_to_le16(d->vsi_id),
        .rx_queues = cpu_to_le32(1), .tx_queues = cpu_to_le32(1),
    };

    g_assert_cmpint(call(f, VIRTCHNL_OP_DISABLE_QUEUES, &qs, sizeof(qs)), ==,
                    0);
    config_headwb(d, guest_alloc(&f->vf.qs->alloc, 64));
    g_assert_cmpint(qiavf_enable_queues(d, 1), ==, 0);
    migrate_fallback(f, "queue 0 is not a plain enabled pair");
}

/*
 * A mailbox reply raises the guest's vector 0, relayed from the VF's
 * vector 0 that QEMU took.
 */
static void test_vector0(void)
{
    UserVF *f = user_up();
    QIavf *d = &f->vf.d;
    QDict *vf;

    qiavf_rd(d, I40E_VFINT_ICR01);
    qiavf_irq_clear(d, 0);
    qiavf_irq_enable(d, 0);
    g_assert_cmpint(qiavf_promisc(d, 0), ==, 0);
    trap_wait_irq(&f->vf, 0);
    g_assert_cmphex(qiavf_rd(d, I40E_VFINT_ICR01) & I40E_VFINT_ICR01_ADMINQ,
                    ==, I40E_VFINT_ICR01_ADMINQ);
    vf = trap_query_vf(&f->vf);
    g_assert_cmpint(qdict_get_int(vf, "vf-interrupts"), >, 0);
    g_assert_cmpint(trap_trapped(vf, "vector0"), >, 0);
    qobject_unref(vf);
    user_stop(&f->vf);
}

/*
 * The server dies: the guest's VF reads as reset, then as dead (link
 * down, requests fail), QEMU runs on, and the VM cannot migrate.
 */
static void test_server_dies(void)
{
    UserVF *f = user_up();
    QIavf *d = &f->vf.d;
    QDict *vf;

    g_assert_true(d->link_up);
    qtest_kill_qemu(f->srv);
    qtest_quit(f->srv);
    f->srv = NULL;

    /*
     * iavf's watchdog reads ARQLEN: all ones, as during a host's FLR, so
     * a VF reset at first (the guest's mailbox cleared), and dead once
     * it stays so.
     */
    g_assert_cmphex(qiavf_rd(d, I40E_VF_ARQLEN1), ==, 0);
    for (int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
         (vf = trap_query_vf(&f->vf)) &&
         strcmp(qdict_get_str(vf, "mailbox"), "dead"); qobject_unref(vf)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    qobject_unref(vf);
    /* The VF stays in reset; a mailbox set up again gets no answer */
    g_assert_cmphex(qiavf_rd(d, I40E_VFGEN_RSTAT) &
                    I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_INPROGRESS);
    qiavf_aq_init(d);
    g_assert_cmpint(qiavf_promisc(d, 0), ==,
                    VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR);
    /* A dead VF cannot migrate: a blocker says so before anything starts */
    check_blocked(f, "cannot migrate: the VF does not respond");
    user_stop(&f->vf);
}

/*
 * The source stopped its queues for a switchover that failed: RX goes
 * on from its slot, and the guest's next TX frame leaves, once (the VF
 * restarts its queues at slot 0: on relay rings, the guest's are at 37).
 */
static void check_source_restarted(UserVF *f, const char *tag)
{
    QIavf *d = &f->vf.d;
    uint8_t frame[1024], buf[2048];
    size_t len;

    g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_DISABLE_QUEUES), ==, 1);
    for (uint32_t seq = 0; seq < 4; seq++) {
        trap_exchange(&f->vf, tag, seq, false, true);
    }
    len = trap_make_frame(frame, peer_mac, d->mac, tag, 0);
    qiavf_tx_post(d, 0, frame, len, 0, 0, 0);
    g_assert_cmpuint(user_recv(&f->vf, buf, sizeof(buf)), ==, len);
    g_assert_cmpmem(buf, len, frame, len);
}

/*
 * The source runs on after a migration that failed, and its NIC works;
 * if it never reached the switchover, it never stopped its queues.
 */
static void check_source_runs(UserVF *f, const char *tag, bool switched)
{
    QDict *rsp = qtest_qmp_assert_success_ref(vm(f),
                                              "{ 'execute': 'query-status' }");

    g_assert_true(qdict_get_bool(rsp, "running"));
    qobject_unref(rsp);
    if (!switched) {
        g_assert_cmpint(user_pf_saw(&f->vf, VIRTCHNL_OP_DISABLE_QUEUES), ==,
                        0);
    } else {
        check_source_restarted(f, tag);
    }
    trap_check_traffic(&f->vf, tag, 4);
}

/*
 * How the VM of @f ended, once it has: its exit status, which must be an
 * error; a signal (an abort, a core dump) fails the test.
 */
static int exit_status(UserVF *f)
{
    int64_t end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    pid_t pid = qtest_pid(vm(f));
    siginfo_t si = { 0 };

    /* Not reaped: libqtest does that when the test stops the VM */
    while (!waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
           !si.si_pid) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    g_assert_cmpint(si.si_pid, ==, pid);
    if (si.si_code != CLD_EXITED) {
        g_test_message("the destination died of signal %d%s", si.si_status,
                       si.si_code == CLD_DUMPED ? " (core dumped)" : "");
    }
    g_assert_cmpint(si.si_code, ==, CLD_EXITED);
    g_assert_cmpint(si.si_status, !=, 0);
    return si.si_status;
}

#define SOURCE_AT   37  /* the source's ring indices at a failed migration */

/*
 * The migration of @f to a destination provisioned as @h says fails in
 * pre-copy with @error, which the source's migration status or the
 * destination's stderr shows; the destination exits with an error
 * status instead of crashing, and the source's NIC works on from where
 * its rings were.
 */
static void migrate_refused(UserVF *f, UserHost *h, const char *error)
{
    UserVF *g;
    g_autofree char *err = NULL;
    const char *desc;
    QDict *rsp;

    h->destination = true;
    h->incoming = "defer";
    h->keep_err = true;
    g = user_host(h);
    trap_check_traffic(&f->vf, "before a refused migration", SOURCE_AT);
    trap_migrate_start(vm(f), vm(g));
    wait_for_migration_fail(vm(f), true);
    qtest_set_expected_status(vm(g), exit_status(g));

    rsp = migrate_query(vm(f));
    desc = qdict_get_try_str(rsp, "error-desc") ?: "";
    g_assert_true(g_file_get_contents(g->err, &err, NULL, NULL));
    g_test_message("source: %s", desc);
    g_test_message("destination: %s", err);
    g_assert_true(strstr(desc, error) || strstr(err, error));
    qobject_unref(rsp);
    check_source_runs(f, "after a refused migration", false);
    user_stop(&f->vf);
    user_stop(&g->vf);
}

/* A destination provisioned otherwise, and the error that says how */
typedef struct Refusal {
    const char *name;
    UserHost dst;
    const char *error;
} Refusal;

static const Refusal refusals[] = {
    /* Another administrative MAC */
    { "refused", { .mac = "52:54:00:12:34:57" },
      "the VF's administrative MAC differs from the source's" },
    /* Fewer queue pairs, fewer MSI-X vectors than the guest was granted */
    { "refused/queues", { .vf_props = ",queues=2" },
      "2 queue pairs and 5 vectors granted, the guest has 4 and 5" },
    { "refused/vectors", { .vf_props = ",vectors=3" },
      "4 queue pairs and 3 vectors granted, the guest has 4 and 5" },
};

static void test_migrate_refusal(const void *opaque)
{
    const Refusal *r = opaque;
    UserHost h = r->dst;

    migrate_refused(user_up(), &h, r->error);
}

/*
 * A trusted source's guest has more MAC filters than an untrusted VF may:
 * the untrusted destination's PF refuses them when they are replayed.
 */
static void test_migrate_refused_trust(void)
{
    UserHost src = { .vf_props = ",trusted=on" };
    UserHost h = { 0 };
    UserVF *f = user_host(&src);
    uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

    trap_vf_init(&f->vf);
    qiavf_negotiate(&f->vf.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->vf.d, 1);
    for (mac[5] = 1; mac[5] <= 24; mac[5]++) {
        g_assert_cmpint(qiavf_add_mac(&f->vf.d, mac, false), ==, 0);
    }
    migrate_refused(f, &h, "the PF refused ADD_ETH_ADDR (10)");
}

/* Whether the migration of @from completes (true) or fails */
static bool migration_completes(QTestState *from)
{
    int64_t end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    const char *st;
    bool done;
    QDict *rsp;

    for (;;) {
        rsp = migrate_query(from);
        st = qdict_get_str(rsp, "status");
        done = !strcmp(st, "completed");
        if (done || !strcmp(st, "failed")) {
            qobject_unref(rsp);
            return done;
        }
        qobject_unref(rsp);
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
}

/*
 * The migration of @f to a destination provisioned as @h says must be
 * refused; if it completes instead, the test is skipped with @gap, the
 * bug that let it through.
 */
static void migrate_should_refuse(UserVF *f, UserHost *h, const char *gap)
{
    UserVF *g;

    h->destination = true;
    h->incoming = "defer";
    g = user_host(h);
    trap_migrate_start(vm(f), vm(g));
    if (migration_completes(vm(f))) {
        qtest_qmp_eventwait(vm(g), "RESUME");
        g_test_skip(gap);
    } else {
        qtest_set_expected_status(vm(g), exit_status(g));
        check_source_runs(f, "after a refused migration", false);
    }
    user_stop(&f->vf);
    user_stop(&g->vf);
}

/*
 * Spoof-checking is the PF's alone: a destination without it would let
 * the guest send what the source's PF dropped.
 */
static void test_migrate_refused_spoofchk(void)
{
    UserHost h = { .vf_props = ",spoofchk=off" };

    migrate_should_refuse(user_up(), &h, "BUG: a destination VF with "
                          "spoofchk=off is taken: virtchnl does not show "
                          "spoof-checking, and mig_check_destination() "
                          "(i40evf-migration.c) cannot check it");
}

/*
 * A trusted source's guest in promiscuous mode: an untrusted
 * destination's PF would not give it that mode.
 */
static void test_migrate_refused_promisc(void)
{
    UserHost src = { .vf_props = ",trusted=on" };
    UserHost h = { 0 };
    UserVF *f = user_host(&src);

    trap_vf_init(&f->vf);
    qiavf_negotiate(&f->vf.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->vf.d, 1);
    g_assert_cmpint(qiavf_promisc(&f->vf.d, FLAG_VF_UNICAST_PROMISC), ==, 0);
    migrate_should_refuse(f, &h, "BUG: an untrusted destination takes a "
                          "guest in promiscuous mode: its PF answers "
                          "CONFIG_PROMISCUOUS_MODE with success without "
                          "granting it (as i40e does), and "
                          "mig_apply_early() (i40evf-migration.c) takes "
                          "that for a yes");
}

/*
 * The destination's PF misbehaves (@fault, its x-pf-fault) when the
 * destination checks it in pre-copy: the migration fails with @error,
 * which names the opcode.
 */
static void migrate_pf_fault(const char *fault, const char *error)
{
    UserHost h = { .fault = fault };

    migrate_refused(user_up(), &h, error);
}

/* The destination's PF never answers GET_VF_RESOURCES */
static void test_migrate_pf_silent(void)
{
    migrate_pf_fault("3:drop", "the PF did not answer GET_VF_RESOURCES (3) "
                     "within");
}

/* The destination's PF refuses VERSION */
static void test_migrate_pf_refuses(void)
{
    migrate_pf_fault("1:refuse=-5", "the PF refused VERSION (1): status -5");
}

/*
 * The migration ends in pre-copy, cancelled or with its destination
 * killed: the source never stopped, and its NIC works on.
 */
static void migrate_interrupted(bool kill_destination)
{
    static const char *ended[] = { "failed", "completed", NULL };
    UserVF *f = user_up();
    UserVF *g = user_destination(NULL, NULL);

    trap_check_traffic(&f->vf, "before an interrupted migration", SOURCE_AT);
    /* Slow enough to be in pre-copy for seconds (most pages are zero) */
    migrate_set_parameter_int(vm(f), "max-bandwidth", 65536);
    trap_migrate_start(vm(f), vm(g));
    wait_for_migration_status(vm(f), "active", NULL);
    if (kill_destination) {
        qtest_kill_qemu(vm(g));
        wait_for_migration_fail(vm(f), true);
    } else {
        migrate_cancel(vm(f));
        wait_for_migration_status(vm(f), "cancelled", ended);
        qtest_set_expected_status(vm(g), 1);
    }
    check_source_runs(f, kill_destination ? "destination killed"
                                          : "migration cancelled", false);
    user_stop(&f->vf);
    user_stop(&g->vf);
}

static void test_migrate_cancel(void)
{
    migrate_interrupted(false);
}

static void test_migrate_destination_dies(void)
{
    migrate_interrupted(true);
}

/*
 * Until a migration let go on from pre-switchover has failed (the
 * status stays pre-switchover, then device, a moment after the command;
 * upstream's wait_for_migration_fail() takes neither)
 */
static void wait_for_switchover_fail(QTestState *qts)
{
    int64_t end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    char *st;

    while (strcmp(st = migrate_query_status(qts), "failed")) {
        g_assert_true(!strcmp(st, "pre-switchover") ||
                      !strcmp(st, "device") || !strcmp(st, "active"));
        g_free(st);
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    g_free(st);
}

/*
 * The source restarted on relay rings refuses to migrate again until
 * its pairs are back on the guest's rings: the stream would carry the
 * relay's ring positions for the guest's.
 */
static void check_relayed_refuses(UserVF *f)
{
    g_autofree char *path = g_build_filename(f->dir, "again", NULL);
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    QDict *rsp;

    rsp = trap_query_vf(&f->vf);
    g_assert_nonnull(trap_relay_of(rsp));
    qobject_unref(rsp);
    /* To a file: no return path, no destination to ack or pause for */
    migrate_set_capability(vm(f), "pause-before-switchover", false);
    migrate_set_capability(vm(f), "switchover-ack", false);
    migrate_set_capability(vm(f), "return-path", false);
    migrate_qmp(vm(f), NULL, uri, NULL, "{}");
    wait_for_migration_fail(vm(f), false);
    rsp = migrate_query(vm(f));
    g_assert_nonnull(strstr(qdict_get_try_str(rsp, "error-desc") ?: "",
                            "a queue pair is still on relay rings"));
    qobject_unref(rsp);
    unlink(path);
}

/*
 * The destination dies after the source stopped its queues for the
 * switchover (paused before it): the migration fails, and the source
 * runs on from its rings' slots.
 */
static void test_migrate_fail_stopped(void)
{
    UserVF *f = user_up();
    UserVF *g = user_destination(NULL, NULL);
    QDict *q;

    trap_check_traffic(&f->vf, "before the switchover", SOURCE_AT);
    migrate_set_capability(vm(f), "pause-before-switchover", true);
    trap_migrate_start(vm(f), vm(g));
    wait_for_migration_status(vm(f), "pre-switchover", NULL);
    q = trap_query_vf(&f->vf);
    g_assert_cmpstr(qdict_get_str(q, "migration-phase"), ==, "stopped");
    qobject_unref(q);
    qtest_kill_qemu(vm(g));
    qtest_qmp_assert_success(vm(f), "{ 'execute': 'migrate-continue', "
                             "'arguments': { 'state': 'pre-switchover' } }");
    wait_for_switchover_fail(vm(f));
    check_relayed_refuses(f);
    check_source_runs(f, "destination died at the switchover", true);
    user_stop(&f->vf);
    user_stop(&g->vf);
}

/*
 * Pre-copy that does not converge until the test lets it: the guest
 * keeps dirtying a megabyte the link cannot send in the downtime, until
 * the second bitmap sync.
 */
static void start_slow_migration(UserVF *f, UserVF *g)
{
    uint64_t scratch = guest_alloc(&f->vf.qs->alloc, MiB);

    migrate_set_parameter_int(vm(f), "max-bandwidth", MiB);
    migrate_set_parameter_int(vm(f), "downtime-limit", 1);
    trap_migrate_start(vm(f), vm(g));
    for (uint8_t i = 1; read_ram_property_int(vm(f), "dirty-sync-count") < 2;
         i++) {
        qtest_memset(vm(f), scratch, i, MiB);
        g_usleep(10 * 1000);
    }
    qtest_memset(vm(f), scratch, 0, MiB);
}

/* Until the device has written RX descriptor @slot of queue 0 */
static void wait_rx_done(UserVF *f, unsigned int slot)
{
    QIavfRing *rx = &f->vf.d.rx[0];
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
    uint64_t qw1;

    for (;;) {
        qtest_memread(vm(f), rx->ring + slot * I40E_RX_DESC_SIZE + 8,
                      &qw1, sizeof(qw1));
        if (le64_to_cpu(qw1) & I40E_RXD_STATUS_DD) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

/*
 * Frames the VF writes into guest buffers after the first RAM pass sent
 * those pages, while the guest does not touch them, must reach the
 * destination.  Nothing but the device wrote those pages, so the dirty
 * log never saw it: without the trap marking the posted buffers dirty
 * before each bitmap sync, the destination would hold the pages as the
 * first pass sent them, and the comparison below fails (it does, with
 * mark_dirty() in i40evf-dirty.c made a no-op).  Some buffers
 * were posted before the migration (found by scanning the ring), others
 * while it ran (seen at their tail writes).
 */
static void test_migrate_stale_buffers(void)
{
    UserVF *f = user_up();
    UserVF *g = user_destination(NULL, NULL);
    QIavfRing *rx = &f->vf.d.rx[0];
    uint8_t frame[1024], buf[2048];
    size_t len, n;
    QDict *vf;

    start_slow_migration(f, g);
    /* The guest takes 4 frames and posts their slots again... */
    for (uint32_t i = 0; i < 4; i++) {
        len = trap_make_frame(frame, vf_mac, peer_mac, "taken", i);
        user_send(&f->vf, frame, len);
        g_assert_true(trap_rx_wait(&f->vf, buf, &n));
    }
    vf = trap_query_vf(&f->vf);
    g_assert_cmpint(trap_trapped(vf, "rx-tail"), ==, 4);
    g_assert_cmpstr(qdict_get_str(vf, "migration-phase"), ==, "pre-copy");
    qobject_unref(vf);
    /* ...and leaves the next 8 to the device alone */
    for (uint32_t i = 4; i < 12; i++) {
        len = trap_make_frame(frame, vf_mac, peer_mac, "left", i);
        user_send(&f->vf, frame, len);
    }
    wait_rx_done(f, 11);

    migrate_set_parameter_int(vm(f), "max-bandwidth", GiB);
    migrate_set_parameter_int(vm(f), "downtime-limit", 300);
    qtest_qmp_eventwait(vm(g), "RESUME");
    for (uint32_t i = 4; i < 12; i++) {
        len = trap_make_frame(frame, vf_mac, peer_mac, "left", i);
        qtest_memread(vm(g), rx->bufs + i * rx->buf_size, buf, len);
        g_assert_cmpmem(buf, len, frame, len);
    }
    vf = trap_query_vf(&f->vf);
    g_assert_cmpint(trap_trapped(vf, "rx-tail"), ==, 4);
    qobject_unref(vf);
    user_stop(&f->vf);
    user_stop(&g->vf);
}

/*
 * A field of the shadow in the stream, at its offset from the default
 * MAC: default_mac, configured_queues, 16 queue pairs of 64 bytes (little
 * endian, as virtchnl has them), 17 vectors of 8, rx_enabled, tx_enabled,
 * 64 MAC entries of 7 bytes, num_macs.
 */
#define QPAIR0_FROM_MAC     (6 + 2)
#define RXQ_RING_LEN_OFF    28  /* in a queue pair: txq (24), rxq's ids */
#define NUM_MACS_FROM_MAC   (6 + 2 + 16 * 64 + 17 * 8 + 2 + 2 + 64 * 7)

typedef struct StreamCorruption {
    const char *name;
    size_t off;             /* from the default MAC */
    bool le;                /* little endian (virtchnl), else VMState's */
    uint32_t was_min, was_max, value;
    const char *error;      /* what the destination says */
} StreamCorruption;

static const StreamCorruption corruptions[] = {
    { "corrupt", NUM_MACS_FROM_MAC, false, 1, 2, 100000,
      "corrupt stream: 100000 MAC filters" },
    /* Its size wraps in 32 bits: a small relay ring for a huge one */
    { "corrupt/rx-ring-len", QPAIR0_FROM_MAC + RXQ_RING_LEN_OFF, true,
      64, 64, 0xffffffe0, "corrupt stream: queue pair 0: rxq.ring_len" },
};

/* The stream in @path with one of the shadow's fields made impossible */
static void corrupt_stream(const char *path, const StreamCorruption *c)
{
    const char *name = "0000:00:04.0/vfio-user-i40evf";
    g_autofree char *stream = NULL;
    uint8_t *p, *end;
    size_t len;

    g_assert_true(g_file_get_contents(path, &stream, &len, NULL));
    end = (uint8_t *)stream + len;
    p = memmem(stream, len, name, strlen(name));
    g_assert_nonnull(p);
    p = memmem(p, end - p, vf_mac, 6);
    g_assert_nonnull(p);
    p += c->off;
    g_assert_cmpuint(c->le ? ldl_le_p(p) : ldl_be_p(p), >=, c->was_min);
    g_assert_cmpuint(c->le ? ldl_le_p(p) : ldl_be_p(p), <=, c->was_max);
    if (c->le) {
        stl_le_p(p, c->value);
    } else {
        stl_be_p(p, c->value);
    }
    g_assert_true(g_file_set_contents(path, stream, len, NULL));
}

/*
 * A device section no source could have written is refused by the
 * destination, which exits with an error naming the field instead of
 * crashing (or overrunning its relay ring); the source, stopped by the
 * completed migration, runs on with a working NIC.
 */
static void test_migrate_corrupt(const void *opaque)
{
    const StreamCorruption *c = opaque;
    UserVF *f = user_up();
    g_autofree char *path = g_build_filename(f->dir, "stream", NULL);
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    UserHost h = { .destination = true, .incoming = "defer",
                   .keep_err = true };
    g_autofree char *err = NULL;
    UserVF *g;

    trap_check_traffic(&f->vf, "before a refused stream", SOURCE_AT);
    migrate_qmp(vm(f), NULL, uri, NULL, "{}");
    wait_for_migration_complete(vm(f));
    corrupt_stream(path, c);

    g = user_host(&h);
    qtest_qmp_assert_success(vm(g), "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    qtest_set_expected_status(vm(g), exit_status(g));
    g_assert_true(g_file_get_contents(g->err, &err, NULL, NULL));
    g_test_message("destination: %s", err);
    g_assert_nonnull(strstr(err, c->error));

    qtest_qmp_assert_success(vm(f), "{ 'execute': 'cont' }");
    check_source_runs(f, "after a refused stream", true);
    unlink(path);
    user_stop(&f->vf);
    user_stop(&g->vf);
}

/*
 * The stream in @path as a source from before the ring relay wrote it:
 * without the subsection of ring positions (its marker, name, version
 * and fields: the guest's VSI id and 16 TX and 16 RX tails).
 */
static void strip_rings(const char *path)
{
    static const char name[] = "i40evf/trap/rings";
    const size_t head = 1 + 1 + strlen(name) + 4;
    const size_t size = head + 2 + 2 * 16 * 4;
    g_autofree char *stream = NULL;
    uint8_t *p;
    size_t len;

    g_assert_true(g_file_get_contents(path, &stream, &len, NULL));
    p = memmem(stream, len, name, strlen(name));
    g_assert_nonnull(p);
    p -= 2;
    g_assert_cmpint(p[0], ==, 5);       /* QEMU_VM_SUBSECTION */
    g_assert_cmpint(p[1], ==, strlen(name));
    g_assert_cmpint(ldl_be_p(p + 2 + strlen(name)), ==, 1);
    memmove(p, p + size, (uint8_t *)stream + len - (p + size));
    g_assert_true(g_file_set_contents(path, stream, len - size, NULL));
}

/*
 * A stream from a source that sent no ring positions: the destination
 * cannot relay, warns, and the guest's driver resets its VF.
 */
static void test_migrate_fallback_old_source(void)
{
    UserVF *f = user_up();
    g_autofree char *path = g_build_filename(f->dir, "stream", NULL);
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    UserVF *g = fallback_destination();
    int64_t resets = trap_resets(&g->vf);

    trap_check_traffic(&f->vf, "before an old stream", SOURCE_AT);
    migrate_qmp(vm(f), NULL, uri, NULL, "{}");
    wait_for_migration_complete(vm(f));
    strip_rings(path);
    qtest_qmp_assert_success(vm(g), "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    qtest_qmp_eventwait(vm(g), "RESUME");
    unlink(path);
    trap_take_over(&f->vf, &g->vf);
    check_fallback(g, resets, "the stream has no ring positions");
}

/* Only an X710-family VF may be passed through with its mailbox trapped */
static void test_not_x710(void)
{
    g_autofree char *dir = g_dir_make_tmp("vfio-user-i40evf-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "vfu.sock", NULL);
    QTestState *srv, *qts;
    QDict *rsp;

    srv = qtest_initf("-machine x-remote,vfio-user=on,auto-shutdown=off "
                      "-nodefaults -device e1000e,id=nic0 "
                      "-object '{\"qom-type\": \"x-vfio-user-server\", "
                      "\"id\": \"s0\", \"device\": \"nic0\", "
                      "\"socket\": {\"type\": \"unix\", "
                      "\"path\": \"%s\"}}'", path);
    qts = qtest_initf("-object memory-backend-memfd,id=mem,size=128M,"
                      "share=on -machine pc,memory-backend=mem -m 128M");
    rsp = qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': "
                    "{ 'driver': 'vfio-user-i40evf', 'id': 'vf', "
                    "'socket': { 'type': 'unix', 'path': %s } } }", path);
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"),
                            "8086:10d3 is not an Intel X710-family virtual "
                            "function"));
    qobject_unref(rsp);
    /* QEMU runs on, and the device is not there */
    rsp = qtest_qmp(qts, "{ 'execute': 'x-query-vfio-i40evf' }");
    g_assert_cmpint(qlist_size(qdict_get_qlist(rsp, "return")), ==, 0);
    qobject_unref(rsp);
    qtest_quit(qts);
    qtest_quit(srv);
    unlink(path);
    rmdir(dir);
}

static void add_migration_test(const char *name, const void *data,
                               GTestDataFunc fn)
{
    g_autofree char *path = g_strdup_printf("/vfio-user-i40evf/migration/%s",
                                            name);

    qtest_add_data_func(path, data, fn);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    trap_add_tests(&user);
    qtest_add_func("/vfio-user-i40evf/malformed", test_malformed);
    qtest_add_func("/vfio-user-i40evf/not-x710", test_not_x710);
    qtest_add_func("/vfio-user-i40evf/vector0", test_vector0);
    qtest_add_func("/vfio-user-i40evf/mbx-timeout", test_mbx_timeout);
    qtest_add_func("/vfio-user-i40evf/migration/blocked",
                   test_migrate_blocked);
    qtest_add_func("/vfio-user-i40evf/server-dies", test_server_dies);
    qtest_add_func("/vfio-user-i40evf/migration/fallback/queues",
                   test_migrate_fallback_queues);
    qtest_add_func("/vfio-user-i40evf/migration/fallback/headwb",
                   test_migrate_fallback_headwb);
    qtest_add_func("/vfio-user-i40evf/migration/fallback/old-source",
                   test_migrate_fallback_old_source);
    for (int i = 0; i < ARRAY_SIZE(refusals); i++) {
        add_migration_test(refusals[i].name, &refusals[i],
                           test_migrate_refusal);
    }
    qtest_add_func("/vfio-user-i40evf/migration/refused/trust",
                   test_migrate_refused_trust);
    qtest_add_func("/vfio-user-i40evf/migration/refused/spoofchk",
                   test_migrate_refused_spoofchk);
    qtest_add_func("/vfio-user-i40evf/migration/refused/promisc",
                   test_migrate_refused_promisc);
    qtest_add_func("/vfio-user-i40evf/migration/pf-silent",
                   test_migrate_pf_silent);
    qtest_add_func("/vfio-user-i40evf/migration/pf-refuses",
                   test_migrate_pf_refuses);
    qtest_add_func("/vfio-user-i40evf/migration/cancel", test_migrate_cancel);
    for (int i = 0; i < ARRAY_SIZE(corruptions); i++) {
        add_migration_test(corruptions[i].name, &corruptions[i],
                           test_migrate_corrupt);
    }
    qtest_add_func("/vfio-user-i40evf/migration/stale-buffers",
                   test_migrate_stale_buffers);
    qtest_add_func("/vfio-user-i40evf/migration/destination-dies",
                   test_migrate_destination_dies);
    qtest_add_func("/vfio-user-i40evf/migration/fail-stopped",
                   test_migrate_fail_stopped);

    return g_test_run();
}
