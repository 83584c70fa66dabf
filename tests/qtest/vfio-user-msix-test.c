/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the vfio-user test bed: an i40e-vf served by an x-remote QEMU
 * (-object x-vfio-user-server) and driven by libqos/iavf through a
 * vfio-user-pci device in a qtest VM.  The guest driver (iavf) has no INTx
 * fallback, so the mailbox and the queues must raise MSI-X vectors across
 * the socket; and a plain vfio-user-pci device cannot be migrated, so
 * migration must be refused rather than lose the device.
 */

#include "qemu/osdep.h"
#include "qemu/iov.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci-pc.h"
#include "libqos/iavf.h"

#define VF_DEVFN        QPCI_DEVFN(4, 0)
#define VF_SLOT         4
#define VF_MAC          "52:54:00:12:34:56"
#define VF_VSI          7
#define IRQ_TIMEOUT_US  (5 * G_USEC_PER_SEC)
#define BLOCKER_MSG     "vfio-user-pci: the device's state cannot be migrated"

typedef struct Fixture {
    QTestState *srv;    /* the x-remote QEMU serving the VF */
    QOSState *qs;       /* the VM with vfio-user-pci */
    QIavf d;
    int sock[2];        /* the VF's netdev; sock[0] is the test's end */
    char *dir;
    char *path;         /* the vfio-user socket */
} Fixture;

static const uint8_t vf_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void fixture_start(Fixture *f)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sock), ==, 0);
    f->dir = g_dir_make_tmp("vfio-user-msix-XXXXXX", NULL);
    g_assert(f->dir);
    f->path = g_build_filename(f->dir, "vfu.sock", NULL);

    /* The VF becomes active at once: the server's clock is the qtest's. */
    f->srv = qtest_initf("-machine x-remote,vfio-user=on,auto-shutdown=off "
                         "-nodefaults "
                         "-netdev socket,fd=%d,id=n0 "
                         "-device i40e-vf,id=vf0,netdev=n0,mac=" VF_MAC
                         ",vsi-id=%d,reset-delay=0 "
                         "-object '{\"qom-type\": \"x-vfio-user-server\", "
                         "\"id\": \"s0\", \"device\": \"vf0\", "
                         "\"socket\": {\"type\": \"unix\", "
                         "\"path\": \"%s\"}}'",
                         f->sock[1], VF_VSI, f->path);

    /* The server maps guest memory for DMA: it must be shareable. */
    f->qs = qtest_pc_boot("-object memory-backend-memfd,id=mem,size=128M,"
                          "share=on -machine memory-backend=mem -m 128M "
                          "-device '{\"driver\": \"vfio-user-pci\", "
                          "\"id\": \"vfu0\", \"addr\": \"04.0\", "
                          "\"socket\": {\"type\": \"unix\", "
                          "\"path\": \"%s\"}}'", f->path);
}

static void fixture_stop(Fixture *f)
{
    qtest_shutdown(f->qs);
    qtest_quit(f->srv);
    close(f->sock[0]);
    close(f->sock[1]);
    unlink(f->path);
    rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
}

/* The test's end of the VF's socket netdev */
static void sock_send(Fixture *f, const void *frame, size_t len)
{
    qiavf_sock_send(f->sock[0], frame, len);
}

/*
 * Interrupts come from another process: wait for the message in real
 * time, and only then let qiavf_irq_seen() check and clear it.
 */
static bool wait_irq(Fixture *f, unsigned int vector)
{
    int64_t end = g_get_monotonic_time() + IRQ_TIMEOUT_US;

    while (!qtest_readl(f->d.qts, f->d.irq_mem + 4 * vector)) {
        if (g_get_monotonic_time() >= end) {
            return false;
        }
        g_usleep(1000);
    }
    return qiavf_irq_seen(&f->d, vector);
}

/* No message for a while (long enough for one to cross the socket). */
static bool no_irq(Fixture *f, unsigned int vector)
{
    int64_t end = g_get_monotonic_time() + 100 * 1000;

    while (g_get_monotonic_time() < end) {
        if (qtest_readl(f->d.qts, f->d.irq_mem + 4 * vector)) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}

/* A mailbox reply raises vector 0, through the server and the socket. */
static void test_mailbox_irq(void)
{
    Fixture f;

    fixture_start(&f);
    qiavf_init(&f.d, f.qs, VF_DEVFN);
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_irq_init(&f.d);

    /* What negotiation left latched is consumed first. */
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_CLEARPBA);
    qiavf_irq_enable(&f.d, 0);
    qiavf_irq_clear(&f.d, 0);
    g_assert_true(no_irq(&f, 0));

    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    g_assert_true(wait_irq(&f, 0));
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01) & I40E_VFINT_ICR01_ADMINQ,
                    ==, I40E_VFINT_ICR01_ADMINQ);
    fixture_stop(&f);
}

/* A received frame raises the queue's vector. */
static void test_rx_irq(void)
{
    uint8_t frame[60] = { 0 }, buf[2048];
    uint64_t qw0, qw1;
    size_t n;
    Fixture f;

    fixture_start(&f);
    qiavf_init(&f.d, f.qs, VF_DEVFN);
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f.d, 1);

    memcpy(frame, vf_mac, 6);
    memcpy(frame + 6, "\x52\x54\x00\xaa\xbb\xcc", 6);
    stw_be_p(frame + 12, 0x88b5);       /* local experimental EtherType */
    memcpy(frame + 14, "vfio-user rx", 12);
    qiavf_irq_clear(&f.d, 1);
    sock_send(&f, frame, sizeof(frame));
    g_assert_true(wait_irq(&f, 1));
    g_assert_true(qiavf_rx_poll(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_cmpmem(buf, n, frame, sizeof(frame));
    fixture_stop(&f);
}

static bool migration_blocked(QTestState *qts, const char *msg)
{
    QDict *rsp = qtest_qmp_assert_success_ref(qts,
                                              "{ 'execute': 'query-migrate' }");
    QList *reasons = qdict_get_qlist(rsp, "blocked-reasons");
    bool found = false;
    QListEntry *e;

    if (reasons) {
        QLIST_FOREACH_ENTRY(reasons, e) {
            found |= !!strstr(qstring_get_str(qobject_to(QString, e->value)),
                              msg);
        }
    }
    qobject_unref(rsp);
    return found;
}

/*
 * Plain vfio-user-pci cannot carry the device state: migration is refused
 * with the device's reason while it is plugged, and allowed once it is gone.
 */
static void test_migration_blocked(void)
{
    QDict *rsp;
    Fixture f;

    fixture_start(&f);
    g_assert_true(migration_blocked(f.qs->qts, BLOCKER_MSG));

    rsp = qtest_qmp(f.qs->qts, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': 'exec:cat >/dev/null' } }");
    g_assert(qdict_haskey(rsp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), BLOCKER_MSG));
    qobject_unref(rsp);

    qpci_unplug_acpi_device_test(f.qs->qts, "vfu0", VF_SLOT);
    g_assert_false(migration_blocked(f.qs->qts, BLOCKER_MSG));
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vfio-user/msix/mailbox", test_mailbox_irq);
    qtest_add_func("/vfio-user/msix/rx", test_rx_irq);
    qtest_add_func("/vfio-user/migration-blocked", test_migration_blocked);

    return g_test_run();
}
