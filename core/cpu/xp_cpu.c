/* xp_cpu.c — the CPU backend's table and its memory operations. */
#include <string.h>
#include "cpu_internal.h"

ezc_buffer *ezc_cpu_alloc(DLDevice device, size_t nbytes, ezc_error *err)
{
    if (device.device_type != kDLCPU) {
        ezc_error_set(err, EZC_EDEVICE, "xp.alloc: the cpu backend cannot allocate on device type %d",
                      (int)device.device_type);
        return NULL;
    }
    return ezc_buffer_new_host(nbytes, err);
}

int ezc_cpu_copy(const ezc_array *src, ezc_array *dst, ezc_error *err)
{
    if (src->dtype != dst->dtype || ezc_array_size(src) != ezc_array_size(dst))
        return ezc_error_set(err, EZC_ESHAPE, "xp.copy: source and destination differ in dtype or size");
    if (src->tensor.device.device_type != kDLCPU || dst->tensor.device.device_type != kDLCPU)
        return ezc_error_set(err, EZC_EDEVICE, "xp.copy: the cpu backend copies host memory only");
    memmove(ezc_array_data(dst), ezc_array_data(src), ezc_array_nbytes(src));
    return 0;
}

const ezc_xp ezc_xp_cpu_table = {
    .abi = EZC_XP_ABI,
    .name = "cpu",
    .device_type = kDLCPU,
    .alloc = ezc_cpu_alloc,
    .copy = ezc_cpu_copy,
};
