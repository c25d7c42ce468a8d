/* node_kinds.c — the one table of the sources and sinks a graph can name
 * beside the transformers. Each kind is a file of its own exporting an
 * ezc_node_kind whose hooks follow node_kind.h; adding one is that file,
 * an extern and a row here. The order is the one `ezc list` shows. */
#include <string.h>
#include "node_kind.h"

extern const ezc_node_kind ezc_source_sine, ezc_source_noise, ezc_source_counter;
extern const ezc_node_kind ezc_source_subscribe, ezc_source_synth_mi;
extern const ezc_node_kind ezc_sink_publish, ezc_sink_print, ezc_sink_record;

static const ezc_node_kind *const kinds[] = {
    &ezc_source_sine,      &ezc_source_noise,    &ezc_source_counter,
    &ezc_sink_publish,     &ezc_sink_print,      &ezc_sink_record,
    &ezc_source_subscribe, &ezc_source_synth_mi, NULL,
};

const ezc_node_kind *const *ezc_node_kinds(void)
{
    return kinds;
}

const ezc_node_kind *ezc_node_kind_find(const char *name)
{
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kinds[i]->name, name))
            return kinds[i];
    return NULL;
}
