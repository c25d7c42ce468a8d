/* cuda/ipc.h — what the core and the CUDA module share for CUDA IPC
 * (internal; plain C, no CUDA headers: the core includes it).
 *
 * The module registers a small table of functions when it starts
 * (ezc_xp_cuda_entry); the core's publisher and wire decoder call them
 * through ezc_cuda_ipc_ops_get, which loads the module on first use (a
 * sender holding cuda arrays has it already; a receiver decodes cuda_ipc
 * only once configuration loaded it: see open_default in wire_decode.c). */
#ifndef EZC_CUDA_IPC_H
#define EZC_CUDA_IPC_H

#include <stdint.h>
#include "ezc/wire.h"

#define EZC_CUDA_IPC_ABI 1

typedef struct ezc_cuda_ipc_counters {
    uint64_t ipc_sends;    /* arrays exported as IPC handles */
    uint64_t ipc_receives; /* arrays received through IPC handles */
    uint64_t host_copies;  /* copies between a cuda device and the host (xp.copy) */
    uint64_t expired;      /* IPC receives refused: the sender's lease had ended */
} ezc_cuda_ipc_counters;

typedef struct ezc_cuda_ipc_ops {
    int abi;
    /* Fills ipc for a's data (on a cuda device) and holds a reference to
     * a's buffer under a lease (docs/wire-format.md). */
    int (*export_array)(const ezc_array *a, ezc_wire_cuda_ipc *ipc, ezc_error *err);
    /* A buffer on cuda:<ipc->device> with a copy of the nbytes ipc names
     * (device to device), or NULL with err (EZC_EPROTO for a lease that
     * ended, EZC_EIO for a CUDA failure). */
    ezc_buffer *(*import)(const ezc_wire_cuda_ipc *ipc, size_t nbytes, ezc_error *err);
    void (*counters)(ezc_cuda_ipc_counters *out);
} ezc_cuda_ipc_ops;

/* Called by the module when it starts (core/transport_hooks.c keeps it). */
void ezc_cuda_ipc_register(const ezc_cuda_ipc_ops *ops);

/* The module's table, loading the module (ezc_xp_for cuda:device) when
 * needed; NULL with err ("no CUDA device to open the IPC handle: ...")
 * where there is none. */
const ezc_cuda_ipc_ops *ezc_cuda_ipc_ops_get(int device, ezc_error *err);

/* The module's counters; zeros when it is not loaded. */
void ezc_cuda_ipc_counters_get(ezc_cuda_ipc_counters *out);

#endif
