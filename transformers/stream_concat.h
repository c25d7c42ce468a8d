/* stream_concat.h — joins two messages along a dim (not installed): what
 * concat, merge and align share. The dim may exist in both (coordinates
 * joined, relabelled with per-side suffixes) or in neither (a new last dim
 * labelled label_a, label_b). The merged coordinate table is cached and
 * rebuilt only when an input's table changes, so the steady path allocates
 * no data and only small headers. */
#ifndef EZC_STREAM_CONCAT_H
#define EZC_STREAM_CONCAT_H

#include "ezc/plugin.h"

typedef struct ezc_stream_concat {
    const char *tf;         /* transformer name, for messages */
    const char *axis;       /* the dim joined along */
    const char *align_axis; /* skipped by the shared-axes check (may be NULL) */
    const char *label_a, *label_b;
    const char *new_key; /* NULL: a's key */
    int relabel, assert_identical;
    ezc_buffer *cache;
    ezc_coords *in_a, *in_b, *merged; /* merged table and the inputs it was built from */
    ezc_coords *new_labels;           /* [label_a, label_b] for a new dim */
} ezc_stream_concat;

/* Reads the settings `axis` (default dflt_axis), `relabel_axis`, `label_a`,
 * `label_b` (defaults "_a", "_b"), `new_key` and
 * `assert_identical_shared_axes`, those s has (s NULL: the defaults). */
int ezc_stream_concat_init(ezc_stream_concat *c, const char *tf, const ezc_settings *s,
                           const char *dflt_axis, ezc_error *err);
/* The same with other default labels (align's "a", "b"). */
int ezc_stream_concat_init_labels(ezc_stream_concat *c, const char *tf, const ezc_settings *s,
                                  const char *dflt_axis, const char *label_a, const char *label_b,
                                  ezc_error *err);
void ezc_stream_concat_fini(ezc_stream_concat *c);
/* *out = a and b joined along c->axis: a's metadata (other axes, seq,
 * time stamps), c->new_key or a's key, the attrs equal in both. dtype,
 * device and the other dims (names, order, lengths) must match; errors name
 * both sides. a and b are not consumed. */
int ezc_stream_concat_run(ezc_stream_concat *c, const ezc_array *a, const ezc_array *b,
                          ezc_array **out, ezc_error *err);

#endif
