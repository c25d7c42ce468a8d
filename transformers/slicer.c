/* slicer.c — selects part of one axis (ezmsg-sigproc's Slicer).
 *
 * `selection` is a comma-separated list of items, each one of
 *   ""  ":"  "none"    everything;
 *   start:stop[:step]  a Python slice (negative indices count from the end);
 *   N                  one index;
 *   LABEL              the indices of that label on a coordinate axis, or
 *                      failing an exact match (and not an integer), of the
 *                      labels a POSIX extended regular expression matches
 *                      in full ("C[34]": C3 and C4).
 * A selection that is a single index drops the dim (as numpy's x[..., 5]).
 * Anything but one slice or one index is normalised as ezmsg-sigproc does:
 * duplicates removed (first occurrence wins) and, with order = axis (the
 * default), sorted into axis order, since a selection is a filter; order =
 * selection keeps the order of the tokens.
 * Coordinates are selected with the data; a linear axis keeps its gain and
 * moves its offset (times the step for a strided slice); an irregular pick
 * from a linear axis becomes a coordinate axis of the picked values
 * (ezmsg-sigproc leaves a linear axis' offset unchanged: a bug, not kept). */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef struct slicer_state {
    const char *selection, *axis;
    int by_axis; /* order = axis */
    ezc_template tpl;
    int64_t *idx;
    size_t n;
    int drop; /* a single index: remove the dim */
    ezc_buffer *cache;
} slicer_state;

static const ezc_setting_spec slicer_settings[] = {
    {"selection", EZC_SETTING_STRING, "", "e.g. '0:8', '::2', '1, 3, 5', 'Cz, Pz', '-1'", 0, NULL},
    {"axis", EZC_SETTING_STRING, NULL, "dim to select along (default: the last)", 0, NULL},
    {"order", EZC_SETTING_STRING, "axis",
     "a list's entries: axis = deduplicated, in axis order; selection = deduplicated, in "
     "token order",
     0, "axis|selection"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void slicer_fini(void *state)
{
    slicer_state *st = state;
    if (!st)
        return;
    free(st->idx);
    ezc_buffer_unref(&st->cache);
    free(st);
}

static int parse_int(const char *t, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(t, &end, 10);
    if (!*t || *end || errno)
        return -1;
    *v = x;
    return 0;
}

static char *trim(char *t)
{
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = 0;
    return t;
}

static int push(slicer_state *st, size_t *cap, int64_t v)
{
    if (st->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        int64_t *p = realloc(st->idx, nc * sizeof *p);
        if (!p)
            return -1;
        st->idx = p;
        *cap = nc;
    }
    st->idx[st->n++] = v;
    return 0;
}

/* Python's slice.indices(len) applied to "start:stop[:step]". */
static int parse_slice(slicer_state *st, size_t *cap, char *item, int64_t len, ezc_error *err)
{
    char *part[3] = {item, NULL, NULL};
    int np = 1;
    for (char *c = item; *c && np < 4; c++)
        if (*c == ':') {
            *c = 0;
            if (np == 3)
                np = 4;
            else
                part[np++] = c + 1;
        }
    int64_t v[3] = {0, 0, 1};
    int given[3] = {0, 0, 0};
    for (int i = 0; i < np && i < 3; i++) {
        char *t = trim(part[i]);
        if (!*t)
            continue;
        if (parse_int(t, &v[i]))
            return ezc_error_set(err, EZC_EINVAL,
                                 "slicer: setting 'selection' = '%s': '%s' is not an integer",
                                 st->selection, t);
        given[i] = 1;
    }
    if (np > 3 || (given[2] && v[2] == 0))
        return ezc_error_set(err, EZC_EINVAL, "slicer: setting 'selection' = '%s': %s",
                             st->selection, np > 3 ? "too many ':'" : "step 0");
    int64_t step = v[2], start, stop;
    if (step > 0) {
        start = given[0] ? v[0] : 0;
        stop = given[1] ? v[1] : len;
        if (start < 0)
            start = start + len < 0 ? 0 : start + len;
        if (stop < 0)
            stop = stop + len < 0 ? 0 : stop + len;
        if (start > len)
            start = len;
        if (stop > len)
            stop = len;
        for (int64_t i = start; i < stop; i += step)
            if (push(st, cap, i))
                return ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory");
    } else {
        start = given[0] ? v[0] : len - 1;
        stop = given[1] ? v[1] : -1 - len; /* "before 0" after the shift below */
        if (start < 0)
            start = start + len < 0 ? -1 : start + len;
        if (stop < 0)
            stop = stop + len < 0 ? -1 : stop + len;
        if (start >= len)
            start = len - 1;
        if (stop >= len)
            stop = len - 1;
        for (int64_t i = start; i > stop; i += step)
            if (push(st, cap, i))
                return ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory");
    }
    return 0;
}

/* The labels of dim `axis` that regular expression t matches in full
 * (POSIX extended; leftmost-longest, so a full match starts at 0 and ends
 * at the label's end). None is an error naming t, as is a bad expression. */
static int match_regex(slicer_state *st, size_t *cap, const char *t, const ezc_array *a, int axis,
                       ezc_error *err)
{
    regex_t re;
    int rc = regcomp(&re, t, REG_EXTENDED);
    if (rc) {
        char why[128];
        regerror(rc, &re, why, sizeof why);
        return ezc_error_set(err, EZC_EINVAL,
                             "slicer: setting 'selection' = '%s': '%s' is neither an index, a "
                             "label of dim '%s' nor a valid regular expression (%s)",
                             st->selection, t, a->dims[axis], why);
    }
    const ezc_coords *c = a->axes[axis].coords;
    size_t hits = 0;
    rc = 0;
    for (size_t i = 0; i < c->n && !rc; i++) {
        regmatch_t m;
        if (regexec(&re, c->labels[i], 1, &m, 0) == 0 && m.rm_so == 0 &&
            (size_t)m.rm_eo == strlen(c->labels[i])) {
            hits++;
            rc = push(st, cap, (int64_t)i) ? ezc_error_set(err, EZC_ENOMEM, "oom") : 0;
        }
    }
    regfree(&re);
    if (!rc && !hits)
        rc = ezc_error_set(err, EZC_ENOTFOUND,
                           "slicer: setting 'selection' = '%s': '%s' matched no label of dim "
                           "'%s' (neither exactly nor as a regular expression)",
                           st->selection, t, a->dims[axis]);
    return rc;
}

/* Drops repeated indices (the first stays) and, with order = axis, sorts
 * them: one pass over a mark per index of the axis. */
static int normalise(slicer_state *st, int64_t len, ezc_error *err)
{
    unsigned char *seen = calloc(len > 0 ? (size_t)len : 1, 1);
    if (!seen)
        return ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->idx[i] < 0 || st->idx[i] >= len) { /* more labels than entries */
            free(seen);
            return ezc_error_set(err, EZC_ESHAPE, "slicer: dim has %lld entries but more labels",
                                 (long long)len);
        }
        if (!seen[st->idx[i]]) {
            seen[st->idx[i]] = 1;
            st->idx[k++] = st->idx[i];
        }
    }
    st->n = k;
    if (st->by_axis)
        for (int64_t i = 0, j = 0; i < len; i++)
            if (seen[i])
                st->idx[j++] = i;
    free(seen);
    return 0;
}

/* Resolves the selection against the message's axis: st->idx, st->n, drop. */
static int slicer_resolve(slicer_state *st, const ezc_array *a, int axis, ezc_error *err)
{
    int64_t len = a->shape[axis];
    const ezc_axis *ax = &a->axes[axis];
    size_t cap = 0;
    st->n = 0;
    st->drop = 0;
    char *copy = strdup(st->selection), *save = NULL;
    if (!copy)
        return ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory");
    int rc = 0, items = 0, single = 0, slice = 0;
    char *sel = trim(copy);
    if (!*sel || strcmp(sel, ":") == 0 || strcasecmp(sel, "none") == 0) {
        for (int64_t i = 0; i < len && !rc; i++)
            rc = push(st, &cap, i) ? ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory") : 0;
        free(copy);
        return rc;
    }
    for (char *it = strtok_r(sel, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
        char *t = trim(it);
        items++;
        int64_t v;
        if (strchr(t, ':')) {
            rc = parse_slice(st, &cap, t, len, err);
            slice = 1;
            continue;
        }
        /* a label first (labels may look like numbers), then an index,
         * then a regular expression over the labels */
        int found = 0, labelled = ax->kind == EZC_AXIS_COORD && ax->coords && ax->coords->labels;
        if (labelled)
            for (size_t i = 0; i < ax->coords->n && !rc; i++)
                if (strcmp(ax->coords->labels[i], t) == 0) {
                    found = 1;
                    rc = push(st, &cap, (int64_t)i) ? ezc_error_set(err, EZC_ENOMEM, "oom") : 0;
                }
        if (found)
            continue;
        if (parse_int(t, &v) && labelled)
            rc = match_regex(st, &cap, t, a, axis, err);
        else if (parse_int(t, &v))
            rc = ezc_error_set(err, EZC_ENOTFOUND,
                               "slicer: setting 'selection' = '%s': '%s' is neither an index "
                               "nor a label of dim '%s'",
                               st->selection, t, a->dims[axis]);
        else if (v < -len || v >= len)
            rc = ezc_error_set(err, EZC_EINVAL,
                               "slicer: setting 'selection' = '%s': index %lld is out of range "
                               "for dim '%s' of length %lld",
                               st->selection, (long long)v, a->dims[axis], (long long)len);
        else if (push(st, &cap, v < 0 ? v + len : v))
            rc = ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory");
        else
            single = 1;
    }
    st->drop = !rc && items == 1 && single;
    free(copy);
    if (!rc && !(items == 1 && (single || slice)))
        rc = normalise(st, len, err);
    return rc;
}

static int slicer_init(void **state, const ezc_settings *s, ezc_error *err)
{
    slicer_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "slicer: out of memory");
    ezc_settings_get_string(s, "selection", &st->selection);
    ezc_settings_get_string(s, "axis", &st->axis);
    const char *order = "axis";
    ezc_settings_get_string(s, "order", &order);
    st->by_axis = strcmp(order, "selection") != 0;
    *state = st;
    return 0;
}

static int slicer_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    slicer_state *st = state;
    (void)port;
    (void)xp;
    int axis, rc = ezc_tf_axis("slicer", in, st->axis, &axis, err);
    /* the selection depends on the axis' length and labels: re-resolve
     * when the stream's shape changes (other dims' lengths included) */
    if (!rc && ezc_template_changed(&st->tpl, in, -1) && (rc = slicer_resolve(st, in, axis, err)))
        st->tpl.valid = 0;
    ezc_array *y = NULL;
    if (!rc && !(y = ezc_array_take_cached(in, axis, st->idx, st->n, &st->cache, err)))
        rc = err->code;
    if (!rc && st->drop && (rc = ezc_array_squeeze(y, axis, err)))
        ezc_array_destroy(&y);
    ezc_array_destroy(&in);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_slicer_type = {
    .name = "slicer",
    .summary = "select indices, a range or labels along an axis",
    .settings = slicer_settings,
    .init = slicer_init,
    .process = slicer_process,
    .fini = slicer_fini,
};
