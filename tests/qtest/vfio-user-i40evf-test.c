/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of vfio-user-i40evf: the qtest VM passes through an i40e-vf that
 * an x-remote QEMU serves over vfio-user, and libqos/iavf drives it
 * through the mailbox trap.  The server's trace of the messages its PF
 * agent took shows what crossed the trap.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/iov.h"
#include "qemu/units.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci-pc.h"
#include "libqos/iavf.h"

#define VF_DEVFN        QPCI_DEVFN(4, 0)
#define VF_SLOT         4
#define VF_MAC          "52:54:00:12:34:56"
#define VF_VSI          7
#define WAIT_MS         5000

typedef struct Fixture {
    QTestState *srv;    /* the x-remote QEMU serving the VF */
    QOSState *qs;       /* the VM with vfio-user-i40evf */
    QIavf d;
    int sock[2];        /* the VF's netdev; sock[0] is the test's end */
    char *dir;
    char *path;         /* the vfio-user socket */
    char *log;          /* the server's trace */
} Fixture;

static const uint8_t vf_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

/*
 * A "host": the server with its VF (@mac and @vsi as its PF provisioned
 * them) and a VM using it, started with -incoming @incoming if not NULL.
 */
static void fixture_host(Fixture *f, const char *mac, int vsi,
                         const char *incoming, const char *resume)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sock), ==, 0);
    f->dir = g_dir_make_tmp("vfio-user-i40evf-XXXXXX", NULL);
    g_assert(f->dir);
    f->path = g_build_filename(f->dir, "vfu.sock", NULL);
    f->log = g_build_filename(f->dir, "server.log", NULL);

    /* The VF becomes active at once: the server's clock is the qtest's. */
    f->srv = qtest_initf("-machine x-remote,vfio-user=on,auto-shutdown=off "
                         "-nodefaults -trace i40e_vf_pf_msg -D %s "
                         "-netdev socket,fd=%d,id=n0 "
                         "-device i40e-vf,id=vf0,netdev=n0,mac=%s"
                         ",vsi-id=%d,reset-delay=0 "
                         "-object '{\"qom-type\": \"x-vfio-user-server\", "
                         "\"id\": \"s0\", \"device\": \"vf0\", "
                         "\"socket\": {\"type\": \"unix\", "
                         "\"path\": \"%s\"}}'",
                         f->log, f->sock[1], mac, vsi, f->path);

    /* The server maps guest memory for DMA: it must be shareable. */
    f->qs = qtest_pc_boot("-object memory-backend-memfd,id=mem,size=128M,"
                          "share=on -machine memory-backend=mem -m 128M "
                          "-device '{\"driver\": \"vfio-user-i40evf\", "
                          "\"id\": \"vf\", \"addr\": \"04.0\", "
                          "\"resume\": \"%s\", "
                          "\"socket\": {\"type\": \"unix\", "
                          "\"path\": \"%s\"}}' %s %s", resume ?: "relay",
                          f->path, incoming ? "-incoming" : "",
                          incoming ?: "");
}

static void fixture_start(Fixture *f)
{
    fixture_host(f, VF_MAC, VF_VSI, NULL, NULL);
}

static void fixture_init(Fixture *f)
{
    qiavf_init(&f->d, f->qs, VF_DEVFN);
    f->d.reply_wait_ms = WAIT_MS;
}

static void fixture_stop(Fixture *f)
{
    qtest_shutdown(f->qs);
    if (f->srv) {
        qtest_quit(f->srv);
    }
    close(f->sock[0]);
    close(f->sock[1]);
    unlink(f->path);
    unlink(f->log);
    rmdir(f->dir);
    g_free(f->log);
    g_free(f->path);
    g_free(f->dir);
}

/* The test's end of the VF's socket netdev */
static void sock_send(Fixture *f, const void *frame, size_t len)
{
    qiavf_sock_send(f->sock[0], frame, len);
}

static size_t sock_recv(Fixture *f, void *buf, size_t max)
{
    return qiavf_sock_recv(f->sock[0], buf, max);
}

/* How many messages of @op the server's PF agent took. */
static int server_saw(Fixture *f, uint32_t op)
{
    g_autofree char *text = NULL;
    g_autofree char *needle = g_strdup_printf("(%u) len", op);
    int n = 0;

    g_assert_true(g_file_get_contents(f->log, &text, NULL, NULL));
    for (char *p = text; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

/* A frame of the local experimental EtherType carrying @tag and a count */
static size_t make_frame(uint8_t *frame, const uint8_t *dst,
                         const uint8_t *src, const char *tag, uint32_t seq)
{
    size_t len = 64 + seq % 900;

    memset(frame, 0, len);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    stw_be_p(frame + 12, 0x88b5);
    snprintf((char *)frame + 14, 32, "%s", tag);
    stl_be_p(frame + 46, seq);
    for (size_t i = 50; i < len; i++) {
        frame[i] = seq + i;
    }
    return len;
}

static bool rx_wait(Fixture *f, unsigned int q, void *buf, size_t *len)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
    uint64_t qw0, qw1;

    while (!qiavf_rx_poll(&f->d, q, buf, len, &qw0, &qw1)) {
        if (g_get_monotonic_time() >= end) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}

static QDict *query_vf(Fixture *f)
{
    QDict *rsp = qtest_qmp(f->qs->qts,
                           "{ 'execute': 'x-query-vfio-i40evf' }");
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

static uint64_t trapped(QDict *vf, const char *block)
{
    return qdict_get_int(qdict_get_qdict(vf, "trapped"), block);
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

/*
 * The iavf bring-up through the trap, then verified traffic both ways on
 * two queues; the shadow holds what was configured, and the data path
 * never met the trap.
 */
static void test_bringup_traffic(void)
{
    uint8_t frame[1024], buf[2048];
    g_autofree char *hmp = NULL;
    size_t len, n;
    QDict *vf, *shadow;
    QList *l;
    Fixture f;

    fixture_start(&f);
    fixture_init(&f);
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    g_assert_cmpmem(f.d.mac, 6, vf_mac, 6);
    qiavf_up(&f.d, 2);
    g_assert_cmpint(qiavf_add_vlan(&f.d, 100, false), ==, 0);
    g_assert_cmpint(config_rss_key(&f.d, 0x40), ==, 0);

    vf = query_vf(&f);
    g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
    shadow = qdict_get_qdict(vf, "shadow");
    g_assert_true(qdict_get_bool(shadow, "complete"));
    g_assert_true(qdict_get_bool(shadow, "active"));
    g_assert_cmpint(qdict_get_int(shadow, "vsi-id"), ==, VF_VSI);
    g_assert_cmpint(qdict_get_int(shadow, "granted-caps"), ==, f.d.caps);
    g_assert_cmpstr(qdict_get_str(shadow, "default-mac"), ==, VF_MAC);
    l = qdict_get_qlist(shadow, "queues");
    g_assert_cmpint(qlist_size(l), ==, 2);
    g_assert_true(qdict_get_bool(qobject_to(QDict, qlist_peek(l)),
                                 "rx-enabled"));
    g_assert_cmpstr(qstring_get_str(qobject_to(QString, qlist_peek(
                    qdict_get_qlist(shadow, "macs")))), ==, VF_MAC);
    g_assert_cmpint(qnum_get_int(qobject_to(QNum, qlist_peek(
                    qdict_get_qlist(shadow, "vlans")))), ==, 100);
    g_assert_true(g_str_has_prefix(qdict_get_str(shadow, "rss-key"),
                                   "404142434445"));
    g_assert_cmpint(trapped(vf, "mailbox"), >, 0);
    qobject_unref(vf);

    for (uint32_t i = 0; i < 40; i++) {
        unsigned int q = i % 2;

        len = make_frame(frame, peer_mac, vf_mac, "vfio-user tx", i);
        qiavf_tx(&f.d, q, frame, len, 0, 0, 0);
        n = sock_recv(&f, buf, sizeof(buf));
        g_assert_cmpmem(buf, n, frame, len);

        len = make_frame(frame, vf_mac, peer_mac, "vfio-user rx", i);
        sock_send(&f, frame, len);
        g_assert_true(rx_wait(&f, 0, buf, &n));
        g_assert_cmpmem(buf, n, frame, len);
    }

    vf = query_vf(&f);
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    qobject_unref(vf);

    hmp = qtest_hmp(f.qs->qts, "info vfio-i40evf");
    g_assert_true(g_str_has_prefix(hmp, "vf: mailbox up"));
    g_assert_nonnull(strstr(hmp, "VSI 7, 4 queue pairs"));
    fixture_stop(&f);
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
    uint8_t junk[24] = { 0 };
    QDict *vf, *st;
    Fixture f;

    fixture_start(&f);
    fixture_init(&f);
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_GET_VF_RESOURCES), ==, 1);

    /* No element, then a length that does not match the count */
    macs.hdr.vsi_id = cpu_to_le16(f.d.vsi_id);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &macs,
                               sizeof(macs.hdr) + sizeof(macs.addr[0]),
                               NULL, NULL), ==, I40E_VC_EINVAL);
    macs.hdr.num_elements = cpu_to_le16(2);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &macs,
                               sizeof(macs.hdr) + sizeof(macs.addr[0]),
                               NULL, NULL), ==, I40E_VC_EINVAL);
    /* A request only a PF sends, and a truncated queue configuration */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_EVENT, junk, sizeof(junk),
                               NULL, NULL), ==, I40E_VC_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, junk,
                               sizeof(junk), NULL, NULL), ==, I40E_VC_EINVAL);

    vf = query_vf(&f);
    st = op_stats(vf, VIRTCHNL_OP_ADD_ETH_ADDR);
    g_assert_cmpint(qdict_get_int(st, "requests"), ==, 2);
    g_assert_cmpint(qdict_get_int(st, "refused"), ==, 2);
    g_assert_cmpint(qdict_get_int(op_stats(vf, VIRTCHNL_OP_CONFIG_VSI_QUEUES),
                                  "refused"), ==, 1);
    qobject_unref(vf);
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_ADD_ETH_ADDR), ==, 0);
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_CONFIG_VSI_QUEUES), ==, 0);
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_EVENT), ==, 0);

    /* The mailbox still works */
    g_assert_cmpint(qiavf_add_mac(&f.d, f.d.mac, false), ==, 0);
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_ADD_ETH_ADDR), ==, 1);
    fixture_stop(&f);
}

/*
 * After a VF reset the guest finds its mailbox cleared, brings the VF up
 * again the way iavf does, and traffic flows; the shadow starts over.
 */
static void check_recover(Fixture *f, uint64_t resets_before)
{
    uint8_t frame[1024], buf[2048];
    size_t len, n;
    QDict *vf;

    qiavf_wait_active(&f->d);
    g_assert_false(qiavf_rd(&f->d, I40E_VF_ATQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_aq_init(&f->d);
    qiavf_get_resources(&f->d, QIAVF_IAVF_CAPS);
    vf = query_vf(f);
    g_assert_cmpint(qdict_get_int(vf, "vf-resets"), >, resets_before);
    g_assert_cmpint(qlist_size(qdict_get_qlist(qdict_get_qdict(vf, "shadow"),
                                               "queues")), ==, 0);
    qobject_unref(vf);

    qiavf_up(&f->d, 1);
    len = make_frame(frame, peer_mac, vf_mac, "tx after reset", 7);
    qiavf_tx(&f->d, 0, frame, len, 0, 0, 0);
    n = sock_recv(f, buf, sizeof(buf));
    g_assert_cmpmem(buf, n, frame, len);
    len = make_frame(frame, vf_mac, peer_mac, "rx after reset", 8);
    sock_send(f, frame, len);
    g_assert_true(rx_wait(f, 0, buf, &n));
    g_assert_cmpmem(buf, n, frame, len);
}

static void fixture_up(Fixture *f)
{
    fixture_start(f);
    fixture_init(f);
    qiavf_negotiate(&f->d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->d, 1);
}

/* Wait, as iavf's reset task does, for the VF's mailbox to go down. */
static void wait_reset_detected(Fixture *f)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;

    while (qiavf_rd(&f->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

static void test_reset_vf(void)
{
    Fixture f;

    fixture_up(&f);
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    wait_reset_detected(&f);
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_RESET_VF), ==, 1);
    check_recover(&f, 0);
    fixture_stop(&f);
}

static void test_flr(void)
{
    uint8_t cap;
    Fixture f;

    fixture_up(&f);
    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    qpci_config_writew(f.d.pdev, cap + PCI_EXP_DEVCTL,
                       qpci_config_readw(f.d.pdev, cap + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    /* An FLR also resets config space: the OS restores it. */
    qiavf_pci_enable(&f.d);
    wait_reset_detected(&f);
    check_recover(&f, 0);
    fixture_stop(&f);
}

/*
 * The host resets the VF: like 'ip link set PF vf N trust on', which
 * makes i40e announce a reset and reset the VF.
 */
static void test_host_reset(void)
{
    int64_t events;
    QDict *vf;
    Fixture f;

    fixture_up(&f);
    vf = query_vf(&f);
    events = qdict_get_int(vf, "events");
    qobject_unref(vf);
    qtest_qmp_assert_success(f.srv, "{ 'execute': 'qom-set', 'arguments': "
                             "{ 'path': 'vf0', 'property': 'trusted', "
                             "'value': true } }");
    wait_reset_detected(&f);
    /* RESET_IMPENDING came first, and reached the guest's ARQ */
    vf = query_vf(&f);
    g_assert_cmpint(qdict_get_int(vf, "events"), ==, events + 1);
    qobject_unref(vf);
    check_recover(&f, 0);
    fixture_stop(&f);
}

/*
 * A mailbox reply raises the guest's vector 0, relayed from the VF's
 * vector 0 that QEMU took.
 */
static void test_vector0(void)
{
    int64_t end;
    QDict *vf;
    Fixture f;

    fixture_up(&f);
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_irq_clear(&f.d, 0);
    qiavf_irq_enable(&f.d, 0);
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    end = g_get_monotonic_time() + WAIT_MS * 1000;
    while (!qtest_readl(f.d.qts, f.d.irq_mem)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_true(qiavf_irq_seen(&f.d, 0));
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01) & I40E_VFINT_ICR01_ADMINQ,
                    ==, I40E_VFINT_ICR01_ADMINQ);
    vf = query_vf(&f);
    g_assert_cmpint(qdict_get_int(vf, "vf-interrupts"), >, 0);
    g_assert_cmpint(trapped(vf, "vector0"), >, 0);
    qobject_unref(vf);
    fixture_stop(&f);
}

/*
 * The server dies: the guest's VF reads as reset, then as dead (link
 * down, requests fail), QEMU runs on, and the VM cannot migrate.
 */
static void test_server_dies(void)
{
    QDict *vf, *rsp;
    Fixture f;

    fixture_up(&f);
    g_assert_true(f.d.link_up);
    qtest_kill_qemu(f.srv);
    qtest_quit(f.srv);
    f.srv = NULL;

    /*
     * iavf's watchdog reads ARQLEN: all ones, as during a host's FLR, so
     * a VF reset at first (the guest's mailbox cleared), and dead once
     * it stays so.
     */
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VF_ARQLEN1), ==, 0);
    for (int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
         (vf = query_vf(&f)) &&
         strcmp(qdict_get_str(vf, "mailbox"), "dead"); qobject_unref(vf)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    qobject_unref(vf);
    /* The VF stays in reset; a mailbox set up again gets no answer */
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFGEN_RSTAT) &
                    I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_INPROGRESS);
    qiavf_aq_init(&f.d);
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==,
                    VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR);
    /* A dead VF cannot migrate: a blocker says so before anything starts */
    rsp = qtest_qmp(f.qs->qts, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': 'unix:/nonexistent' } }");
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"),
                            "cannot migrate: the VF does not respond"));
    qobject_unref(rsp);
    fixture_stop(&f);
}

/* Verified frames both ways on queue 0 */
static void check_traffic(Fixture *f, const char *tag)
{
    uint8_t frame[1024], buf[2048];
    size_t len, n;

    len = make_frame(frame, peer_mac, vf_mac, tag, 11);
    qiavf_tx(&f->d, 0, frame, len, 0, 0, 0);
    n = sock_recv(f, buf, sizeof(buf));
    g_assert_cmpmem(buf, n, frame, len);
    len = make_frame(frame, vf_mac, peer_mac, tag, 12);
    sock_send(f, frame, len);
    g_assert_true(rx_wait(f, 0, buf, &n));
    g_assert_cmpmem(buf, n, frame, len);
}

static char *migration_uri(void)
{
    return g_strdup_printf("unix:%s/vfio-user-i40evf-mig-%d.sock",
                           g_get_tmp_dir(), getpid());
}

/*
 * Live migration with resume=reset to another host's VF (another VSI):
 * the source stops its queues for the copy, the destination's PF is
 * checked and the guest told of a VF reset, after which its driver
 * brings the new VF up.
 */
static void test_migrate_reset(void)
{
    g_autofree char *uri = migration_uri();
    struct virtchnl_eth_stats before, after;
    QDict *vf;
    Fixture f, g;

    fixture_up(&f);
    check_traffic(&f, "before migration");
    qiavf_get_stats(&f.d, &before);
    g_assert_cmpuint(le64_to_cpu(before.tx_unicast), >=, 1);
    fixture_host(&g, VF_MAC, VF_VSI + 2, uri, "reset");
    migrate(f.qs, g.qs, uri);
    fixture_stop(&f);

    g.d = f.d;
    g.d.pdev->bus = g.qs->pcibus;
    qiavf_switch(&g.d, g.qs);
    /* The destination asked its PF what the guest has: nothing else */
    g_assert_cmpint(server_saw(&g, VIRTCHNL_OP_GET_VF_RESOURCES), ==, 1);
    g_assert_cmpint(server_saw(&g, VIRTCHNL_OP_CONFIG_VSI_QUEUES), ==, 0);
    wait_reset_detected(&g);
    check_recover(&g, 0);
    /* The guest's counters go on from the source's */
    qiavf_get_stats(&g.d, &after);
    g_assert_cmpuint(le64_to_cpu(after.tx_unicast), ==,
                     le64_to_cpu(before.tx_unicast) + 1);
    g_assert_cmpuint(le64_to_cpu(after.rx_bytes), >,
                     le64_to_cpu(before.rx_bytes));
    vf = query_vf(&g);
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(vf, "shadow"), "vsi-id"),
                    ==, VF_VSI + 2);
    g_assert_cmpstr(qdict_get_str(vf, "migration-phase"), ==, "none");
    g_assert_cmpint(qdict_get_int(vf, "device-downtime-us"), >, 0);
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    qobject_unref(vf);
    fixture_stop(&g);
}

/*
 * The frame a destination sends first: a RARP from the guest's MAC
 * (which sock_recv() skips).
 */
static void expect_announce(Fixture *f)
{
    uint8_t buf[60];
    uint32_t be;

    g_assert_cmpint(recv(f->sock[0], &be, 4, MSG_WAITALL), ==, 4);
    g_assert_cmpuint(ntohl(be), ==, sizeof(buf));
    g_assert_cmpint(recv(f->sock[0], buf, sizeof(buf), MSG_WAITALL), ==,
                    sizeof(buf));
    g_assert_cmpmem(buf + 6, 6, vf_mac, 6);
    g_assert_cmphex(lduw_be_p(buf + 12), ==, 0x8035);
    g_assert_cmpmem(buf + 22, 6, vf_mac, 6);
}

static QDict *relay_of(QDict *vf)
{
    QList *l = qdict_get_qlist(vf, "relay");

    return qlist_empty(l) ? NULL : qobject_to(QDict, qlist_peek(l));
}

/* One verified frame each way on queue 0, or only @tx / @rx ones */
static void exchange(Fixture *f, const char *tag, uint32_t seq, bool tx,
                     bool rx)
{
    uint8_t frame[1024], buf[2048];
    size_t len, n;

    if (tx) {
        len = make_frame(frame, peer_mac, vf_mac, tag, seq);
        qiavf_tx(&f->d, 0, frame, len, 0, 0, 0);
        n = sock_recv(f, buf, sizeof(buf));
        g_assert_cmpmem(buf, n, frame, len);
    }
    if (rx) {
        len = make_frame(frame, vf_mac, peer_mac, tag, seq);
        sock_send(f, frame, len);
        g_assert_true(rx_wait(f, 0, buf, &n));
        g_assert_cmpmem(buf, n, frame, len);
    }
}

/*
 * Ring continuity (resume=relay): the guest's indices are at 37 and
 * three TX frames are posted that the source's VF never sent (its
 * server was stopped).  On the destination, whose shadow is the
 * source's, the guest goes on without a reset: the pending frames leave
 * once, after the announcement of the guest's MAC; its next descriptors
 * complete in order from slot 40 (TX) and 37 (RX) through the relay
 * rings; once both indices are at slot 0 the queue is back on the
 * guest's rings and its doorbells untrapped.
 */
static void test_migrate_relay(void)
{
    g_autofree char *uri = migration_uri();
    uint8_t frame[1024], buf[2048];
    uint64_t slot[3], tx_trapped, rx_trapped, resets;
    g_autofree char *hmp = NULL;
    struct pollfd pfd;
    size_t len, n;
    uint32_t seq;
    QDict *vf, *r, *ev, *src;
    Fixture f, g;

    fixture_up(&f);
    for (seq = 0; seq < 37; seq++) {
        exchange(&f, "before", seq, true, true);
    }
    qtest_qmp_assert_success(f.srv, "{ 'execute': 'stop' }");
    for (int i = 0; i < 3; i++) {
        len = make_frame(frame, peer_mac, vf_mac, "pending", i);
        slot[i] = qiavf_tx_post(&f.d, 0, frame, len, 0, 0, 0);
    }
    qiavf_irq_clear(&f.d, 1);
    src = query_vf(&f);
    fixture_host(&g, VF_MAC, VF_VSI + 2, uri, NULL);
    migrate(f.qs, g.qs, uri);
    /* The source's VF is stopped for good: nothing leaves it any more */
    qtest_qmp_assert_success(f.srv, "{ 'execute': 'cont' }");
    pfd = (struct pollfd) { .fd = f.sock[0], .events = POLLIN };
    g_assert_cmpint(poll(&pfd, 1, 200), ==, 0);
    fixture_stop(&f);

    g.d = f.d;
    g.d.pdev->bus = g.qs->pcibus;
    qiavf_switch(&g.d, g.qs);
    /* The queue's vector fires once, to make the guest look at its rings */
    for (int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
         !qiavf_irq_seen(&g.d, 1); g_usleep(1000)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
    }
    expect_announce(&g);
    for (int i = 0; i < 3; i++) {
        len = make_frame(frame, peer_mac, vf_mac, "pending", i);
        n = sock_recv(&g, buf, sizeof(buf));
        g_assert_cmpmem(buf, n, frame, len);
        qiavf_tx_wait(&g.d, slot[i]);
    }
    g_assert_true(qiavf_rd(&g.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    vf = query_vf(&g);
    r = relay_of(vf);
    g_assert_nonnull(r);
    g_assert_cmpint(qdict_get_int(r, "tx-next"), ==, 40);
    g_assert_cmpint(qdict_get_int(r, "rx-next"), ==, 37);
    resets = qdict_get_int(vf, "vf-resets");
    hmp = qtest_hmp(g.qs->qts, "info vfio-i40evf");
    g_assert_nonnull(strstr(hmp, "queue 0 relayed: TX next 40 tail 40, "
                            "RX next 37 tail 36"));
    /* The destination's shadow is the source's, on another VSI */
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(vf, "shadow"), "vsi-id"),
                    ==, VF_VSI + 2);
    qdict_del(qdict_get_qdict(vf, "shadow"), "vsi-id");
    qdict_del(qdict_get_qdict(src, "shadow"), "vsi-id");
    g_assert_true(qobject_is_equal(qdict_get(vf, "shadow"),
                                   qdict_get(src, "shadow")));
    qobject_unref(src);
    qobject_unref(vf);

    /* TX up to the wrap, where it waits for RX */
    for (seq = 40; seq < 64; seq++) {
        exchange(&g, "relayed", seq, true, false);
    }
    vf = query_vf(&g);
    g_assert_true(qdict_get_bool(relay_of(vf), "waiting"));
    qobject_unref(vf);
    /* RX up to its wrap too: the VF had no buffer past it */
    for (seq = 37; seq < 64; seq++) {
        exchange(&g, "relayed", seq, false, true);
    }
    ev = qtest_qmp_eventwait_ref(g.qs->qts, "VFIO_I40EVF_HANDOVER");
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"), "queue"), ==,
                    0);
    qobject_unref(ev);
    vf = query_vf(&g);
    g_assert_null(relay_of(vf));
    g_assert_cmpint(qdict_get_int(vf, "handovers"), ==, 1);
    g_assert_cmpint(qdict_get_int(vf, "vf-resets"), ==, resets);
    tx_trapped = trapped(vf, "tx-tail");
    rx_trapped = trapped(vf, "rx-tail");
    g_assert_cmpint(tx_trapped, >=, 24);
    qobject_unref(vf);

    /* The direct path: the doorbells reach the VF untrapped */
    for (seq = 0; seq < 8; seq++) {
        exchange(&g, "direct", seq, true, true);
    }
    vf = query_vf(&g);
    g_assert_cmpint(trapped(vf, "tx-tail"), ==, tx_trapped);
    g_assert_cmpint(trapped(vf, "rx-tail"), ==, rx_trapped);
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    qobject_unref(vf);
    /* The guest was never told of a reset */
    qiavf_drain_events(&g.d);
    g_assert_cmpint(g.d.reset_events, ==, 0);
    fixture_stop(&g);
}

/*
 * A destination whose PF provisioned the VF differently (another
 * administrative MAC) refuses the guest's VF in pre-copy: the migration
 * fails before the switchover and the source's NIC works on.
 */
static void test_migrate_refused(void)
{
    g_autofree char *uri = migration_uri();
    g_autofree char *st = NULL;
    QDict *rsp;
    Fixture f, g;

    fixture_up(&f);
    fixture_host(&g, "52:54:00:12:34:57", VF_VSI, uri, NULL);
    /* The destination checks its PF in pre-copy and acks the switchover */
    for (QTestState *qts = f.qs->qts; qts; qts = qts == f.qs->qts ?
                                                 g.qs->qts : NULL) {
        qtest_qmp_assert_success(qts, "{ 'execute': "
                                 "'migrate-set-capabilities', 'arguments': "
                                 "{ 'capabilities': [ { 'capability': "
                                 "'return-path', 'state': true }, "
                                 "{ 'capability': 'switchover-ack', "
                                 "'state': true } ] } }");
    }
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    do {
        g_usleep(10 * 1000);
        g_free(st);
        rsp = qtest_qmp_assert_success_ref(f.qs->qts,
                                           "{ 'execute': 'query-migrate' }");
        st = g_strdup(qdict_get_str(rsp, "status"));
        qobject_unref(rsp);
        g_assert_cmpstr(st, !=, "completed");
    } while (strcmp(st, "failed"));
    /* The destination gives up with an error */
    qtest_set_expected_status(g.qs->qts, 1);

    rsp = qtest_qmp_assert_success_ref(f.qs->qts,
                                       "{ 'execute': 'query-status' }");
    g_assert_true(qdict_get_bool(rsp, "running"));
    qobject_unref(rsp);
    /* Refused before the switchover: the source never stopped its queues */
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_DISABLE_QUEUES), ==, 0);
    check_traffic(&f, "after a refused migration");
    fixture_stop(&f);
    fixture_stop(&g);
}

static void set_capabilities(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-set-capabilities', "
                             "'arguments': { 'capabilities': [ "
                             "{ 'capability': 'return-path', 'state': true }, "
                             "{ 'capability': 'switchover-ack', "
                             "'state': true } ] } }");
}

static char *wait_migration(QTestState *qts, const char *until)
{
    char *st = NULL;
    QDict *rsp;

    do {
        g_usleep(10 * 1000);
        g_free(st);
        rsp = qtest_qmp_assert_success_ref(qts,
                                           "{ 'execute': 'query-migrate' }");
        st = g_strdup(qdict_get_str(rsp, "status"));
        qobject_unref(rsp);
    } while (strcmp(st, until) && strcmp(st, "completed") &&
             strcmp(st, "failed") && strcmp(st, "cancelled"));
    return st;
}

static void check_source_runs(Fixture *f, const char *tag)
{
    QDict *rsp = qtest_qmp_assert_success_ref(f->qs->qts,
                                              "{ 'execute': 'query-status' }");

    g_assert_true(qdict_get_bool(rsp, "running"));
    qobject_unref(rsp);
    check_traffic(f, tag);
}

/*
 * The migration ends in pre-copy, cancelled or with its destination
 * killed: the source never stopped, and its NIC works on.
 */
static void migrate_interrupted(bool kill_destination)
{
    g_autofree char *uri = migration_uri();
    g_autofree char *st = NULL;
    Fixture f, g;

    fixture_up(&f);
    fixture_host(&g, VF_MAC, VF_VSI + 2, uri, NULL);
    set_capabilities(f.qs->qts);
    set_capabilities(g.qs->qts);
    /* Slow enough to be in pre-copy for seconds (most pages are zero) */
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': "
                             "'migrate-set-parameters', 'arguments': "
                             "{ 'max-bandwidth': 65536 } }");
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    g_free(wait_migration(f.qs->qts, "active"));
    if (kill_destination) {
        qtest_kill_qemu(g.qs->qts);
        st = wait_migration(f.qs->qts, "failed");
        g_assert_cmpstr(st, ==, "failed");
    } else {
        qtest_qmp_assert_success(f.qs->qts,
                                 "{ 'execute': 'migrate_cancel' }");
        st = wait_migration(f.qs->qts, "cancelled");
        g_assert_cmpstr(st, ==, "cancelled");
        qtest_set_expected_status(g.qs->qts, 1);
    }
    g_assert_cmpint(server_saw(&f, VIRTCHNL_OP_DISABLE_QUEUES), ==, 0);
    check_source_runs(&f, kill_destination ? "destination killed"
                                           : "migration cancelled");
    fixture_stop(&f);
    fixture_stop(&g);
}

static void test_migrate_cancel(void)
{
    migrate_interrupted(false);
}

static void test_migrate_destination_dies(void)
{
    migrate_interrupted(true);
}

static int64_t ram_stat(QTestState *qts, const char *key)
{
    QDict *rsp = qtest_qmp_assert_success_ref(qts,
                                              "{ 'execute': 'query-migrate' }");
    int64_t val = 0;

    if (qdict_haskey(rsp, "ram")) {
        val = qdict_get_int(qdict_get_qdict(rsp, "ram"), key);
    }
    qobject_unref(rsp);
    return val;
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
    g_autofree char *uri = migration_uri();
    uint8_t frame[1024], buf[2048];
    uint64_t scratch;
    QIavfRing *rx;
    size_t len, n;
    QDict *vf;
    Fixture f, g;

    fixture_up(&f);
    fixture_host(&g, VF_MAC, VF_VSI + 2, uri, NULL);
    /*
     * Pre-copy that does not converge until the test lets it: the guest
     * keeps dirtying a megabyte the link cannot send in the downtime.
     */
    scratch = guest_alloc(&f.qs->alloc, MiB);
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': "
                             "'migrate-set-parameters', 'arguments': "
                             "{ 'max-bandwidth': 1048576, "
                             "'downtime-limit': 1 } }");
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    for (uint8_t i = 1; ram_stat(f.qs->qts, "dirty-sync-count") < 2; i++) {
        qtest_memset(f.qs->qts, scratch, i, MiB);
        g_usleep(10 * 1000);
    }
    qtest_memset(f.qs->qts, scratch, 0, MiB);

    /* The guest takes 4 frames and posts their slots again... */
    for (uint32_t i = 0; i < 4; i++) {
        len = make_frame(frame, vf_mac, peer_mac, "taken", i);
        sock_send(&f, frame, len);
        g_assert_true(rx_wait(&f, 0, buf, &n));
    }
    vf = query_vf(&f);
    g_assert_cmpint(trapped(vf, "rx-tail"), ==, 4);
    g_assert_cmpstr(qdict_get_str(vf, "migration-phase"), ==, "pre-copy");
    qobject_unref(vf);
    /* ...and leaves the next 8 to the device alone */
    for (uint32_t i = 4; i < 12; i++) {
        len = make_frame(frame, vf_mac, peer_mac, "left", i);
        sock_send(&f, frame, len);
    }
    rx = &f.d.rx[0];
    for (int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;;) {
        uint64_t qw1;

        qtest_memread(f.qs->qts, rx->ring + 11 * I40E_RX_DESC_SIZE + 8,
                      &qw1, sizeof(qw1));
        if (le64_to_cpu(qw1) & I40E_RXD_STATUS_DD) {
            break;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }

    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': "
                             "'migrate-set-parameters', 'arguments': "
                             "{ 'max-bandwidth': 1073741824, "
                             "'downtime-limit': 300 } }");
    qtest_qmp_eventwait(g.qs->qts, "RESUME");
    for (uint32_t i = 4; i < 12; i++) {
        len = make_frame(frame, vf_mac, peer_mac, "left", i);
        qtest_memread(g.qs->qts, rx->bufs + i * rx->buf_size, buf, len);
        g_assert_cmpmem(buf, len, frame, len);
    }
    vf = query_vf(&f);
    g_assert_cmpint(trapped(vf, "rx-tail"), ==, 4);
    qobject_unref(vf);
    fixture_stop(&f);
    fixture_stop(&g);
}

/*
 * Offset of the shadow's num_macs from its default MAC in the stream:
 * default_mac, configured_queues, 16 queue pairs of 64 bytes, 17 vectors
 * of 8, rx_enabled, tx_enabled, 64 MAC entries of 7 bytes.
 */
#define NUM_MACS_FROM_MAC   (6 + 2 + 16 * 64 + 17 * 8 + 2 + 2 + 64 * 7)

/*
 * A device section no source could have written is refused by the
 * destination, which exits with an error instead of crashing; the source,
 * stopped by the completed migration, runs on with a working NIC.
 */
static void test_migrate_corrupt(void)
{
    g_autofree char *path = NULL, *uri = NULL, *stream = NULL;
    const char *name = "0000:00:04.0/vfio-user-i40evf";
    size_t len;
    uint8_t *p, *end;
    Fixture f, g;

    fixture_up(&f);
    path = g_build_filename(f.dir, "stream", NULL);
    uri = g_strdup_printf("file:%s", path);
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    g_free(wait_migration(f.qs->qts, "completed"));

    g_assert_true(g_file_get_contents(path, &stream, &len, NULL));
    end = (uint8_t *)stream + len;
    p = memmem(stream, len, name, strlen(name));
    g_assert_nonnull(p);
    p = memmem(p, end - p, vf_mac, 6);
    g_assert_nonnull(p);
    p += NUM_MACS_FROM_MAC;
    g_assert_cmpuint(ldl_be_p(p), >=, 1);
    g_assert_cmpuint(ldl_be_p(p), <=, 2);
    stl_be_p(p, 100000);
    g_assert_true(g_file_set_contents(path, stream, len, NULL));

    fixture_host(&g, VF_MAC, VF_VSI + 2, "defer", NULL);
    qtest_set_expected_status(g.qs->qts, 1);
    qtest_qmp_assert_success(g.qs->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    qtest_wait_qemu(g.qs->qts);

    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'cont' }");
    check_source_runs(&f, "after a refused stream");
    unlink(path);
    fixture_stop(&f);
    fixture_stop(&g);
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vfio-user-i40evf/bringup-traffic", test_bringup_traffic);
    qtest_add_func("/vfio-user-i40evf/malformed", test_malformed);
    qtest_add_func("/vfio-user-i40evf/not-x710", test_not_x710);
    qtest_add_func("/vfio-user-i40evf/vector0", test_vector0);
    qtest_add_func("/vfio-user-i40evf/reset/vf", test_reset_vf);
    qtest_add_func("/vfio-user-i40evf/reset/flr", test_flr);
    qtest_add_func("/vfio-user-i40evf/reset/host", test_host_reset);
    qtest_add_func("/vfio-user-i40evf/server-dies", test_server_dies);
    qtest_add_func("/vfio-user-i40evf/migration/relay", test_migrate_relay);
    qtest_add_func("/vfio-user-i40evf/migration/reset", test_migrate_reset);
    qtest_add_func("/vfio-user-i40evf/migration/refused",
                   test_migrate_refused);
    qtest_add_func("/vfio-user-i40evf/migration/cancel", test_migrate_cancel);
    qtest_add_func("/vfio-user-i40evf/migration/corrupt",
                   test_migrate_corrupt);
    qtest_add_func("/vfio-user-i40evf/migration/stale-buffers",
                   test_migrate_stale_buffers);
    qtest_add_func("/vfio-user-i40evf/migration/destination-dies",
                   test_migrate_destination_dies);

    return g_test_run();
}
