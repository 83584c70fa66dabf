/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the emulated Intel 700-series VF (i40e-vf): migration of
 * a VM with the VF, its queues under traffic and its interrupts.
 */

#include "qemu/osdep.h"
#include "i40e-vf-common.h"

/*
 * Migrate the fixture's VM to a new one with the same VF and continue the
 * fixture there.  A stopped source leaves the destination stopped (and
 * libqos's migrate() then leaves the allocator to us).
 */
static void fixture_migrate(Fixture *f, bool stopped)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/i40e-vf-mig-%d.sock",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *incoming = g_strdup_printf(" -incoming %s", uri);
    QOSState *dst;
    int dsock[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, dsock), ==, 0);
    dst = boot_vf(dsock[1], incoming);
    migrate(f->qs, dst, uri);
    if (stopped) {
        migrate_allocator(&f->qs->alloc, &dst->alloc);
    }
    fixture_stop(f);
    f->qs = dst;
    f->sock[0] = dsock[0];
    f->sock[1] = dsock[1];
    qiavf_switch(&f->d, dst);
}

/*
 * DPDK with fewer TX than RX queues sends the unused TX half of a pair
 * with ring length, address and buffer size 0 (i40e_config_vsi_tx_queue
 * accepts it) and enables the queue.  Such a VF migrates like any other,
 * and its working queues carry on.
 */
static void test_migrate_inert_queue(void)
{
    uint8_t frame[256];
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_irq_init(&f.d);
    qiavf_alloc_rings(&f.d, 2, 64, 2048);
    f.d.tx[1].len = 0;
    f.d.tx[1].ring = 0;
    g_assert_cmpint(qiavf_config_irq_map(&f.d), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    qiavf_rx_fill(&f.d, 1);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 3), ==, 0);
    qiavf_drain_events(&f.d);

    fixture_migrate(&f, false);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "rx-after"));
    expect_rx(&f, 0, "rx-after", NULL, NULL);
    expect_tx(&f, 0, "tx-after");
    fixture_stop(&f);
}

/*
 * post_load raises nothing: an interrupt held back by its ITR interval on
 * the source fires on the destination only once the VM runs.
 */
static void test_migrate_irq_at_resume(void)
{
    Fixture f;

    fixture_up(&f, "", 1);
    /* RX causes use ITR 0: 4 ms between interrupts of vector 1. */
    hold_rx_irq(&f, 2000);

    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'stop' }");
    fixture_migrate(&f, true);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'cont' }");
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    fixture_stop(&f);
}

/*
 * Migration under traffic: rings are half used when the VM moves; on the
 * destination the queues continue at the same descriptors, with nothing
 * lost or delivered twice.
 */
static void test_migrate(void)
{
    uint8_t frame[256];
    Fixture f;
    char tag[32];

    fixture_up(&f, "", 2);
    for (int i = 0; i < 5; i++) {
        snprintf(tag, sizeof(tag), "rx-before-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 7, tag));
        expect_rx(&f, 0, tag, NULL, NULL);
        snprintf(tag, sizeof(tag), "tx-before-%d", i);
        qiavf_tx(&f.d, 1, frame, make_udp(frame, peer_mac, 7, tag), 0, 0, 0);
        g_assert_cmpuint(sock_recv(&f, frame, sizeof(frame)), >, 0);
    }
    /*
     * A burst the driver has no buffers for: what fits is delivered after
     * the move, in order; the rest was dropped and counted, as on the
     * silicon.  Nothing is lost uncounted, nothing arrives twice.
     */
    for (int i = 0; i < 80; i++) {
        snprintf(tag, sizeof(tag), "burst-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 7, tag));
    }
    wait_rx_discards(&f, 80 - (f.d.rx[0].len - 1));

    fixture_migrate(&f, false);
    for (unsigned int i = 0; i < f.d.rx[0].len - 1; i++) {
        snprintf(tag, sizeof(tag), "burst-%u", i);
        expect_rx(&f, 0, tag, NULL, NULL);
    }
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             rx_discards)), ==,
                     80 - (f.d.rx[0].len - 1));
    for (int i = 0; i < 100; i++) {
        uint32_t slot = f.d.rx[0].next;
        uint64_t qw0, qw1;

        snprintf(tag, sizeof(tag), "rx-after-%d", i);
        sock_send(&f, frame, make_udp(frame, vf_mac, 7, tag));
        expect_rx(&f, 0, tag, &qw0, &qw1);
        g_assert_cmpuint(f.d.rx[0].next, ==, (slot + 1) % 64);
        snprintf(tag, sizeof(tag), "tx-after-%d", i);
        qiavf_tx(&f.d, 1, frame, make_udp(frame, peer_mac, 7, tag), 0, 0, 0);
        g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                                 tag));
    }
    /* The mailbox continues too. */
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             rx_unicast)), ==,
                     105 + f.d.rx[0].len - 1);
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/i40e-vf/migration/irq-at-resume",
                   test_migrate_irq_at_resume);
    qtest_add_func("/i40e-vf/migration/inert-queue", test_migrate_inert_queue);
    qtest_add_func("/i40e-vf/migration", test_migrate);

    return g_test_run();
}
