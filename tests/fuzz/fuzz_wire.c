/* fuzz_wire.c — libFuzzer target for the header decoder. The first input
 * byte picks the data frame's length (0..255), the rest is the header, so
 * both the header checks and the length check are exercised. cuda_ipc
 * headers go to a fake opener that hands back a host buffer of the size
 * the descriptor asks for, so the accepting path of that header is fuzzed
 * too, without loading CUDA. */
#include <stddef.h>
#include <stdint.h>
#include "ezc/wire.h"

static ezc_buffer *fake_open(const ezc_wire_cuda_ipc *ipc, size_t nbytes, void *ctx, ezc_error *err)
{
    (void)ipc;
    (void)ctx;
    if (nbytes > (1u << 20)) { /* a real opener maps what exists; keep the fuzzer's RSS sane */
        ezc_error_set(err, EZC_ENOMEM, "fake opener: %zu bytes", nbytes);
        return NULL;
    }
    return ezc_buffer_new_host(nbytes, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    ezc_error err;
    ezc_buffer *data = ezc_buffer_new_host(d[0], &err);
    ezc_array *a = NULL;
    if (ezc_wire_decode_with(d + 1, n - 1, data, fake_open, NULL, &a, &err) == 0 &&
        ezc_array_check(a, &err) != 0)
        __builtin_trap(); /* the decoder accepted an array that breaks its own invariants */
    ezc_array_destroy(&a);
    ezc_buffer_unref(&data);
    return 0;
}
