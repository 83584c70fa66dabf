/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the emulated Intel 700-series VF (i40e-vf): its PCI
 * identity, interrupt registers (auto-masking, ITR, vector 0 as DPDK
 * drives it), link events and the resets (VF reset, FLR, trust change).
 */

#include "qemu/osdep.h"
#include "hw/pci/pci_ids.h"
#include "i40e-vf-common.h"

/* Tests */

static void test_pci_identity(void)
{
    Fixture f;
    uint64_t size;
    uint8_t cap;

    fixture_start(&f, ",vectors=5");
    g_assert_cmphex(qpci_config_readw(f.d.pdev, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(f.d.pdev, PCI_DEVICE_ID), ==, 0x154c);
    g_assert_cmphex(qpci_config_readw(f.d.pdev, PCI_CLASS_DEVICE), ==,
                    PCI_CLASS_NETWORK_ETHERNET);
    g_assert_cmpuint(qpci_config_readb(f.d.pdev, PCI_INTERRUPT_PIN), ==, 0);
    qpci_iomap(f.d.pdev, 0, &size);
    g_assert_cmphex(size, ==, I40E_VF_BAR0_SIZE);
    qpci_iomap(f.d.pdev, I40E_VF_MSIX_BAR, &size);
    g_assert_cmphex(size, ==, I40E_VF_MSIX_BAR_SIZE);
    g_assert_cmpuint(qpci_msix_table_size(f.d.pdev), ==, 5);
    cap = qpci_find_capability(f.d.pdev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(cap, ==, I40E_VF_PCIE_CAP_OFFSET);
    g_assert_true(qpci_config_readl(f.d.pdev, cap + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    fixture_stop(&f);
}

/* DYN_CTL: a vector disarms itself when it fires; re-arming replays it. */
static void test_irq_automask(void)
{
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_irq_clear(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "first"));
    expect_rx(&f, 0, "first", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "second"));
    expect_rx(&f, 0, "second", NULL, NULL);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qiavf_irq_enable(&f.d, 1);
    g_assert_true(qiavf_irq_seen(&f.d, 1));

    /*
     * CLEARPBA clears the MSI-X pending bit, not a cause waiting for
     * INTENA; SWINT_TRIG raises at will.
     */
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "third"));
    expect_rx(&f, 0, "third", NULL, NULL);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTLN1(0), I40E_VFINT_DYN_CTL_CLEARPBA);
    qiavf_irq_enable(&f.d, 1);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTLN1(0), I40E_VFINT_DYN_CTL_INTENA |
             I40E_VFINT_DYN_CTL_SWINT_TRIG | I40E_VFINT_DYN_CTL_ITR_INDX_MASK);
    g_assert_true(qiavf_irq_seen(&f.d, 1));

    /* The mailbox raises vector 0 and ICR01 says why, once read. */
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_CLEARPBA);
    qiavf_irq_clear(&f.d, 0);
    qiavf_irq_enable(&f.d, 0);
    g_assert_false(qiavf_irq_seen(&f.d, 0));
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    g_assert_true(qiavf_irq_seen(&f.d, 0));
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01), ==,
                    I40E_VFINT_ICR01_ADMINQ | I40E_VFINT_ICR01_INTEVENT);
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01), ==, 0);
    fixture_stop(&f);
}

/* An ITR interval spaces a vector's interrupts; causes wait, not vanish. */
static void test_irq_itr(void)
{
    Fixture f;

    fixture_up(&f, "", 1);
    /* RX causes use ITR 0: 1000 units of 2 us. */
    hold_rx_irq(&f, 1000);
    qtest_clock_step(f.qs->qts, 1000 * 1000);
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    qtest_clock_step(f.qs->qts, 1000 * 1000);
    g_assert_true(qiavf_irq_seen(&f.d, 1));
    fixture_stop(&f);
}

/*
 * DPDK's mailbox handler masks vector 0 (ICR0_ENA 0, no INTENA), reads the
 * ARQ and re-arms with INTENA | CLEARPBA without reading ICR01.  A reply
 * that landed while masked must still raise the vector after the re-arm;
 * one already signalled must not raise it again.
 */
static void test_irq_vec0_dpdk_rearm(void)
{
    const uint32_t mask = I40E_VFINT_ITR_NONE <<
                          I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT;
    const uint32_t rearm = I40E_VFINT_DYN_CTL_INTENA |
                           I40E_VFINT_DYN_CTL_CLEARPBA | mask;
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_rd(&f.d, I40E_VFINT_ICR01);
    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, 0);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, mask);
    qiavf_irq_clear(&f.d, 0);
    g_assert_cmpint(qiavf_promisc(&f.d, 0), ==, 0);
    g_assert_false(qiavf_irq_seen(&f.d, 0));

    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, rearm);
    g_assert_true(qiavf_irq_seen(&f.d, 0));

    /* The same, still latched cause does not fire again. */
    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, 0);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, mask);
    qiavf_wr(&f.d, I40E_VFINT_ICR0_ENA1, I40E_VFINT_ICR01_ADMINQ);
    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, rearm);
    g_assert_false(qiavf_irq_seen(&f.d, 0));
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFINT_ICR01) &
                    I40E_VFINT_ICR01_ADMINQ, ==, I40E_VFINT_ICR01_ADMINQ);
    fixture_stop(&f);
}

/*
 * i40e_config_irq_link_list: for an RX_POLLING VF whose queues use vector
 * 0, the PF sets GLINT_CTL.DIS_AUTOMASK_VF0; vector 0 keeps firing without
 * a re-arm (DPDK's X710 path).  Without RX_POLLING it auto-masks.
 */
static void irq_vec0_polling(bool polling)
{
    struct {    /* one map, and the legacy trailing element */
        struct virtchnl_irq_map_info im;
        struct virtchnl_vector_map maps[2];
    } QEMU_PACKED msg = { 0 };
    uint8_t frame[256];
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS |
                    (polling ? VIRTCHNL_VF_OFFLOAD_RX_POLLING : 0));
    g_assert_cmphex(f.d.caps & VIRTCHNL_VF_OFFLOAD_RX_POLLING, ==,
                    polling ? VIRTCHNL_VF_OFFLOAD_RX_POLLING : 0);
    qiavf_irq_init(&f.d);
    qiavf_alloc_rings(&f.d, 1, 64, 2048);
    msg.im.num_vectors = cpu_to_le16(1);
    msg.im.vecmap[0].vsi_id = cpu_to_le16(f.d.vsi_id);
    msg.im.vecmap[0].rxq_map = cpu_to_le16(1);
    msg.im.vecmap[0].rxitr_idx = cpu_to_le16(I40E_VFINT_ITR_NONE);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &msg,
                               sizeof(msg), NULL, NULL), ==, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    qiavf_drain_events(&f.d);

    qiavf_wr(&f.d, I40E_VFINT_DYN_CTL01, I40E_VFINT_DYN_CTL_INTENA |
             (I40E_VFINT_ITR_NONE << I40E_VFINT_DYN_CTL_ITR_INDX_SHIFT));
    qiavf_irq_clear(&f.d, 0);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "poll-1"));
    expect_rx(&f, 0, "poll-1", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 0));
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "poll-2"));
    expect_rx(&f, 0, "poll-2", NULL, NULL);
    g_assert_cmpint(qiavf_irq_seen(&f.d, 0), ==, polling);
    fixture_stop(&f);
}

static void test_irq_vec0_rx_polling(void)
{
    irq_vec0_polling(true);
    irq_vec0_polling(false);
}

static void test_link_event(void)
{
    Fixture f;

    fixture_up(&f, "", 1);
    g_assert_true(f.d.link_up);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': false}}");
    qiavf_drain_events(&f.d);
    g_assert_false(f.d.link_up);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': true}}");
    qiavf_drain_events(&f.d);
    g_assert_true(f.d.link_up);
    fixture_stop(&f);
}

/* Up, with a filter a reset must clear, and a frame received. */
static void up_with_filter(Fixture *f)
{
    /* A multicast filter: an untrusted VF may add no other unicast. */
    static const uint8_t other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x42 };
    uint8_t frame[256];

    fixture_up(f, "", 1);
    g_assert_cmpint(qiavf_add_mac(&f->d, other, false), ==, 0);
    sock_send(f, frame, make_udp(frame, vf_mac, 1, "before"));
    expect_rx(f, 0, "before", NULL, NULL);
}

static void test_reset_vf(void)
{
    Fixture f;

    up_with_filter(&f);
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

/*
 * i40e_ndo_set_vf_trust: trust changed while the VF runs announces a VF
 * reset (RESET_IMPENDING), then resets the VF; setting it unchanged does
 * nothing.
 */
static void test_trust_change(void)
{
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint32_t op;
    int32_t ret;
    uint16_t len;
    Fixture f;

    fixture_up(&f, ",id=vf", 1);
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf', "
                             "'property': 'trusted', 'value': false } }");
    g_assert_true(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    g_assert_false(qiavf_recv(&f.d, &op, &ret, buf, &len));

    f.d.reset_events = 0;
    qtest_qmp_assert_success(f.qs->qts, "{ 'execute': 'qom-set', "
                             "'arguments': { 'path': 'vf', "
                             "'property': 'trusted', 'value': true } }");
    g_assert_true(qiavf_recv(&f.d, &op, &ret, buf, &len));
    g_assert_cmpuint(op, ==, VIRTCHNL_OP_EVENT);
    g_assert_cmpuint(f.d.reset_events, ==, 1);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

static void test_flr(void)
{
    Fixture f;

    up_with_filter(&f);

    /* An FLR also resets config space: the OS restores it. */
    fixture_flr(&f);
    check_reset_and_recover(&f);
    fixture_stop(&f);
}

/*
 * i40e_reset_vf sleeps 20-40 ms before writing VFACTIVE: the driver sees
 * the reset in progress for tens of milliseconds, not at once.
 */
static void test_reset_timing(void)
{
    Fixture f;

    fixture_up(&f, "", 1);
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qtest_clock_step(f.d.qts, 20 * 1000 * 1000);
    g_assert_cmpuint(qiavf_rd(&f.d, I40E_VFGEN_RSTAT) &
                     I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_INPROGRESS);
    qtest_clock_step(f.d.qts, 25 * 1000 * 1000);
    g_assert_cmpuint(qiavf_rd(&f.d, I40E_VFGEN_RSTAT) &
                     I40E_VFGEN_RSTAT_VFR_STATE_MASK, ==, I40E_VFR_VFACTIVE);
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/i40e-vf/pci-identity", test_pci_identity);
    qtest_add_func("/i40e-vf/irq/automask", test_irq_automask);
    qtest_add_func("/i40e-vf/irq/itr", test_irq_itr);
    qtest_add_func("/i40e-vf/link-event", test_link_event);
    qtest_add_func("/i40e-vf/reset/reset-vf", test_reset_vf);
    qtest_add_func("/i40e-vf/reset/flr", test_flr);
    qtest_add_func("/i40e-vf/reset/trust-change", test_trust_change);
    qtest_add_func("/i40e-vf/reset/timing", test_reset_timing);
    qtest_add_func("/i40e-vf/irq/vec0-dpdk-rearm", test_irq_vec0_dpdk_rearm);
    qtest_add_func("/i40e-vf/irq/vec0-rx-polling", test_irq_vec0_rx_polling);

    return g_test_run();
}
