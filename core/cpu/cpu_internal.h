/* cpu_internal.h — what the CPU backend's files share (not installed). */
#ifndef EZC_CPU_INTERNAL_H
#define EZC_CPU_INTERNAL_H

#include "ezc/xp.h"

/* Each file of core/cpu implements a group of the table's operations. */
ezc_buffer *ezc_cpu_alloc(DLDevice device, size_t nbytes, ezc_error *err);
int ezc_cpu_copy(const ezc_array *src, ezc_array *dst, ezc_error *err);

#endif
