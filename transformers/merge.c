/* merge.c — two streams matched by sampling time and joined along a dim
 * (ezmsg-sigproc's Merge = AlignAlongAxis then Concat): the aligner of
 * stream_align.h feeding the join of stream_concat.h. */
#include <stdlib.h>
#include "stream_align.h"
#include "stream_concat.h"

typedef struct {
    ezc_stream_align al;
    ezc_stream_concat cat;
} merge_state;

static const ezc_port_spec merge_ports[] = {
    {"a", "first stream"},
    {"b", "second stream"},
    {NULL, NULL},
};

static const ezc_setting_spec merge_settings[] = {
    {"axis", EZC_SETTING_STRING, "ch", "dim to join along (a new last dim when neither has it)", 0,
     NULL},
    {"align_axis", EZC_SETTING_STRING, "time",
     "dim to align on: a linear axis (\"\": the first dim)", 0, NULL},
    {"buffer_dur", EZC_SETTING_FLOAT, "10", "seconds each port may buffer before drops", 0, NULL},
    {"gain_rtol", EZC_SETTING_FLOAT, "1e-6", "relative tolerance for equal sampling rates", 0,
     NULL},
    {"relabel_axis", EZC_SETTING_BOOL, "true", "append label_a / label_b to the joined labels", 0,
     NULL},
    {"label_a", EZC_SETTING_STRING, "_a", "suffix of a's labels, or a's label on a new dim", 0,
     NULL},
    {"label_b", EZC_SETTING_STRING, "_b", "suffix of b's labels, or b's label on a new dim", 0,
     NULL},
    {"assert_identical_shared_axes", EZC_SETTING_BOOL, "false",
     "refuse pairs whose other dims have different coordinates or gains", 0, NULL},
    {"new_key", EZC_SETTING_STRING, NULL, "output key (absent: a's key)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void merge_fini(void *state)
{
    merge_state *st = state;
    if (!st)
        return;
    ezc_stream_align_fini(&st->al);
    ezc_stream_concat_fini(&st->cat);
    free(st);
}

static int merge_init(void **state, const ezc_settings *s, ezc_error *err)
{
    merge_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "merge: out of memory");
    int rc = ezc_stream_align_init(&st->al, "merge", s, "align_axis", err);
    if (!rc)
        rc = ezc_stream_concat_init(&st->cat, "merge", s, "ch", err);
    if (rc) {
        merge_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int merge_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    (void)xp;
    merge_state *st = state;
    ezc_array *a, *b;
    *out = NULL;
    int rc = ezc_stream_align_push(&st->al, port, in, &a, &b, err);
    if (rc || !a)
        return rc;
    rc = ezc_stream_concat_run(&st->cat, a, b, out, err);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    return rc;
}

const ezc_transformer_type ezc_merge_type = {
    .name = "merge",
    .summary = "two streams matched by sampling time and joined along a dim",
    .settings = merge_settings,
    .inputs = merge_ports,
    .init = merge_init,
    .process = merge_process,
    .fini = merge_fini,
};
