/* ezc/npy.h — NumPy .npy files (format versions 1.0, 2.0 and 3.0), so that
 * recorded arrays from any numpy program can be published (`ezc pub --npy`)
 * and learners can exchange arrays with Python.
 *
 * Read: little-endian (or byte-sized) dtypes ezc knows, C order only; a
 * Fortran-order or big-endian file is refused with a message saying how to
 * save it instead. Write: version 1.0 (2.0 when the header needs it). */
#ifndef EZC_NPY_H
#define EZC_NPY_H

#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The array in `path`, on the host; dims named dim0, dim1, ... Caller owns
 * it. NULL with err ("npy FILE: ...") on any problem. */
ezc_array *ezc_npy_load(const char *path, ezc_error *err);
/* Writes a's data (host, C order) to `path`. */
int ezc_npy_save(const char *path, const ezc_array *a, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
