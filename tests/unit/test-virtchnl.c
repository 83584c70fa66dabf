/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of virtchnl message validation (net/virtchnl.c): every length
 * rule of the PF, including the legacy one-element padding of list
 * messages, zero element counts, and opcodes a VF may not send.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "net/virtchnl.h"

static const struct virtchnl_version_info v11 = { 1, 1 };
static const struct virtchnl_version_info v10 = { 1, 0 };

static int check(uint32_t op, const void *msg, uint16_t len)
{
    return virtchnl_vc_validate_vf_msg(&v11, op, msg, len);
}

/* A message buffer whose element count (at @off, @width bytes) is @n. */
static uint8_t *list_msg(size_t off, size_t width, uint32_t n)
{
    static uint8_t buf[VIRTCHNL_MAX_MSG_LEN];

    memset(buf, 0, sizeof(buf));
    if (width == 2) {
        stw_le_p(buf + off, n);
    } else {
        stl_le_p(buf + off, n);
    }
    return buf;
}

static void test_fixed_lengths(void)
{
    static const struct {
        uint32_t op;
        uint16_t len;
    } fixed[] = {
        { VIRTCHNL_OP_VERSION, 8 },
        { VIRTCHNL_OP_GET_VF_RESOURCES, 4 },
        { VIRTCHNL_OP_CONFIG_TX_QUEUE, 24 },
        { VIRTCHNL_OP_CONFIG_RX_QUEUE, 40 },
        { VIRTCHNL_OP_ENABLE_QUEUES, 12 },
        { VIRTCHNL_OP_DISABLE_QUEUES, 12 },
        { VIRTCHNL_OP_GET_STATS, 12 },
        { VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE, 4 },
        { VIRTCHNL_OP_CONFIG_RSS_HFUNC, 8 },
        { VIRTCHNL_OP_GET_RSS_HENA_CAPS, 0 },
        { VIRTCHNL_OP_SET_RSS_HENA, 8 },
        { VIRTCHNL_OP_ENABLE_VLAN_STRIPPING, 0 },
        { VIRTCHNL_OP_DISABLE_VLAN_STRIPPING, 0 },
        { VIRTCHNL_OP_REQUEST_QUEUES, 2 },
        { VIRTCHNL_OP_DISABLE_CHANNELS, 0 },
        { VIRTCHNL_OP_ADD_CLOUD_FILTER, 272 },
        { VIRTCHNL_OP_DEL_CLOUD_FILTER, 272 },
        { VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS, 0 },
        { VIRTCHNL_OP_ENABLE_VLAN_STRIPPING_V2, 16 },
        { VIRTCHNL_OP_ADD_RSS_CFG, 2444 },
        { VIRTCHNL_OP_ADD_FDIR_FILTER, 2616 },
        { VIRTCHNL_OP_DEL_FDIR_FILTER, 12 },
    };
    static uint8_t buf[VIRTCHNL_MAX_MSG_LEN];

    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
        g_assert_cmpint(check(fixed[i].op, buf, fixed[i].len), ==,
                        VIRTCHNL_STATUS_SUCCESS);
        g_assert_cmpint(check(fixed[i].op, buf, fixed[i].len + 1), ==,
                        VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
        if (fixed[i].len) {
            g_assert_cmpint(check(fixed[i].op, buf, fixed[i].len - 1), ==,
                            VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
        }
    }
}

/* GET_VF_RESOURCES carries capabilities only from a 1.1 VF. */
static void test_version_dependent(void)
{
    static const struct virtchnl_version_info none = { 0, 0 };
    uint32_t caps = 0;
    const uint8_t *msg = (const uint8_t *)&caps;

    g_assert_cmpint(virtchnl_vc_validate_vf_msg(&v10,
                    VIRTCHNL_OP_GET_VF_RESOURCES, msg, 0), ==, 0);
    g_assert_cmpint(virtchnl_vc_validate_vf_msg(&v10,
                    VIRTCHNL_OP_GET_VF_RESOURCES, msg, 4), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
    g_assert_cmpint(virtchnl_vc_validate_vf_msg(&none,
                    VIRTCHNL_OP_GET_VF_RESOURCES, msg, 0), ==, 0);
    g_assert_cmpint(virtchnl_vc_validate_vf_msg(&v11,
                    VIRTCHNL_OP_GET_VF_RESOURCES, msg, 0), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
}

/* List messages: header + (n + 1) elements on the wire, n != 0. */
static void test_lists(void)
{
    static const struct {
        uint32_t op;
        size_t off, width, base, elem;
    } lists[] = {
        { VIRTCHNL_OP_CONFIG_VSI_QUEUES, 2, 2, 72, 64 },
        { VIRTCHNL_OP_CONFIG_IRQ_MAP, 0, 2, 14, 12 },
        { VIRTCHNL_OP_ADD_ETH_ADDR, 2, 2, 12, 8 },
        { VIRTCHNL_OP_DEL_ETH_ADDR, 2, 2, 12, 8 },
        { VIRTCHNL_OP_ADD_VLAN, 2, 2, 6, 2 },
        { VIRTCHNL_OP_DEL_VLAN, 2, 2, 6, 2 },
        { VIRTCHNL_OP_ENABLE_CHANNELS, 0, 4, 8, 16 },
        { VIRTCHNL_OP_ADD_VLAN_V2, 2, 2, 8, 32 },
        { VIRTCHNL_OP_CONFIG_QUEUE_BW, 2, 2, 4, 12 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        for (uint32_t n = 1; n <= 4; n++) {
            const uint8_t *m = list_msg(lists[i].off, lists[i].width, n);
            size_t len = lists[i].base + n * lists[i].elem;

            g_assert_cmpint(check(lists[i].op, m, len), ==, 0);
            g_assert_cmpint(check(lists[i].op, m, len - lists[i].elem), ==,
                            VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
            g_assert_cmpint(check(lists[i].op, m, len + 1), ==,
                            VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
        }
        /* Zero elements is never valid, whatever the length. */
        for (size_t len = 0; len < 200; len++) {
            g_assert_cmpint(check(lists[i].op,
                                  list_msg(lists[i].off, lists[i].width, 0),
                                  len), ==,
                            VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
        }
    }
}

/* The count lies beyond a too-short message: no read past its end. */
static void test_truncated(void)
{
    uint8_t one = 5;

    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_VSI_QUEUES, &one, 1), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_RSS_KEY, &one, 1), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
    g_assert_cmpint(check(VIRTCHNL_OP_ENABLE_CHANNELS, &one, 1), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
}

static void test_rss(void)
{
    uint8_t *m = list_msg(2, 2, VIRTCHNL_RSS_KEY_SIZE);

    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_RSS_KEY, m, 57), ==, 0);
    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_RSS_KEY, m, 56), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
    m = list_msg(2, 2, VIRTCHNL_RSS_LUT_SIZE);
    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_RSS_LUT, m, 69), ==, 0);
    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_RSS_LUT, m, 68), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
}

static void test_quanta(void)
{
    uint8_t m[12] = { 0 };

    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_QUANTA, m, 12), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
    stw_le_p(m + 4, 1024);
    stw_le_p(m + 10, 1);
    g_assert_cmpint(check(VIRTCHNL_OP_CONFIG_QUANTA, m, 12), ==, 0);
}

static void test_forbidden_opcodes(void)
{
    uint8_t m[64] = { 0 };

    g_assert_cmpint(check(VIRTCHNL_OP_UNKNOWN, m, 0), ==,
                    VIRTCHNL_STATUS_ERR_PARAM);
    g_assert_cmpint(check(VIRTCHNL_OP_EVENT, m, 16), ==,
                    VIRTCHNL_STATUS_ERR_PARAM);
    g_assert_cmpint(check(16, m, 0), ==, VIRTCHNL_STATUS_ERR_PARAM);
    g_assert_cmpint(check(0xffffffff, m, 0), ==, VIRTCHNL_STATUS_ERR_PARAM);
    /* Anything goes for RESET_VF; RDMA is opaque but never empty. */
    g_assert_cmpint(check(VIRTCHNL_OP_RESET_VF, m, 13), ==, 0);
    g_assert_cmpint(check(VIRTCHNL_OP_RDMA, m, 0), ==,
                    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH);
    g_assert_cmpint(check(VIRTCHNL_OP_RDMA, m, 1), ==, 0);
}

static void test_op_names(void)
{
    g_assert_cmpstr(virtchnl_op_name(VIRTCHNL_OP_CONFIG_VSI_QUEUES), ==,
                    "CONFIG_VSI_QUEUES");
    g_assert_cmpstr(virtchnl_op_name(16), ==, "unknown");
    g_assert_cmpstr(virtchnl_op_name(100000), ==, "unknown");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtchnl/fixed-lengths", test_fixed_lengths);
    g_test_add_func("/virtchnl/version-dependent", test_version_dependent);
    g_test_add_func("/virtchnl/lists", test_lists);
    g_test_add_func("/virtchnl/truncated", test_truncated);
    g_test_add_func("/virtchnl/rss", test_rss);
    g_test_add_func("/virtchnl/quanta", test_quanta);
    g_test_add_func("/virtchnl/forbidden-opcodes", test_forbidden_opcodes);
    g_test_add_func("/virtchnl/op-names", test_op_names);
    return g_test_run();
}
