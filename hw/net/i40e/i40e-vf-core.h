/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 700-series virtual function: the device core.
 *
 * The core holds the register file, the admin queue, the PF agent that
 * answers virtchnl, and the RX/TX rings.  It knows nothing about QOM; the
 * PCI glue in i40e-vf.c owns it.
 */

#ifndef HW_NET_I40E_VF_CORE_H
#define HW_NET_I40E_VF_CORE_H

#include "hw/pci/pci_device.h"
#include "net/net.h"
#include "net/eth.h"
#include "net/virtchnl.h"
#include "hw/net/i40e-vf-regs.h"
#include "hw/net/i40e-vf-aq.h"
#include "i40e-vf-fault.h"

/*
 * Filter limits: an untrusted VF's MAC filter entries (broadcast and
 * MAC x VLAN included) and VLANs as i40e counts them; a trusted VF's MAC
 * table (i40e: 1536 entries for one VF on a 2-port X710).
 */
#define I40E_VF_MAX_MACS_UNTRUSTED  18
#define I40E_VF_MAX_MACS            64
#define I40E_VF_MAX_VLANS_UNTRUSTED 16
#define I40E_VF_VLAN_WORDS          (4096 / 32)

#define I40E_VF_ITR_UNIT_NS         2000

/*
 * How long the i40e PF takes from a VF reset to VFACTIVE: its sleeps alone
 * are 20-40 ms (i40e_reset_vf); the reset-delay property may shorten it.
 */
#define I40E_VF_RESET_MS            30

#define I40E_VF_LINK_SPEED_MBPS     10000

/* Buffers of one TSO packet the TX path gathers before giving up */
#define I40E_VF_MAX_TX_FRAGS        64

typedef struct I40EVFRing {
    uint64_t base;
    uint32_t len;       /* descriptors; 0 while unconfigured */
    uint32_t head;
    uint32_t tail;      /* latched even while the queue is disabled */
    bool enabled;
    uint32_t buf_size;  /* RX: bytes per data buffer */
    uint32_t max_pkt;   /* RX: largest frame accepted */
    bool headwb;        /* TX: head write-back */
    uint64_t headwb_addr;
    uint8_t vector;     /* MSI-X entry raised by this queue, or NO_VECTOR */
    uint8_t itr_idx;
} I40EVFRing;

#define I40E_VF_NO_VECTOR           0xff

typedef struct I40EVFVector {
    bool intena;        /* armed; cleared when the vector fires */
    bool pending;       /* a cause waits for INTENA or its ITR interval */
    uint16_t itr[I40E_VF_ITR_INDICES];  /* 2 us units */
    int64_t last_fire;  /* QEMU_CLOCK_VIRTUAL; not migrated */
    int64_t due;        /* when the pending cause's interval has passed */
} I40EVFVector;

typedef struct I40EVFMacFilter {
    uint8_t addr[ETH_ALEN];
    uint8_t type;
    bool in_use;
} I40EVFMacFilter;

typedef struct I40EVFCore {
    PCIDevice *owner;
    NICState *nic;
    QEMUTimer *reset_timer;
    QEMUTimer *itr_timer;
    QEMUBH *tx_bh;
    VMChangeStateEntry *vmstate;

    /* Configuration (properties) */
    MACAddr default_mac;
    uint16_t vsi_id;
    uint16_t num_vectors;       /* MSI-X table size = max_vectors */
    uint16_t default_queues;
    bool trusted;
    bool admin_mac;     /* mac= given: like 'ip link set PF vf N mac M' */
    bool has_vnet;      /* the backend takes virtio-net headers (offloads) */
    bool spoofchk;      /* like 'ip link set PF vf N spoofchk on' */
    uint32_t reset_ms;  /* VF reset to VFACTIVE */

    /* Registers */
    I40EVFAdminQueue atq;
    I40EVFAdminQueue arq;
    uint32_t rstat;
    uint32_t icr01;
    uint32_t icr01_unsignalled; /* latched causes that raised no interrupt */
    uint32_t icr0_ena;
    I40EVFVector vec[I40E_VF_MAX_VECTORS];
    uint32_t rss_hena_reg[I40E_VFQF_HENA_REGS];
    uint32_t rss_hkey_reg[I40E_VFQF_HKEY_REGS];
    uint32_t rss_hlut_reg[I40E_VFQF_HLUT_REGS];

    /* PF agent: what it negotiated with the VF driver */
    struct virtchnl_version_info ver;
    uint32_t caps;              /* granted */
    uint32_t driver_caps;       /* requested; survives VF resets */
    bool resources_sent;        /* GET_VF_RESOURCES answered since reset */
    bool automask_vf0_off;      /* RX_POLLING: survives VF resets */
    uint16_t num_queue_pairs;   /* granted; REQUEST_QUEUES changes it */

    /* VSI state */
    I40EVFRing rx[I40E_VF_MAX_QUEUES];
    I40EVFRing tx[I40E_VF_MAX_QUEUES];
    I40EVFMacFilter macs[I40E_VF_MAX_MACS];
    uint32_t vlans[I40E_VF_VLAN_WORDS];
    uint16_t num_vlan;          /* the PF's count: adds less deletes */
    uint32_t promisc;
    bool vlan_strip;
    uint8_t rss_key[VIRTCHNL_RSS_KEY_SIZE];
    uint8_t rss_lut[VIRTCHNL_RSS_LUT_SIZE];
    uint64_t rss_hena;
    struct virtchnl_eth_stats stats;
    bool mdd_disabled;  /* a malicious-driver event stopped the VF */

    /* Test-only PF faults (x-pf-fault), not migrated */
    I40EVFFault fault;

    /* Data path scratch, not migrated */
    struct NetTxPkt *tx_pkt;
    struct NetRxPkt *rx_pkt;
    bool tx_ctx_valid;
    uint64_t tx_ctx_qw1;
    uint32_t tx_pending;        /* queues whose tail moved: for tx_bh */
} I40EVFCore;

/* i40e-vf-core.c: registers, interrupts, resets */
void i40e_vf_core_realize(I40EVFCore *core, PCIDevice *owner, NICState *nic);
void i40e_vf_core_unrealize(I40EVFCore *core);
void i40e_vf_core_reset(I40EVFCore *core);
void i40e_vf_core_flr(I40EVFCore *core);
uint64_t i40e_vf_core_read(I40EVFCore *core, hwaddr addr);
void i40e_vf_core_write(I40EVFCore *core, hwaddr addr, uint64_t val);
int i40e_vf_core_post_load(I40EVFCore *core);
void i40e_vf_raise_queue_irq(I40EVFCore *core, const I40EVFRing *ring);
void i40e_vf_raise_adminq_irq(I40EVFCore *core);
bool i40e_vf_link_up(I40EVFCore *core);

/* The admin queue, on the ring code of i40e-vf-aq.c */
void i40e_vf_aq_process_atq(I40EVFCore *core);
void i40e_vf_aq_send(I40EVFCore *core, uint32_t v_opcode, int32_t v_retval,
                     const void *msg, uint16_t msglen);

/* i40e-vf-pf.c: the PF agent */
void i40e_vf_pf_handle_msg(I40EVFCore *core, uint32_t v_opcode,
                           const uint8_t *msg, uint16_t msglen);
void i40e_vf_pf_reset(I40EVFCore *core);
void i40e_vf_pf_announce_reset(I40EVFCore *core);
void i40e_vf_pf_link_change(I40EVFCore *core);

/* i40e-vf-filter.c: MAC and VLAN filters */
void i40e_vf_filter_reset(I40EVFCore *core);
void i40e_vf_filter_add_mac(I40EVFCore *core, const uint8_t *addr,
                            uint8_t type);
bool i40e_vf_filter_del_mac(I40EVFCore *core, const uint8_t *addr);
const uint8_t *i40e_vf_filter_any_unicast(I40EVFCore *core);
bool i40e_vf_filter_has_mac(I40EVFCore *core, const uint8_t *addr);
unsigned int i40e_vf_filter_mac_room(I40EVFCore *core);
void i40e_vf_filter_add_vlan(I40EVFCore *core, uint16_t vid);
void i40e_vf_filter_del_vlan(I40EVFCore *core, uint16_t vid);
bool i40e_vf_filter_has_vlan(I40EVFCore *core, uint16_t vid);
bool i40e_vf_filter_any_vlan(I40EVFCore *core);
bool i40e_vf_filter_accept(I40EVFCore *core, const uint8_t *frame,
                           size_t len);

/* i40e-vf-rss.c: receive-side scaling */
void i40e_vf_rss_reset(I40EVFCore *core);
int i40e_vf_rss_queue(I40EVFCore *core, struct NetRxPkt *pkt,
                      uint32_t *hash);

/* i40e-vf-txrx.c: the data path */
void i40e_vf_tx_schedule(I40EVFCore *core, unsigned int q);
void i40e_vf_tx_bh(void *opaque);
void i40e_vf_rx_tail_written(I40EVFCore *core, unsigned int q);
ssize_t i40e_vf_receive(I40EVFCore *core, const uint8_t *buf, size_t size);
void i40e_vf_queues_stop(I40EVFCore *core);

#endif /* HW_NET_I40E_VF_CORE_H */
