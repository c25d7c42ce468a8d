/* difference_streams.c — a - b of two streams, paired in arrival order
 * (ezmsg-sigproc's two-input Difference). Output metadata from port a. */
#include "stream_pair.h"

static int difference_streams_init(void **state, const ezc_settings *s, ezc_error *err)
{
    return ezc_stream_pair_new("difference_streams", state, s, err);
}

static int difference_streams_process(void *state, int port, ezc_array *in, ezc_array **out,
                                      const ezc_xp *xp, ezc_error *err)
{
    return ezc_stream_pair_combine("difference_streams", EZC_BINARY_SUB, state, port, in, out, xp,
                                   err);
}

const ezc_transformer_type ezc_difference_streams_type = {
    .name = "difference_streams",
    .summary = "a - b of two streams, paired in arrival order",
    .settings = ezc_stream_pair_settings,
    .inputs = ezc_stream_pair_ports,
    .init = difference_streams_init,
    .process = difference_streams_process,
    .fini = ezc_stream_pair_free,
};
