/* memory.c — device buffers from a caching allocator, and transfers.
 *
 * cudaMalloc/cudaFree synchronise the device and cost tens of µs, so freed
 * blocks go to per-device free lists by power-of-two size class and the
 * steady state allocates nothing. On an out-of-memory the cache is emptied
 * and the allocation tried once more. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cuda_internal.h"

#define MAX_DEVICES 16
#define CLASSES 48

typedef struct block {
    void *ptr;
    struct block *next;
} block;

typedef struct owner {
    int device;
    int cls;
} owner;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static block *free_lists[MAX_DEVICES][CLASSES];
static size_t hits, misses, cached;
static uint64_t host_copies;

uint64_t ezc_cuda_host_copies(void)
{
    return __atomic_load_n(&host_copies, __ATOMIC_RELAXED);
}

int ezc_cuda_fail(ezc_error *err, const char *op, int rc)
{
    return ezc_error_set(err, rc == cudaErrorMemoryAllocation ? EZC_ENOMEM : EZC_EIO,
                         "xp.%s on cuda: %s (%s)", op, cudaGetErrorString((cudaError_t)rc),
                         cudaGetErrorName((cudaError_t)rc));
}

static int size_class(size_t n)
{
    int c = 8; /* 256 bytes at least */
    while (c < CLASSES - 1 && ((size_t)1 << c) < n)
        c++;
    return c;
}

static void release_all_locked(void)
{
    for (int d = 0; d < MAX_DEVICES; d++)
        for (int c = 0; c < CLASSES; c++)
            while (free_lists[d][c]) {
                block *b = free_lists[d][c];
                free_lists[d][c] = b->next;
                cudaSetDevice(d);
                cudaFree(b->ptr);
                free(b);
            }
    cached = 0;
}

static void give_back(void *data, void *ctx)
{
    owner *o = ctx;
    block *b = malloc(sizeof *b);
    pthread_mutex_lock(&lock);
    if (b) {
        b->ptr = data;
        b->next = free_lists[o->device][o->cls];
        free_lists[o->device][o->cls] = b;
        cached += (size_t)1 << o->cls;
    } else {
        cudaFree(data);
    }
    pthread_mutex_unlock(&lock);
    free(o);
}

ezc_buffer *ezc_cuda_alloc(DLDevice device, size_t nbytes, ezc_error *err)
{
    if (device.device_type != kDLCUDA || device.device_id < 0 || device.device_id >= MAX_DEVICES) {
        ezc_error_set(err, EZC_EDEVICE,
                      "xp.alloc: the cuda backend cannot allocate on this device");
        return NULL;
    }
    int cls = size_class(nbytes);
    if (((size_t)1 << cls) < nbytes) {
        ezc_error_set(err, EZC_ENOMEM, "xp.alloc on cuda: %zu bytes is too large", nbytes);
        return NULL;
    }
    owner *o = malloc(sizeof *o);
    if (!o) {
        ezc_error_set(err, EZC_ENOMEM, "xp.alloc: out of host memory");
        return NULL;
    }
    o->device = device.device_id;
    o->cls = cls;
    void *ptr = NULL;
    pthread_mutex_lock(&lock);
    block *b = free_lists[o->device][cls];
    if (b) {
        free_lists[o->device][cls] = b->next;
        cached -= (size_t)1 << cls;
        ptr = b->ptr;
        free(b);
        hits++;
    } else {
        misses++;
    }
    pthread_mutex_unlock(&lock);
    if (!ptr) {
        cudaSetDevice(device.device_id);
        int rc = (int)cudaMalloc(&ptr, (size_t)1 << cls);
        if (rc == cudaErrorMemoryAllocation) {
            cudaGetLastError();
            pthread_mutex_lock(&lock);
            release_all_locked();
            pthread_mutex_unlock(&lock);
            cudaSetDevice(device.device_id);
            rc = (int)cudaMalloc(&ptr, (size_t)1 << cls);
        }
        if (rc) {
            free(o);
            ezc_cuda_fail(err, "alloc", rc);
            return NULL;
        }
    }
    ezc_buffer *buf = ezc_buffer_wrap(ptr, nbytes, device, give_back, o, err);
    if (!buf)
        give_back(ptr, o);
    return buf;
}

void ezc_cuda_cache_stats(size_t *h, size_t *m, size_t *c)
{
    pthread_mutex_lock(&lock);
    *h = hits;
    *m = misses;
    *c = cached;
    pthread_mutex_unlock(&lock);
}

int ezc_cuda_copy(const ezc_array *src, ezc_array *dst, ezc_error *err)
{
    if (src->dtype != dst->dtype || ezc_array_size(src) != ezc_array_size(dst))
        return ezc_error_set(err, EZC_ESHAPE,
                             "xp.copy: source (%s, %zu elements) and destination (%s, %zu) differ",
                             ezc_dtype_name(src->dtype), ezc_array_size(src),
                             ezc_dtype_name(dst->dtype), ezc_array_size(dst));
    DLDeviceType s = src->tensor.device.device_type, d = dst->tensor.device.device_type;
    if ((s != kDLCPU && s != kDLCUDA) || (d != kDLCPU && d != kDLCUDA))
        return ezc_error_set(err, EZC_EDEVICE,
                             "xp.copy: the cuda backend copies between cpu and cuda only");
    size_t n = ezc_array_nbytes(src);
    if (n == 0)
        return 0;
    if (s != d)
        __atomic_add_fetch(&host_copies, 1, __ATOMIC_RELAXED);
    int dev = s == kDLCUDA ? src->tensor.device.device_id : dst->tensor.device.device_id;
    cudaSetDevice(dev);
    /* Unified addressing tells the direction from the pointers. */
    int rc = (int)cudaMemcpyAsync(ezc_array_data(dst), ezc_array_data(src), n, cudaMemcpyDefault,
                                  cudaStreamPerThread);
    if (!rc)
        rc = (int)cudaStreamSynchronize(cudaStreamPerThread);
    return rc ? ezc_cuda_fail(err, "copy", rc) : 0;
}
