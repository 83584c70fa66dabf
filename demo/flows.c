/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flows: the guest side of demo/demo.py's traffic.  "flows HOST TCPPORT
 * UDPPORT PPS BYTES_PER_S LIMIT_S" runs, until the peer ends its TCP
 * stream (or LIMIT_S pass):
 *
 * - one TCP connection to HOST:TCPPORT carrying records both ways, each
 *   "magic, length, sequence number, payload, CRC-32 of all that"; the
 *   records the peer sends are checked one by one (CRC, consecutive
 *   sequence numbers), and both ends keep a CRC-32 of the whole stream;
 * - UDP datagrams both ways between UDPPORT and HOST:UDPPORT, PPS a
 *   second each way, each "magic, CRC-32, sequence number, payload";
 *   received ones are counted unique, duplicated or corrupted, and the
 *   sequence numbers never received are listed as ranges.
 *
 * It sends BYTES_PER_S of TCP records a second.  Results are lines
 * "DEMO key value" on stdout (the console).  Built static so that it
 * runs in the busybox guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TCP_MAGIC 0x54534544u       /* "DEST" little-endian: a TCP record */
#define UDP_MAGIC 0x55534544u       /* "DESU": a datagram */
#define TCP_HDR 16                  /* magic, length, sequence number */
#define TCP_PAYLOAD 1400
#define TCP_MAX_PAYLOAD 65536
#define UDP_HDR 16                  /* magic, CRC, sequence number */
#define UDP_PAYLOAD 200
#define UDP_MAX_SEQ (1u << 22)
#define MAX_GAPS 32
#define DRAIN_MS 1000               /* UDP still read after the TCP end */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++) {
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

/* zlib's crc32(): crc32(crc32(0, a), b) == crc32(0, a + b) */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        p[i] = rng >> 32;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, v);
    put32(p + 4, v >> 32);
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((format(printf, 2, 3)))
say(const char *key, const char *fmt, ...)
{
    va_list ap;

    printf("DEMO %s ", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* TCP: what is sent */
static uint8_t txbuf[TCP_HDR + TCP_PAYLOAD + 4];
static size_t tx_len, tx_off;           /* the record being written */
static uint64_t tx_seq, tx_bytes;
static uint32_t tx_crc;

/* TCP: what arrives */
static uint8_t rxbuf[2 * (TCP_HDR + TCP_MAX_PAYLOAD + 4)];
static size_t rx_fill;
static uint64_t rx_seq, rx_bytes, rx_bad;
static uint32_t rx_crc;
static int rx_broken;                   /* framing lost: no more checks */

/* UDP */
static uint8_t seen[UDP_MAX_SEQ / 8];
static uint64_t udp_tx, udp_tx_err, udp_skipped;
static uint64_t udp_rx, udp_dup, udp_bad, udp_max;
static int udp_any;

static void next_record(void)
{
    put32(txbuf, TCP_MAGIC);
    put32(txbuf + 4, TCP_PAYLOAD);
    put64(txbuf + 8, tx_seq++);
    fill_random(txbuf + TCP_HDR, TCP_PAYLOAD);
    put32(txbuf + TCP_HDR + TCP_PAYLOAD,
          crc32_update(0, txbuf, TCP_HDR + TCP_PAYLOAD));
    tx_len = TCP_HDR + TCP_PAYLOAD + 4;
    tx_off = 0;
}

/* Checks the complete records in rxbuf and drops them */
static void parse_records(void)
{
    size_t off = 0;

    while (!rx_broken && rx_fill - off >= TCP_HDR) {
        const uint8_t *r = rxbuf + off;
        uint32_t len = get32(r + 4);

        if (get32(r) != TCP_MAGIC || len > TCP_MAX_PAYLOAD) {
            say("tcp-rx-broken", "bad header at record %llu",
                (unsigned long long)rx_seq);
            rx_broken = 1;
            rx_bad++;
            break;
        }
        if (rx_fill - off < TCP_HDR + len + 4) {
            break;
        }
        if (get64(r + 8) != rx_seq ||
            crc32_update(0, r, TCP_HDR + len) != get32(r + TCP_HDR + len)) {
            if (rx_bad++ < 5) {
                say("tcp-rx-bad-record", "%llu (expected %llu)",
                    (unsigned long long)get64(r + 8),
                    (unsigned long long)rx_seq);
            }
        }
        rx_seq = get64(r + 8) + 1;
        off += TCP_HDR + len + 4;
    }
    if (rx_broken) {
        rx_fill = 0;
        return;
    }
    memmove(rxbuf, rxbuf + off, rx_fill - off);
    rx_fill -= off;
}

static void udp_receive(int u)
{
    uint8_t d[2048];
    ssize_t n;

    while ((n = recv(u, d, sizeof(d), MSG_DONTWAIT)) >= 0) {
        uint64_t seq;

        if (n < UDP_HDR || get32(d) != UDP_MAGIC ||
            crc32_update(0, d + 8, n - 8) != get32(d + 4)) {
            udp_bad++;
            continue;
        }
        seq = get64(d + 8);
        if (seq >= UDP_MAX_SEQ) {
            udp_bad++;
            continue;
        }
        if (seen[seq / 8] & (1 << seq % 8)) {
            udp_dup++;
            continue;
        }
        seen[seq / 8] |= 1 << seq % 8;
        udp_rx++;
        if (!udp_any || seq > udp_max) {
            udp_max = seq;
        }
        udp_any = 1;
    }
}

static void udp_send(int u)
{
    uint8_t d[UDP_HDR + UDP_PAYLOAD];

    put32(d, UDP_MAGIC);
    put64(d + 8, udp_tx);           /* only datagrams sent are numbered */
    fill_random(d + UDP_HDR, UDP_PAYLOAD);
    put32(d + 4, crc32_update(0, d + 8, sizeof(d) - 8));
    if (send(u, d, sizeof(d), MSG_DONTWAIT) == sizeof(d)) {
        udp_tx++;
    } else {
        udp_tx_err++;
    }
}

static void report_gaps(void)
{
    char line[MAX_GAPS * 24 + 16] = "";
    size_t len = 0;
    unsigned gaps = 0;
    uint64_t s = 0;

    while (udp_any && s <= udp_max) {
        uint64_t first = s;

        if (seen[s / 8] & (1 << s % 8)) {
            s++;
            continue;
        }
        while (s <= udp_max && !(seen[s / 8] & (1 << s % 8))) {
            s++;
        }
        if (gaps++ < MAX_GAPS) {
            len += snprintf(line + len, sizeof(line) - len, "%s%llu+%llu",
                            len ? "," : "", (unsigned long long)first,
                            (unsigned long long)(s - first));
        }
    }
    say("udp-rx-gaps", "%u %s", gaps, len ? line : "-");
}

/* The UDP socket bound to and connected to port; the TCP connection */
static int open_sockets(struct sockaddr_in *peer, int udp_port,
                        int tcp_port, int *t, int *u)
{
    struct sockaddr_in local = { .sin_family = AF_INET };

    *u = socket(AF_INET, SOCK_DGRAM, 0);
    local.sin_port = htons(udp_port);
    peer->sin_port = htons(udp_port);
    if (*u < 0 || bind(*u, (struct sockaddr *)&local, sizeof(local)) < 0 ||
        connect(*u, (struct sockaddr *)peer, sizeof(*peer)) < 0) {
        perror("flows: udp");
        return -1;
    }
    peer->sin_port = htons(tcp_port);
    *t = socket(AF_INET, SOCK_STREAM, 0);
    if (*t < 0 || connect(*t, (struct sockaddr *)peer, sizeof(*peer)) < 0) {
        perror("flows: tcp connect");
        return -1;
    }
    fcntl(*t, F_SETFL, O_NONBLOCK);
    return 0;
}

/* The kernel's time of this moment, for the host to map the log's */
static void mark_kmsg(void)
{
    static const char msg[] = "demo: connected\n";
    int k = open("/dev/kmsg", O_WRONLY);

    if (k >= 0) {
        /* one write() a record: dprintf's seek fails on /dev/kmsg */
        if (write(k, msg, sizeof(msg) - 1) < 0) {
            perror("flows: /dev/kmsg");
        }
        close(k);
    }
}

/* UDP is paced by slots; after a stall no burst: slots are skipped */
static void udp_pace(int u, uint64_t due, uint64_t *slots)
{
    if (due > *slots + 50) {
        udp_skipped += due - *slots - 50;
        *slots = due - 50;
    }
    for (; *slots < due; (*slots)++) {
        udp_send(u);
    }
}

/* Whole records while the rate allows, and the one begun; an error or NULL */
static const char *tcp_send(int t, int eof, double allowed)
{
    while (tx_off || (!eof && tx_bytes < allowed)) {
        ssize_t n = send(t, txbuf + tx_off, tx_len - tx_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            return errno != EAGAIN ? strerror(errno) : NULL;
        }
        tx_crc = crc32_update(tx_crc, txbuf + tx_off, n);
        tx_bytes += n;
        tx_off += n;
        if (tx_off == tx_len) {
            next_record();
        }
    }
    return NULL;
}

/* What arrives on TCP; sets *eof at its end; an error or NULL */
static const char *tcp_receive(int t, int *eof)
{
    ssize_t n = recv(t, rxbuf + rx_fill, sizeof(rxbuf) - rx_fill,
                     MSG_DONTWAIT);

    if (n > 0) {
        rx_crc = crc32_update(rx_crc, rxbuf + rx_fill, n);
        rx_bytes += n;
        rx_fill += n;
        parse_records();
    } else if (n == 0) {
        *eof = 1;
    } else if (errno != EAGAIN) {
        return strerror(errno);
    }
    return NULL;
}

/* Both streams until the peer's TCP end (and the UDP drain after it) */
static const char *run_flows(int t, int u, double pps, double bps,
                             double limit)
{
    double start = now(), end_at = 0;
    uint64_t slots = 0;                 /* UDP send slots gone by */
    int eof = 0, shut = 0;
    const char *error = NULL;

    next_record();
    for (;;) {
        struct pollfd p[2] = {
            { .fd = t, .events = eof ? 0 : POLLIN },
            { .fd = u, .events = POLLIN },
        };
        double el = now() - start;
        int sending = !eof && tx_bytes < el * bps;

        if (el > limit) {
            return "time limit";
        }
        if (eof && !tx_off) {
            /* Our stream ends on a record boundary; UDP is drained */
            if (!shut) {
                shutdown(t, SHUT_WR);
                shut = 1;
            }
            if (now() > end_at) {
                return NULL;
            }
        }
        if (!eof) {
            udp_pace(u, el * pps, &slots);
        }
        if (sending || tx_off) {
            p[0].events |= POLLOUT;
        }
        poll(p, 2, 2);
        if (p[1].revents & POLLIN) {
            udp_receive(u);
        }
        if (p[0].revents & POLLOUT) {
            error = tcp_send(t, eof, el * bps);
            if (error) {
                return error;
            }
        }
        if (!eof && p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            error = tcp_receive(t, &eof);
            if (error) {
                return error;
            }
            if (eof) {
                end_at = now() + DRAIN_MS / 1000.0;
            }
        }
    }
}

static void report(const char *error)
{
    say("tcp-rx-bytes", "%llu", (unsigned long long)rx_bytes);
    say("tcp-rx-records", "%llu", (unsigned long long)rx_seq);
    say("tcp-rx-crc", "%08x", rx_crc);
    say("tcp-rx-bad", "%llu", (unsigned long long)rx_bad);
    say("tcp-tx-bytes", "%llu", (unsigned long long)tx_bytes);
    say("tcp-tx-crc", "%08x", tx_crc);
    say("tcp-end", "%s", error ? error : "eof");
    say("udp-tx", "%llu", (unsigned long long)udp_tx);
    say("udp-tx-errors", "%llu", (unsigned long long)udp_tx_err);
    say("udp-tx-skipped", "%llu", (unsigned long long)udp_skipped);
    say("udp-rx", "%llu", (unsigned long long)udp_rx);
    say("udp-rx-dup", "%llu", (unsigned long long)udp_dup);
    say("udp-rx-corrupt", "%llu", (unsigned long long)udp_bad);
    say("udp-rx-max-seq", "%lld", udp_any ? (long long)udp_max : -1LL);
    report_gaps();
}

int main(int argc, char **argv)
{
    struct sockaddr_in peer = { .sin_family = AF_INET };
    const char *error;
    int t, u;

    if (argc != 7 || inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
        fprintf(stderr, "usage: flows HOST TCPPORT UDPPORT PPS "
                "BYTES_PER_S LIMIT_S\n");
        return 2;
    }
    crc_init();
    if (open_sockets(&peer, atoi(argv[3]), atoi(argv[2]), &t, &u) < 0) {
        return 1;
    }
    mark_kmsg();
    say("flows", "started");
    error = run_flows(t, u, atof(argv[4]), atof(argv[5]), atof(argv[6]));
    if (!error) {
        char c;

        /* The peer closes once it has read our stream to its end */
        fcntl(t, F_SETFL, 0);
        if (recv(t, &c, 1, 0) < 0) {
            error = strerror(errno);
        }
    }
    report(error);
    return error ? 1 : 0;
}
