/*
 * connrate: the new-connection load of bench/packet-path.sh.
 *
 *   connrate serve PORT                  accept and close connections as fast as they come
 *   connrate connect ADDR PORT SECONDS   open TCP connections one after another for SECONDS, print
 *                                        "<connections per second> <connections> <failures> <CPU seconds>"
 *
 * The CPU seconds are the client's user + system time (getrusage); without IRQ time accounting the
 * kernel also charges it the softirq work done in its context, forwarding through the node included.
 *
 * Every connection is a real handshake through the node (its SYN is a NEW packet that walks the
 * policy chains). The client closes with SO_LINGER 0, so the connection ends with a RST and
 * neither side keeps TIME_WAIT: ephemeral ports recycle and the rate stays flat over the run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int serve(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
            || bind(s, (struct sockaddr *) &a, sizeof a) < 0 || listen(s, 4096) < 0) {
        perror("connrate serve");
        return 1;
    }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c >= 0) {
            close(c);
        } else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
            perror("accept");
        }
    }
}

static int connect_loop(const char *addr, int port, double seconds) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
        fprintf(stderr, "connrate: bad address %s\n", addr);
        return 2;
    }
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    long ok = 0, failed = 0;
    double start = now(), end = start + seconds, t = start;
    while (t < end) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            perror("socket");
            return 1;
        }
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        if (connect(fd, (struct sockaddr *) &a, sizeof a) == 0) {
            ok++;
        } else {
            failed++;
        }
        close(fd);
        t = now();
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("%.0f %ld %ld %.3f\n", ok / (t - start), ok, failed, cpu);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) {
        return serve(atoi(argv[2]));
    }
    if (argc == 5 && strcmp(argv[1], "connect") == 0) {
        return connect_loop(argv[2], atoi(argv[3]), atof(argv[4]));
    }
    fprintf(stderr, "usage: connrate serve PORT | connrate connect ADDR PORT SECONDS\n");
    return 2;
}
