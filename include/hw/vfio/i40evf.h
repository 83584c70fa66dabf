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
#include "hw/vfio/i40evf-mbx.h"
#include "hw/vfio/i40evf-shadow.h"
#include "qemu/notify.h"

#define TYPE_VFIO_I40EVF        "vfio-i40evf"
#define TYPE_VFIO_USER_I40EVF   "vfio-user-i40evf"

#define I40EVF_PCI_DEVICE_ID    0x154c  /* X710 and XL710 VF */

/* Guest requests that wait for the hardware before the ATQ stalls */
#define I40EVF_MBX_BACKLOG      32

/* Where a trapped access landed, for the QMP counters */
typedef enum I40EVFTrapBlock {
    I40EVF_BLOCK_MAILBOX,   /* admin-queue registers and VFGEN_RSTAT */
    I40EVF_BLOCK_VECTOR0,   /* ICR01, ICR0_ENA1, DYN_CTL01 */
    I40EVF_BLOCK_PASSTHROUGH, /* anything else in those pages: forwarded */
    I40EVF_BLOCK_RXTAIL,    /* RX tails, trapped while migrating or relaying */
    I40EVF_BLOCK_TXTAIL,    /* TX tails, trapped while relaying */
    I40EVF_BLOCK__MAX,
} I40EVFTrapBlock;

/* The counters of struct virtchnl_eth_stats */
#define I40EVF_STATS_WORDS      (sizeof(struct virtchnl_eth_stats) / 8)

/* Messages counted by opcode; the last slot counts unknown opcodes */
#define I40EVF_OPS              128

typedef struct I40EVFOpStats {
    uint64_t requests;          /* from the guest */
    uint64_t refused;           /* invalid: answered without the PF */
    uint64_t ok;                /* the PF's replies, by status */
    uint64_t failed;
    uint64_t unanswered;        /* timed out, or the VF was gone */
} I40EVFOpStats;

/* What happened to the VF, for the layers above the trap (NotifierList) */
typedef enum I40EVFTrapEvent {
    I40EVF_EVENT_VF_RESET,      /* the VF was reset: its queues are gone */
    I40EVF_EVENT_QUEUES,        /* the guest reconfigures its queues */
    I40EVF_EVENT_MIGRATABLE,    /* whether the VF can migrate changed */
} I40EVFTrapEvent;

typedef struct I40EVFTrapNotice {
    I40EVFTrapEvent event;
    const char *why;
} I40EVFTrapNotice;

/*
 * Who watches the queue tail doorbells: the relay, then dirty tracking.
 * A hook's write returns true if it took the write (the VF does not see
 * it); its read (optional), if it answers in the VF's place.
 */
typedef struct I40EVFTailHook {
    bool (*write)(void *opaque, bool tx, unsigned int q, uint32_t val);
    bool (*read)(void *opaque, bool tx, unsigned int q, uint32_t *val);
    void *opaque;
    bool rx;                    /* watching the RX tails now */
    bool tx;                    /* ...and the TX tails */
} I40EVFTailHook;

#define I40EVF_TAIL_HOOKS       2

/* What the guest sees of its mailbox and vector 0 (i40evf-trap.c) */
typedef struct I40EVFGuest {
    MemoryRegion mbx_mr;
    MemoryRegion vec0_mr;
    MemoryRegion txtail_mr;
    MemoryRegion rxtail_mr;
    I40EVFTailHook *tail_hooks[I40EVF_TAIL_HOOKS];
    uint64_t trapped[I40EVF_BLOCK__MAX];

    I40EVFAdminQueue atq;
    I40EVFAdminQueue arq;
    uint32_t icr01;
    uint32_t icr01_unsignalled;
    uint32_t icr0_ena;
    bool vec0_armed;            /* INTENA */
    bool vec0_pending;
} I40EVFGuest;

/* An RX queue's buffers while migrating (i40evf-dirty.c) */
typedef struct I40EVFRxTrack {
    uint32_t tail;              /* the last tail the guest wrote */
    uint64_t *posted;           /* the buffer of each slot, 0 if none */
    uint32_t *gen;              /* how often each slot was posted */
    GArray *to_mark;            /* outstanding at the last sync, and since */
} I40EVFRxTrack;

typedef struct I40EVFDirty {
    bool tracking;
    I40EVFTailHook hook;
    I40EVFRxTrack rx_track[I40E_VF_MAX_QUEUES];
    NotifierWithReturn precopy_notifier;
} I40EVFDirty;

/*
 * One direction of one queue on the destination, until the guest's ring
 * and the hardware's agree on a head of 0 (i40evf-relay.c).  Positions
 * are linear: guest slot p % len, relay slot (p - base) % len.
 */
typedef struct I40EVFRelayRing {
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
} I40EVFRelayRing;

/* Where the guest's rings stood on the source, for the relay */
typedef struct I40EVFRingPos {
    uint32_t tx_tail[I40E_VF_MAX_QUEUES];
    uint32_t rx_tail[I40E_VF_MAX_QUEUES];
} I40EVFRingPos;

typedef struct I40EVFRelay {
    bool relaying;
    I40EVFRelayRing tx[I40E_VF_MAX_QUEUES];
    I40EVFRelayRing rx[I40E_VF_MAX_QUEUES];
    I40EVFTailHook hook;
    Notifier trap_notifier;
    MemoryRegion mr;
    hwaddr iova;
    uint64_t size;
    QEMUTimer *hold;            /* a TX queue waits for its RX half */
    QEMUTimer *poll;            /* for guests that poll their rings */
    uint16_t pending;           /* pairs whose handover is due */
    QEMUBH *bh;
    uint64_t handovers;
} I40EVFRelay;

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

/* Migration (i40evf-migration.c) */
typedef struct I40EVFMigration {
    VfioI40evfMigrationPhase phase;
    VfioI40evfResume resume;    /* property */
    I40EVFNegotiated early_negotiated;  /* destination: checked early */
    bool early_applied;         /* destination: its VF has early_shadow's */
    I40EVFShadow early_shadow;  /* ...filters, RSS and promiscuous mode */
    char *early_id;
    VMChangeStateEntry *vmstate_change;
    Notifier trap_notifier;
    Error *quiesce_err;         /* source: the queues could not be stopped */
    Error *blocker;             /* why the VF cannot migrate now, if so */
    uint64_t stats_sent[I40EVF_STATS_WORDS];   /* in the stream */
    bool stats_sent_valid;
    uint64_t device_downtime_us;
    uint16_t dst_vsi;           /* destination: its VF's, from its PF */
    uint8_t dst_mac[6];         /* ...and its default MAC, or zero */
    I40EVFRingPos rings;        /* source: at the stop */
    bool rings_valid;           /* destination: the stream had them */
} I40EVFMigration;

typedef struct I40EVFTrap {
    VFIOPCIDevice *vdev;
    I40EVFMbx mbx;
    I40EVFGuest guest;

    /* The reply policy's state (i40evf-trap.c) */
    I40EVFShadow shadow;
    bool shadow_lost;           /* an update failed: it no longer matches */
    uint16_t guest_vsi;         /* the VSI id the guest's driver uses */
    /* What the guest's earlier VFs counted (virtchnl_eth_stats words) */
    uint64_t stats_base[I40EVF_STATS_WORDS];
    NotifierList notifiers;     /* I40EVFTrapEvent */
    I40EVFOpStats ops[I40EVF_OPS];
    uint64_t events;            /* PF events relayed to the guest */
    uint64_t hw_resets;         /* VF resets seen on the hardware */

    I40EVFDirty dirty;
    I40EVFRelay relay;
    I40EVFMigration mig;
} I40EVFTrap;

static inline const char *i40evf_name(const I40EVFTrap *t)
{
    return t->vdev->vbasedev.name;
}

/*
 * i40evf-trap.c: after the parent realized @vdev, check it is an
 * X710-family VF, map the mailbox memory and install the overlays.
 */
bool i40evf_trap_realize(I40EVFTrap *t, VFIOPCIDevice *vdev, Error **errp);
void i40evf_trap_exit(I40EVFTrap *t);
/* The device was reset by QEMU (system reset, or the guest's FLR). */
void i40evf_trap_reset(I40EVFTrap *t);
/* A message to the guest's mailbox, as if from the PF */
void i40evf_trap_deliver(I40EVFTrap *t, uint32_t v_opcode, int32_t v_retval,
                         const uint8_t *msg, uint16_t len);
/* Take the requests the guest posted, as far as the backlog has room */
void i40evf_trap_pop_atq(I40EVFTrap *t);
I40EVFOpStats *i40evf_trap_op_stats(I40EVFTrap *t, uint32_t v_opcode);
/* The hardware showed a VF reset: the guest's mailbox starts over */
void i40evf_trap_vf_reset(I40EVFTrap *t);
/* Tell relay and migration (t->notifiers) */
void i40evf_trap_notify(I40EVFTrap *t, I40EVFTrapEvent event,
                        const char *why);
/* The VF's vector 0 fired */
void i40evf_trap_vector0(I40EVFTrap *t);
void i40evf_trap_add_tail_hook(I40EVFTrap *t, I40EVFTailHook *hook);
void i40evf_trap_update_tails(I40EVFTrap *t);
/* Whether the VF's state can migrate: NULL if so, else why not */
const char *i40evf_trap_unmigratable(I40EVFTrap *t);

/* i40evf-reply.c: the trap's side of the transport */
extern const I40EVFMbxOps i40evf_trap_mbx_ops;

/* i40evf-dirty.c */
void i40evf_dirty_init(I40EVFTrap *t);
void i40evf_dirty_exit(I40EVFTrap *t);
void i40evf_dirty_start(I40EVFTrap *t);
void i40evf_dirty_stop(I40EVFTrap *t);

/* i40evf-relay.c */
void i40evf_relay_init(I40EVFTrap *t);
void i40evf_relay_exit(I40EVFTrap *t);
bool i40evf_relay_possible(I40EVFTrap *t, const I40EVFRingPos *rings,
                           Error **errp);
bool i40evf_relay_setup(I40EVFTrap *t, const I40EVFRingPos *rings,
                        const I40EVFShadow *applied, const uint8_t *dst_mac,
                        Error **errp);
void i40evf_relay_start(I40EVFTrap *t);
bool i40evf_relay_active(I40EVFTrap *t);
void i40evf_relay_vector(I40EVFTrap *t, unsigned int nr);

/* i40evf-migration.c */
extern const VMStateDescription vmstate_i40evf_trap;
extern const PropertyInfo i40evf_prop_resume;
void i40evf_migration_init(I40EVFTrap *t);
void i40evf_migration_exit(I40EVFTrap *t);

/* The trap of a device, or NULL if it is not one of ours. */
I40EVFTrap *i40evf_trap_of(Object *obj);

#endif /* HW_VFIO_I40EVF_H */
