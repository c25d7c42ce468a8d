/* cuda_internal.h — what the CUDA backend's C files share (internal). */
#ifndef EZC_CUDA_INTERNAL_H
#define EZC_CUDA_INTERNAL_H

#include <cuda_runtime_api.h>
#include "ezc/xp.h"

/* Every op runs on the calling thread's default stream and waits for it
 * before returning, so a buffer handed back to the cache is never still in
 * use by a kernel another thread's op could race with. */
#define EZC_CUDA_STREAM ((void *)cudaStreamPerThread)

/* memory.c */
ezc_buffer *ezc_cuda_alloc(DLDevice device, size_t nbytes, ezc_error *err);
int ezc_cuda_copy(const ezc_array *src, ezc_array *dst, ezc_error *err);
void ezc_cuda_cache_stats(size_t *hits, size_t *misses, size_t *cached_bytes);

/* "xp.copy: cudaMemcpy failed: <cuda's words>" */
int ezc_cuda_fail(ezc_error *err, const char *op, int cuda_rc);

#endif
