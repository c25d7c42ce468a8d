/* xp.c — resolving the array namespace from a device.
 *
 * One backend table per device type. The CPU one is always there; the CUDA
 * one lives in libezc-cuda.so, dlopened on first request so that a single
 * build runs on machines with and without a GPU. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xp_check.h"
#include <unistd.h>
#include "ezc/xp.h"

extern const ezc_xp ezc_xp_cpu_table;

#define MAX_BACKENDS 16
static const ezc_xp *backends[MAX_BACKENDS];
static pthread_mutex_t xp_lock = PTHREAD_MUTEX_INITIALIZER;
static int cuda_tried;
static char cuda_error[EZC_ERROR_MSG_MAX];

const ezc_xp *ezc_xp_cpu(void) { return &ezc_xp_cpu_table; }

int ezc_xp_register(const ezc_xp *xp, ezc_error *err)
{
    if (!xp || xp->abi != EZC_XP_ABI)
        return ezc_error_set(err, EZC_EABI, "xp backend '%s' built for xp ABI %d, this ezc has %d",
                             xp && xp->name ? xp->name : "?", xp ? xp->abi : -1, EZC_XP_ABI);
    if ((int)xp->device_type <= 0 || (int)xp->device_type >= MAX_BACKENDS)
        return ezc_error_set(err, EZC_EINVAL, "xp backend '%s': bad device type %d", xp->name,
                             (int)xp->device_type);
    pthread_mutex_lock(&xp_lock);
    backends[xp->device_type] = xp;
    pthread_mutex_unlock(&xp_lock);
    return 0;
}

typedef const ezc_xp *(*cuda_entry_fn)(char *errbuf, size_t n);

/* The module is looked for where the user says (EZC_CUDA_MODULE), next to
 * libezc itself (an install or a bundle), in the build tree, and then on
 * the loader's path. */
static void *open_cuda_module(const char **path_out)
{
    static char candidate[4096];
    const char *env = getenv("EZC_CUDA_MODULE");
    if (env) {
        *path_out = env;
        return dlopen(env, RTLD_NOW | RTLD_LOCAL);
    }
    Dl_info info;
    if (dladdr((void *)ezc_xp_for, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        int dir = slash ? (int)(slash - info.dli_fname) : 0;
        static const char *rel[] = {"libezc-cuda.so", "core/cuda/libezc-cuda.so"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(candidate, sizeof candidate, "%.*s%s%s", dir, info.dli_fname,
                     slash ? "/" : "", rel[i]);
            if (access(candidate, R_OK) == 0) {
                *path_out = candidate;
                return dlopen(candidate, RTLD_NOW | RTLD_LOCAL);
            }
        }
    }
    *path_out = "libezc-cuda.so";
    return dlopen("libezc-cuda.so", RTLD_NOW | RTLD_LOCAL);
}

/* Loads libezc-cuda once; remembers why it failed. Caller holds xp_lock. */
static void try_load_cuda(void)
{
    if (cuda_tried)
        return;
    cuda_tried = 1;
    const char *path = NULL;
    void *h = open_cuda_module(&path);
    if (!h) {
        snprintf(cuda_error, sizeof cuda_error, "the CUDA backend module is not loaded (%.400s)",
                 dlerror());
        return;
    }
    cuda_entry_fn entry = (cuda_entry_fn)dlsym(h, "ezc_xp_cuda_entry");
    if (!entry) {
        snprintf(cuda_error, sizeof cuda_error, "%.400s has no ezc_xp_cuda_entry",
                 path ? path : "libezc-cuda.so");
        dlclose(h);
        return;
    }
    char why[EZC_ERROR_MSG_MAX] = "";
    const ezc_xp *xp = entry(why, sizeof why);
    if (!xp || xp->abi != EZC_XP_ABI) {
        snprintf(cuda_error, sizeof cuda_error, "the CUDA backend did not start: %.400s",
                 xp ? "xp ABI mismatch" : why);
        return; /* keep the module loaded: unloading CUDA runtimes is unsafe */
    }
    backends[kDLCUDA] = xp;
}

const ezc_xp *ezc_xp_for(DLDevice device, ezc_error *err)
{
    if (device.device_type == kDLCPU)
        return &ezc_xp_cpu_table;
    const ezc_xp *xp = NULL;
    pthread_mutex_lock(&xp_lock);
    if ((int)device.device_type > 0 && (int)device.device_type < MAX_BACKENDS) {
        if (device.device_type == kDLCUDA && !backends[kDLCUDA])
            try_load_cuda();
        xp = backends[device.device_type];
    }
    pthread_mutex_unlock(&xp_lock);
    if (!xp) {
        char name[32];
        ezc_device_format(device, name, sizeof name);
        if (device.device_type == kDLCUDA)
            ezc_error_set(err, EZC_EDEVICE, "no array backend for device %s: %s", name,
                          cuda_error);
        else
            ezc_error_set(err, EZC_EDEVICE, "no array backend for device %s", name);
    }
    return xp;
}

const ezc_xp *ezc_xp_loaded(DLDevice device)
{
    if (device.device_type == kDLCPU)
        return &ezc_xp_cpu_table;
    if ((int)device.device_type <= 0 || (int)device.device_type >= MAX_BACKENDS)
        return NULL;
    pthread_mutex_lock(&xp_lock);
    const ezc_xp *xp = backends[device.device_type];
    pthread_mutex_unlock(&xp_lock);
    return xp;
}

const ezc_xp *ezc_xp_of(const ezc_array *a, ezc_error *err)
{
    return ezc_xp_for(a->tensor.device, err);
}

int ezc_xp_unsupported(const ezc_xp *xp, const char *op, ezc_error *err)
{
    return ezc_error_set(err, EZC_ENOTSUP, "xp.%s is not implemented by the %s backend", op,
                         xp && xp->name ? xp->name : "?");
}

ezc_dtype ezc_reduce_dtype(ezc_reduce_op op, ezc_dtype t)
{
    op = ezc_xp_reduce_base(op, NULL); /* the nan- forms share their base's dtype */
    if (op == EZC_REDUCE_ARGMIN || op == EZC_REDUCE_ARGMAX)
        return EZC_INT64;
    if (ezc_dtype_is_float(t) || op == EZC_REDUCE_MIN || op == EZC_REDUCE_MAX)
        return t;
    if (op == EZC_REDUCE_SUM || op == EZC_REDUCE_PROD)
        return ezc_dtype_is_signed(t) ? EZC_INT64 : EZC_UINT64;
    return EZC_FLOAT64;
}
