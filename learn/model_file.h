/* model_file.h — fitted learner parameters on disk (docs/learn.md).
 *
 * One msgpack map per file: {"ezc_model": 1, "kind": "lda", "arrays":
 * {name: {"dtype": "float64"|"float32", "shape": [..], "data": bin}},
 * "labels": [..] (optional; all strings or all numbers)}. Data are C-order
 * little-endian; in memory every array is float64. Written by
 * ezc_model_save and by tools/python/ezc_models.py (numpy only). */
#ifndef EZC_LEARN_MODEL_FILE_H
#define EZC_LEARN_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "ezc/error.h"

#define EZC_MODEL_VERSION 1
#define EZC_MODEL_MAX_ARRAYS 16

typedef struct ezc_model_array {
    char name[32];
    int ndim; /* 0..2 */
    int64_t shape[2];
    double *data; /* owned */
} ezc_model_array;

typedef struct ezc_model {
    char kind[32];
    size_t narrays;
    ezc_model_array arrays[EZC_MODEL_MAX_ARRAYS];
    size_t nlabels;
    char **labels;        /* string labels, or NULL */
    double *label_values; /* numeric labels, or NULL */
} ezc_model;

/* An empty model of `kind`; caller owns it (ezc_model_destroy). */
ezc_model *ezc_model_new(const char *kind, ezc_error *err);
void ezc_model_destroy(ezc_model **m);
/* Adds a copy of data (ndim 0..2, C order). */
int ezc_model_add(ezc_model *m, const char *name, int ndim, const int64_t *shape,
                  const double *data, ezc_error *err);
/* Copies n labels: strings when labels != NULL, else the numbers in values. */
int ezc_model_set_labels(ezc_model *m, size_t n, const char *const *labels, const double *values,
                         ezc_error *err);
/* Reads `path`; errors name the file and what is wrong with it. */
int ezc_model_load(const char *path, ezc_model **out, ezc_error *err);
int ezc_model_save(const char *path, const ezc_model *m, ezc_error *err);
/* The array `name` with ndim dims; shape entries < 0 accept any length.
 * Errors name the file (path, may be NULL), the array and the shape wanted. */
const ezc_model_array *ezc_model_get(const ezc_model *m, const char *path, const char *name,
                                     int ndim, const int64_t *shape, ezc_error *err);

#endif
