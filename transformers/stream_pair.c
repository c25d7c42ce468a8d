/* stream_pair.c — arrival-order pairing of two input ports. */
#include "stream_pair.h"
#include "tf_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ezc_port_spec ezc_stream_pair_ports[] = {
    {"a", "first operand"},
    {"b", "second operand"},
    {NULL, NULL},
};

int ezc_stream_pair_init(ezc_stream_pair *p, size_t max_lag, ezc_error *err)
{
    p->cap = max_lag ? max_lag : 1;
    p->head[0] = p->head[1] = p->len[0] = p->len[1] = 0;
    p->q[0] = calloc(p->cap, sizeof *p->q[0]);
    p->q[1] = calloc(p->cap, sizeof *p->q[1]);
    if (!p->q[0] || !p->q[1]) {
        ezc_stream_pair_fini(p);
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    }
    return 0;
}

void ezc_stream_pair_fini(ezc_stream_pair *p)
{
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; p->q[s] && i < p->len[s]; i++)
            ezc_array_destroy(&p->q[s][(p->head[s] + i) % p->cap]);
        free(p->q[s]);
        p->q[s] = NULL;
        p->len[s] = 0;
    }
}

static ezc_array *pop(ezc_stream_pair *p, int s)
{
    ezc_array *a = p->q[s][p->head[s]];
    p->q[s][p->head[s]] = NULL;
    p->head[s] = (p->head[s] + 1) % p->cap;
    p->len[s]--;
    return a;
}

int ezc_stream_pair_push(ezc_stream_pair *p, const char *tf, int port, ezc_array *in, ezc_array **a,
                         ezc_array **b, ezc_error *err)
{
    int s = port ? 1 : 0, rc = 0;
    *a = *b = NULL;
    if (p->len[s] == p->cap) {
        ezc_array *old = pop(p, s);
        rc = ezc_error_set(err, EZC_EINVAL,
                           "%s: port '%s' is %zu messages ahead of port '%s': dropped its "
                           "oldest (seq %llu)",
                           tf, s ? "b" : "a", p->cap, s ? "a" : "b", (unsigned long long)old->seq);
        ezc_array_destroy(&old);
    }
    p->q[s][(p->head[s] + p->len[s]) % p->cap] = in;
    p->len[s]++;
    if (!rc && p->len[0] && p->len[1]) {
        *a = pop(p, 0);
        *b = pop(p, 1);
    }
    return rc;
}

int ezc_stream_pair_check(const char *tf, const ezc_array *a, const ezc_array *b, ezc_error *err)
{
    if (a->dtype != b->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "%s: port 'a' has %s data, port 'b' %s", tf,
                             ezc_dtype_name(a->dtype), ezc_dtype_name(b->dtype));
    if (!ezc_device_equal(a->tensor.device, b->tensor.device)) {
        char da[32], db[32];
        return ezc_error_set(err, EZC_EDEVICE, "%s: port 'a' has data on %s, port 'b' on %s", tf,
                             ezc_device_format(a->tensor.device, da, sizeof da),
                             ezc_device_format(b->tensor.device, db, sizeof db));
    }
    int same = ezc_array_ndim(a) == ezc_array_ndim(b);
    for (int i = 0; same && i < ezc_array_ndim(a); i++)
        same = a->shape[i] == b->shape[i];
    if (same)
        return 0;
    char sa[128] = "(", sb[128] = "(";
    for (int i = 0; i < ezc_array_ndim(a); i++)
        snprintf(sa + strlen(sa), sizeof sa - strlen(sa), "%s%lld", i ? ", " : "",
                 (long long)a->shape[i]);
    for (int i = 0; i < ezc_array_ndim(b); i++)
        snprintf(sb + strlen(sb), sizeof sb - strlen(sb), "%s%lld", i ? ", " : "",
                 (long long)b->shape[i]);
    return ezc_error_set(err, EZC_ESHAPE,
                         "%s: port 'a' has shape %s), port 'b' %s): they "
                         "must match",
                         tf, sa, sb);
}

const ezc_setting_spec ezc_stream_pair_settings[] = {
    {"max_lag", EZC_SETTING_INT, "64", "messages one port may run ahead before drops", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

void ezc_stream_pair_free(void *state)
{
    if (state)
        ezc_stream_pair_fini(state);
    free(state);
}

int ezc_stream_pair_new(const char *tf, void **state, const ezc_settings *s, ezc_error *err)
{
    int64_t lag = 64;
    ezc_settings_get_int(s, "max_lag", &lag);
    if (lag < 1)
        return ezc_error_set(err, EZC_EINVAL, "%s: setting 'max_lag' = %lld: expected >= 1", tf,
                             (long long)lag);
    ezc_stream_pair *p = calloc(1, sizeof *p);
    if (!p || ezc_stream_pair_init(p, (size_t)lag, err)) {
        free(p);
        return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", tf);
    }
    *state = p;
    return 0;
}

/* a op b into a writable a (or a new array when a is shared). */
int ezc_stream_pair_combine(const char *tf, ezc_binary_op op, void *state, int port, ezc_array *in,
                            ezc_array **out, const ezc_xp *xp, ezc_error *err)
{
    ezc_array *a, *b;
    int rc = ezc_stream_pair_push(state, tf, port, in, &a, &b, err);
    if (rc || !a)
        return rc;
    rc = ezc_stream_pair_check(tf, a, b, err);
    if (!rc)
        rc = ezc_tf_writable_float(tf, &a, 1, xp, err); /* a may be gone after this */
    if (!rc && !ezc_dtype_is_float(b->dtype) && !ezc_dtype_is_complex(b->dtype))
        rc = ezc_tf_writable_float(tf, &b, 1, xp, err);
    if (!rc)
        rc = ezc_xp_call(xp, binary, err, op, a, b, a);
    ezc_array_destroy(&b);
    if (rc)
        ezc_array_destroy(&a);
    *out = a;
    return rc;
}
