/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtests of the emulated Intel 700-series VF (i40e-vf): its admin queue
 * and the virtchnl PF agent behind it, message by message as Linux
 * 6.12's i40e PF answers them, malformed and random messages included.
 */

#include "qemu/osdep.h"
#include "i40e-vf-common.h"

static void test_version(void)
{
    struct virtchnl_version_info v10 = { cpu_to_le32(1), 0 };
    struct virtchnl_version_info v20 = { cpu_to_le32(2), 0 };
    struct virtchnl_version_info pf;
    struct {
        struct virtchnl_vf_resource hdr;
        struct virtchnl_vsi_resource vsi[2];
    } res;
    Fixture f;
    uint16_t len;

    fixture_start(&f, "");
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);

    /* A 1.0 VF is answered as 1.0 and may not send capabilities. */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_VERSION, &v10, sizeof(v10),
                               &pf, &len), ==, 0);
    g_assert_cmpuint(le32_to_cpu(pf.major), ==, 1);
    g_assert_cmpuint(le32_to_cpu(pf.minor), ==, 0);
    /* i40e_vc_process_vf_msg: a failed validation is -EINVAL */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES,
                               &v10, 4, NULL, NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES,
                               NULL, 0, &res, &len), ==, 0);
    /* i40e_vc_get_vf_resources_msg: a 1.0 VF's caps, ADV_LINK_SPEED too */
    g_assert_cmphex(le32_to_cpu(res.hdr.vf_cap_flags), ==,
                    VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_CAP_ADV_LINK_SPEED |
                    VIRTCHNL_VF_OFFLOAD_VLAN | VIRTCHNL_VF_OFFLOAD_RSS_REG);

    /* A newer VF, after a reset, is offered 1.1. */
    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_VERSION, &v20, sizeof(v20),
                               &pf, &len), ==, 0);
    g_assert_cmpuint(le32_to_cpu(pf.major), ==, 1);
    g_assert_cmpuint(le32_to_cpu(pf.minor), ==, 1);
    qiavf_get_resources(&f.d, 0);
    g_assert_cmphex(f.d.caps, ==, VIRTCHNL_VF_OFFLOAD_L2 |
                                  VIRTCHNL_VF_CAP_ADV_LINK_SPEED |
                                  VIRTCHNL_VF_OFFLOAD_VLAN |
                                  VIRTCHNL_VF_OFFLOAD_RSS_REG);
    fixture_stop(&f);
}

static void test_resources(void)
{
    uint32_t caps = cpu_to_le32(QIAVF_IAVF_CAPS);
    uint8_t buf[QIAVF_AQ_BUF];
    uint16_t len;
    Fixture f;

    fixture_start(&f, ",queues=3,vectors=4");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    /*
     * i40e_vc_get_vf_resources_msg: an X710 never grants WB_ON_ITR,
     * RSS_PCTYPE_V2 or ENCAP_CSUM; always ADV_LINK_SPEED and VLAN.
     */
    g_assert_cmphex(f.d.caps, ==, QIAVF_X710_CAPS);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 3);
    g_assert_cmpuint(f.d.max_vectors, ==, 4);
    g_assert_cmpuint(f.d.vsi_id, ==, VF_VSI);
    /* i40e_vc_get_max_frame_size: the port's 9728-byte frames */
    g_assert_cmpuint(f.d.max_mtu, ==, 9728);
    g_assert_cmpmem(f.d.mac, 6, vf_mac, 6);
    /* The PF tells the link state right after the resources. */
    g_assert_cmpuint(f.d.link_events, ==, 1);
    g_assert_true(f.d.link_up);

    /*
     * i40e_vc_get_vf_resources_msg: not again before a reset (-EINVAL,
     * no payload), still followed by the link state.
     */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_VF_RESOURCES, &caps,
                               sizeof(caps), buf, &len), ==, I40E_EINVAL);
    g_assert_cmpuint(len, ==, 0);
    qiavf_drain_events(&f.d);
    g_assert_cmpuint(f.d.link_events, ==, 2);
    fixture_stop(&f);
}

static void test_queue_config(void)
{
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_alloc_rings(&f.d, 4, 64, 2048);
    g_assert_cmpint(qiavf_config_irq_map(&f.d), ==, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    f.d.link_events = 0;
    g_assert_cmpint(qiavf_enable_queues(&f.d, 0xf), ==, 0);
    /* ENABLE_QUEUES is followed by a link event. */
    qiavf_drain_events(&f.d);
    g_assert_cmpuint(f.d.link_events, ==, 1);
    g_assert_true(f.d.link_up);
    fixture_stop(&f);
}

static void test_request_queues(void)
{
    struct virtchnl_vf_res_request req = { cpu_to_le16(17) }, got;
    uint16_t len;
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 4);

    /* More than the PF has: the reply names what it could give. */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req,
                               sizeof(req), &got, &len), ==, 0);
    g_assert_cmpuint(le16_to_cpu(got.num_queue_pairs), ==, 16);

    /* A count it can give comes as a reset, announced first. */
    req.num_queue_pairs = cpu_to_le16(8);
    qiavf_send(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req, sizeof(req));
    g_assert_false(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_get_resources(&f.d, QIAVF_IAVF_CAPS);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 8);
    qiavf_up(&f.d, 8);

    /* i40e_vc_request_queues_msg: 0 is the PF's default, by a reset */
    req.num_queue_pairs = 0;
    f.d.reset_events = 0;
    qiavf_send(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req, sizeof(req));
    g_assert_false(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    qiavf_get_resources(&f.d, VIRTCHNL_VF_OFFLOAD_L2);
    g_assert_cmpuint(f.d.num_queue_pairs, ==, 4);
    /* ... and needs no REQ_QUEUES capability */
    req.num_queue_pairs = cpu_to_le16(17);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_REQUEST_QUEUES, &req,
                               sizeof(req), &got, &len), ==, 0);
    g_assert_cmpuint(le16_to_cpu(got.num_queue_pairs), ==, 16);
    fixture_stop(&f);
}

/* A CONFIG_VSI_QUEUES for one pair, broken by @breakit. */
static int32_t bad_queue_config(QIavf *d, int breakit)
{
    uint8_t msg[8 + 2 * 64] = { 0 };
    struct virtchnl_vsi_queue_config_info *qc = (void *)msg;
    struct virtchnl_queue_pair_info *qp = &qc->qpair[0];

    qc->vsi_id = cpu_to_le16(d->vsi_id);
    qc->num_queue_pairs = cpu_to_le16(1);
    qpair_fill(d, qp, 0);
    switch (breakit) {
    case 0:
        qc->vsi_id = cpu_to_le16(d->vsi_id + 1);
        break;
    case 1:
        qp->txq.queue_id = qp->rxq.queue_id = cpu_to_le16(d->num_queue_pairs);
        break;
    case 2:
        qp->rxq.dma_ring_addr = 0;
        break;
    case 3:
        qp->rxq.databuffer_size = cpu_to_le32(16384);
        break;
    case 4:
        qp->txq.ring_len = cpu_to_le16(I40E_VF_MAX_RING_LEN + 8);
        break;
    case 5:
        qp->rxq.max_pkt_size = cpu_to_le32(16384);
        break;
    case 6:
        qp->txq.dma_ring_addr = cpu_to_le64(d->tx[0].ring + 64);
        break;
    }
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, msg, sizeof(msg),
                      NULL, NULL);
}

/*
 * Messages of the right length whose vsi, vector or queue ids are wrong:
 * i40e_vc_config_irq_map_msg, i40e_config_vsi_{rx,tx}_queue,
 * i40e_vc_validate_vqs_bitmaps, i40e_vc_add_vlan_msg.
 */
static void malformed_ids(QIavf *d)
{
    struct virtchnl_queue_select qs;
    struct {
        struct virtchnl_irq_map_info hdr;
        struct virtchnl_vector_map map[2];
    } irq = { { cpu_to_le16(1) } };

    /* i40e_vc_config_irq_map_msg: vsi, vector and queue ids */
    irq.map[0].vsi_id = cpu_to_le16(d->vsi_id + 1);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq,
                               sizeof(irq), NULL, NULL), ==, I40E_EINVAL);
    irq.map[0].vsi_id = cpu_to_le16(d->vsi_id);
    irq.map[0].vector_id = cpu_to_le16(d->max_vectors);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq,
                               sizeof(irq), NULL, NULL), ==, I40E_EINVAL);
    irq.map[0].vector_id = cpu_to_le16(1);
    irq.map[0].rxq_map = cpu_to_le16(1 << d->num_queue_pairs);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq,
                               sizeof(irq), NULL, NULL), ==, I40E_EINVAL);
    /* i40e_config_vsi_rx_queue / _tx_queue: bases are not checked */
    for (int i = 0; i < 7; i++) {
        g_assert_cmpint(bad_queue_config(d, i), ==,
                        i == 2 || i == 6 ? 0 : I40E_EINVAL);
    }
    /* i40e_vc_validate_vqs_bitmaps: only bit 16 and above are refused */
    qs = (struct virtchnl_queue_select) {
        .vsi_id = cpu_to_le16(d->vsi_id), .rx_queues = cpu_to_le32(1u << 16),
    };
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_ENABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_add_vlan_msg: ids up to 4095 */
    g_assert_cmpint(qiavf_add_vlan(d, 4096, false), ==, I40E_EINVAL);
}

static void test_malformed(void)
{
    struct {
        struct virtchnl_irq_map_info hdr;
        struct virtchnl_vector_map map[2];
    } irq = { { cpu_to_le16(1) } };
    uint8_t junk[300] = { 0 }, frame[256];
    uint16_t rc;
    Fixture f;

    fixture_start(&f, "");
    qiavf_wait_active(&f.d);
    qiavf_aq_init(&f.d);
    /*
     * i40e_vc_config_promiscuous_mode_msg: the VF is ACTIVE after every
     * reset, and an untrusted VF is told yes before any other check.
     */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE,
                               junk, 4, NULL, NULL), ==, 0);
    qiavf_negotiate(&f.d, QIAVF_IAVF_CAPS);
    qiavf_alloc_rings(&f.d, 1, 64, 2048);

    /* i40e_vc_process_vf_msg: any length the validator refuses: -EINVAL */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_VERSION, junk, 4, NULL,
                               NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &irq, 14,
                               NULL, NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, junk, 12,
                               NULL, NULL), ==, I40E_EINVAL);
    /* ... and opcodes it does not know */
    g_assert_cmpint(qiavf_call(&f.d, 99, junk, 4, NULL, NULL), ==,
                    I40E_EINVAL);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_EVENT, junk, 16, NULL,
                               NULL), ==, I40E_EINVAL);
    /* i40e_vc_add_cloud_filter: no ADQ */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ADD_CLOUD_FILTER, junk,
                               272, NULL, NULL), ==, I40E_EINVAL);
    malformed_ids(&f.d);

    /* Admin-queue level: a buffer over 4 KiB, an unknown AQ opcode */
    qiavf_aq_post(&f.d, VIRTCHNL_OP_VERSION,
                  I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD | I40E_AQ_FLAG_LB,
                  junk, 5000, &rc);
    g_assert_cmpuint(rc, ==, I40E_AQ_RC_EFBIG);
    qiavf_drain_events(&f.d);

    /* After all that the VF still works. */
    qiavf_up(&f.d, 1);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "still-alive"));
    expect_rx(&f, 0, "still-alive", NULL, NULL);
    fixture_stop(&f);
}

/* A message of @len bytes, zeros but for @set, and its reply. */
static int32_t call_len(QIavf *d, uint32_t op, uint16_t len, uint16_t set_off,
                        uint8_t set_val, void *reply, uint16_t *rlen)
{
    g_autofree uint8_t *msg = g_malloc0(MAX(len, set_off + 1));
    g_autofree uint8_t *buf = g_malloc(QIAVF_AQ_BUF);
    uint16_t n;

    msg[set_off] = set_val;
    return qiavf_call(d, op, len ? msg : NULL, len, reply ?: buf,
                      rlen ?: &n);
}

/* The event the PF left in the ARQ before it reset the VF's registers. */
static uint32_t arq_event_before_reset(QIavf *d)
{
    struct i40e_aq_desc desc;
    struct virtchnl_pf_event ev;

    qtest_memread(d->qts, d->arq + d->arq_ntc * sizeof(desc), &desc,
                  sizeof(desc));
    g_assert_cmpuint(le32_to_cpu(desc.cookie_high), ==, VIRTCHNL_OP_EVENT);
    qtest_memread(d->qts, d->arq_bufs + d->arq_ntc * QIAVF_AQ_BUF, &ev,
                  sizeof(ev));
    return le32_to_cpu(ev.event);
}

static void test_opcodes(void)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(VF_VSI + 1) };
    static const uint8_t zeros[104];
    uint8_t buf[QIAVF_AQ_BUF];
    uint16_t len;
    Fixture f;

    fixture_up(&f, "", 1);
    /* i40e_vc_process_vf_msg: validated but no i40e case: -EOPNOTSUPP */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_CONFIG_RSS_HFUNC, 8, 0, 0,
                             NULL, NULL), ==, I40E_EOPNOTSUPP);
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_GET_SUPPORTED_RXDIDS, 0, 0, 0,
                             NULL, NULL), ==, I40E_EOPNOTSUPP);
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS, 0,
                             0, 0, NULL, NULL), ==, I40E_EOPNOTSUPP);
    /* ... with a wrong length, -EINVAL */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_GET_SUPPORTED_RXDIDS, 4, 0, 0,
                             NULL, NULL), ==, I40E_EINVAL);
    /* virtchnl_vc_validate_vf_msg (6.12) knows neither of these */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_CONFIG_QUEUE_BW,
                             4 + VIRTCHNL_QUEUE_BW_LEN, 2, 1, NULL, NULL), ==,
                    I40E_EINVAL);
    g_assert_cmpint(call_len(&f.d, 0, 0, 0, 0, NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_rdma_msg, i40e_vc_add_qch_msg: no RDMA, no ADQ */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_RDMA, 8, 0, 0, NULL, NULL), ==,
                    I40E_EINVAL);
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_ENABLE_CHANNELS,
                             8 + sizeof(struct virtchnl_channel_info), 0, 1,
                             NULL, NULL), ==, I40E_EINVAL);
    /* i40e_vc_get_stats_msg: an error still carries 104 zero bytes */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_GET_STATS, &qs, sizeof(qs),
                               buf, &len), ==, I40E_EINVAL);
    g_assert_cmpmem(buf, len, zeros, sizeof(zeros));
    /* i40e_vc_set_rss_hena: no checks, into the VF's VFQF_HENA */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_SET_RSS_HENA, 8, 7, 0x81,
                             NULL, NULL), ==, 0);
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFQF_HENA(0)), ==, 0);
    g_assert_cmphex(qiavf_rd(&f.d, I40E_VFQF_HENA(1)), ==, 0x81000000);
    /* i40e_vc_config_promiscuous_mode_msg: untrusted, yes before checks */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE, 4, 2,
                             0xff, NULL, NULL), ==, 0);
    /* virtchnl_vc_validate_vf_msg: RESET_VF has no payload, no reset */
    g_assert_cmpint(call_len(&f.d, VIRTCHNL_OP_RESET_VF, 4, 0, 0, NULL, NULL),
                    ==, I40E_EINVAL);
    g_assert_true(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    /* i40e_vc_del_qch_msg: with or without channels, an announced reset */
    qiavf_send(&f.d, VIRTCHNL_OP_DISABLE_CHANNELS, NULL, 0);
    g_assert_false(qiavf_rd(&f.d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE);
    g_assert_cmpuint(arq_event_before_reset(&f.d), ==,
                     VIRTCHNL_EVENT_RESET_IMPENDING);
    recover_after_reset(&f.d, QIAVF_IAVF_CAPS);
    fixture_stop(&f);
}

/* What DPDK's iavf asks for (iavf_get_vf_resource), as far as defined */
#define DPDK_IAVF_CAPS \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_VLAN | \
     VIRTCHNL_VF_OFFLOAD_RSS_PF | VIRTCHNL_VF_OFFLOAD_WB_ON_ITR | \
     VIRTCHNL_VF_OFFLOAD_RX_POLLING | VIRTCHNL_VF_CAP_ADV_LINK_SPEED | \
     VIRTCHNL_VF_OFFLOAD_RX_FLEX_DESC | VIRTCHNL_VF_OFFLOAD_FDIR_PF | \
     VIRTCHNL_VF_OFFLOAD_ADV_RSS_PF | VIRTCHNL_VF_OFFLOAD_REQ_QUEUES | \
     VIRTCHNL_VF_OFFLOAD_USO | VIRTCHNL_VF_OFFLOAD_CRC | \
     VIRTCHNL_VF_OFFLOAD_VLAN_V2 | VIRTCHNL_VF_OFFLOAD_QOS | \
     VIRTCHNL_VF_CAP_PTP)

static void test_caps_dpdk(void)
{
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, DPDK_IAVF_CAPS);
    /* i40e_vc_get_vf_resources_msg: RX_POLLING if asked, no WB_ON_ITR */
    g_assert_cmphex(f.d.caps, ==, VIRTCHNL_VF_OFFLOAD_L2 |
                    VIRTCHNL_VF_OFFLOAD_REQ_QUEUES |
                    VIRTCHNL_VF_CAP_ADV_LINK_SPEED | VIRTCHNL_VF_OFFLOAD_VLAN |
                    VIRTCHNL_VF_OFFLOAD_RX_POLLING |
                    VIRTCHNL_VF_OFFLOAD_RSS_PF);
    fixture_stop(&f);
}

static void test_link_event_format(void)
{
    struct virtchnl_queue_select qs = { .vsi_id = cpu_to_le16(VF_VSI + 1) };
    Fixture f;

    fixture_start(&f, "");
    qiavf_negotiate(&f.d, VIRTCHNL_VF_OFFLOAD_L2);
    /*
     * i40e_set_vf_link_state: the format the VF asked for (not what it
     * was granted), speed 0 while the link is down.
     */
    g_assert_true(f.d.caps & VIRTCHNL_VF_CAP_ADV_LINK_SPEED);
    g_assert_cmpuint(f.d.link_speed, ==, VIRTCHNL_LINK_SPEED_10GB);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': false}}");
    qiavf_drain_events(&f.d);
    g_assert_false(f.d.link_up);
    g_assert_cmpuint(f.d.link_speed, ==, 0);
    /* i40e_vc_process_vf_msg: ENABLE_QUEUES, even failed, then the link */
    f.d.link_events = 0;
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ENABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, I40E_EINVAL);
    qiavf_drain_events(&f.d);
    g_assert_cmpuint(f.d.link_events, ==, 1);

    qiavf_send(&f.d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qtest_qmp_assert_success(f.qs->qts, "{'execute': 'set_link', 'arguments':"
                             " {'name': 'n0', 'up': true}}");
    recover_after_reset(&f.d, QIAVF_IAVF_CAPS);
    g_assert_true(f.d.link_up);
    g_assert_cmpuint(f.d.link_speed, ==, 10000);
    fixture_stop(&f);
}

/* CONFIG_VSI_QUEUES of @n pairs for queues @ids, pair by pair @edit. */
static int32_t config_pairs(QIavf *d, unsigned int n, const uint16_t *ids,
                            void (*edit)(struct virtchnl_queue_pair_info *,
                                         unsigned int))
{
    size_t len = 72 + 64 * n;
    g_autofree uint8_t *msg = g_malloc0(len);
    struct virtchnl_vsi_queue_config_info *qc = (void *)msg;

    qc->vsi_id = cpu_to_le16(d->vsi_id);
    qc->num_queue_pairs = cpu_to_le16(n);
    for (unsigned int i = 0; i < n; i++) {
        qpair_fill(d, &qc->qpair[i], ids[i]);
        if (edit) {
            edit(&qc->qpair[i], i);
        }
    }
    return qiavf_call(d, VIRTCHNL_OP_CONFIG_VSI_QUEUES, msg, len, NULL, NULL);
}

/* DPDK's unused half of a pair, and a header split VF asks for. */
static void edit_half_pair(struct virtchnl_queue_pair_info *qp,
                           unsigned int i)
{
    if (i == 1) {
        qp->rxq.ring_len = qp->rxq.databuffer_size = 0;
        qp->rxq.dma_ring_addr = qp->txq.dma_ring_addr = 0;
        qp->txq.ring_len = 0;
        qp->rxq.splithdr_enabled = cpu_to_le16(1);
        qp->rxq.hdr_size = cpu_to_le16(1984);
    }
}

static void edit_big_header(struct virtchnl_queue_pair_info *qp,
                            unsigned int i)
{
    qp->rxq.splithdr_enabled = cpu_to_le16(1);
    qp->rxq.hdr_size = cpu_to_le16(1984 + 64);
}

static void edit_second_bad(struct virtchnl_queue_pair_info *qp,
                            unsigned int i)
{
    if (i == 1) {
        qp->txq.ring_len = cpu_to_le16(7);
    }
}

static void test_queue_config_i40e(void)
{
    static const uint16_t ids[17] = { 0, 1, 0, 0, 0 };
    uint8_t frame[256];
    Fixture f;

    fixture_rings(&f, 64, 2048);
    /*
     * i40e_vc_config_queues_msg: pair by pair; a bad second pair leaves
     * the first programmed.
     */
    g_assert_cmpint(config_pairs(&f.d, 2, ids, edit_second_bad), ==,
                    I40E_EINVAL);
    g_assert_cmpint(qiavf_add_mac(&f.d, vf_mac, false), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "first-pair-set"));
    expect_rx(&f, 0, "first-pair-set", NULL, NULL);

    /* ... up to 16 pairs, the ids only checked against the VF's queues */
    g_assert_cmpint(config_pairs(&f.d, 5, ids, NULL), ==, 0);
    g_assert_cmpint(config_pairs(&f.d, 17, ids, NULL), ==, I40E_EINVAL);
    /* i40e_config_vsi_rx_queue: length, buffer, base 0 and split are fine */
    g_assert_cmpint(config_pairs(&f.d, 1, ids, edit_big_header), ==,
                    I40E_EINVAL);
    g_assert_cmpint(config_pairs(&f.d, 2, ids, edit_half_pair), ==, 0);

    /* i40e_vc_enable_queues_msg: an empty queue starts and does nothing */
    g_assert_cmpint(qiavf_enable_queues(&f.d, 2), ==, 0);
    qiavf_wr(&f.d, I40E_QTX_TAIL1(1), 3);
    qiavf_wr(&f.d, I40E_QRX_TAIL1(1), 3);
    g_assert_cmpuint(get_stat(&f.d, offsetof(struct virtchnl_eth_stats,
                                             tx_unicast)), ==, 0);
    fixture_stop(&f);
}

static void test_irq_map_i40e(void)
{
    struct {
        struct virtchnl_irq_map_info hdr;
        struct virtchnl_vector_map map[I40E_VF_MAX_VECTORS + 1];
    } im = { { 0 } };
    size_t len = 14 + 12 * 2;   /* the legacy trailing element included */
    uint8_t frame[256];
    Fixture f;

    fixture_rings(&f, 64, 2048);
    /* i40e_vc_config_irq_map_msg: no more maps than vectors */
    im.hdr.num_vectors = cpu_to_le16(f.d.max_vectors + 1);
    for (int i = 0; i <= f.d.max_vectors; i++) {
        im.map[i].vsi_id = cpu_to_le16(f.d.vsi_id);
        im.map[i].vector_id = cpu_to_le16(i % f.d.max_vectors);
    }
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &im,
                               14 + 12 * (f.d.max_vectors + 1), NULL, NULL),
                    ==, I40E_EINVAL);
    /*
     * ... map by map: queue 0 moves to vector 2 before the bad second
     * map fails; ITR index 7 is taken as 3 (no ITR).
     */
    im.hdr.num_vectors = cpu_to_le16(2);
    im.map[0].vector_id = cpu_to_le16(2);
    im.map[0].rxq_map = im.map[0].txq_map = cpu_to_le16(1);
    im.map[0].rxitr_idx = im.map[0].txitr_idx = cpu_to_le16(7);
    im.map[1].vector_id = cpu_to_le16(f.d.max_vectors);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_CONFIG_IRQ_MAP, &im, len,
                               NULL, NULL), ==, I40E_EINVAL);
    g_assert_cmpint(qiavf_add_mac(&f.d, vf_mac, false), ==, 0);
    qiavf_rx_fill(&f.d, 0);
    g_assert_cmpint(qiavf_config_queues(&f.d, 1518), ==, 0);
    g_assert_cmpint(qiavf_enable_queues(&f.d, 1), ==, 0);
    qiavf_irq_enable(&f.d, 1);
    qiavf_irq_enable(&f.d, 2);
    qiavf_irq_clear(&f.d, 1);
    qiavf_irq_clear(&f.d, 2);
    sock_send(&f, frame, make_udp(frame, vf_mac, 1, "on-vector-2"));
    expect_rx(&f, 0, "on-vector-2", NULL, NULL);
    g_assert_true(qiavf_irq_seen(&f.d, 2));
    g_assert_false(qiavf_irq_seen(&f.d, 1));
    fixture_stop(&f);
}

static void test_enable_queues_i40e(void)
{
    struct virtchnl_queue_select qs = {
        .vsi_id = cpu_to_le16(VF_VSI), .tx_queues = cpu_to_le32(1),
    };
    uint8_t frame[256];
    uint64_t desc[2];
    uint32_t cmd;
    size_t len;
    Fixture f;

    fixture_up(&f, "", 1);
    expect_tx(&f, 0, "tx-1");
    /*
     * i40e_control_tx_q: enabling a running queue changes nothing (head
     * and tail stay); i40e_vc_validate_vqs_bitmaps: bits beyond the VF's
     * queues are no error.
     */
    g_assert_cmpint(qiavf_enable_queues(&f.d, 0xffff), ==, 0);
    expect_tx(&f, 0, "tx-2");

    /* ... a stopped queue starts at head 0 with the tail as written. */
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_DISABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, 0);
    len = make_udp(frame, peer_mac, 1, "queued-while-stopped");
    qtest_memwrite(f.d.qts, f.d.tx[0].bufs, frame, len);
    desc[0] = cpu_to_le64(f.d.tx[0].bufs);
    cmd = I40E_TXD_CMD_EOP | I40E_TXD_CMD_RS | I40E_TXD_CMD_ICRC;
    desc[1] = cpu_to_le64(I40E_TXD_DTYPE_DATA |
                          ((uint64_t)cmd << I40E_TXD_CMD_SHIFT) |
                          ((uint64_t)len << I40E_TXD_BUF_SZ_SHIFT));
    qtest_memwrite(f.d.qts, f.d.tx[0].ring, desc, sizeof(desc));
    qiavf_wr(&f.d, I40E_QTX_TAIL1(0), 1);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_ENABLE_QUEUES, &qs,
                               sizeof(qs), NULL, NULL), ==, 0);
    g_assert_true(has_marker(frame, sock_recv(&f, frame, sizeof(frame)),
                             "queued-while-stopped"));
    fixture_stop(&f);
}

static int32_t vlan_list(QIavf *d, bool del, uint16_t first, unsigned int n)
{
    uint16_t msg[2 + 16] = { cpu_to_le16(d->vsi_id), cpu_to_le16(n) };

    for (unsigned int i = 0; i < n; i++) {
        msg[2 + i] = cpu_to_le16(first + i);
    }
    return qiavf_call(d, del ? VIRTCHNL_OP_DEL_VLAN : VIRTCHNL_OP_ADD_VLAN,
                      msg, 6 + 2 * n, NULL, NULL);
}

static void test_vlan_limit(void)
{
    uint8_t tagged[260], buf[2048];
    uint64_t qw0, qw1;
    Fixture f;
    size_t n;

    fixture_up(&f, "", 1);
    g_assert_cmpint(qiavf_call(&f.d, VIRTCHNL_OP_DISABLE_VLAN_STRIPPING,
                               NULL, 0, NULL, NULL), ==, 0);
    /* i40e_vc_add_vlan_msg: adding VLANs turns stripping on */
    g_assert_cmpint(vlan_list(&f.d, false, 1, 16), ==, 0);
    sock_send(&f, tagged, make_tagged(tagged, 16, "stripped"));
    g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
    g_assert_true(qw1 & I40E_RXD_STATUS_L2TAG1P);
    /* ... an untrusted VF with 16 is told yes, and nothing is added */
    g_assert_cmpint(vlan_list(&f.d, false, 17, 1), ==, 0);
    sock_send(&f, tagged, make_tagged(tagged, 17, "drop-17"));
    sock_send(&f, tagged, make_tagged(tagged, 16, "keep-16"));
    expect_rx(&f, 0, "keep-16", NULL, NULL);
    /* i40e_vc_remove_vlan_msg: one fewer, and 17 fits */
    g_assert_cmpint(vlan_list(&f.d, true, 16, 1), ==, 0);
    g_assert_cmpint(vlan_list(&f.d, false, 17, 1), ==, 0);
    sock_send(&f, tagged, make_tagged(tagged, 17, "keep-17"));
    expect_rx(&f, 0, "keep-17", NULL, NULL);
    fixture_stop(&f);
}

/* i40e_check_vf_permission counts MAC x VLAN filter entries. */
static void test_mac_vlan_entries(void)
{
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x07 };
    Fixture f;

    fixture_up(&f, "", 1);
    /* (own + broadcast) x (8 VLANs + VLAN 0) = 18: full */
    g_assert_cmpint(vlan_list(&f.d, false, 1, 8), ==, 0);
    g_assert_cmpint(qiavf_add_mac(&f.d, mcast, false), ==, I40E_EPERM);
    g_assert_cmpint(vlan_list(&f.d, true, 8, 1), ==, 0);
    g_assert_cmpint(qiavf_add_mac(&f.d, mcast, false), ==, 0);
    fixture_stop(&f);
}

static int32_t mac_list(QIavf *d, uint32_t op, const uint8_t (*macs)[6],
                        unsigned int n)
{
    struct {
        struct virtchnl_ether_addr_list hdr;
        struct virtchnl_ether_addr addr[4];
    } msg = { { cpu_to_le16(d->vsi_id), cpu_to_le16(n) } };

    for (unsigned int i = 0; i < n; i++) {
        memcpy(msg.addr[i].addr, macs[i], 6);
    }
    return qiavf_call(d, op, &msg, 12 + 8 * n, NULL, NULL);
}

/* i40e_vc_del_mac_addr_msg: deleted up to the absent one, then -EINVAL */
static void test_del_mac_partial(void)
{
    static const uint8_t macs[3][6] = {
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 },
        { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x03 },
    };
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, "", 1);
    g_assert_cmpint(mac_list(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, macs, 1), ==, 0);
    g_assert_cmpint(mac_list(&f.d, VIRTCHNL_OP_ADD_ETH_ADDR, &macs[2], 1),
                    ==, 0);
    g_assert_cmpint(mac_list(&f.d, VIRTCHNL_OP_DEL_ETH_ADDR, macs, 3), ==,
                    I40E_EINVAL);
    sock_send(&f, frame, make_udp(frame, macs[0], 1, "drop-deleted"));
    sock_send(&f, frame, make_udp(frame, macs[2], 1, "keep-not-reached"));
    expect_rx(&f, 0, "keep-not-reached", NULL, NULL);
    fixture_stop(&f);
}

/* A later mac= overrides boot_vf's: no administratively set address. */
#define NO_ADMIN_MAC    ",mac=00:00:00:00:00:00"

/* The address a GET_VF_RESOURCES after a VF reset reports. */
static void reset_resources_mac(QIavf *d, uint32_t caps, uint8_t *mac)
{
    struct {
        struct virtchnl_vf_resource hdr;
        struct virtchnl_vsi_resource vsi[2];
    } res;
    uint32_t req = cpu_to_le32(caps);
    uint16_t len;

    qiavf_send(d, VIRTCHNL_OP_RESET_VF, NULL, 0);
    qiavf_wait_active(d);
    qiavf_aq_init(d);
    g_assert_cmpint(qiavf_call(d, VIRTCHNL_OP_GET_VF_RESOURCES, &req,
                               sizeof(req), &res, &len), ==, 0);
    memcpy(mac, res.vsi[0].default_mac_addr, 6);
    qiavf_drain_events(d);
}

static void test_vf_chosen_mac(void)
{
    static const uint8_t zero[6];
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };
    uint8_t frame[256], mine[6], mac[6];
    Fixture f;

    /* i40e_vc_get_vf_resources_msg: no admin MAC, none on first boot */
    fixture_up(&f, NO_ADMIN_MAC, 1);
    memcpy(mine, f.d.mac, 6);
    g_assert_false(memcmp(mine, vf_mac, 6) == 0);
    /* i40e_check_vf_permission: any unicast then */
    g_assert_cmpint(qiavf_add_mac(&f.d, other, false), ==, 0);
    sock_send(&f, frame, make_udp(frame, mine, 1, "to-chosen"));
    expect_rx(&f, 0, "to-chosen", NULL, NULL);

    /* ... after a reset, the VF's primary, to a VF that asks for USO */
    reset_resources_mac(&f.d, QIAVF_IAVF_CAPS, mac);
    g_assert_cmpmem(mac, 6, mine, 6);
    /* ... and zero to one that does not */
    reset_resources_mac(&f.d, QIAVF_IAVF_CAPS & ~VIRTCHNL_VF_OFFLOAD_USO,
                        mac);
    g_assert_cmpmem(mac, 6, zero, 6);
    fixture_stop(&f);
}

/* The exact length of a message of opcode @op with @n elements. */
static uint16_t fuzz_len(uint32_t op, uint16_t n)
{
    switch (op) {
    case VIRTCHNL_OP_VERSION:
    case VIRTCHNL_OP_SET_RSS_HENA:
        return 8;
    case VIRTCHNL_OP_GET_VF_RESOURCES:
    case VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE:
        return 4;
    case VIRTCHNL_OP_CONFIG_VSI_QUEUES:
        return 72 + 64 * n;
    case VIRTCHNL_OP_CONFIG_IRQ_MAP:
        return 14 + 12 * n;
    case VIRTCHNL_OP_ENABLE_QUEUES:
    case VIRTCHNL_OP_DISABLE_QUEUES:
    case VIRTCHNL_OP_GET_STATS:
        return 12;
    case VIRTCHNL_OP_ADD_ETH_ADDR:
    case VIRTCHNL_OP_DEL_ETH_ADDR:
        return 12 + 8 * n;
    case VIRTCHNL_OP_ADD_VLAN:
    case VIRTCHNL_OP_DEL_VLAN:
        return 6 + 2 * n;
    case VIRTCHNL_OP_CONFIG_RSS_KEY:
    case VIRTCHNL_OP_CONFIG_RSS_LUT:
        return 5 + n;
    case VIRTCHNL_OP_REQUEST_QUEUES:
        return 2;
    default:
        return 0;
    }
}

/*
 * Garbage from the guest, a lot of it: random virtchnl messages, random
 * descriptors, random register writes.  QEMU must survive all of it and
 * the VF must work after an FLR.
 */
/* 400 random virtchnl messages, often with a plausible header. */
static void fuzz_mailbox(Fixture *f, GRand *rnd)
{
    static const uint32_t ops[] = {
        1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 23, 24, 25, 26, 27,
        28, 29, 30, 32, 51, 99,
    };
    g_autofree uint8_t *reply = g_malloc(QIAVF_AQ_BUF);
    uint8_t msg[512];
    int32_t ret;

    for (int i = 0; i < 400; i++) {
        uint32_t op = ops[g_rand_int_range(rnd, 0, ARRAY_SIZE(ops))];
        uint16_t len = g_rand_int_range(rnd, 0, sizeof(msg));
        uint16_t rc;

        for (int j = 0; j < len; j++) {
            msg[j] = g_rand_int(rnd);
        }
        /* Often a plausible header and length, to reach the handlers. */
        if (g_rand_boolean(rnd)) {
            uint16_t n = g_rand_int_range(rnd, 0, 5);

            stw_le_p(msg, op == VIRTCHNL_OP_CONFIG_IRQ_MAP ? n : f->d.vsi_id);
            stw_le_p(msg + 2, n);
            len = fuzz_len(op, n);
        }
        qiavf_aq_post(&f->d, op, len ? I40E_AQ_FLAG_BUF | I40E_AQ_FLAG_RD : 0,
                      msg, len, &rc);
        if (!(qiavf_rd(&f->d, I40E_VF_ARQLEN1) & I40E_VF_AQLEN_ENABLE)) {
            /* That was a reset: start over, as iavf would. */
            recover_after_reset(&f->d, QIAVF_IAVF_CAPS);
            continue;
        }
        while (qiavf_recv(&f->d, &op, &ret, reply, &len)) {
            /* Any reply will do: the PF must just keep answering. */
        }
    }
}

/* Random descriptors, then random register writes under RX traffic. */
static void fuzz_rings_and_registers(Fixture *f, GRand *rnd)
{
    uint8_t frame[256];

    for (int i = 0; i < 64; i++) {
        uint64_t d[4] = { g_rand_int(rnd), g_rand_int(rnd), g_rand_int(rnd),
                          g_rand_int(rnd) };

        qtest_memwrite(f->qs->qts, f->d.tx[0].ring + 16 * i, d, 16);
        qtest_memwrite(f->qs->qts, f->d.rx[1].ring + 32 * i, d, 32);
    }
    for (int i = 0; i < 2000; i++) {
        uint32_t reg = g_rand_int_range(rnd, 0, I40E_VF_BAR0_SIZE / 4) * 4;

        qiavf_wr(&f->d, reg, g_rand_int(rnd));
        sock_send(f, frame, make_udp(frame, vf_mac, i, "noise"));
    }
}

static void test_fuzz(void)
{
    GRand *rnd = g_rand_new_with_seed(0x154c);
    uint8_t frame[256];
    Fixture f;

    fixture_up(&f, ",trusted=on", 2);
    fuzz_mailbox(&f, rnd);
    fuzz_rings_and_registers(&f, rnd);

    fixture_flr(&f);
    recover_after_reset(&f.d, QIAVF_IAVF_CAPS);
    qiavf_up(&f.d, 1);
    /* i40e_update_vf_mac_addr: a random PRIMARY may be the default now. */
    sock_send(&f, frame, make_udp(frame, f.d.mac, 1, "survived"));
    for (;;) {
        uint8_t buf[2048];
        uint64_t qw0, qw1;
        size_t n;

        /* Frames of the noise may still arrive first. */
        g_assert_true(qiavf_rx(&f.d, 0, buf, &n, &qw0, &qw1));
        if (has_marker(buf, n, "survived")) {
            break;
        }
    }
    g_rand_free(rnd);
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/i40e-vf/virtchnl/version", test_version);
    qtest_add_func("/i40e-vf/virtchnl/resources", test_resources);
    qtest_add_func("/i40e-vf/virtchnl/queue-config", test_queue_config);
    qtest_add_func("/i40e-vf/virtchnl/malformed", test_malformed);
    qtest_add_func("/i40e-vf/virtchnl/request-queues", test_request_queues);
    qtest_add_func("/i40e-vf/virtchnl/opcodes", test_opcodes);
    qtest_add_func("/i40e-vf/virtchnl/caps-dpdk", test_caps_dpdk);
    qtest_add_func("/i40e-vf/virtchnl/link-event-format",
                   test_link_event_format);
    qtest_add_func("/i40e-vf/virtchnl/queue-config-i40e",
                   test_queue_config_i40e);
    qtest_add_func("/i40e-vf/virtchnl/irq-map-i40e", test_irq_map_i40e);
    qtest_add_func("/i40e-vf/virtchnl/enable-queues-i40e",
                   test_enable_queues_i40e);
    qtest_add_func("/i40e-vf/virtchnl/vlan-limit", test_vlan_limit);
    qtest_add_func("/i40e-vf/virtchnl/mac-vlan-entries", test_mac_vlan_entries);
    qtest_add_func("/i40e-vf/virtchnl/del-mac-partial", test_del_mac_partial);
    qtest_add_func("/i40e-vf/virtchnl/vf-chosen-mac", test_vf_chosen_mac);
    qtest_add_func("/i40e-vf/fuzz", test_fuzz);

    return g_test_run();
}
