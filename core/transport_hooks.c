/* transport_hooks.c — the registry of device hooks for the transport
 * (transport_hooks.h), and the typed CUDA IPC front of it (cuda/ipc.h).
 *
 * Hook tables are published with release/acquire atomics: a module stores
 * its table once when it starts, and senders and receivers on any thread
 * read it without a lock. Looking a hook up never loads a module; only
 * ezc_cuda_ipc_ops_get does, through ezc_xp_for, for a sender that holds
 * cuda arrays (a receiver checks ezc_xp_loaded first). */
#include <string.h>
#include "cuda/ipc.h"
#include "ezc/xp.h"
#include "transport_hooks.h"

static const void *hooks[EZC_HOOK_COUNT];

void ezc_transport_hook_set(ezc_transport_hook hook, const void *ops)
{
    if ((unsigned)hook < EZC_HOOK_COUNT)
        __atomic_store_n(&hooks[hook], ops, __ATOMIC_RELEASE);
}

const void *ezc_transport_hook_get(ezc_transport_hook hook, int abi)
{
    if ((unsigned)hook >= EZC_HOOK_COUNT)
        return NULL;
    const void *ops = __atomic_load_n(&hooks[hook], __ATOMIC_ACQUIRE);
    return ops && *(const int *)ops == abi ? ops : NULL;
}

/* ---- CUDA IPC ---- */

void ezc_cuda_ipc_register(const ezc_cuda_ipc_ops *ops)
{
    ezc_transport_hook_set(EZC_HOOK_CUDA_IPC, ops);
}

const ezc_cuda_ipc_ops *ezc_cuda_ipc_ops_get(int device, ezc_error *err)
{
    ezc_error xerr = {0, ""};
    if (!ezc_xp_for(ezc_device_cuda(device), &xerr)) {
        ezc_error_set(err, EZC_EDEVICE, "%s", xerr.msg);
        return NULL;
    }
    const ezc_cuda_ipc_ops *ops = ezc_transport_hook_get(EZC_HOOK_CUDA_IPC, EZC_CUDA_IPC_ABI);
    if (!ops) {
        ezc_error_set(err, EZC_EDEVICE, "the CUDA module has no IPC support of ABI %d",
                      EZC_CUDA_IPC_ABI);
        return NULL;
    }
    return ops;
}

void ezc_cuda_ipc_counters_get(ezc_cuda_ipc_counters *out)
{
    const ezc_cuda_ipc_ops *ops = ezc_transport_hook_get(EZC_HOOK_CUDA_IPC, EZC_CUDA_IPC_ABI);
    memset(out, 0, sizeof *out);
    if (ops)
        ops->counters(out);
}
