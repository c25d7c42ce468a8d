/* align.c — two streams matched by sampling time (ezmsg-sigproc's
 * AlignAlongAxis): the aligner of stream_align.h, whose two time-matched
 * chunks ezc, with one output per transformer, emits stacked along a new
 * last dim `stream` labelled "a", "b". */
#include <stdlib.h>
#include "stream_align.h"
#include "stream_concat.h"

typedef struct {
    ezc_stream_align al;
    ezc_stream_concat cat;
} align_state;

static const ezc_port_spec align_ports[] = {
    {"a", "first stream"},
    {"b", "second stream"},
    {NULL, NULL},
};

static const ezc_setting_spec align_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to align on: a linear axis (\"\": the first dim)", 0,
     NULL},
    {"buffer_dur", EZC_SETTING_FLOAT, "10", "seconds each port may buffer before drops", 0, NULL},
    {"gain_rtol", EZC_SETTING_FLOAT, "1e-6", "relative tolerance for equal sampling rates", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void align_fini(void *state)
{
    align_state *st = state;
    if (!st)
        return;
    ezc_stream_align_fini(&st->al);
    ezc_stream_concat_fini(&st->cat);
    free(st);
}

static int align_init(void **state, const ezc_settings *s, ezc_error *err)
{
    align_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "align: out of memory");
    int rc = ezc_stream_align_init(&st->al, "align", s, "axis", err);
    if (!rc)
        rc = ezc_stream_concat_init_labels(&st->cat, "align", NULL, "stream", "a", "b", err);
    if (rc) {
        align_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int align_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    (void)xp;
    align_state *st = state;
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

const ezc_transformer_type ezc_align_type = {
    .name = "align",
    .summary = "two streams matched by sampling time, stacked along a new dim 'stream'",
    .settings = align_settings,
    .inputs = align_ports,
    .init = align_init,
    .process = align_process,
    .fini = align_fini,
};
