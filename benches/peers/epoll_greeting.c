/*
 * The smallest honest greeting server: one epoll loop, level-triggered, one recv(1024)
 * per readable event, one send per reply, no per-connection state beyond the socket.
 * It is the yardstick the greeting load bench holds the Rust server against, so it does
 * only what the classic protocol needs: "Welcome!" on accept, "Hello, <chunk>!" per
 * received chunk, close on "exit" or EOF. It assumes a short reply always fits in the
 * socket's send buffer (true for lockstep clients), which a real server could not.
 *
 * Usage: epoll_greeting [--addr 127.0.0.1:PORT]; prints "listening on ADDR" to stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 1024

static void die(const char *what) {
    perror(what);
    exit(1);
}

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1:9999";
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--addr") == 0) addr = argv[i + 1];
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        fprintf(stderr, "--addr must be HOST:PORT\n");
        return 2;
    }
    memcpy(host, addr, colon - addr);
    host[colon - addr] = 0;

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("inet_pton");
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    socklen_t len = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    fprintf(stderr, "listening on %s:%d\n", host, ntohs(sa.sin_port));

    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl");

    struct epoll_event events[MAX_EVENTS];
    char in[1024];
    char out[sizeof in + 16];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0 ||
                        send(c, "Welcome!", 8, MSG_NOSIGNAL) != 8)
                        close(c);
                }
                continue;
            }
            ssize_t got = recv(fd, in, sizeof in, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (got <= 0 || (got == 4 && memcmp(in, "exit", 4) == 0)) {
                close(fd); /* also removes it from the epoll set */
                continue;
            }
            memcpy(out, "Hello, ", 7);
            memcpy(out + 7, in, got);
            out[7 + got] = '!';
            if (send(fd, out, got + 8, MSG_NOSIGNAL) != got + 8) close(fd);
        }
    }
}
