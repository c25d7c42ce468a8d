/* transformer.c — instances of transformer types and stream templates.
 *
 * The instance wrapper owns the guarantees the contract promises callers:
 * settings validated before init, `in` always consumed, *out NULL on error,
 * errors prefixed with the type name. */
#include <stdlib.h>
#include <string.h>
#include "ezc/transformer.h"

/* Prefixes "name: " unless the message already starts with it. */
static int prefix_once(ezc_error *err, const char *name)
{
    size_t n = strlen(name);
    if (err && !(strncmp(err->msg, name, n) == 0 && err->msg[n] == ':'))
        ezc_error_prefix(err, "%s", name);
    return err ? err->code : EZC_EINVAL;
}

ezc_transformer *ezc_transformer_new(const ezc_transformer_type *type, const ezc_settings *s,
                                     ezc_error *err)
{
    if (!type || !type->name || !type->process) {
        ezc_error_set(err, EZC_EINVAL, "transformer type '%s' has no process function",
                      type && type->name ? type->name : "?");
        return NULL;
    }
    ezc_settings *v = s ? ezc_settings_copy(s, err) : ezc_settings_new(err);
    if (!v)
        return NULL;
    ezc_transformer *t = calloc(1, sizeof *t);
    if (!t) {
        ezc_settings_destroy(&v);
        ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", type->name);
        return NULL;
    }
    t->type = type;
    int rc = ezc_settings_validate(v, type->settings, type->name, err);
    if (!rc && type->init) {
        rc = type->init(&t->state, v, err);
        if (rc)
            prefix_once(err, type->name);
    }
    if (rc) {
        ezc_settings_destroy(&v);
        free(t);
        return NULL;
    }
    t->settings = v;
    return t;
}

void ezc_transformer_destroy(ezc_transformer **tp)
{
    if (!tp || !*tp)
        return;
    if ((*tp)->type->fini)
        (*tp)->type->fini((*tp)->state);
    ezc_settings_destroy(&(*tp)->settings);
    free(*tp);
    *tp = NULL;
}

int ezc_transformer_update(ezc_transformer *t, const ezc_settings *s, int *kept, ezc_error *err)
{
    *kept = 0;
    ezc_settings *v = s ? ezc_settings_copy(s, err) : ezc_settings_new(err);
    if (!v)
        return err->code ? err->code : EZC_ENOMEM;
    int rc = ezc_settings_validate(v, t->type->settings, t->type->name, err);
    if (!rc && t->type->update) {
        if ((rc = t->type->update(t->state, v, err)))
            prefix_once(err, t->type->name);
        *kept = !rc;
    } else if (!rc) { /* no hook: a new instance, the old state dropped */
        void *state = NULL;
        if (t->type->init && (rc = t->type->init(&state, v, err)))
            prefix_once(err, t->type->name);
        if (!rc) {
            if (t->type->fini)
                t->type->fini(t->state);
            t->state = state;
        }
    }
    if (rc) {
        ezc_settings_destroy(&v);
        return rc;
    }
    ezc_settings_destroy(&t->settings);
    t->settings = v;
    return 0;
}

int ezc_transformer_process(ezc_transformer *t, int port, ezc_array *in, ezc_array **out,
                            ezc_error *err)
{
    *out = NULL;
    if (port < 0 || port >= ezc_transformer_type_nports(t->type)) {
        ezc_array_destroy(&in);
        return ezc_error_set(err, EZC_EINVAL, "%s: no input port %d", t->type->name, port);
    }
    const ezc_xp *xp = ezc_xp_of(in, err);
    if (!xp) {
        ezc_array_destroy(&in);
        return prefix_once(err, t->type->name);
    }
    int rc = t->type->process(t->state, port, in, out, xp, err);
    if (rc) {
        if (*out && *out != in)
            ezc_array_destroy(out);
        *out = NULL;
        prefix_once(err, t->type->name);
        return rc;
    }
    return 0;
}

int ezc_transformer_type_nports(const ezc_transformer_type *type)
{
    if (!type->inputs)
        return 1;
    int n = 0;
    while (type->inputs[n].name)
        n++;
    return n;
}

int ezc_transformer_type_port_index(const ezc_transformer_type *type, const char *name)
{
    if (!type->inputs)
        return strcmp(name, "in") == 0 ? 0 : -1;
    for (int i = 0; type->inputs[i].name; i++)
        if (strcmp(type->inputs[i].name, name) == 0)
            return i;
    return -1;
}

int ezc_template_changed(ezc_template *tpl, const ezc_array *a, int axis)
{
    ezc_template now;
    memset(&now, 0, sizeof now);
    now.valid = 1;
    now.dtype = a->dtype;
    now.device = a->tensor.device;
    now.ndim = a->tensor.ndim;
    now.axis = axis;
    for (int i = 0; i < a->tensor.ndim; i++) {
        now.shape[i] = i == axis ? -1 : a->shape[i];
        memcpy(now.dims[i], a->dims[i], EZC_NAME_MAX);
    }
    if (axis >= 0 && axis < a->tensor.ndim && a->axes[axis].kind == EZC_AXIS_LINEAR)
        now.gain = a->axes[axis].gain;
    strncpy(now.key, a->key ? a->key : "", sizeof now.key - 1);
    int changed = memcmp(&now, tpl, sizeof now) != 0;
    if (changed)
        *tpl = now;
    return changed;
}
