/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-i40evf: an Intel X710 VF passed through with its mailbox trapped.
 *
 * The trap is the core that vfio-i40evf (kernel VFIO) and
 * vfio-user-i40evf (vfio-user) share.  It overlays BAR0's admin-queue
 * registers and vector 0's cause registers, presents the guest a virtual
 * mailbox (i40e-vf-aq.h), drives the VF's real mailbox from rings of its
 * own, and keeps the shadow of what the PF accepted (i40evf-shadow.h).
 * Queue doorbells, queue interrupts and the rings stay the device's.
 */

#ifndef HW_VFIO_I40EVF_H
#define HW_VFIO_I40EVF_H

#include "hw/vfio/pci.h"
#include "system/runstate.h"
#include "hw/net/i40e-vf-aq.h"
#include "hw/vfio/i40evf-shadow.h"

#define TYPE_VFIO_I40EVF        "vfio-i40evf"
#define TYPE_VFIO_USER_I40EVF   "vfio-user-i40evf"

#define I40EVF_PCI_DEVICE_ID    0x154c  /* X710 and XL710 VF */

/* The hardware-facing mailbox: QEMU's rings, 4 KiB buffers */
#define I40EVF_MBX_RING_LEN     16
#define I40EVF_MBX_BUF_SIZE     4096
/* Guest requests that wait for the hardware before the ATQ stalls */
#define I40EVF_MBX_BACKLOG      32
#define I40EVF_MBX_TIMEOUT_MS   1000
/* A VF that reads all ones for this long is gone, not being reset */
#define I40EVF_DEAD_MS          1000

/* Where a trapped access landed, for the QMP counters */
typedef enum I40EVFTrapBlock {
    I40EVF_BLOCK_MAILBOX,   /* admin-queue registers and VFGEN_RSTAT */
    I40EVF_BLOCK_VECTOR0,   /* ICR01, ICR0_ENA1, DYN_CTL01 */
    I40EVF_BLOCK_PASSTHROUGH, /* anything else in those pages: forwarded */
    I40EVF_BLOCK_RXTAIL,    /* RX tails, trapped while migrating or relaying */
    I40EVF_BLOCK_TXTAIL,    /* TX tails, trapped while relaying */
    I40EVF_BLOCK__MAX,
} I40EVFTrapBlock;

/* The hardware mailbox's state */
typedef enum I40EVFMbxState {
    I40EVF_MBX_DOWN,        /* VF in reset, or rings not yet programmed */
    I40EVF_MBX_UP,          /* rings programmed, requests flow */
    I40EVF_MBX_DEAD,        /* the device is gone: nothing answers */
} I40EVFMbxState;

typedef struct I40EVFRequest {
    QSIMPLEQ_ENTRY(I40EVFRequest) next;
    uint32_t v_opcode;
    uint16_t len;
    uint8_t *buf;

    /*
     * QEMU's own request (migration): the guest never sees it or its
     * reply, and the shadow does not follow it.  With a waiter the
     * caller owns the request and finds the answer here.
     */
    bool internal;
    bool waiter;
    bool done;
    bool unanswered;            /* timed out, or the VF was reset or gone */
    int32_t v_retval;
    uint8_t *reply;             /* I40EVF_MBX_BUF_SIZE bytes */
    uint16_t reply_len;
} I40EVFRequest;

/* The counters of struct virtchnl_eth_stats */
#define I40EVF_STATS_WORDS      (sizeof(struct virtchnl_eth_stats) / 8)

/* i40e's largest ring */
#define I40EVF_MAX_RING_LEN     8160

/* An RX queue's buffers while migrating (i40evf-dirty.c) */
typedef struct I40EVFRxTrack {
    uint32_t tail;              /* the last tail the guest wrote */
    uint64_t *posted;           /* the buffer of each slot, 0 if none */
    uint32_t *gen;              /* how often each slot was posted */
    GArray *to_mark;            /* outstanding at the last sync, and since */
} I40EVFRxTrack;

/* How the destination resumes the guest's queues (property "resume") */
typedef enum I40EVFResume {
    I40EVF_RESUME_RELAY,    /* carry the rings over: no guest reset */
    I40EVF_RESUME_RESET,    /* announce a VF reset: iavf rebuilds them */
} I40EVFResume;

/*
 * One direction of one queue on the destination, until the guest's ring
 * and the hardware's agree on a head of 0 (i40evf-relay.c).  Positions
 * are linear: guest slot p % len, relay slot (p - base) % len.
 */
typedef struct I40EVFRelay {
    bool active;
    uint32_t len;               /* the guest's ring length */
    uint64_t guest_ring;        /* its guest-physical address */
    uint8_t *ring;              /* the relay ring, in QEMU's memory */
    uint64_t iova;              /* ...as the VF sees it */
    uint64_t base;              /* the guest position of relay slot 0 */
    uint64_t tail;              /* the guest's tail */
    uint64_t posted;            /* handed to the VF */
    uint64_t done;              /* written back to the guest */
    uint64_t limit;             /* TX: not handed over beyond (a wrap) */
    uint8_t *tx_flags;          /* TX: what each slot holds (TXF_*) */
    uint64_t rate_pos;          /* how fast it moves: done at rate_ms */
    int64_t rate_ms;
    uint64_t per_s;             /* descriptors a second, lately */
} I40EVFRelay;

/* Messages counted by opcode; the last slot counts unknown opcodes */
#define I40EVF_OPS              128

typedef struct I40EVFOpStats {
    uint64_t requests;          /* from the guest */
    uint64_t refused;           /* invalid: answered without the PF */
    uint64_t ok;                /* the PF's replies, by status */
    uint64_t failed;
    uint64_t unanswered;        /* timed out, or the VF was gone */
} I40EVFOpStats;

/* What the guest negotiated, for a destination's PF to grant */
typedef struct I40EVFNegotiated {
    uint32_t major;
    uint32_t minor;
    uint32_t requested_caps;
    uint32_t granted_caps;
    bool active;
    uint16_t num_queue_pairs;
    uint16_t max_vectors;
    uint8_t default_mac[6];
} I40EVFNegotiated;

typedef struct I40EVFTrap {
    VFIOPCIDevice *vdev;
    uint32_t timeout_ms;        /* property: PF reply timeout */

    /* BAR0 overlays, above the device's own mapping */
    MemoryRegion mbx_mr;
    MemoryRegion vec0_mr;
    uint64_t trapped[I40EVF_BLOCK__MAX];

    /* What the guest sees: the virtual mailbox and vector 0 */
    I40EVFAdminQueue atq;
    I40EVFAdminQueue arq;
    uint32_t icr01;
    uint32_t icr01_unsignalled;
    uint32_t icr0_ena;
    bool vec0_armed;            /* INTENA */
    bool vec0_pending;

    /* The VF's real mailbox, on rings in QEMU's memory */
    I40EVFMbxState state;
    MemoryRegion dma_mr;
    uint8_t *dma;
    hwaddr iova;
    bool dma_mapped;
    uint32_t atq_next;          /* next hardware ATQ slot to fill */
    uint32_t arq_next;          /* next hardware ARQ slot to read */
    QSIMPLEQ_HEAD(, I40EVFRequest) backlog;
    unsigned int backlog_len;
    I40EVFRequest *inflight;    /* sent, its reply not yet seen */
    bool reset_pending;         /* RESET_VF sent, the VF not yet reset */
    int64_t unreadable_since;   /* ms: the VF reads all ones since then */
    int64_t deadline_ms;        /* for either */
    QEMUTimer *poll_timer;

    I40EVFShadow shadow;
    bool shadow_lost;           /* an update failed: it no longer matches */

    /* Migration (i40evf-migration.c) */
    bool quiesced;              /* source: queues stopped for the copy */
    bool resume_reset;          /* destination: announce a VF reset */
    bool early_checked;         /* destination: the PF grants... */
    I40EVFNegotiated early_negotiated;  /* ...what the guest had then */
    bool early_applied;         /* destination: its VF has early_shadow's */
    I40EVFShadow early_shadow;  /* ...filters, RSS and promiscuous mode */
    char *early_id;
    VMChangeStateEntry *vmstate_change;
    Error *quiesce_err;         /* source: the queues could not be stopped */
    Error *blocker;             /* why the VF cannot migrate now, if so */
    int phase;                  /* VfioI40evfMigrationPhase */
    /* What the guest's earlier VFs counted (virtchnl_eth_stats words) */
    uint64_t stats_base[I40EVF_STATS_WORDS];
    uint64_t stats_sent[I40EVF_STATS_WORDS];   /* in the stream */
    bool stats_sent_valid;
    uint64_t device_downtime_us;
    uint16_t guest_vsi;         /* the VSI id the guest's driver uses */
    uint16_t dst_vsi;           /* destination: its VF's, from its PF */
    uint8_t dst_mac[6];         /* ...and its default MAC, or zero */
    uint32_t tx_tail[I40E_VF_MAX_QUEUES];   /* source: at the stop */
    uint32_t rx_tail[I40E_VF_MAX_QUEUES];
    bool tails_valid;           /* destination: the stream had them */

    /* Destination: the rings carried over (i40evf-relay.c) */
    int resume;                 /* property: I40EVFResume */
    bool relaying;
    I40EVFRelay relay_tx[I40E_VF_MAX_QUEUES];
    I40EVFRelay relay_rx[I40E_VF_MAX_QUEUES];
    MemoryRegion relay_mr;
    hwaddr relay_iova;
    uint64_t relay_size;
    MemoryRegion txtail_mr;
    QEMUTimer *relay_hold;      /* a TX queue waits for its RX half */
    QEMUTimer *relay_poll;      /* for guests that poll their rings */
    uint16_t relay_pending;     /* pairs whose handover is due */
    QEMUBH *relay_bh;
    uint64_t relay_handovers;

    /* Dirty tracking of the VF's RX writes while migrating */
    bool tracking;
    MemoryRegion rxtail_mr;
    I40EVFRxTrack rx_track[I40E_VF_MAX_QUEUES];
    NotifierWithReturn precopy_notifier;

    /* Counters for QMP */
    I40EVFOpStats ops[I40EVF_OPS];
    uint64_t events;            /* PF events relayed to the guest */
    uint64_t hw_resets;         /* VF resets seen on the hardware */
    uint64_t hw_irqs;           /* hardware vector-0 interrupts */
} I40EVFTrap;

/*
 * i40evf_trap_realize: after the parent realized @vdev, check it is an
 * X710-family VF, map the mailbox memory and install the overlays.  A
 * @migratable device carries the VF's state in migration itself.
 */
bool i40evf_trap_realize(I40EVFTrap *t, VFIOPCIDevice *vdev, bool migratable,
                         Error **errp);
void i40evf_trap_exit(I40EVFTrap *t);
/* The device was reset by QEMU (system reset, or the guest's FLR). */
void i40evf_trap_reset(I40EVFTrap *t);

/* i40evf-mbx.c: the hardware side */
bool i40evf_mbx_init(I40EVFTrap *t, Error **errp);
void i40evf_mbx_exit(I40EVFTrap *t);
void i40evf_mbx_submit(I40EVFTrap *t, I40EVFRequest *req);
bool i40evf_mbx_call(I40EVFTrap *t, uint32_t v_opcode, const void *msg,
                     uint16_t len, void *reply, uint16_t *reply_len,
                     int32_t *status, Error **errp);
void i40evf_mbx_post(I40EVFTrap *t, uint32_t v_opcode, const void *msg,
                     uint16_t len);
bool i40evf_mbx_wait_idle(I40EVFTrap *t, Error **errp);
void i40evf_stats_offset(I40EVFTrap *t, const uint8_t *msg, uint16_t len);
bool i40evf_mbx_poll(I40EVFTrap *t);
bool i40evf_mbx_check(I40EVFTrap *t);
void i40evf_mbx_vector0(VFIOPCIDevice *vdev, unsigned int nr);
void i40evf_mbx_down(I40EVFTrap *t);
uint32_t i40evf_hw_read(I40EVFTrap *t, hwaddr addr);
void i40evf_hw_write(I40EVFTrap *t, hwaddr addr, uint32_t val);

/* i40evf-trap.c: what the hardware side hands to the guest */
void i40evf_trap_deliver(I40EVFTrap *t, uint32_t v_opcode, int32_t v_retval,
                         const uint8_t *msg, uint16_t len);
void i40evf_trap_latch_vec0(I40EVFTrap *t, uint32_t cause);
void i40evf_trap_hw_reset(I40EVFTrap *t);
void i40evf_trap_pop_atq(I40EVFTrap *t);

/* i40evf-migration.c */
extern const VMStateDescription vmstate_i40evf_trap;
void i40evf_migration_init(I40EVFTrap *t, bool migratable);
void i40evf_migration_exit(I40EVFTrap *t);
void i40evf_migration_update_blocker(I40EVFTrap *t);

/* i40evf-dirty.c */
void i40evf_dirty_init(I40EVFTrap *t);
void i40evf_dirty_exit(I40EVFTrap *t);
void i40evf_dirty_start(I40EVFTrap *t);
void i40evf_dirty_stop(I40EVFTrap *t);

/* i40evf-relay.c */
bool i40evf_replay(I40EVFTrap *t, GArray *plan, Error **errp);
extern const PropertyInfo i40evf_prop_resume;
void i40evf_relay_init(I40EVFTrap *t);
void i40evf_relay_exit(I40EVFTrap *t);
bool i40evf_relay_possible(I40EVFTrap *t, Error **errp);
bool i40evf_relay_setup(I40EVFTrap *t, Error **errp);
void i40evf_relay_start(I40EVFTrap *t);
void i40evf_relay_end(I40EVFTrap *t, const char *why);
bool i40evf_relay_tail(I40EVFTrap *t, bool tx, unsigned int q, uint32_t val);
bool i40evf_relay_tail_read(I40EVFTrap *t, bool tx, unsigned int q,
                            uint32_t *val);
void i40evf_relay_vector(I40EVFTrap *t, unsigned int nr);

/* The trap of a device, or NULL if it is not one of ours. */
I40EVFTrap *i40evf_trap_of(Object *obj);

#endif /* HW_VFIO_I40EVF_H */
