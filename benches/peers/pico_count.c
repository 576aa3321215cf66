/* picohttpparser's scalar build, for benches/callgrind.sh: valgrind cannot run its
 * SSE4.2 build (VEX does not decode PCMPESTRI), so the instruction count of the `pico`
 * rows is taken from this program, built from the picohttpparser.c that the
 * picohttpparser-sys crate ships, with -mno-sse4.2 and the bench's -O3.
 *
 *   pico_count FILE req|resp ITERS
 *
 * parses the head in FILE (written by `http_peers --dump INPUT`) ITERS times into a
 * reused array of 16 headers, as the bench's `pico` contender does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "picohttpparser.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FILE req|resp ITERS\n", argv[0]);
        return 2;
    }
    static char buf[65536];
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int request = strcmp(argv[2], "req") == 0;
    long iters = atol(argv[3]);
    struct phr_header headers[16];
    long sum = 0;
    for (long i = 0; i < iters; i++) {
        size_t num_headers = 16;
        int minor, status, r;
        const char *a, *b;
        size_t al, bl;
        /* The buffer's address escapes each round, so the parse is not hoisted. */
        __asm__ volatile("" : : "r"(buf) : "memory");
        if (request)
            r = phr_parse_request(buf, len, &a, &al, &b, &bl, &minor, headers, &num_headers, 0);
        else
            r = phr_parse_response(buf, len, &minor, &status, &a, &al, headers, &num_headers, 0);
        if (r != (int)len) {
            fprintf(stderr, "parse returned %d for %zu bytes\n", r, len);
            return 1;
        }
        sum += r;
    }
    return sum == (long)len * iters ? 0 : 1;
}
