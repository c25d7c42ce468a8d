/* ezc/dtype.h — the element types an AxisArray can hold.
 *
 * ezc_dtype is a small enum for switch statements; it maps one to one onto
 * DLPack's DLDataType (bool uses code 6, DLPack's later kDLBool). Names are
 * numpy's ("float32", "complex64", "bool") so a Python peer can pass them to
 * numpy.dtype() unchanged. */
#ifndef EZC_DTYPE_H
#define EZC_DTYPE_H

#include <stddef.h>
#include <dlpack/dlpack.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_DL_BOOL 6

typedef enum {
    EZC_DTYPE_INVALID = 0,
    EZC_FLOAT32,
    EZC_FLOAT64,
    EZC_INT8,
    EZC_INT16,
    EZC_INT32,
    EZC_INT64,
    EZC_UINT8,
    EZC_UINT16,
    EZC_UINT32,
    EZC_UINT64,
    EZC_BOOL,
    EZC_COMPLEX64,
    EZC_COMPLEX128,
    EZC_DTYPE_COUNT
} ezc_dtype;

/* Bytes per element; 0 for EZC_DTYPE_INVALID. */
size_t ezc_dtype_size(ezc_dtype t);
/* numpy name ("float32"); "invalid" for an unknown value. */
const char *ezc_dtype_name(ezc_dtype t);
/* Parses a numpy name; EZC_DTYPE_INVALID if unknown. len may be (size_t)-1
 * for a NUL-terminated string. */
ezc_dtype ezc_dtype_from_name(const char *name, size_t len);
DLDataType ezc_dtype_to_dl(ezc_dtype t);
ezc_dtype ezc_dtype_from_dl(DLDataType dl);

int ezc_dtype_is_float(ezc_dtype t);   /* float32, float64 */
int ezc_dtype_is_complex(ezc_dtype t); /* complex64, complex128 */
int ezc_dtype_is_int(ezc_dtype t);     /* signed or unsigned integers (not bool) */
int ezc_dtype_is_signed(ezc_dtype t);
/* The real type of a complex one (complex64 -> float32); t itself otherwise. */
ezc_dtype ezc_dtype_real(ezc_dtype t);
/* The complex type with t's precision (float32 -> complex64). */
ezc_dtype ezc_dtype_complex(ezc_dtype t);

#ifdef __cplusplus
}
#endif
#endif
