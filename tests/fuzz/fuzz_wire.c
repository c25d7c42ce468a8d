/* fuzz_wire.c — libFuzzer target for the header decoder. The first input
 * byte picks the data frame's length (0..255), the rest is the header, so
 * both the header checks and the length check are exercised. */
#include <stddef.h>
#include <stdint.h>
#include "ezc/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    ezc_error err;
    ezc_buffer *data = ezc_buffer_new_host(d[0], &err);
    ezc_array *a = NULL;
    if (ezc_wire_decode(d + 1, n - 1, data, &a, &err) == 0 && ezc_array_check(a, &err) != 0)
        __builtin_trap(); /* the decoder accepted an array that breaks its own invariants */
    ezc_array_destroy(&a);
    ezc_buffer_unref(&data);
    return 0;
}
