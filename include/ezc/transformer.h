/* ezc/transformer.h — the transformer contract.
 *
 * A transformer type is a plain table: name, summary, settings schema,
 * input ports, and init / process / fini. `init` parses settings and
 * allocates; `process` handles one message and allocates nothing on the
 * steady path; state that depends on the stream (filter state, carried
 * samples) is rebuilt when the stream's template changes
 * (ezc_template_changed). A transformer never includes ZeroMQ, msgpack or
 * CUDA headers: it sees arrays and an xp.
 *
 * Threads: a type is an immutable table, shared freely. An instance (its
 * state) belongs to one thread at a time: the runtime never calls process
 * on one instance from two threads at once, so process needs no lock; two
 * instances of one type run concurrently, so a type keeps no mutable
 * globals (or guards them itself). init and fini may run on any thread.
 *
 * End of stream: a transformer is not called when its inputs end. process
 * has already returned everything it computed; what its state holds
 * unfinished (a partial window, carried samples) is dropped with it, never
 * padded out into an extra output. The runtime passes the end on. */
#ifndef EZC_TRANSFORMER_H
#define EZC_TRANSFORMER_H

#include "array.h"
#include "settings.h"
#include "xp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_port_spec {
    const char *name;
    const char *doc;
} ezc_port_spec;

typedef struct ezc_transformer_type {
    const char *name;                 /* as written in graph files: "clip" */
    const char *summary;              /* one line for `ezc list` */
    const ezc_setting_spec *settings; /* NULL-name terminated; NULL = none */
    const ezc_port_spec *inputs;      /* NULL-name terminated; NULL = one port "in" */

    /* Creates the state from validated settings. */
    int (*init)(void **state, const ezc_settings *s, ezc_error *err);
    /* Handles one message arriving on input port `port` (index into inputs).
     * Takes ownership of `in` whatever it returns. Sets *out to the result
     * (which may be `in` itself, computed in place) or NULL when this
     * message yields no output. On error *out is NULL and err says why; the
     * state stays usable for the next message. */
    int (*process)(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                   ezc_error *err);
    /* Frees the state (NULL-safe). */
    void (*fini)(void *state);

    /* Optional (NULL: none), plugin ABI 2: takes new settings between two
     * messages (live control: `ezc set`, docs/control.md), keeping the
     * state where that is meaningful (a filter redesigned for a new cutoff
     * keeps its delay line). s has passed the schema and init accepts it
     * (the runtime tried it on a fresh instance first), so update fails
     * only for what it cannot do (out of memory); on error the state and
     * the old settings stay as they were. On success s becomes the
     * instance's settings (init's pointers into the old ones must not be
     * used any more; they are freed after update returns). Runs on the
     * thread that calls process. Without it a settings change re-creates
     * the instance: init with the new settings, the old state dropped.
     * Read only on types held by a registry, which gives the types of an
     * ABI-1 plugin (built before this field existed) a copy with it NULL.
     * New fields go after this one, never before. */
    int (*update)(void *state, const ezc_settings *s, ezc_error *err);
} ezc_transformer_type;

/* An instance: a type, its state, and its validated settings (kept for the
 * instance's lifetime, so init may keep pointers to strings and lists). */
typedef struct ezc_transformer {
    const ezc_transformer_type *type;
    void *state;
    ezc_settings *settings;
} ezc_transformer;

/* Validates settings (a copy is checked and kept; s may be NULL for
 * defaults), runs init. Caller owns the result. */
ezc_transformer *ezc_transformer_new(const ezc_transformer_type *type, const ezc_settings *s,
                                     ezc_error *err);
void ezc_transformer_destroy(ezc_transformer **t);
/* Resolves xp from the message and calls process; error messages are
 * prefixed with the type name. */
int ezc_transformer_process(ezc_transformer *t, int port, ezc_array *in, ezc_array **out,
                            ezc_error *err);
/* Takes new settings (s: the whole set, not only what changed; copied)
 * between two messages: validated against the type's schema, then given to
 * the type's update hook, which keeps the state (*kept = 1), or, without
 * one, a new state made by init (*kept = 0; the old state is dropped). On
 * error nothing changed (old settings and state stay) and err says why,
 * prefixed with the type name as validation and init messages are. The
 * caller must not run process on t at the same time. */
int ezc_transformer_update(ezc_transformer *t, const ezc_settings *s, int *kept, ezc_error *err);
/* Number of input ports (1 when the type declares none). */
int ezc_transformer_type_nports(const ezc_transformer_type *type);
int ezc_transformer_type_port_index(const ezc_transformer_type *type, const char *name);

/* A stream template: what a stateful transformer's state depends on. */
typedef struct ezc_template {
    int valid;
    ezc_dtype dtype;
    DLDevice device;
    int ndim;
    int axis; /* the processed axis, excluded from shape */
    int64_t shape[EZC_MAX_DIMS];
    char dims[EZC_MAX_DIMS][EZC_NAME_MAX];
    double gain;  /* processed axis gain when linear */
    char key[64]; /* the stream key: its first 63 characters (keys that differ only
                     beyond them count as the same stream) */
} ezc_template;

/* True (and tpl updated) when a's template differs from tpl: dtype, device,
 * dims, shape except along `axis`, that axis's gain (sampling rate), key.
 * axis may be -1 (whole shape compared). */
int ezc_template_changed(ezc_template *tpl, const ezc_array *a, int axis);

#ifdef __cplusplus
}
#endif
#endif
