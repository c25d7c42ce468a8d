/* fuzz_npy.c — libFuzzer target for the .npy reader (ezc pub --npy).
 *
 * Two kinds of input, chosen by the first byte:
 * - odd: the rest is a whole file, as found on disk (the seed corpus holds
 *   real numpy files);
 * - even: the rest is a recipe for a *well-formed* header with hostile
 *   values — byte 1 picks the version and dtype, byte 2 the number of dims,
 *   then 8 bytes per dim give its length (huge, zero, wrapping products),
 *   and what is left is the data. Random bytes rarely make a header the
 *   parser accepts; this way every input reaches the size checks.
 * Whatever is accepted must be a consistent array holding as many bytes as
 * the file had after its header. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ezc/npy.h"

static const char *const descrs[] = {"<f4", "<f8", "<i2", "<i8", "|u1",
                                     "|b1", "<c8", ">f4", "<U3", "<f2"};

/* A header for the recipe in d (n bytes) into out; returns its length. */
static size_t recipe(const uint8_t *d, size_t n, char *out, size_t cap, size_t *used)
{
    char shape[512] = "";
    size_t at = 0, pos = 2;
    int version = n > 0 && (d[0] & 1) ? 2 : 1;
    const char *descr = descrs[(n > 0 ? d[0] >> 1 : 0) % (sizeof descrs / sizeof *descrs)];
    int ndim = n > 1 ? d[1] % 10 : 0; /* 9 is one too many */
    for (int i = 0; i < ndim && pos + 8 <= n; i++, pos += 8) {
        uint64_t v;
        memcpy(&v, d + pos, 8);
        if (!(d[pos] & 0x80)) /* mostly small dims, so data can match */
            v %= 64;
        at += (size_t)snprintf(shape + at, sizeof shape - at, "%llu, ", (unsigned long long)v);
    }
    *used = pos < n ? pos : n;
    char dict[700];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, shape);
    size_t pre = version == 1 ? 10 : 12, total = pre + (size_t)dl + 1;
    total = (total + 63) / 64 * 64;
    if (total > cap)
        return 0;
    memset(out, ' ', total);
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (char)version;
    out[7] = 0;
    size_t hlen = total - pre;
    out[8] = (char)(hlen & 0xff);
    out[9] = (char)(hlen >> 8);
    if (version == 2) {
        out[10] = 0;
        out[11] = 0;
    }
    memcpy(out + pre, dict, (size_t)dl);
    out[total - 1] = '\n';
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    int fd = memfd_create("fuzz.npy", 0);
    if (fd < 0)
        return 0;
    size_t body = n - 1;
    if (d[0] & 1) {
        if (write(fd, d + 1, body) != (ssize_t)body)
            goto out;
    } else {
        char head[1024];
        size_t used = 0, hl = recipe(d + 1, body, head, sizeof head, &used);
        if (!hl || write(fd, head, hl) != (ssize_t)hl ||
            write(fd, d + 1 + used, body - used) != (ssize_t)(body - used))
            goto out;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ezc_error err;
    ezc_array *a = ezc_npy_load(path, &err);
    if (a && ezc_array_check(a, &err) != 0)
        __builtin_trap(); /* accepted an array that breaks its own invariants */
    ezc_array_destroy(&a);
out:
    close(fd);
    return 0;
}
