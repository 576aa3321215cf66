/* The disk's limit for durable Maildir delivery: WRITERS threads each doing only the
 * Maildir steps for its share of MESSAGES messages of SIZE octets, as fast as it can:
 * create tmp/NAME (O_EXCL), write, fsync, close, rename into new/, fsync new/.
 * With "nosync" as the fifth argument the two fsyncs are left out.
 *
 *   cc -O2 -pthread -o maildir_limit maildir_limit.c
 *   maildir_limit DIR WRITERS MESSAGES SIZE [nosync]
 *
 * Prints "messages N seconds S rate R" on stdout. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *root;
static int per_writer, size, nosync;
static char *payload;

static void die(const char *what, const char *path) {
    perror(path ? path : what);
    exit(1);
}

static void *writer(void *arg) {
    long id = (long)arg;
    char tmp[4096], new_[4096], dir[4096];
    snprintf(dir, sizeof dir, "%s/new", root);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dirfd < 0) die("open", dir);
    for (int i = 0; i < per_writer; i++) {
        snprintf(tmp, sizeof tmp, "%s/tmp/%ld.W%ldQ%d.limit", root, (long)time(NULL), id, i);
        snprintf(new_, sizeof new_, "%s/new/%ld.W%ldQ%d.limit", root, (long)time(NULL), id, i);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) die("open", tmp);
        for (int off = 0; off < size;) {
            ssize_t n = write(fd, payload + off, size - off);
            if (n < 0) die("write", tmp);
            off += n;
        }
        if (!nosync && fsync(fd) < 0) die("fsync", tmp);
        close(fd);
        if (rename(tmp, new_) < 0) die("rename", new_);
        if (!nosync && fsync(dirfd) < 0) die("fsync", dir);
    }
    close(dirfd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s DIR WRITERS MESSAGES SIZE [nosync]\n", argv[0]);
        return 2;
    }
    root = argv[1];
    int writers = atoi(argv[2]);
    int messages = atoi(argv[3]);
    size = atoi(argv[4]);
    nosync = argc > 5 && strcmp(argv[5], "nosync") == 0;
    if (writers < 1 || messages < writers || size < 1) return 2;
    per_writer = messages / writers;
    payload = malloc(size);
    for (int i = 0; i < size; i++) payload[i] = (i % 77 == 76) ? '\n' : 'a' + i % 26;
    pthread_t t[writers];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < writers; i++) pthread_create(&t[i], NULL, writer, (void *)i);
    for (int i = 0; i < writers; i++) pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    int done = per_writer * writers;
    printf("messages %d seconds %.3f rate %.1f\n", done, s, done / s);
    return 0;
}
