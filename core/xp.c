/* xp.c — resolving the array namespace from a device.
 *
 * One backend table per device type. The CPU one is always there; every
 * other backend is a module (libezc-cuda.so, ...) listed in `modules` below
 * and dlopened on the first request for its device type, so that a single
 * build runs on machines with and without the hardware. A new backend is a
 * folder under core/ that builds its module plus one row here. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xp_check.h"
#include <unistd.h>
#include "ezc/xp.h"

extern const ezc_xp ezc_xp_cpu_table;

/* A backend module: what to dlopen for a device type and what to call in it.
 * The entry function returns the module's table, or NULL with the reason in
 * errbuf (no device, driver too old, ...). */
typedef struct {
    DLDeviceType device_type;
    const char *name;      /* in messages: "the CUDA backend ..." */
    const char *env;       /* a path to the module that overrides the search */
    const char *file;      /* the module's file name */
    const char *build_dir; /* where the build tree puts it, from libezc's dir */
    const char *entry;     /* const ezc_xp *entry(char *errbuf, size_t n) */
} backend_module;

static const backend_module modules[] = {
    {kDLCUDA, "CUDA", "EZC_CUDA_MODULE", "libezc-cuda.so", "core/cuda/", "ezc_xp_cuda_entry"},
};
#define NMODULES (sizeof modules / sizeof modules[0])

typedef const ezc_xp *(*module_entry_fn)(char *errbuf, size_t n);

#define MAX_BACKENDS 16
static const ezc_xp *backends[MAX_BACKENDS];
static pthread_mutex_t xp_lock = PTHREAD_MUTEX_INITIALIZER;
/* Per module row: tried once; why it failed. Guarded by xp_lock. */
static int module_tried[NMODULES];
static char module_error[NMODULES][EZC_ERROR_MSG_MAX];

const ezc_xp *ezc_xp_cpu(void)
{
    return &ezc_xp_cpu_table;
}

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

/* The row for a device type, or -1 when no module serves it. */
static int module_for(DLDeviceType type)
{
    for (size_t i = 0; i < NMODULES; i++)
        if (modules[i].device_type == type)
            return (int)i;
    return -1;
}

/* The module is looked for where the user says (m->env), next to libezc
 * itself (an install or a bundle), in the build tree, and then on the
 * loader's path. */
static void *open_module(const backend_module *m, const char **path_out)
{
    static char candidate[4096];
    const char *env = getenv(m->env);
    if (env) {
        *path_out = env;
        return dlopen(env, RTLD_NOW | RTLD_LOCAL);
    }
    Dl_info info;
    if (dladdr((void *)ezc_xp_for, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        int dir = slash ? (int)(slash - info.dli_fname) : 0;
        const char *rel[] = {"", m->build_dir};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(candidate, sizeof candidate, "%.*s%s%s%s", dir, info.dli_fname,
                     slash ? "/" : "", rel[i], m->file);
            if (access(candidate, R_OK) == 0) {
                *path_out = candidate;
                return dlopen(candidate, RTLD_NOW | RTLD_LOCAL);
            }
        }
    }
    *path_out = m->file;
    return dlopen(m->file, RTLD_NOW | RTLD_LOCAL);
}

/* Loads module row i once; remembers why it failed. Caller holds xp_lock. */
static void try_load(int i)
{
    if (module_tried[i])
        return;
    module_tried[i] = 1;
    const backend_module *m = &modules[i];
    char *why_not = module_error[i];
    const char *path = NULL;
    void *h = open_module(m, &path);
    if (!h) {
        snprintf(why_not, EZC_ERROR_MSG_MAX, "the %s backend module is not loaded (%.400s)",
                 m->name, dlerror());
        return;
    }
    module_entry_fn entry = (module_entry_fn)dlsym(h, m->entry);
    if (!entry) {
        snprintf(why_not, EZC_ERROR_MSG_MAX, "%.400s has no %s", path ? path : m->file, m->entry);
        dlclose(h);
        return;
    }
    char why[EZC_ERROR_MSG_MAX] = "";
    const ezc_xp *xp = entry(why, sizeof why);
    if (!xp || xp->abi != EZC_XP_ABI || xp->device_type != m->device_type) {
        snprintf(why_not, EZC_ERROR_MSG_MAX, "the %s backend did not start: %.400s", m->name,
                 !xp                     ? why
                 : xp->abi != EZC_XP_ABI ? "xp ABI mismatch"
                                         : "wrong device type");
        return; /* keep the module loaded: unloading device runtimes is unsafe */
    }
    backends[m->device_type] = xp;
}

const ezc_xp *ezc_xp_for(DLDevice device, ezc_error *err)
{
    if (device.device_type == kDLCPU)
        return &ezc_xp_cpu_table;
    const ezc_xp *xp = NULL;
    int row = module_for(device.device_type);
    pthread_mutex_lock(&xp_lock);
    if ((int)device.device_type > 0 && (int)device.device_type < MAX_BACKENDS) {
        if (row >= 0 && !backends[device.device_type])
            try_load(row);
        xp = backends[device.device_type];
    }
    pthread_mutex_unlock(&xp_lock);
    if (!xp) {
        char name[32];
        ezc_device_format(device, name, sizeof name);
        if (row >= 0)
            ezc_error_set(err, EZC_EDEVICE, "no array backend for device %s: %s", name,
                          module_error[row]);
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
