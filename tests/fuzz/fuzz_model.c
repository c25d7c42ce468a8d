/* fuzz_model.c — libFuzzer target for the learners' model-file reader.
 *
 * First byte odd: the rest is a whole file (seeds: models the learners and
 * tools/python/ezc_models.py write). Even: the rest is a recipe for a
 * well-formed msgpack model with hostile values — per array a dtype, up to
 * three dims of any 64-bit length and a data blob whose length is taken from
 * the input — so every input reaches the size checks that random bytes
 * rarely get past. Whatever loads must hold exactly the data its shapes say. */
#define _GNU_SOURCE
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "model_file.h"

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* Reads up to k bytes of the recipe as a little-endian number. */
static uint64_t take(const uint8_t **d, size_t *n, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k && *n; i++, (*d)++, (*n)--)
        v |= (uint64_t) * *d << (8 * i);
    return v;
}

static void recipe(const uint8_t *d, size_t n, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int narrays = (int)(take(&d, &n, 1) % 4);
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "ezc_model");
    msgpack_pack_uint8(&pk, 1);
    pack_str(&pk, "kind");
    pack_str(&pk, "lda");
    pack_str(&pk, "arrays");
    msgpack_pack_map(&pk, (size_t)narrays);
    for (int i = 0; i < narrays; i++) {
        char name[8];
        snprintf(name, sizeof name, "a%d", i);
        pack_str(&pk, name);
        msgpack_pack_map(&pk, 3);
        pack_str(&pk, "dtype");
        pack_str(&pk, take(&d, &n, 1) & 1 ? "float32" : "float64");
        pack_str(&pk, "shape");
        int nd = (int)(take(&d, &n, 1) % 4);
        msgpack_pack_array(&pk, (size_t)nd);
        for (int k = 0; k < nd; k++) {
            uint64_t v = take(&d, &n, 8);
            msgpack_pack_uint64(&pk, (v >> 63) ? v : v % 16); /* mostly small */
        }
        pack_str(&pk, "data");
        size_t len = (size_t)take(&d, &n, 2) % 1024;
        len = len < n ? len : n;
        msgpack_pack_bin(&pk, len);
        msgpack_pack_bin_body(&pk, d, len);
        d += len;
        n -= len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    int fd = memfd_create("fuzz.ezm", 0);
    if (fd < 0)
        return 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    const void *file = d + 1;
    size_t len = n - 1;
    if (!(d[0] & 1)) {
        recipe(d + 1, n - 1, &sb);
        file = sb.data;
        len = sb.size;
    }
    if (write(fd, file, len) == (ssize_t)len) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ezc_error err;
        ezc_model *m = NULL;
        if (ezc_model_load(path, &m, &err) == 0) {
            for (size_t i = 0; i < m->narrays; i++) {
                const ezc_model_array *a = &m->arrays[i];
                size_t count = 1;
                for (int k = 0; k < a->ndim; k++)
                    count *= (size_t)a->shape[k];
                volatile double sink = 0;
                for (size_t j = 0; j < count; j++) /* ASan: every element is there */
                    sink += a->data[j];
                (void)sink;
            }
        }
        ezc_model_destroy(&m);
    }
    msgpack_sbuffer_destroy(&sb);
    close(fd);
    return 0;
}
