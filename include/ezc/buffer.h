/* ezc/buffer.h — reference-counted bytes on one device.
 *
 * A buffer is what several AxisArrays can share: a transformer writes in
 * place only when its array holds the only reference (ezc_buffer_is_unique),
 * otherwise it takes a private copy first (copy-on-write, see
 * ezc_array_make_writable). Where the bytes live is the buffer's business:
 * heap, a received ZeroMQ frame, device memory, later a shared segment.
 * Reference counting is atomic; the bytes themselves are not synchronised. */
#ifndef EZC_BUFFER_H
#define EZC_BUFFER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <dlpack/dlpack.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_buffer ezc_buffer;

/* Called once when the last reference goes: release `data` (ctx is the
 * pointer given at wrap time). */
typedef void (*ezc_buffer_free_fn)(void *data, void *ctx);

struct ezc_buffer {
    atomic_int refs;
    void *data;
    size_t nbytes;
    DLDevice device;
    ezc_buffer_free_fn free_fn;
    void *free_ctx;
    int readonly; /* the bytes are shared beyond this process (a shared-memory slot that
                     subscribers may read): never unique, so writers copy first */
};

/* nbytes of 64-byte aligned host memory, uninitialised. Caller owns one
 * reference. NULL with err set on failure. */
ezc_buffer *ezc_buffer_new_host(size_t nbytes, ezc_error *err);

/* Buffers the calling thread has allocated (host or device, not wrapped)
 * since it started: tests and benchmarks read it before and after a steady
 * run to show that the run allocated none. */
uint64_t ezc_buffer_new_count(void);

/* nbytes on any device, through that device's backend (see ezc_xp_for). */
ezc_buffer *ezc_buffer_new(DLDevice device, size_t nbytes, ezc_error *err);

/* Wraps memory owned elsewhere; free_fn(data, ctx) runs when the last
 * reference goes (free_fn may be NULL: memory outlives the buffer). */
ezc_buffer *ezc_buffer_wrap(void *data, size_t nbytes, DLDevice device, ezc_buffer_free_fn free_fn,
                            void *ctx, ezc_error *err);

/* Adds a reference and returns b. */
ezc_buffer *ezc_buffer_ref(ezc_buffer *b);
/* Drops the caller's reference and sets *b to NULL. NULL-safe. */
void ezc_buffer_unref(ezc_buffer **b);
/* True when exactly one reference exists (the caller's) and the bytes are
 * not shared beyond this process (readonly). */
int ezc_buffer_is_unique(const ezc_buffer *b);

static inline DLDevice ezc_device_cpu(void)
{
    DLDevice d = {kDLCPU, 0};
    return d;
}
static inline DLDevice ezc_device_cuda(int id)
{
    DLDevice d = {kDLCUDA, id};
    return d;
}
/* "cpu", "cuda:0"; writes at most n bytes; returns buf. */
char *ezc_device_format(DLDevice d, char *buf, size_t n);
/* Parses "cpu", "cuda", "cuda:N"; EZC_EINVAL with a message otherwise. */
int ezc_device_parse(const char *text, DLDevice *out, ezc_error *err);
int ezc_device_equal(DLDevice a, DLDevice b);

#ifdef __cplusplus
}
#endif
#endif
