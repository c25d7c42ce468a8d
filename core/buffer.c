/* buffer.c — reference-counted bytes; the last reference runs the free hook. */
#include <stdlib.h>
#include "ezc/buffer.h"
#include "ezc/xp.h"

static void free_host(void *data, void *ctx)
{
    (void)ctx;
    free(data);
}

ezc_buffer *ezc_buffer_wrap(void *data, size_t nbytes, DLDevice device, ezc_buffer_free_fn free_fn,
                            void *ctx, ezc_error *err)
{
    ezc_buffer *b = malloc(sizeof *b);
    if (!b) {
        ezc_error_set(err, EZC_ENOMEM, "buffer: out of memory");
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->data = data;
    b->nbytes = nbytes;
    b->device = device;
    b->free_fn = free_fn;
    b->free_ctx = ctx;
    b->readonly = 0;
    return b;
}

static _Thread_local uint64_t new_count;

uint64_t ezc_buffer_new_count(void)
{
    return new_count;
}

ezc_buffer *ezc_buffer_new_host(size_t nbytes, ezc_error *err)
{
    new_count++;
    /* Round up: aligned_alloc wants a multiple of the alignment, and a
     * zero-byte message still gets a distinct, freeable pointer. */
    size_t rounded = (nbytes + 63) & ~(size_t)63;
    if (rounded < nbytes) {
        ezc_error_set(err, EZC_ENOMEM, "buffer: %zu bytes is too large", nbytes);
        return NULL;
    }
    void *data = aligned_alloc(64, rounded ? rounded : 64);
    if (!data) {
        ezc_error_set(err, EZC_ENOMEM, "buffer: cannot allocate %zu bytes", nbytes);
        return NULL;
    }
    ezc_buffer *b = ezc_buffer_wrap(data, nbytes, ezc_device_cpu(), free_host, NULL, err);
    if (!b)
        free(data);
    return b;
}

ezc_buffer *ezc_buffer_new(DLDevice device, size_t nbytes, ezc_error *err)
{
    if (device.device_type == kDLCPU)
        return ezc_buffer_new_host(nbytes, err);
    const ezc_xp *xp = ezc_xp_for(device, err);
    if (!xp)
        return NULL;
    if (!xp->alloc) {
        ezc_xp_unsupported(xp, "alloc", err);
        return NULL;
    }
    new_count++;
    return xp->alloc(device, nbytes, err);
}

ezc_buffer *ezc_buffer_ref(ezc_buffer *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void ezc_buffer_unref(ezc_buffer **bp)
{
    if (!bp || !*bp)
        return;
    ezc_buffer *b = *bp;
    *bp = NULL;
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
        if (b->free_fn)
            b->free_fn(b->data, b->free_ctx);
        free(b);
    }
}

int ezc_buffer_is_unique(const ezc_buffer *b)
{
    return b && !b->readonly &&
           atomic_load_explicit(&((ezc_buffer *)b)->refs, memory_order_acquire) == 1;
}
