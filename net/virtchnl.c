/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtchnl message validation, shared by the emulated 700-series VF and
 * the passthrough mailbox trap.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "net/virtchnl.h"

/* Element count at @off of @msg, or 0 when the message is too short for it. */
static uint32_t msg_count(const uint8_t *msg, uint16_t msglen, size_t off,
                          size_t width)
{
    if (msglen < off + width) {
        return 0;
    }
    return width == 2 ? lduw_le_p(msg + off) : ldl_le_p(msg + off);
}

/*
 * Length of a list message: @base bytes plus @elem bytes per element, the
 * element count being the @width-byte field at @off.  A zero count is an
 * error, returned as a length no message can have.
 */
static size_t list_len(const uint8_t *msg, uint16_t msglen, size_t off,
                       size_t width, size_t base, size_t elem)
{
    uint32_t n = msg_count(msg, msglen, off, width);

    return n ? base + elem * n : SIZE_MAX;
}

int virtchnl_vc_validate_vf_msg(const struct virtchnl_version_info *ver,
                                uint32_t v_opcode, const uint8_t *msg,
                                uint16_t msglen)
{
    size_t valid_len;

    switch (v_opcode) {
    case VIRTCHNL_OP_VERSION:
        valid_len = sizeof(struct virtchnl_version_info);
        break;
    case VIRTCHNL_OP_RESET_VF:
        return VIRTCHNL_STATUS_SUCCESS;
    case VIRTCHNL_OP_GET_VF_RESOURCES:
        /* Only a VF that negotiated 1.1 or later sends its capabilities. */
        valid_len = (ver->major > 1 ||
                     (ver->major == 1 && ver->minor >= 1)) ? sizeof(uint32_t)
                                                           : 0;
        break;
    case VIRTCHNL_OP_CONFIG_TX_QUEUE:
        valid_len = sizeof(struct virtchnl_txq_info);
        break;
    case VIRTCHNL_OP_CONFIG_RX_QUEUE:
        valid_len = sizeof(struct virtchnl_rxq_info);
        break;
    case VIRTCHNL_OP_CONFIG_VSI_QUEUES:
        valid_len = list_len(msg, msglen, 2, 2, 72,
                             sizeof(struct virtchnl_queue_pair_info));
        break;
    case VIRTCHNL_OP_CONFIG_IRQ_MAP:
        valid_len = list_len(msg, msglen, 0, 2, 14,
                             sizeof(struct virtchnl_vector_map));
        break;
    case VIRTCHNL_OP_ENABLE_QUEUES:
    case VIRTCHNL_OP_DISABLE_QUEUES:
    case VIRTCHNL_OP_GET_STATS:
        valid_len = sizeof(struct virtchnl_queue_select);
        break;
    case VIRTCHNL_OP_ADD_ETH_ADDR:
    case VIRTCHNL_OP_DEL_ETH_ADDR:
        valid_len = list_len(msg, msglen, 2, 2, 12,
                             sizeof(struct virtchnl_ether_addr));
        break;
    case VIRTCHNL_OP_ADD_VLAN:
    case VIRTCHNL_OP_DEL_VLAN:
        valid_len = list_len(msg, msglen, 2, 2, 6, sizeof(uint16_t));
        break;
    case VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE:
        valid_len = sizeof(struct virtchnl_promisc_info);
        break;
    case VIRTCHNL_OP_CONFIG_RSS_KEY:
    case VIRTCHNL_OP_CONFIG_RSS_LUT:
        /* A zero-length key or LUT is a length the PF accepts, then rejects. */
        valid_len = 5 + msg_count(msg, msglen, 2, 2);
        break;
    case VIRTCHNL_OP_CONFIG_RSS_HFUNC:
        valid_len = sizeof(struct virtchnl_rss_hfunc);
        break;
    case VIRTCHNL_OP_GET_RSS_HENA_CAPS:
    case VIRTCHNL_OP_ENABLE_VLAN_STRIPPING:
    case VIRTCHNL_OP_DISABLE_VLAN_STRIPPING:
    case VIRTCHNL_OP_DISABLE_CHANNELS:
    case VIRTCHNL_OP_GET_SUPPORTED_RXDIDS:
    case VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS:
    case VIRTCHNL_OP_RELEASE_RDMA_IRQ_MAP:
        valid_len = 0;
        break;
    case VIRTCHNL_OP_SET_RSS_HENA:
        valid_len = sizeof(struct virtchnl_rss_hena);
        break;
    case VIRTCHNL_OP_REQUEST_QUEUES:
        valid_len = sizeof(struct virtchnl_vf_res_request);
        break;
    case VIRTCHNL_OP_ENABLE_CHANNELS:
        valid_len = list_len(msg, msglen, 0, 4, 8,
                             sizeof(struct virtchnl_channel_info));
        break;
    case VIRTCHNL_OP_ADD_CLOUD_FILTER:
    case VIRTCHNL_OP_DEL_CLOUD_FILTER:
        valid_len = VIRTCHNL_CLOUD_FILTER_LEN;
        break;
    case VIRTCHNL_OP_ADD_RSS_CFG:
    case VIRTCHNL_OP_DEL_RSS_CFG:
        valid_len = VIRTCHNL_RSS_CFG_LEN;
        break;
    case VIRTCHNL_OP_ADD_FDIR_FILTER:
        valid_len = VIRTCHNL_FDIR_ADD_LEN;
        break;
    case VIRTCHNL_OP_DEL_FDIR_FILTER:
        valid_len = VIRTCHNL_FDIR_DEL_LEN;
        break;
    case VIRTCHNL_OP_ADD_VLAN_V2:
    case VIRTCHNL_OP_DEL_VLAN_V2:
        valid_len = list_len(msg, msglen, 2, 2, 8, VIRTCHNL_VLAN_FILTER_V2_LEN);
        break;
    case VIRTCHNL_OP_ENABLE_VLAN_STRIPPING_V2:
    case VIRTCHNL_OP_DISABLE_VLAN_STRIPPING_V2:
    case VIRTCHNL_OP_ENABLE_VLAN_INSERTION_V2:
    case VIRTCHNL_OP_DISABLE_VLAN_INSERTION_V2:
        valid_len = VIRTCHNL_VLAN_SETTING_LEN;
        break;
    case VIRTCHNL_OP_CONFIG_QUEUE_BW:
        valid_len = list_len(msg, msglen, 2, 2, 4, VIRTCHNL_QUEUE_BW_LEN);
        break;
    case VIRTCHNL_OP_CONFIG_QUANTA:
        valid_len = VIRTCHNL_QUANTA_CFG_LEN;
        if (msglen == valid_len &&
            (!lduw_le_p(msg + 4) || !lduw_le_p(msg + 10))) {
            return VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH;
        }
        break;
    case VIRTCHNL_OP_RDMA:
        /* Opaque to the PF, but never empty. */
        return msglen ? VIRTCHNL_STATUS_SUCCESS
                      : VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH;
    default:
        /* EVENT, UNKNOWN and numbers no VF may send. */
        return VIRTCHNL_STATUS_ERR_PARAM;
    }

    return valid_len == msglen ? VIRTCHNL_STATUS_SUCCESS
                               : VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH;
}

static void move_vsi_at(uint8_t *msg, uint16_t msglen, size_t off,
                        uint16_t from, uint16_t to)
{
    if (off + 2 <= msglen && lduw_le_p(msg + off) == from) {
        stw_le_p(msg + off, to);
    }
}

void virtchnl_move_vsi(uint32_t v_opcode, uint8_t *msg, uint16_t msglen,
                       uint16_t from, uint16_t to)
{
    size_t qp = sizeof(struct virtchnl_queue_pair_info);
    size_t vm = sizeof(struct virtchnl_vector_map);

    switch (v_opcode) {
    case VIRTCHNL_OP_CONFIG_VSI_QUEUES:
        for (uint32_t i = 0; i < msg_count(msg, msglen, 2, 2); i++) {
            size_t off = sizeof(struct virtchnl_vsi_queue_config_info) +
                         i * qp;

            move_vsi_at(msg, msglen, off, from, to);
            move_vsi_at(msg, msglen, off + sizeof(struct virtchnl_txq_info),
                        from, to);
        }
        break;
    case VIRTCHNL_OP_CONFIG_IRQ_MAP:
        for (uint32_t i = 0; i < msg_count(msg, msglen, 0, 2); i++) {
            move_vsi_at(msg, msglen, 2 + i * vm, from, to);
        }
        return;
    case VIRTCHNL_OP_CONFIG_TX_QUEUE:
    case VIRTCHNL_OP_CONFIG_RX_QUEUE:
    case VIRTCHNL_OP_ENABLE_QUEUES:
    case VIRTCHNL_OP_DISABLE_QUEUES:
    case VIRTCHNL_OP_ADD_ETH_ADDR:
    case VIRTCHNL_OP_DEL_ETH_ADDR:
    case VIRTCHNL_OP_ADD_VLAN:
    case VIRTCHNL_OP_DEL_VLAN:
    case VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE:
    case VIRTCHNL_OP_GET_STATS:
    case VIRTCHNL_OP_CONFIG_RSS_KEY:
    case VIRTCHNL_OP_CONFIG_RSS_LUT:
        break;
    default:
        return;
    }
    move_vsi_at(msg, msglen, 0, from, to);
}

const char *virtchnl_op_name(uint32_t v_opcode)
{
    static const char *const names[] = {
        [VIRTCHNL_OP_VERSION] = "VERSION",
        [VIRTCHNL_OP_RESET_VF] = "RESET_VF",
        [VIRTCHNL_OP_GET_VF_RESOURCES] = "GET_VF_RESOURCES",
        [VIRTCHNL_OP_CONFIG_TX_QUEUE] = "CONFIG_TX_QUEUE",
        [VIRTCHNL_OP_CONFIG_RX_QUEUE] = "CONFIG_RX_QUEUE",
        [VIRTCHNL_OP_CONFIG_VSI_QUEUES] = "CONFIG_VSI_QUEUES",
        [VIRTCHNL_OP_CONFIG_IRQ_MAP] = "CONFIG_IRQ_MAP",
        [VIRTCHNL_OP_ENABLE_QUEUES] = "ENABLE_QUEUES",
        [VIRTCHNL_OP_DISABLE_QUEUES] = "DISABLE_QUEUES",
        [VIRTCHNL_OP_ADD_ETH_ADDR] = "ADD_ETH_ADDR",
        [VIRTCHNL_OP_DEL_ETH_ADDR] = "DEL_ETH_ADDR",
        [VIRTCHNL_OP_ADD_VLAN] = "ADD_VLAN",
        [VIRTCHNL_OP_DEL_VLAN] = "DEL_VLAN",
        [VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE] = "CONFIG_PROMISCUOUS_MODE",
        [VIRTCHNL_OP_GET_STATS] = "GET_STATS",
        [VIRTCHNL_OP_EVENT] = "EVENT",
        [VIRTCHNL_OP_CONFIG_RSS_HFUNC] = "CONFIG_RSS_HFUNC",
        [VIRTCHNL_OP_CONFIG_RSS_KEY] = "CONFIG_RSS_KEY",
        [VIRTCHNL_OP_CONFIG_RSS_LUT] = "CONFIG_RSS_LUT",
        [VIRTCHNL_OP_GET_RSS_HENA_CAPS] = "GET_RSS_HENA_CAPS",
        [VIRTCHNL_OP_SET_RSS_HENA] = "SET_RSS_HENA",
        [VIRTCHNL_OP_ENABLE_VLAN_STRIPPING] = "ENABLE_VLAN_STRIPPING",
        [VIRTCHNL_OP_DISABLE_VLAN_STRIPPING] = "DISABLE_VLAN_STRIPPING",
        [VIRTCHNL_OP_REQUEST_QUEUES] = "REQUEST_QUEUES",
        [VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS] = "GET_OFFLOAD_VLAN_V2_CAPS",
    };

    if (v_opcode < ARRAY_SIZE(names) && names[v_opcode]) {
        return names[v_opcode];
    }
    return "unknown";
}
