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
 *
 * This file is the kernel VFIO transport of the trap's shared scenarios
 * (vfio-i40evf-trap.c), with what only it can see (BAR0 mmap'd but for
 * the trap's pages, what the kernel pinned), and the tests only it runs:
 * unplug, the VF named by sysfsdev=, the VF removed by its host, and the
 * real iavf driver migrated.
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
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"
#include "vfio-i40evf-trap.h"

#define VF_SLOT         4
#define WAIT_MS         10000       /* a TCG guest is slow */
#define ACPI_PCIHP_EJ   0xae08      /* PIIX4's ACPI PCI hotplug: eject */

static char **hosts;        /* the two VFs, bound to vfio-pci */
static const char *peer_if;
static int peer = -1;       /* a packet socket on their link */
static int rarp = -1;       /* another, for the announcements */
static uint8_t peer_mac[6];
static uint64_t relay_pinned;   /* KiB pinned on a relay's destination */
static const TrapTransport kern;

typedef struct KernVF {
    TrapVF vf;
    const char *host;
} KernVF;

static KernVF *kern_vf(TrapVF *vf)
{
    return container_of(vf, KernVF, vf);
}

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

static void peer_drain(int fd)
{
    uint8_t buf[2048];

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
        continue;
    }
}

/* A VF of host @host, with the peer's sockets open and drained */
static KernVF *kern_new(const char *host)
{
    KernVF *f = g_new0(KernVF, 1);

    if (peer < 0) {
        uint8_t mac[6];

        peer = peer_socket(TRAP_ETH_TYPE, peer_mac);
        rarp = peer_socket(TRAP_ETH_RARP, mac);
    }
    peer_drain(peer);
    peer_drain(rarp);
    f->vf.t = &kern;
    memcpy(f->vf.peer_mac, peer_mac, 6);
    f->host = host;
    return f;
}

/* The qtest VM with vfio-i40evf on the first VF, or on the other */
static TrapVF *kern_start(const TrapStart *how)
{
    g_autofree char *props = how->resume ?
                             g_strdup_printf(",resume=%s", how->resume) :
                             g_strdup("");
    KernVF *f = kern_new(hosts[how->destination]);

    f->vf.qs = qtest_pc_boot("-nodefaults -device vfio-i40evf,host=%s,id=vf,"
                             "addr=04.0%s %s", f->host, props,
                             how->incoming ? "-incoming defer" : "");
    return &f->vf;
}

static void kern_stop(TrapVF *vf)
{
    qtest_shutdown(vf->qs);
    g_free(kern_vf(vf));
}

static void kern_send(TrapVF *vf, const void *frame, size_t len)
{
    g_assert_cmpint(send(peer, frame, len, 0), ==, len);
}

static size_t kern_recv(TrapVF *vf, void *buf, size_t max)
{
    return peer_recv(peer, buf, max);
}

static size_t kern_recv_announce(TrapVF *vf, void *buf, size_t max)
{
    return peer_recv(rarp, buf, max);
}

/* The VF's host resets it (its "reset" file in sysfs: an FLR) */
static void kern_host_reset(TrapVF *vf)
{
    g_autofree char *path = g_strdup_printf("/sys/bus/pci/devices/%s/reset",
                                            kern_vf(vf)->host);
    int fd = open(path, O_WRONLY);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "1", 1), ==, 1);
    close(fd);
    trap_wait_reset_detected(vf);
}

/*
 * The range of BAR0 at [@start, @end] is in the VM's memory map as
 * @what: "ramd" for the kernel's mmap of the VF's registers, "i/o" for a
 * trap overlay.
 */
static bool bar0_maps(const char *mtree, TrapVF *vf, uint64_t start,
                      uint64_t end, int prio, const char *what)
{
    uint64_t bar = vf->d.bar0.addr;
    g_autofree char *line = g_strdup_printf("%016" PRIx64 "-%016" PRIx64
                                            " (prio %d, %s",
                                            bar + start, bar + end, prio,
                                            what);

    return strstr(mtree, line) != NULL;
}

/* Only the trap's pages of BAR0 reach QEMU; the rest is mmap'd. */
static void check_bar0_mapped(TrapVF *vf)
{
    g_autofree char *mtree = qtest_hmp(vf->qs->qts, "info mtree -f");
    g_autofree char *ramd = g_strdup_printf("ramd): %s BAR 0 mmaps[0]",
                                            kern_vf(vf)->host);

    g_assert_true(bar0_maps(mtree, vf, 0x0000, 0x3fff, 0, ramd));
    g_assert_true(bar0_maps(mtree, vf, 0x4000, 0x5fff, 1,
                            "i/o): i40evf-vector0-trap"));
    g_assert_true(bar0_maps(mtree, vf, 0x6000, 0x8fff, 1,
                            "i/o): i40evf-mailbox-trap"));
    g_assert_true(bar0_maps(mtree, vf, 0x9000, 0xffff, 0, ramd));
}

/*
 * BAR0 outside the trap is the kernel's mmap of the VF: the doorbells,
 * queue interrupts and RSS registers never reach QEMU.  The VF's vector 0
 * comes through the kernel to the trap, a queue's vector straight to the
 * VM.
 */
static void kern_check_bringup(TrapVF *vf)
{
    QDict *q;

    check_bar0_mapped(vf);
    /* Queue 0's vector, re-armed, fires for the next frame */
    qiavf_irq_clear(&vf->d, 1);
    qiavf_irq_enable(&vf->d, 1);
    trap_exchange(vf, "queue vector", 1, false, true);
    trap_wait_irq(vf, 1);

    /* A mailbox reply raises the VM's vector 0, from the VF's */
    qiavf_rd(&vf->d, I40E_VFINT_ICR01);
    qiavf_irq_clear(&vf->d, 0);
    qiavf_irq_enable(&vf->d, 0);
    g_assert_cmpint(qiavf_promisc(&vf->d, 0), ==, 0);
    trap_wait_irq(vf, 0);

    q = trap_query_vf(vf);
    g_assert_cmpint(qdict_get_int(q, "vf-interrupts"), >, 0);
    g_assert_cmpint(trap_trapped(q, "rx-tail"), ==, 0);
    g_assert_cmpint(trap_trapped(q, "tx-tail"), ==, 0);
    qobject_unref(q);
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

static void kern_migrated(TrapVF *src, TrapVF *dst)
{
    relay_pinned = locked_kib(dst->qs->qts);
}

/* The relay rings are unmapped (the kernel unpinned them), BAR0 mmap'd */
static void kern_check_direct(TrapVF *dst)
{
    g_assert_cmpuint(locked_kib(dst->qs->qts), <, relay_pinned);
    check_bar0_mapped(dst);
}

static const TrapTransport kern = {
    .name = "vfio-i40evf", .wait_ms = WAIT_MS, .available = have_vfs,
    .start = kern_start, .stop = kern_stop,
    .send = kern_send, .recv = kern_recv,
    .recv_announce = kern_recv_announce,
    .host_reset = kern_host_reset,
    .check_bringup = kern_check_bringup,
    .migrated = kern_migrated, .check_direct = kern_check_direct,
};

/*
 * The mailbox's IOVA is mapped at plug and unmapped at unplug.  A plain
 * vfio-pci device on the other VF keeps the container, and guest RAM in
 * it, so that what the kernel has pinned shows the mailbox alone; and a
 * mapping left behind would make the same IOVA fail on the next plug.
 */
static void test_unplug(void)
{
    KernVF f = { .vf.t = &kern };
    uint64_t base;
    QTestState *qts;
    QDict *vf;

    if (!have_vfs()) {
        return;
    }
    f.vf.qs = qtest_pc_boot("-nodefaults -device vfio-pci,host=%s,id=keep,"
                            "addr=05.0", hosts[1]);
    qts = f.vf.qs->qts;
    base = locked_kib(qts);
    /* The VM's 128 MiB are pinned for the other VF's DMA */
    g_assert_cmpuint(base, >=, 128 * 1024);

    for (int i = 0; i < 2; i++) {
        qtest_qmp_device_add(qts, "vfio-i40evf", "vf", "{ 'host': %s, "
                             "'addr': '04.0' }", hosts[0]);
        g_assert_cmpuint(locked_kib(qts), >, base);
        if (i) {
            /* The same IOVA again, and the VF answers through it */
            trap_vf_init(&f.vf);
            qiavf_negotiate(&f.vf.d, QIAVF_IAVF_CAPS);
            vf = trap_query_vf(&f.vf);
            g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
            qobject_unref(vf);
            g_free(f.vf.d.pdev);
        }
        qpci_unplug_acpi_device_test(qts, "vf", VF_SLOT);
        g_assert_cmpuint(locked_kib(qts), ==, base);
    }
    qtest_shutdown(f.vf.qs);
}

/*
 * The VF named by its sysfs path (sysfsdev=) rather than its address:
 * the same bring-up and traffic, and the VF is the one in sysfs.
 */
static void test_sysfsdev(void)
{
    g_autofree char *path = NULL;
    KernVF *f;
    QDict *vf;

    if (!have_vfs()) {
        return;
    }
    path = g_strdup_printf("/sys/bus/pci/devices/%s", hosts[0]);
    f = kern_new(hosts[0]);
    f->vf.qs = qtest_pc_boot("-nodefaults -device vfio-i40evf,sysfsdev=%s,"
                             "id=vf,addr=04.0", path);
    trap_vf_init(&f->vf);
    qiavf_negotiate(&f->vf.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f->vf.d, 2);
    vf = trap_query_vf(&f->vf);
    g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
    g_assert_true(qdict_get_bool(qdict_get_qdict(vf, "shadow"), "active"));
    qobject_unref(vf);
    trap_check_traffic(&f->vf, "sysfsdev", 8);
    check_bar0_mapped(&f->vf);
    kern_stop(&f->vf);
}

/* Write @text into the sysfs file @path (with printf's format) */
static void sysfs_write(const char *text, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static void sysfs_write(const char *text, const char *fmt, ...)
{
    g_autofree char *path = NULL;
    va_list ap;
    int fd;

    va_start(ap, fmt);
    path = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fd = open(path, O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, strlen(text)), ==, strlen(text));
    close(fd);
}

static gpointer remove_vf(gpointer host)
{
    sysfs_write("1", "/sys/bus/pci/devices/%s/remove", (char *)host);
    return NULL;
}

/* The removed VF back, bound to vfio-pci as nested-init.sh binds it */
static void restore_vf(const char *host)
{
    g_autofree char *dev = g_strdup_printf("/sys/bus/pci/devices/%s", host);
    g_autofree char *drv = g_build_filename(dev, "driver", NULL);
    g_autofree char *link = NULL;
    int64_t end = g_get_monotonic_time() + WAIT_MS * 1000;

    sysfs_write("1", "/sys/bus/pci/rescan");
    while (!g_file_test(dev, G_FILE_TEST_EXISTS)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    sysfs_write("vfio-pci", "%s/driver_override", dev);
    if (g_file_test(drv, G_FILE_TEST_EXISTS)) {
        sysfs_write(host, "%s/unbind", drv);
    }
    sysfs_write(host, "/sys/bus/pci/drivers_probe");
    link = g_file_read_link(drv, NULL);
    g_assert_nonnull(link);
    g_assert_true(g_str_has_suffix(link, "/vfio-pci"));
}

/*
 * The VF's host removes it while the VM runs (its "remove" file in
 * sysfs).  vfio-pci lets it go only once QEMU has released it: QEMU is
 * asked to (the device's request notifier), unplugs it, the guest (this
 * test) ejects it, and QEMU runs on without it.
 */
static void test_host_removal(void)
{
    int64_t end;
    GThread *th;
    TrapVF *vf;
    QDict *rsp;

    if (!have_vfs()) {
        return;
    }
    vf = trap_up(&kern, 2);
    trap_check_traffic(vf, "before the removal", 2);
    th = g_thread_new("remove", remove_vf, hosts[0]);
    g_usleep(2 * G_USEC_PER_SEC);
    qtest_outl(vf->qs->qts, ACPI_PCIHP_EJ, 1 << VF_SLOT);
    end = g_get_monotonic_time() + WAIT_MS * 1000;
    while ((rsp = qtest_qmp(vf->qs->qts,
                            "{ 'execute': 'x-query-vfio-i40evf' }")) &&
           qlist_size(qdict_get_qlist(rsp, "return"))) {
        qobject_unref(rsp);
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    qobject_unref(rsp);
    g_thread_join(th);
    rsp = qtest_qmp_assert_success_ref(vf->qs->qts,
                                       "{ 'execute': 'query-status' }");
    g_assert_true(qdict_get_bool(rsp, "running"));
    qobject_unref(rsp);
    restore_vf(hosts[0]);
    g_free(vf->d.pdev);
    kern_stop(vf);
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

/*
 * The guest migrates as the libqos VMs do, but a TCG guest in a TCG guest
 * may take longer than upstream's helpers wait: until @ms have passed.
 */
static void migrate_vm(QTestState *from, QTestState *to, int64_t ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;
    g_autofree char *st = NULL;

    trap_migrate_start(from, to);
    do {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
        g_free(st);
        st = migrate_query_status(from);
        g_assert_cmpstr(st, !=, "failed");
    } while (strcmp(st, "completed"));
    qtest_qmp_eventwait(to, "RESUME");
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

/*
 * The last value of "E2E carrier N" (the guest's eth0 carrier_changes,
 * which an iavf reset moves) on the console, or -1 if none came
 */
static int64_t last_carrier(const char *console)
{
    g_autofree char *text = NULL;
    int64_t n = -1;

    if (!g_file_get_contents(console, &text, NULL, NULL)) {
        return -1;
    }
    for (const char *p = text; (p = strstr(p, "E2E carrier ")); p += 12) {
        n = g_ascii_strtoll(p + 12, NULL, 10);
    }
    return n;
}

/* Until the guest reported its carrier changes on @console, or @ms */
static int64_t wait_carrier(const char *console, int64_t ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;

    while (last_carrier(console) < 0 && g_get_monotonic_time() < end) {
        g_usleep(100 * 1000);
    }
    return last_carrier(console);
}

/* The guest's kernel reported no trouble */
static void check_no_kernel_trouble(const char *console)
{
    static const char *const trouble[] = {
        "WARNING:", "Call Trace", "BUG:", "PF returned error",
    };
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(console, &text, NULL, NULL));
    for (int i = 0; i < ARRAY_SIZE(trouble); i++) {
        if (strstr(text, trouble[i])) {
            show_console(console);
            g_assert_null(strstr(text, trouble[i]));
        }
    }
}

/* vf-resets of @qts's VF; its requests all answered and none failed */
static int64_t device_resets(QTestState *qts)
{
    QDict *vf = trap_query_vf_of(qts);
    int64_t resets = qdict_get_int(vf, "vf-resets");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(vf, "messages"), e) {
        QDict *st = qobject_to(QDict, e->value);

        g_assert_cmpint(qdict_get_int(st, "failed"), ==, 0);
        g_assert_cmpint(qdict_get_int(st, "unanswered"), ==, 0);
    }
    qobject_unref(vf);
    return resets;
}

/*
 * The real iavf driver on vfio-i40evf: the guest pings the peer through
 * its VF, is live-migrated to a VM on the other VF, and goes on pinging;
 * its driver never resets the VF: the link never went down (its carrier
 * changes), neither device counted a VF reset or a failed request, and
 * its kernel reported no trouble.
 */
static void test_iavf_guest(void)
{
    g_autofree char *dir = NULL, *con_a = NULL, *con_b = NULL;
    int64_t before, after, carrier, carrier_b, resets_a, resets_b;
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
    resets_a = device_resets(a);
    resets_b = device_resets(b);
    migrate_vm(a, b, MIGRATE_WAIT_MS);
    g_assert_cmpint(device_resets(a), ==, resets_a);
    before = last_reply(con_a);
    carrier = last_carrier(con_a);
    qtest_quit(a);

    wait_reply(con_b, before + PINGS, WAIT_MS * 3);
    after = last_reply(con_b);
    carrier_b = wait_carrier(con_b, WAIT_MS * 3);
    g_test_message("ping replies: last before %" PRId64 ", %" PRId64
                   " after; carrier changes %" PRId64 ", then %" PRId64,
                   before, after, carrier, carrier_b);
    /* No evidence is no pass: the guest must have reported both */
    g_assert_cmpint(carrier, >=, 0);
    g_assert_cmpint(carrier_b, ==, carrier);
    g_assert_cmpint(device_resets(b), ==, resets_b);
    check_no_kernel_trouble(con_a);
    check_no_kernel_trouble(con_b);
    vf = trap_query_vf_of(b);
    g_assert_cmpstr(qdict_get_str(vf, "mailbox"), ==, "up");
    g_assert_cmpint(trap_trapped(vf, "passthrough"), ==, 0);
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

    trap_add_tests(&kern);
    qtest_add_func("/vfio-i40evf/unplug", test_unplug);
    qtest_add_func("/vfio-i40evf/sysfsdev", test_sysfsdev);
    qtest_add_func("/vfio-i40evf/iavf-guest/migration", test_iavf_guest);
    qtest_add_func("/vfio-i40evf/host-removal", test_host_removal);

    return g_test_run();
}
