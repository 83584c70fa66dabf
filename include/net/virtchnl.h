/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtchnl: the message protocol between an Intel Ethernet 700-series
 * virtual function and its physical function, carried in admin-queue
 * buffers.  Shared by the emulated VF (hw/net/i40e), the passthrough
 * mailbox trap (hw/vfio) and the tests.
 *
 * All fields are little-endian on the wire; the structures are laid out by
 * natural alignment and their sizes are checked below.
 */

#ifndef NET_VIRTCHNL_H
#define NET_VIRTCHNL_H

#define VIRTCHNL_VERSION_MAJOR          1
#define VIRTCHNL_VERSION_MINOR          1
#define VIRTCHNL_VERSION_MINOR_NO_VF_CAPS 0

/* Largest payload of one message in either direction. */
#define VIRTCHNL_MAX_MSG_LEN            4096

enum virtchnl_ops {
    VIRTCHNL_OP_UNKNOWN = 0,
    VIRTCHNL_OP_VERSION = 1,
    VIRTCHNL_OP_RESET_VF = 2,
    VIRTCHNL_OP_GET_VF_RESOURCES = 3,
    VIRTCHNL_OP_CONFIG_TX_QUEUE = 4,
    VIRTCHNL_OP_CONFIG_RX_QUEUE = 5,
    VIRTCHNL_OP_CONFIG_VSI_QUEUES = 6,
    VIRTCHNL_OP_CONFIG_IRQ_MAP = 7,
    VIRTCHNL_OP_ENABLE_QUEUES = 8,
    VIRTCHNL_OP_DISABLE_QUEUES = 9,
    VIRTCHNL_OP_ADD_ETH_ADDR = 10,
    VIRTCHNL_OP_DEL_ETH_ADDR = 11,
    VIRTCHNL_OP_ADD_VLAN = 12,
    VIRTCHNL_OP_DEL_VLAN = 13,
    VIRTCHNL_OP_CONFIG_PROMISCUOUS_MODE = 14,
    VIRTCHNL_OP_GET_STATS = 15,
    VIRTCHNL_OP_EVENT = 17,
    VIRTCHNL_OP_CONFIG_RSS_HFUNC = 18,
    VIRTCHNL_OP_RDMA = 20,
    VIRTCHNL_OP_CONFIG_RDMA_IRQ_MAP = 21,
    VIRTCHNL_OP_RELEASE_RDMA_IRQ_MAP = 22,
    VIRTCHNL_OP_CONFIG_RSS_KEY = 23,
    VIRTCHNL_OP_CONFIG_RSS_LUT = 24,
    VIRTCHNL_OP_GET_RSS_HENA_CAPS = 25,
    VIRTCHNL_OP_SET_RSS_HENA = 26,
    VIRTCHNL_OP_ENABLE_VLAN_STRIPPING = 27,
    VIRTCHNL_OP_DISABLE_VLAN_STRIPPING = 28,
    VIRTCHNL_OP_REQUEST_QUEUES = 29,
    VIRTCHNL_OP_ENABLE_CHANNELS = 30,
    VIRTCHNL_OP_DISABLE_CHANNELS = 31,
    VIRTCHNL_OP_ADD_CLOUD_FILTER = 32,
    VIRTCHNL_OP_DEL_CLOUD_FILTER = 33,
    VIRTCHNL_OP_GET_SUPPORTED_RXDIDS = 44,
    VIRTCHNL_OP_ADD_RSS_CFG = 45,
    VIRTCHNL_OP_DEL_RSS_CFG = 46,
    VIRTCHNL_OP_ADD_FDIR_FILTER = 47,
    VIRTCHNL_OP_DEL_FDIR_FILTER = 48,
    VIRTCHNL_OP_GET_OFFLOAD_VLAN_V2_CAPS = 51,
    VIRTCHNL_OP_ADD_VLAN_V2 = 52,
    VIRTCHNL_OP_DEL_VLAN_V2 = 53,
    VIRTCHNL_OP_ENABLE_VLAN_STRIPPING_V2 = 54,
    VIRTCHNL_OP_DISABLE_VLAN_STRIPPING_V2 = 55,
    VIRTCHNL_OP_ENABLE_VLAN_INSERTION_V2 = 56,
    VIRTCHNL_OP_DISABLE_VLAN_INSERTION_V2 = 57,
    VIRTCHNL_OP_CONFIG_QUEUE_BW = 112,
    VIRTCHNL_OP_CONFIG_QUANTA = 113,
};

/* Status codes carried in the descriptor's cookie_low (v_retval). */
enum virtchnl_status {
    VIRTCHNL_STATUS_SUCCESS = 0,
    VIRTCHNL_STATUS_ERR_PARAM = -5,
    VIRTCHNL_STATUS_ERR_NO_MEMORY = -18,
    VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH = -38,
    VIRTCHNL_STATUS_ERR_CQP_COMPL_ERROR = -39,
    VIRTCHNL_STATUS_ERR_INVALID_VF_ID = -40,
    VIRTCHNL_STATUS_ERR_ADMIN_QUEUE_ERROR = -53,
    VIRTCHNL_STATUS_ERR_NOT_SUPPORTED = -64,
};

/*
 * The Linux 6.12 i40e PF puts negative errnos on the wire, never the
 * VIRTCHNL_STATUS_* values (i40e_vc_send_msg_to_vf).
 */
#define I40E_VC_EPERM               (-1)
#define I40E_VC_EINVAL              (-22)
#define I40E_VC_EOPNOTSUPP          (-95)

/* Capability bits of virtchnl_vf_resource.vf_cap_flags. */
#define VIRTCHNL_VF_OFFLOAD_L2              (1u << 0)
#define VIRTCHNL_VF_OFFLOAD_RDMA            (1u << 1)
#define VIRTCHNL_VF_OFFLOAD_RSS_AQ          (1u << 3)
#define VIRTCHNL_VF_OFFLOAD_RSS_REG         (1u << 4)
#define VIRTCHNL_VF_OFFLOAD_WB_ON_ITR       (1u << 5)
#define VIRTCHNL_VF_OFFLOAD_REQ_QUEUES      (1u << 6)
#define VIRTCHNL_VF_CAP_ADV_LINK_SPEED      (1u << 7)
#define VIRTCHNL_VF_LARGE_NUM_QPAIRS        (1u << 9)
#define VIRTCHNL_VF_OFFLOAD_CRC             (1u << 10)
#define VIRTCHNL_VF_OFFLOAD_TC_U32          (1u << 11)
#define VIRTCHNL_VF_OFFLOAD_VLAN_V2         (1u << 15)
#define VIRTCHNL_VF_OFFLOAD_VLAN            (1u << 16)
#define VIRTCHNL_VF_OFFLOAD_RX_POLLING      (1u << 17)
#define VIRTCHNL_VF_OFFLOAD_RSS_PCTYPE_V2   (1u << 18)
#define VIRTCHNL_VF_OFFLOAD_RSS_PF          (1u << 19)
#define VIRTCHNL_VF_OFFLOAD_ENCAP           (1u << 20)
#define VIRTCHNL_VF_OFFLOAD_ENCAP_CSUM      (1u << 21)
#define VIRTCHNL_VF_OFFLOAD_RX_ENCAP_CSUM   (1u << 22)
#define VIRTCHNL_VF_OFFLOAD_ADQ             (1u << 23)
#define VIRTCHNL_VF_OFFLOAD_ADQ_V2          (1u << 24)
#define VIRTCHNL_VF_OFFLOAD_USO             (1u << 25)
#define VIRTCHNL_VF_OFFLOAD_RX_FLEX_DESC    (1u << 26)
#define VIRTCHNL_VF_OFFLOAD_ADV_RSS_PF      (1u << 27)
#define VIRTCHNL_VF_OFFLOAD_FDIR_PF         (1u << 28)
#define VIRTCHNL_VF_OFFLOAD_QOS             (1u << 29)
#define VIRTCHNL_VF_CAP_PTP                 (1u << 31)

/* What a 1.0 VF gets without asking. */
#define VIRTCHNL_VF_BASE_CAPS_1_0 \
    (VIRTCHNL_VF_OFFLOAD_L2 | VIRTCHNL_VF_OFFLOAD_RSS_REG | \
     VIRTCHNL_VF_OFFLOAD_VLAN)

#define VIRTCHNL_VSI_SRIOV              6

#define VIRTCHNL_RSS_KEY_SIZE           52
#define VIRTCHNL_RSS_LUT_SIZE           64

enum virtchnl_event_codes {
    VIRTCHNL_EVENT_UNKNOWN = 0,
    VIRTCHNL_EVENT_LINK_CHANGE = 1,
    VIRTCHNL_EVENT_RESET_IMPENDING = 2,
    VIRTCHNL_EVENT_PF_DRIVER_CLOSE = 3,
};

#define VIRTCHNL_PF_EVENT_SEVERITY_INFO          0
#define VIRTCHNL_PF_EVENT_SEVERITY_CERTAIN_DOOM  255

/* Legacy link speed bits (virtchnl_pf_event.link_speed without ADV caps). */
#define VIRTCHNL_LINK_SPEED_100MB       0x02
#define VIRTCHNL_LINK_SPEED_1GB         0x04
#define VIRTCHNL_LINK_SPEED_10GB        0x08
#define VIRTCHNL_LINK_SPEED_40GB        0x10
#define VIRTCHNL_LINK_SPEED_20GB        0x20
#define VIRTCHNL_LINK_SPEED_25GB        0x40

#define FLAG_VF_UNICAST_PROMISC         0x1
#define FLAG_VF_MULTICAST_PROMISC       0x2

#define VIRTCHNL_ETHER_ADDR_LEGACY      0
#define VIRTCHNL_ETHER_ADDR_PRIMARY     1
#define VIRTCHNL_ETHER_ADDR_EXTRA       2
#define VIRTCHNL_ETHER_ADDR_TYPE_MASK   3

struct virtchnl_version_info {
    uint32_t major;
    uint32_t minor;
};

struct virtchnl_vsi_resource {
    uint16_t vsi_id;
    uint16_t num_queue_pairs;
    int32_t vsi_type;
    uint16_t qset_handle;
    uint8_t default_mac_addr[6];
};

struct virtchnl_vf_resource {
    uint16_t num_vsis;
    uint16_t num_queue_pairs;
    uint16_t max_vectors;
    uint16_t max_mtu;
    uint32_t vf_cap_flags;
    uint32_t rss_key_size;
    uint32_t rss_lut_size;
    struct virtchnl_vsi_resource vsi_res[];
};

struct virtchnl_txq_info {
    uint16_t vsi_id;
    uint16_t queue_id;
    uint16_t ring_len;
    uint16_t headwb_enabled;
    uint64_t dma_ring_addr;
    uint64_t dma_headwb_addr;
};

struct virtchnl_rxq_info {
    uint16_t vsi_id;
    uint16_t queue_id;
    uint32_t ring_len;
    uint16_t hdr_size;
    uint16_t splithdr_enabled;
    uint32_t databuffer_size;
    uint32_t max_pkt_size;
    uint8_t crc_disable;
    uint8_t rxdid;
    uint8_t flags;
    uint8_t pad1;
    uint64_t dma_ring_addr;
    uint32_t rx_split_pos;
    uint32_t pad2;
};

struct virtchnl_queue_pair_info {
    struct virtchnl_txq_info txq;
    struct virtchnl_rxq_info rxq;
};

struct virtchnl_vsi_queue_config_info {
    uint16_t vsi_id;
    uint16_t num_queue_pairs;
    uint32_t pad;
    struct virtchnl_queue_pair_info qpair[];
};

struct virtchnl_vector_map {
    uint16_t vsi_id;
    uint16_t vector_id;
    uint16_t rxq_map;
    uint16_t txq_map;
    uint16_t rxitr_idx;
    uint16_t txitr_idx;
};

struct virtchnl_irq_map_info {
    uint16_t num_vectors;
    struct virtchnl_vector_map vecmap[];
};

struct virtchnl_queue_select {
    uint16_t vsi_id;
    uint16_t pad;
    uint32_t rx_queues;
    uint32_t tx_queues;
};

struct virtchnl_ether_addr {
    uint8_t addr[6];
    uint8_t type;
    uint8_t pad;
};

struct virtchnl_ether_addr_list {
    uint16_t vsi_id;
    uint16_t num_elements;
    struct virtchnl_ether_addr list[];
};

struct virtchnl_vlan_filter_list {
    uint16_t vsi_id;
    uint16_t num_elements;
    uint16_t vlan_id[];
};

struct virtchnl_promisc_info {
    uint16_t vsi_id;
    uint16_t flags;
};

struct virtchnl_eth_stats {
    uint64_t rx_bytes;
    uint64_t rx_unicast;
    uint64_t rx_multicast;
    uint64_t rx_broadcast;
    uint64_t rx_discards;
    uint64_t rx_unknown_protocol;
    uint64_t tx_bytes;
    uint64_t tx_unicast;
    uint64_t tx_multicast;
    uint64_t tx_broadcast;
    uint64_t tx_discards;
    uint64_t tx_errors;
};

struct virtchnl_rss_key {
    uint16_t vsi_id;
    uint16_t key_len;
    uint8_t key[];
};

struct virtchnl_rss_lut {
    uint16_t vsi_id;
    uint16_t lut_entries;
    uint8_t lut[];
};

struct virtchnl_rss_hena {
    uint64_t hena;
};

struct virtchnl_rss_hfunc {
    uint16_t vsi_id;
    uint16_t rss_algorithm;
    uint32_t reserved;
};

struct virtchnl_vf_res_request {
    uint16_t num_queue_pairs;
};

struct virtchnl_channel_info {
    uint16_t count;
    uint16_t offset;
    uint32_t pad;
    uint64_t max_tx_rate;
};

struct virtchnl_tc_info {
    uint32_t num_tc;
    uint32_t pad;
    struct virtchnl_channel_info list[];
};

struct virtchnl_pf_event {
    int32_t event;
    uint32_t link_speed;    /* legacy bit mask, or Mbps with ADV_LINK_SPEED */
    uint8_t link_status;
    uint8_t pad[3];
    int32_t severity;
};

QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_version_info) != 8);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_vsi_resource) != 16);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_vf_resource) != 20);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_txq_info) != 24);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_rxq_info) != 40);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_queue_pair_info) != 64);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_vsi_queue_config_info) != 8);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_vector_map) != 12);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_irq_map_info) != 2);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_queue_select) != 12);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_ether_addr) != 8);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_ether_addr_list) != 4);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_vlan_filter_list) != 4);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_promisc_info) != 4);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_eth_stats) != 96);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_rss_key) != 4);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_rss_lut) != 4);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_rss_hena) != 8);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_rss_hfunc) != 8);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_vf_res_request) != 2);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_channel_info) != 16);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_tc_info) != 8);
QEMU_BUILD_BUG_ON(sizeof(struct virtchnl_pf_event) != 16);

/* Fixed sizes of messages the length check knows but does not parse. */
#define VIRTCHNL_CLOUD_FILTER_LEN       272
#define VIRTCHNL_RSS_CFG_LEN            2444
#define VIRTCHNL_FDIR_ADD_LEN           2616
#define VIRTCHNL_FDIR_DEL_LEN           12
#define VIRTCHNL_VLAN_FILTER_V2_LEN     32
#define VIRTCHNL_VLAN_SETTING_LEN       16
#define VIRTCHNL_QUEUE_BW_LEN           12
#define VIRTCHNL_QUANTA_CFG_LEN         12

/*
 * virtchnl_vc_validate_vf_msg:
 * @ver: the version the VF negotiated (minor 0 or 1)
 * @v_opcode: the request's opcode
 * @msg: the request's payload, @msglen bytes
 *
 * Check a VF request the way the i40e PF does before acting on it: the
 * length must be exactly what the opcode's structure and element count
 * imply (with the legacy one-element padding the wire format keeps).
 *
 * Returns VIRTCHNL_STATUS_SUCCESS, VIRTCHNL_STATUS_ERR_OPCODE_MISMATCH for
 * a wrong length or a zero element count, or VIRTCHNL_STATUS_ERR_PARAM for
 * an opcode a VF may not send.
 */
int virtchnl_vc_validate_vf_msg(const struct virtchnl_version_info *ver,
                                uint32_t v_opcode, const uint8_t *msg,
                                uint16_t msglen);

/* A name for tracing and logs; "unknown" for numbers we do not know. */
const char *virtchnl_op_name(uint32_t v_opcode);

/*
 * virtchnl_move_vsi: in a request virtchnl_vc_validate_vf_msg() accepted,
 * every VSI id field that says @from now says @to (a VF whose driver
 * keeps the VSI id of the function it had before migrating).
 */
void virtchnl_move_vsi(uint32_t v_opcode, uint8_t *msg, uint16_t msglen,
                       uint16_t from, uint16_t to);

#endif /* NET_VIRTCHNL_H */
