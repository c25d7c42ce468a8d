/* transport_hooks.h — device hooks the transport calls (internal).
 *
 * A device module that can hand its arrays to another process without a
 * trip through the host (CUDA IPC now, shared memory next) registers a table
 * of functions here when it starts; the publisher exports through it and the
 * wire decoder imports through it, so neither names a device API and the
 * decoder holds no registry. One row per hook; each hook's table type and
 * ABI live with the module that fills it (cuda/ipc.h for CUDA IPC). */
#ifndef EZC_TRANSPORT_HOOKS_H
#define EZC_TRANSPORT_HOOKS_H

typedef enum {
    EZC_HOOK_CUDA_IPC, /* "data": "cuda_ipc"; table: ezc_cuda_ipc_ops */
    EZC_HOOK_COUNT
} ezc_transport_hook;

/* Installs (or, with NULL, removes) the table for hook; thread-safe. Called
 * by a module when it starts. */
void ezc_transport_hook_set(ezc_transport_hook hook, const void *ops);

/* The table for hook when one is registered and its first member (an int
 * ABI, as every hook table starts) equals abi; else NULL. Never loads a
 * module. */
const void *ezc_transport_hook_get(ezc_transport_hook hook, int abi);

#endif
