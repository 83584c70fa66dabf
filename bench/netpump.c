/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netpump: the guest side of bench/throughput.py.  "netpump send HOST PORT
 * BYTES" writes BYTES of zeros to a TCP connection and closes it;
 * "netpump recv HOST PORT" reads a connection to its end.  Large writes and
 * reads keep the guest's userland out of the measurement.  Built static
 * so that it runs in the busybox guest.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

int main(int argc, char **argv)
{
    static char buf[CHUNK];
    struct sockaddr_in sa = { .sin_family = AF_INET };
    long long left;
    int fd;

    if (argc < 4 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv")) ||
        inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
        fprintf(stderr, "usage: netpump send|recv HOST PORT [BYTES]\n");
        return 2;
    }
    sa.sin_port = htons(atoi(argv[3]));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("netpump: connect");
        return 1;
    }
    if (!strcmp(argv[1], "recv")) {
        ssize_t n;

        do {
            n = read(fd, buf, sizeof(buf));
        } while (n > 0);
        return n < 0;
    }
    for (left = argc > 4 ? atoll(argv[4]) : 0; left > 0;) {
        ssize_t n = write(fd, buf, left < CHUNK ? left : CHUNK);

        if (n <= 0) {
            perror("netpump: write");
            return 1;
        }
        left -= n;
    }
    shutdown(fd, SHUT_WR);
    /* Wait for the peer to close: it has read everything by then. */
    while (read(fd, buf, sizeof(buf)) > 0) {
        continue;
    }
    return 0;
}
