/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fixture and helpers the i40e-vf qtests share (i40e-vf-regs-test,
 * -aq-test, -txrx-test and -migration-test): the emulated VF driven
 * through libqos/iavf the way the Linux iavf driver drives it, its frames
 * going in and out through a socket netdev the test holds the other end
 * of.
 */

#ifndef TESTS_QTEST_I40E_VF_COMMON_H
#define TESTS_QTEST_I40E_VF_COMMON_H

#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/iavf.h"

#define VF_DEVFN        QPCI_DEVFN(4, 0)
#define VF_MAC          "52:54:00:12:34:56"
#define VF_VSI          7

/* The errnos a Linux 6.12 i40e PF puts on the wire as v_retval */
#define I40E_EPERM      (-1)
#define I40E_EINVAL     (-22)
#define I40E_EOPNOTSUPP (-95)

typedef struct Fixture {
    QOSState *qs;
    QIavf d;
    int sock[2];        /* sock[0] is the test's end */
} Fixture;

/* VF_MAC, and the address of the host at the other end of the socket */
extern const uint8_t vf_mac[6];
extern const uint8_t peer_mac[6];

/* A pc machine with the VF at VF_DEVFN on netdev n0 (socket @fd). */
QOSState *boot_vf(int fd, const char *extra);

/* A VM with the VF (@extra appended to its -device), libqos/iavf on it */
void fixture_start(Fixture *f, const char *extra);
void fixture_stop(Fixture *f);
/* ... negotiated, with @nqueues queue pairs running */
void fixture_up(Fixture *f, const char *extra, unsigned int nqueues);
/* ... negotiated, one queue pair's rings allocated and the IRQ map sent */
void fixture_rings(Fixture *f, uint16_t ring_len, uint32_t buf_size);
void fixture_flr(Fixture *f);

/* The test's end of the VF's socket netdev */
void sock_send(Fixture *f, const void *frame, size_t len);
size_t sock_recv(Fixture *f, void *buf, size_t max);

/* Frames */
size_t make_ip4_frame(uint8_t *buf, const uint8_t *dst, uint8_t proto,
                      const uint8_t *saddr, const uint8_t *daddr,
                      uint16_t sport, uint16_t dport,
                      const void *payload, size_t plen, bool seed_only);
size_t make_udp(uint8_t *buf, const uint8_t *dst, uint16_t sport,
                const char *marker);
size_t make_tagged(uint8_t *buf, uint16_t vid, const char *marker);
bool has_marker(const void *frame, size_t len, const char *marker);
void check_ip4_checksums(const uint8_t *frame, size_t len);

/* The VF's counters, its receive queues, its queue configuration */
uint64_t get_stat(QIavf *d, size_t field);
void expect_rx(Fixture *f, unsigned int q, const char *marker,
               uint64_t *qw0, uint64_t *qw1);
void expect_tx(Fixture *f, unsigned int q, const char *marker);
void wait_rx_discards(Fixture *f, uint64_t n);
void hold_rx_irq(Fixture *f, uint32_t itr);
void qpair_fill(QIavf *d, struct virtchnl_queue_pair_info *qp, uint16_t q);

/* Resets */
void recover_after_reset(QIavf *d, uint32_t caps);
void check_reset_and_recover(Fixture *f);

#endif
