/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of vfio-i40evf on kernel VFIO: the qtest VM passes through an
 * X710 VF bound to the kernel's vfio-pci, and libqos/iavf drives it
 * through the mailbox trap while its data path stays mapped.
 *
 * There is no X710 here.  tests/e2e/nested.py runs this program inside a
 * TCG guest whose virtual IOMMU fronts two emulated VFs (i40e-vf) bound to
 * vfio-pci there: VFIO_I40EVF_HOSTS names them, VFIO_I40EVF_PEER an
 * interface on their link, the other end of every frame.  Without them
 * each test is skipped.  The last test runs a guest with the real iavf
 * driver instead of libqos/iavf (VFIO_I40EVF_GUEST: its kernel and
 * initramfs), which pings VFIO_I40EVF_PEER_IP.
 */

#include "qemu/osdep.h"
#include <net/if.h>
#include <linux/if_packet.h>
#include <poll.h>
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci-pc.h"
#include "libqos/iavf.h"

#define VF_DEVFN        QPCI_DEVFN(4, 0)
#define VF_SLOT         4
#define WAIT_MS         10000       /* a TCG guest is slow */
#define ETH_TYPE        0x88b5      /* local experimental: RX queue 0 */
#define ETH_TYPE_RARP   0x8035      /* the announcement of a MAC */

static char **hosts;        /* the two VFs, bound to vfio-pci */
static const char *peer_if;
static int peer = -1;       /* a packet socket on their link */
static uint8_t peer_mac[6];

typedef struct Fixture {
    QOSState *qs;
    QIavf d;
} Fixture;

static bool have_vfs(void)
{
    if (!hosts || g_strv_length(hosts) != 2 || !peer_if) {
        g_test_skip("needs two X710 VFs bound to vfio-pci "
                    "(VFIO_I40EVF_HOSTS) and an interface on their link "
                    "(VFIO_I40EVF_PEER): tests/e2e/nested.py runs this");
        return false;
    }
    return true;
}

/* A packet socket for frames of @ethertype on VFIO_I40EVF_PEER */
static int peer_socket(uint16_t ethertype, uint8_t *mac)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ethertype),
        .sll_ifindex = if_nametoindex(peer_if),
    };
    socklen_t len = sizeof(sll);
    int fd;

    g_assert_cmpint(sll.sll_ifindex, >, 0);
    fd = socket(AF_PACKET, SOCK_RAW, htons(ethertype));
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sll, &len), ==, 0);
    memcpy(mac, sll.sll_addr, 6);
    return fd;
}

static void peer_send(const void *frame, size_t len)
{
    g_assert_cmpint(send(peer, frame, len, 0), ==, len);
}

/* The next frame that came in on @fd, or 0 after WAIT_MS. */
static size_t peer_recv(int fd, void *buf, size_t max)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    struct sockaddr_ll sll;
    socklen_t sl;
    ssize_t n;

    for (;;) {
        int64_t left = end - g_get_monotonic_time();

        if (left <= 0 || poll(&pfd, 1, left / 1000 + 1) <= 0) {
            return 0;
        }
        sl = sizeof(sll);
        n = recvfrom(fd, buf, max, 0, (struct sockaddr *)&sll, &sl);
        g_assert_cmpint(n, >=, 0);
        if (sll.sll_pkttype != PACKET_OUTGOING) {
            return n;
        }
    }
}

static void peer_drain(void)
{
    uint8_t buf[2048];

    while (recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
        continue;
    }
}

/* The qtest VM with vfio-i40evf on @host, @props more of its properties */
static void vm_start(Fixture *f, const char *host, const char *props,
                     const char *extra)
{
    memset(f, 0, sizeof(*f));
    if (peer < 0) {
        peer = peer_socket(ETH_TYPE, peer_mac);
    }
    peer_drain();
    f->qs = qtest_pc_boot("-nodefaults -device vfio-i40evf,host=%s,id=vf,"
                          "addr=04.0%s %s", host, props, extra);
}

static void vm_stop(Fixture *f)
{
    qtest_shutdown(f->qs);
}

/* The PF rebuilds a VF in its own time: wait for it in real time. */
static void wait_active(Fixture *f)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;

    while ((qiavf_rd(&f->d, I40E_VFGEN_RSTAT) &
            I40E_VFGEN_RSTAT_VFR_STATE_MASK) != I40E_VFR_VFACTIVE) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

/* As iavf's watchdog does: the VF's mailbox went down. */
static void wait_reset_detected(Fixture *f)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;

    while (qiavf_rd(&f->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

static void vf_init(Fixture *f)
{
    qiavf_init(&f->d, f->qs, VF_DEVFN);
    f->d.reply_wait_ms = WAIT_MS;
    wait_active(f);
}

static void fixture_up(Fixture *f, const char *host, unsigned int nqueues)
{
    vm_start(f, host, "", "");
    vf_init(f);
    qiavf_negotiate(&f->d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->d, nqueues);
}

static QDict *query_vf_of(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'x-query-vfio-i40evf' }");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *vf;

    g_assert_nonnull(list);
    g_assert_cmpint(qlist_size(list), ==, 1);
    vf = qobject_to(QDict, qlist_peek(list));
    qobject_ref(vf);
    qobject_unref(rsp);
    return vf;
}

static QDict *query_vf(Fixture *f)
{
    return query_vf_of(f->qs->qts);
}

static int64_t trapped(QDict *vf, const char *block)
{
    return qdict_get_int(qdict_get_qdict(vf, "trapped"), block);
}

/* A frame of our EtherType carrying @tag and a count, 64 to 963 bytes */
static size_t make_frame(uint8_t *frame, const uint8_t *dst,
                         const uint8_t *src, const char *tag, uint32_t seq)
{
    size_t len = 64 + seq * 97 % 900;

    memset(frame, 0, len);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    stw_be_p(frame + 12, ETH_TYPE);
    snprintf((char *)frame + 14, 32, "%s", tag);
    stl_be_p(frame + 46, seq);
    for (size_t i = 50; i < len; i++) {
        frame[i] = seq + i;
    }
    return len;
}

static bool rx_wait(Fixture *f, void *buf, size_t *len)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
    uint64_t qw0, qw1;

    while (!qiavf_rx_poll(&f->d, 0, buf, len, &qw0, &qw1)) {
        if (g_get_monotonic_time() >= end) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}

/* One frame each way checked byte for byte, or only @tx / @rx ones */
static void exchange(Fixture *f, const char *tag, uint32_t seq, bool tx,
                     bool rx)
{
    uint8_t frame[1024], buf[2048];
    size_t len, got;

    if (tx) {
        len = make_frame(frame, peer_mac, f->d.mac, tag, seq);
        qiavf_tx(&f->d, seq % f->d.nqueues, frame, len, 0, 0, 0);
        got = peer_recv(peer, buf, sizeof(buf));
        g_assert_cmpmem(buf, got, frame, len);
    }
    if (rx) {
        len = make_frame(frame, f->d.mac, peer_mac, tag, seq);
        peer_send(frame, len);
        g_assert_true(rx_wait(f, buf, &got));
        g_assert_cmpmem(buf, got, frame, len);
    }
}

static void check_traffic(Fixture *f, const char *tag, uint32_t n)
{
    for (uint32_t seq = 0; seq < n; seq++) {
        exchange(f, tag, seq, true, true);
    }
}

/* The MSI-X message of @vector reached the VM's memory */
static void wait_irq(Fixture *f, unsigned int vector)
{
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;

    while (!qtest_readl(f->d.qts, f->d.irq_mem + 4 * vector)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_true(qiavf_irq_seen(&f->d, vector));
}

/*
 * The range of BAR0 at [@start, @end] is in the VM's memory map as
 * @what: "ramd" for the kernel's mmap of the VF's registers, "i/o" for a
 * trap overlay.
 */
static bool bar0_maps(const char *mtree, Fixture *f, uint64_t start,
                      uint64_t end, int prio, const char *what)
{
    uint64_t bar = f->d.bar0.addr;
    g_autofree char *line = g_strdup_printf("%016" PRIx64 "-%016" PRIx64
                                            " (prio %d, %s",
                                            bar + start, bar + end, prio,
                                            what);

    return strstr(mtree, line) != NULL;
}

/* Only the trap's pages of BAR0 reach QEMU; the rest is mmap'd. */
static void check_bar0_mapped(Fixture *f, const char *host)
{
    g_autofree char *mtree = qtest_hmp(f->qs->qts, "info mtree -f");
    g_autofree char *ramd = g_strdup_printf("ramd): %s BAR 0 mmaps[0]",
                                            host);

    g_assert_true(bar0_maps(mtree, f, 0x0000, 0x3fff, 0, ramd));
    g_assert_true(bar0_maps(mtree, f, 0x4000, 0x5fff, 1,
                            "i/o): i40evf-vector0-trap"));
    g_assert_true(bar0_maps(mtree, f, 0x6000, 0x8fff, 1,
                            "i/o): i40evf-mailbox-trap"));
    g_assert_true(bar0_maps(mtree, f, 0x9000, 0xffff, 0, ramd));
}

/*
 * Bring-up through the trap, then traffic both ways.  BAR0 outside the
 * trap is the kernel's mmap of the VF: the doorbells, queue interrupts
 * and RSS registers never reach QEMU.  The VF's vector 0 comes through
 * the kernel to the trap, a queue's vector straight to the VM.
 */
static void test_bringup_traffic(void)
{
    uint8_t frame[1024], buf[2048];
    size_t len, got;
    QDict *vf, *shadow;
    Fixture f;

    if (!have_vfs()) {
        return;
    }
    fixture_up(&f, hosts[0], 2);
    vf = query_vf(&f);
    g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
    shadow = qdict_get_qdict(vf, "shadow");
    g_assert_true(qdict_get_bool(shadow, "complete"));
    g_assert_true(qdict_get_bool(shadow, "active"));
    g_assert_cmpint(qdict_get_int(shadow, "vsi-id"), ==, f.d.vsi_id);
    g_assert_cmpint(qdict_get_int(shadow, "granted-caps"), ==, f.d.caps);
    g_assert_cmpint(qlist_size(qdict_get_qlist(shadow, "queues")), ==, 2);
    g_assert_cmpint(trapped(vf, "mailbox"), >, 0);
    g_assert_cmpint(qdict_get_int(vf, "vf-interrupts"), >, 0);
    qobject_unref(vf);
    check_bar0_mapped(&f, hosts[0]);

    check_traffic(&f, "kernel vfio", 40);

    /* Queue 0's vector, re-armed, fires for the next frame */
    qiavf_irq_clear(&f.d, 1);
    qiavf_irq_enable(&f.d, 1);
    len = make_frame(frame, f.d.mac, peer_mac, "queue vector", 1);
    peer_send(frame, len);
    g_assert_true(rx_wait(&f, buf, &got));
    g_assert_cmpmem(buf, got, frame, len);
    wait_irq(&f, 1);

    /* A mailbox reply raises the VM's vector 0, from the VF's */
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_irq_clear(&f.d, 0);
    qiavf_irq_enable(&f.d, 0);
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    wait_irq(&f, 0);

    vf = query_vf(&f);
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    g_assert_cmpint(trapped(vf, "rx-tail"), ==, 0);
    g_assert_cmpint(trapped(vf, "tx-tail"), ==, 0);
    qobject_unref(vf);
    vm_stop(&f);
}

/*
 * After a VF reset the VM finds its mailbox cleared, waits for the VF,
 * brings it up again the way iavf does, and traffic flows.
 */
static void check_recover(Fixture *f, int64_t resets_before)
{
    QDict *vf;

    wait_active(f);
    g_assert_false(qiavf_rd(&f->d, I40E_VF_ATQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_aq_init(&f->d);
    qiavf_get_resources(&f->d, QIAVF_IAVF_CAPS);
    vf = query_vf(f);
    g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
    g_assert_cmpint(qdict_get_int(vf, "vf-resets"), >, resets_before);
    qobject_unref(vf);
    qiavf_up(&f->d, 2);
    check_traffic(f, "after a reset", 4);
}

/* The VF's host resets it (its "reset" file in sysfs: an FLR) */
static void test_host_reset(void)
{
    g_autofree char *path = NULL;
    int64_t resets;
    QDict *vf;
    Fixture f;
    int fd;

    if (!have_vfs()) {
        return;
    }
    fixture_up(&f, hosts[0], 2);
    check_traffic(&f, "before the reset", 2);
    vf = query_vf(&f);
    resets = qdict_get_int(vf, "vf-resets");
    qobject_unref(vf);

    path = g_strdup_printf("/sys/bus/pci/devices/%s/reset", hosts[0]);
    fd = open(path, O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "1", 1), ==, 1);
    close(fd);

    wait_reset_detected(&f);
    check_recover(&f, resets);
    vm_stop(&f);
}

/* The guest's driver resets the VF through its PF (RESET_VF) */
static void test_reset_vf(void)
{
    Fixture f;

    if (!have_vfs()) {
        return;
    }
    fixture_up(&f, hosts[0], 2);
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    wait_reset_detected(&f);
    check_recover(&f, 0);
    vm_stop(&f);
}

/*
 * The guest resets the function (an FLR in its config space, which the
 * kernel's vfio-pci carries out, its config saved and restored)
 */
static void test_flr(void)
{
    uint8_t cap;
    Fixture f;

    if (!have_vfs()) {
        return;
    }
    fixture_up(&f, hosts[0], 2);
    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    g_assert_cmpuint(cap, !=, 0);
    qpci_config_writew(f.d.pdev, cap + PCI_EXP_DEVCTL,
                       qpci_config_readw(f.d.pdev, cap + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    /* An FLR resets the config space too: the guest restores it */
    qiavf_pci_enable(&f.d);
    wait_reset_detected(&f);
    check_recover(&f, 0);
    vm_stop(&f);
}

/* Memory the kernel pinned for the process's DMA mappings, in KiB */
static uint64_t locked_kib(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            (int)qtest_pid(qts));
    g_autofree char *text = NULL;
    const char *p;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    p = strstr(text, "\nVmLck:");
    g_assert_nonnull(p);
    return g_ascii_strtoull(p + strlen("\nVmLck:"), NULL, 10);
}

/*
 * The mailbox's IOVA is mapped at plug and unmapped at unplug.  A plain
 * vfio-pci device on the other VF keeps the container, and guest RAM in
 * it, so that what the kernel has pinned shows the mailbox alone; and a
 * mapping left behind would make the same IOVA fail on the next plug.
 */
static void test_unplug(void)
{
    uint64_t base;
    QTestState *qts;
    QDict *vf;
    Fixture f;

    if (!have_vfs()) {
        return;
    }
    memset(&f, 0, sizeof(f));
    f.qs = qtest_pc_boot("-nodefaults -device vfio-pci,host=%s,id=keep,"
                         "addr=05.0", hosts[1]);
    qts = f.qs->qts;
    base = locked_kib(qts);
    /* The VM's 128 MiB are pinned for the other VF's DMA */
    g_assert_cmpuint(base, >=, 128 * 1024);

    for (int i = 0; i < 2; i++) {
        qtest_qmp_device_add(qts, "vfio-i40evf", "vf", "{ 'host': %s, "
                             "'addr': '04.0' }", hosts[0]);
        g_assert_cmpuint(locked_kib(qts), >, base);
        if (i) {
            /* The same IOVA again, and the VF answers through it */
            vf_init(&f);
            qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
            vf = query_vf(&f);
            g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
            qobject_unref(vf);
            g_free(f.d.pdev);
        }
        qpci_unplug_acpi_device_test(qts, "vf", VF_SLOT);
        g_assert_cmpuint(locked_kib(qts), ==, base);
    }
    vm_stop(&f);
}

static void set_capabilities(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-set-capabilities', "
                             "'arguments': { 'capabilities': [ "
                             "{ 'capability': 'return-path', 'state': true }, "
                             "{ 'capability': 'switchover-ack', "
                             "'state': true } ] } }");
}

/* The destination listens on a port of the loopback's it picked. */
static char *listen_incoming(QTestState *qts)
{
    QDict *rsp, *addr;
    char *uri;

    qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': 'tcp:127.0.0.1:0' } }");
    rsp = qtest_qmp_assert_success_ref(qts, "{ 'execute': 'query-migrate' }");
    addr = qobject_to(QDict, qlist_peek(qdict_get_qlist(rsp,
                                                        "socket-address")));
    uri = g_strdup_printf("tcp:127.0.0.1:%s", qdict_get_str(addr, "port"));
    qobject_unref(rsp);
    return uri;
}

static char *query_str(QTestState *qts, const char *cmd, const char *key)
{
    QDict *rsp = qtest_qmp_assert_success_ref(qts, "{ 'execute': %s }", cmd);
    char *val = g_strdup(qdict_get_try_str(rsp, key));

    qobject_unref(rsp);
    return val;
}

/*
 * The VM of @from migrates over the loopback to that of @to, started with
 * -incoming defer.  A migration that fails, or that has not ended with
 * the destination running after @ms, fails the test.
 */
static void migrate_vm(QTestState *from, QTestState *to, int64_t ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;
    g_autofree char *uri = NULL;
    g_autofree char *st = NULL;

    set_capabilities(from);
    set_capabilities(to);
    uri = listen_incoming(to);
    qtest_qmp_assert_success(from, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    do {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
        g_free(st);
        st = query_str(from, "query-migrate", "status");
        g_assert_cmpstr(st, !=, "failed");
    } while (strcmp(st, "completed"));
    do {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
        g_free(st);
        st = query_str(to, "query-status", "status");
    } while (strcmp(st, "running"));
}

/*
 * @f's VM migrates to @g's, on the other VF, with @props for its
 * vfio-i40evf; the source is gone after, and @g goes on with @f's driver.
 */
static void migrate_to(Fixture *f, Fixture *g, const char *props)
{
    vm_start(g, hosts[1], props, "-incoming defer");
    migrate_vm(f->qs->qts, g->qs->qts, WAIT_MS);
    migrate_allocator(&f->qs->alloc, &g->qs->alloc);
    vm_stop(f);
    g->d = f->d;
    qiavf_switch(&g->d, g->qs);
}

/*
 * resume=reset: the destination's PF is checked in pre-copy, the source
 * stops its queues for the copy, and the guest, told of a VF reset,
 * brings the new VF (another VSI) up; its counters go on from the
 * source's.
 */
static void test_migrate_reset(void)
{
    struct virtchnl_eth_stats before, after;
    uint16_t source_vsi;
    QDict *vf;
    Fixture f, g;

    if (!have_vfs()) {
        return;
    }
    fixture_up(&f, hosts[0], 2);
    check_traffic(&f, "before migration", 4);
    qiavf_get_stats(&f.d, &before);
    source_vsi = f.d.vsi_id;
    migrate_to(&f, &g, ",resume=reset");

    wait_reset_detected(&g);
    check_recover(&g, 0);
    g_assert_cmpint(g.d.vsi_id, !=, source_vsi);
    qiavf_get_stats(&g.d, &after);
    g_assert_cmpuint(le64_to_cpu(after.tx_unicast), ==,
                     le64_to_cpu(before.tx_unicast) + 4);
    g_assert_cmpuint(le64_to_cpu(after.rx_bytes), >,
                     le64_to_cpu(before.rx_bytes));

    vf = query_vf(&g);
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(vf, "shadow"), "vsi-id"),
                    ==, g.d.vsi_id);
    g_assert_cmpstr(qdict_get_str(vf, "migration-phase"), ==, "none");
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    qobject_unref(vf);
    vm_stop(&g);
}

static QDict *relay_of(QDict *vf)
{
    QList *l = qdict_get_qlist(vf, "relay");

    return qlist_empty(l) ? NULL : qobject_to(QDict, qlist_peek(l));
}

/* The destination announces the guest's MAC first: a RARP from it */
static void expect_announce(int fd, const uint8_t *mac)
{
    uint8_t buf[2048];
    size_t n = peer_recv(fd, buf, sizeof(buf));

    g_assert_cmpuint(n, >=, 28);
    g_assert_cmpmem(buf + 6, 6, mac, 6);
    g_assert_cmphex(lduw_be_p(buf + 12), ==, ETH_TYPE_RARP);
    g_assert_cmpmem(buf + 22, 6, mac, 6);
}

/*
 * resume=relay, the default: the guest's indices are at 37.  On the
 * destination the guest goes on without a reset, its descriptors
 * completing in order through the relay rings (doorbells trapped) until
 * both indices wrap; then the queue is back on the guest's rings, the
 * doorbells mmap'd again.  No frame is lost and the counters go on.
 */
static void test_migrate_relay(void)
{
    struct virtchnl_eth_stats before, after;
    int64_t tx_trapped, rx_trapped, resets;
    uint64_t relay_pinned;
    uint8_t rarp_mac[6];
    uint32_t seq;
    QDict *vf, *r;
    Fixture f, g;
    int rarp;

    if (!have_vfs()) {
        return;
    }
    fixture_up(&f, hosts[0], 1);
    rarp = peer_socket(ETH_TYPE_RARP, rarp_mac);
    for (seq = 0; seq < 37; seq++) {
        exchange(&f, "before", seq, true, true);
    }
    qiavf_get_stats(&f.d, &before);
    migrate_to(&f, &g, "");
    relay_pinned = locked_kib(g.qs->qts);

    expect_announce(rarp, g.d.mac);
    close(rarp);
    vf = query_vf(&g);
    r = relay_of(vf);
    g_assert_nonnull(r);
    g_assert_cmpint(qdict_get_int(r, "tx-next"), ==, 37);
    g_assert_cmpint(qdict_get_int(r, "rx-next"), ==, 37);
    resets = qdict_get_int(vf, "vf-resets");
    qobject_unref(vf);

    /* TX up to the wrap, where it waits for RX */
    for (seq = 37; seq < 64; seq++) {
        exchange(&g, "relayed", seq, true, false);
    }
    vf = query_vf(&g);
    g_assert_true(qdict_get_bool(relay_of(vf), "waiting"));
    qobject_unref(vf);
    /* RX up to its wrap too, where the pair is handed back */
    for (seq = 37; seq < 64; seq++) {
        exchange(&g, "relayed", seq, false, true);
    }
    for (int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;
         (vf = query_vf(&g)) && relay_of(vf); qobject_unref(vf)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_cmpint(qdict_get_int(vf, "handovers"), ==, 1);
    g_assert_cmpint(qdict_get_int(vf, "vf-resets"), ==, resets);
    tx_trapped = trapped(vf, "tx-tail");
    rx_trapped = trapped(vf, "rx-tail");
    g_assert_cmpint(tx_trapped, >=, 64 - 37);
    qobject_unref(vf);
    /* The relay rings are unmapped: the kernel unpinned them */
    g_assert_cmpuint(locked_kib(g.qs->qts), <, relay_pinned);

    /* The direct path: doorbells mmap'd again, untrapped */
    check_bar0_mapped(&g, hosts[1]);
    check_traffic(&g, "direct", 8);
    vf = query_vf(&g);
    g_assert_cmpint(trapped(vf, "tx-tail"), ==, tx_trapped);
    g_assert_cmpint(trapped(vf, "rx-tail"), ==, rx_trapped);
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    qobject_unref(vf);

    qiavf_get_stats(&g.d, &after);
    g_assert_cmpuint(le64_to_cpu(after.tx_unicast), ==,
                     le64_to_cpu(before.tx_unicast) + 64 - 37 + 8);
    g_assert_cmpuint(le64_to_cpu(after.rx_unicast), ==,
                     le64_to_cpu(before.rx_unicast) + 64 - 37 + 8);
    /* The guest was never told of a reset */
    qiavf_drain_events(&g.d);
    g_assert_cmpint(g.d.reset_events, ==, 0);
    vm_stop(&g);
}

/*
 * A guest with the real iavf driver (nested-guest-init.sh), under TCG: it
 * boots slowly inside a TCG guest.
 */
#define GUEST_MEM_MB    256
#define GUEST_WAIT_MS   (600 * 1000)
#define MIGRATE_WAIT_MS (180 * 1000)
#define PINGS           10

static const char *guest_kernel, *guest_initrd, *guest_peer;

static QTestState *guest_start(const char *host, const char *console,
                               const char *extra)
{
    g_autofree char *ip = g_strdup(guest_peer);

    /* The guest's address: the peer's with host part 2 */
    strcpy(strrchr(ip, '.'), ".2");
    return qtest_initf("-accel tcg,tb-size=64 -M q35 -m %d -nodefaults "
                       "-no-reboot -kernel %s -initrd %s "
                       "-append 'console=ttyS0 panic=-1 quiet e2e.ip=%s "
                       "e2e.peer=%s' -serial file:%s "
                       "-device vfio-i40evf,host=%s,id=vf %s", GUEST_MEM_MB,
                       guest_kernel, guest_initrd, ip, guest_peer, console,
                       host, extra);
}

/* The highest sequence number of a ping reply on the console, or -1 */
static int64_t last_reply(const char *console)
{
    g_autofree char *text = NULL;
    int64_t seq = -1;

    if (!g_file_get_contents(console, &text, NULL, NULL)) {
        return -1;
    }
    for (const char *p = text; (p = strstr(p, " seq=")); p += 5) {
        seq = MAX(seq, g_ascii_strtoll(p + 5, NULL, 10));
    }
    return seq;
}

/* The guest's console in the test's output, line by line */
static void show_console(const char *console)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(console, &text, NULL, NULL)) {
        g_test_message("%s: no console output", console);
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_test_message("%s: %s", console, lines[i]);
    }
}

/* Until a reply numbered @seq or later is on the console */
static void wait_reply(const char *console, int64_t seq, int64_t ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;

    while (last_reply(console) < seq) {
        if (g_get_monotonic_time() >= end) {
            show_console(console);
            g_assert_cmpint(last_reply(console), >=, seq);
        }
        g_usleep(100 * 1000);
    }
}

/* iavf logged no reset on the console */
static void check_no_driver_reset(const char *console)
{
    static const char *const resets[] = {
        "Reset indication", "Scheduling reset task", "Hardware reset detected",
    };
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(console, &text, NULL, NULL));
    for (int i = 0; i < ARRAY_SIZE(resets); i++) {
        if (strstr(text, resets[i])) {
            show_console(console);
            g_assert_null(strstr(text, resets[i]));
        }
    }
}

/*
 * The real iavf driver on vfio-i40evf: the guest pings the peer through
 * its VF, is live-migrated to a VM on the other VF, and goes on pinging;
 * its driver never logs a reset.
 */
static void test_iavf_guest(void)
{
    g_autofree char *dir = NULL, *con_a = NULL, *con_b = NULL;
    int64_t before, after;
    QTestState *a, *b;
    QDict *vf;

    if (!have_vfs()) {
        return;
    }
    if (!guest_kernel || !guest_initrd || !guest_peer) {
        g_test_skip("needs an iavf guest (VFIO_I40EVF_GUEST: its kernel and "
                    "initramfs) and the peer's IPv4 address "
                    "(VFIO_I40EVF_PEER_IP): tests/e2e/nested.py --iavf runs "
                    "this");
        return;
    }
    dir = g_dir_make_tmp("vfio-i40evf-guest-XXXXXX", NULL);
    con_a = g_build_filename(dir, "source", NULL);
    con_b = g_build_filename(dir, "destination", NULL);

    a = guest_start(hosts[0], con_a, "");
    wait_reply(con_a, PINGS, GUEST_WAIT_MS);
    b = guest_start(hosts[1], con_b, "-incoming defer");
    migrate_vm(a, b, MIGRATE_WAIT_MS);
    before = last_reply(con_a);
    qtest_quit(a);

    wait_reply(con_b, before + PINGS, WAIT_MS * 3);
    after = last_reply(con_b);
    g_test_message("ping replies: last before %" PRId64 ", %" PRId64
                   " after", before, after);
    check_no_driver_reset(con_a);
    check_no_driver_reset(con_b);
    vf = query_vf_of(b);
    g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
    g_assert_cmpint(trapped(vf, "passthrough"), ==, 0);
    qobject_unref(vf);
    qtest_quit(b);
    unlink(con_a);
    unlink(con_b);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    const char *vfs = g_getenv("VFIO_I40EVF_HOSTS");
    const char *guest;

    g_test_init(&argc, &argv, NULL);
    hosts = vfs ? g_strsplit(vfs, " ", 0) : NULL;
    peer_if = g_getenv("VFIO_I40EVF_PEER");
    guest = g_getenv("VFIO_I40EVF_GUEST");
    if (guest) {
        g_auto(GStrv) files = g_strsplit(guest, " ", 2);

        if (g_strv_length(files) == 2) {
            guest_kernel = g_strdup(files[0]);
            guest_initrd = g_strdup(files[1]);
        }
    }
    guest_peer = g_getenv("VFIO_I40EVF_PEER_IP");

    qtest_add_func("/vfio-i40evf/bringup-traffic", test_bringup_traffic);
    qtest_add_func("/vfio-i40evf/reset/vf", test_reset_vf);
    qtest_add_func("/vfio-i40evf/reset/flr", test_flr);
    qtest_add_func("/vfio-i40evf/reset/host", test_host_reset);
    qtest_add_func("/vfio-i40evf/unplug", test_unplug);
    qtest_add_func("/vfio-i40evf/migration/relay", test_migrate_relay);
    qtest_add_func("/vfio-i40evf/migration/reset", test_migrate_reset);
    qtest_add_func("/vfio-i40evf/iavf-guest/migration", test_iavf_guest);

    return g_test_run();
}
