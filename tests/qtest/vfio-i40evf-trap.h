/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scenarios of the mailbox trap, written once and run over each
 * transport of the passthrough device: vfio-user (vfio-user-i40evf-test.c)
 * and kernel VFIO (vfio-i40evf-test.c).  A transport says how to start a
 * VM with the VF, how to stop it, and how to send and receive a frame on
 * the VF's wire; the scenarios drive the VF through libqos/iavf.
 */

#ifndef VFIO_I40EVF_TRAP_H
#define VFIO_I40EVF_TRAP_H

#include "qobject/qdict.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/iavf.h"

#define TRAP_DEVFN      QPCI_DEVFN(4, 0)
#define TRAP_ETH_TYPE   0x88b5      /* local experimental: RX queue 0 */
#define TRAP_ETH_RARP   0x8035      /* the announcement of a MAC */

typedef struct TrapTransport TrapTransport;

/* A VM with the VF at 04.0, and the other end of the VF's wire */
typedef struct TrapVF {
    const TrapTransport *t;
    QOSState *qs;
    QIavf d;
    uint8_t peer_mac[6];
} TrapVF;

/* How a transport starts a VM */
typedef struct TrapStart {
    bool destination;       /* on another host's VF (another VSI) */
    bool incoming;          /* with -incoming defer */
    const char *resume;     /* the device's resume property, NULL: default */
} TrapStart;

struct TrapTransport {
    const char *name;       /* the first part of the test paths */
    unsigned int wait_ms;   /* the longest a frame or a reset takes */
    /* False (and the test skipped) if the transport cannot run here */
    bool (*available)(void);
    TrapVF *(*start)(const TrapStart *how);
    void (*stop)(TrapVF *vf);
    /* A frame on the VF's wire, and the next one it sent (0: none came) */
    void (*send)(TrapVF *vf, const void *frame, size_t len);
    size_t (*recv)(TrapVF *vf, void *buf, size_t max);
    /* The next announcement (RARP) on the wire, 0 if none came */
    size_t (*recv_announce)(TrapVF *vf, void *buf, size_t max);
    /* How many messages of @op the PF took; NULL where not observable */
    int (*pf_saw)(TrapVF *vf, uint32_t op);
    /* The VF's host resets it; returns once the guest saw the reset */
    void (*host_reset)(TrapVF *vf);

    /* Optional checks of the transport's own, in the shared scenarios */
    void (*check_bringup)(TrapVF *vf);
    /* Stop the source VF's transmitter (true) so TX frames stay pending */
    bool (*hold)(TrapVF *vf);
    /* The migration completed; @src is still there */
    void (*migrated)(TrapVF *src, TrapVF *dst);
    /* The destination relays; @src_vf is the source's query */
    void (*check_relayed)(TrapVF *dst, QDict *src_vf);
    /* The relay handed the queue back to the guest's rings */
    void (*check_direct)(TrapVF *dst);
};

void trap_add_tests(const TrapTransport *t);

TrapVF *trap_up(const TrapTransport *t, unsigned int nqueues);
void trap_vf_init(TrapVF *vf);
void trap_wait_active(TrapVF *vf);
void trap_wait_reset_detected(TrapVF *vf);
void trap_check_recover(TrapVF *vf, int64_t resets_before);

size_t trap_make_frame(uint8_t *frame, const uint8_t *dst, const uint8_t *src,
                       const char *tag, uint32_t seq);
bool trap_rx_wait(TrapVF *vf, void *buf, size_t *len);
void trap_exchange(TrapVF *vf, const char *tag, uint32_t seq, bool tx,
                   bool rx);
void trap_check_traffic(TrapVF *vf, const char *tag, uint32_t n);
void trap_wait_irq(TrapVF *vf, unsigned int vector);

QDict *trap_query_vf_of(QTestState *qts);
QDict *trap_query_vf(TrapVF *vf);
int64_t trap_resets(TrapVF *vf);
int64_t trap_trapped(QDict *vf, const char *block);
QDict *trap_relay_of(QDict *vf);
void trap_expect_announce(TrapVF *vf);
void trap_expect_reset_event(TrapVF *vf);

void trap_migrate_start(QTestState *from, QTestState *to);
void trap_migrate_qts(QTestState *from, QTestState *to);
TrapVF *trap_migrate_to(TrapVF *src, const char *resume);
void trap_migrate_onto(TrapVF *src, TrapVF *dst);
void trap_take_over(TrapVF *src, TrapVF *dst);

#endif
