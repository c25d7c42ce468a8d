/* tf_test.c — shared helpers of the transformer and learner suites. */
#include "tf_test.h"
#include <complex.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- references ------------------------------------------------------- */

typedef struct {
    char name[96];
    ezc_dtype dtype;
    size_t offset;
    int ndim;
    int64_t shape[EZC_MAX_DIMS];
} ref_entry;

static ref_entry *refs;
static size_t nrefs;
static unsigned char *blob;
static size_t blob_size;

static FILE *open_ref(const char *stem, const char *ext, const char *mode)
{
    const char *src = getenv("EZC_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ref/%s.%s", src ? src : "..", stem, ext);
    FILE *f = fopen(path, mode);
    if (!f) {
        fprintf(stderr, "cannot open %s (set EZC_SOURCE_DIR to the source tree)\n", path);
        exit(2);
    }
    return f;
}

void tc_refs_load(const char *stem)
{
    FILE *f = open_ref(stem, "bin", "rb");
    fseek(f, 0, SEEK_END);
    blob_size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    blob = malloc(blob_size ? blob_size : 1);
    if (fread(blob, 1, blob_size, f) != blob_size)
        exit(2);
    fclose(f);
    f = open_ref(stem, "txt", "r");
    char line[1024];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (nrefs == cap) {
            cap = cap ? 2 * cap : 256;
            refs = realloc(refs, cap * sizeof *refs);
        }
        ref_entry *e = &refs[nrefs];
        char dt[32];
        int used = 0;
        if (sscanf(line, "%95s %31s %zu %d%n", e->name, dt, &e->offset, &e->ndim, &used) != 4)
            continue;
        e->dtype = ezc_dtype_from_name(dt, (size_t)-1);
        char *p = line + used;
        for (int i = 0; i < e->ndim; i++)
            e->shape[i] = strtoll(p, &p, 10);
        nrefs++;
    }
    fclose(f);
}

ezc_array *tc_ref(const char *fmt, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < nrefs; i++) {
        const ref_entry *e = &refs[i];
        if (strcmp(e->name, name) != 0)
            continue;
        ezc_error err = {0};
        ezc_array *a = ezc_array_new(e->dtype, e->ndim, e->shape, NULL, ezc_device_cpu(), &err);
        ck_assert_msg(a, "%s: %s", name, err.msg);
        ck_assert_uint_le(e->offset + ezc_array_nbytes(a), blob_size);
        memcpy(ezc_array_data(a), blob + e->offset, ezc_array_nbytes(a));
        return a;
    }
    ck_abort_msg("no reference named %s", name);
    return NULL;
}

ezc_array *tc_dims(ezc_array *a, ...)
{
    va_list ap;
    va_start(ap, a);
    for (int i = 0; i < ezc_array_ndim(a); i++) {
        const char *d = va_arg(ap, const char *);
        ck_assert_int_eq(ezc_array_set_dim(a, i, d, NULL), 0);
    }
    va_end(ap);
    return a;
}

/* ---- values ----------------------------------------------------------- */

double tc_get(const ezc_array *a, size_t i, int part)
{
    const void *p = ezc_array_data(a);
    switch (a->dtype) {
    case EZC_FLOAT32: return part ? 0 : ((const float *)p)[i];
    case EZC_FLOAT64: return part ? 0 : ((const double *)p)[i];
    case EZC_INT8: return part ? 0 : ((const int8_t *)p)[i];
    case EZC_INT16: return part ? 0 : ((const int16_t *)p)[i];
    case EZC_INT32: return part ? 0 : ((const int32_t *)p)[i];
    case EZC_INT64: return part ? 0 : (double)((const int64_t *)p)[i];
    case EZC_UINT8:
    case EZC_BOOL: return part ? 0 : ((const uint8_t *)p)[i];
    case EZC_UINT16: return part ? 0 : ((const uint16_t *)p)[i];
    case EZC_UINT32: return part ? 0 : ((const uint32_t *)p)[i];
    case EZC_UINT64: return part ? 0 : (double)((const uint64_t *)p)[i];
    case EZC_COMPLEX64: {
        float complex z = ((const float complex *)p)[i];
        return part ? cimagf(z) : crealf(z);
    }
    case EZC_COMPLEX128: {
        double complex z = ((const double complex *)p)[i];
        return part ? cimag(z) : creal(z);
    }
    default: ck_abort_msg("tc_get: dtype %d", a->dtype);
    }
    return 0;
}

double tc_tol(ezc_dtype t)
{
    return t == EZC_FLOAT64 || t == EZC_COMPLEX128 ? 1e-12 : 1e-5;
}

static int close_enough(double g, double w, double rtol, double atol)
{
    if (isnan(w))
        return isnan(g);
    if (isinf(w))
        return g == w;
    return fabs(g - w) <= atol + rtol * fabs(w);
}

void tc_assert_close(const ezc_array *got, const ezc_array *want, double rtol, double atol,
                     const char *what)
{
    ck_assert_msg(got != NULL, "%s: no output", what);
    ck_assert_msg(got->tensor.device.device_type == kDLCPU, "%s: result not on the host", what);
    ck_assert_msg(ezc_array_ndim(got) == ezc_array_ndim(want), "%s: ndim %d, want %d", what,
                  ezc_array_ndim(got), ezc_array_ndim(want));
    for (int i = 0; i < ezc_array_ndim(want); i++)
        ck_assert_msg(got->shape[i] == want->shape[i], "%s: shape[%d] = %lld, want %lld", what, i,
                      (long long)got->shape[i], (long long)want->shape[i]);
    int cg = ezc_dtype_is_complex(got->dtype), cw = ezc_dtype_is_complex(want->dtype);
    size_t n = ezc_array_size(want);
    for (size_t i = 0; i < n; i++)
        for (int part = 0; part <= (cg || cw); part++) {
            double g = tc_get(got, i, part), w = tc_get(want, i, part);
            ck_assert_msg(close_enough(g, w, rtol, atol),
                          "%s: element %zu%s = %.17g, want %.17g (rtol %g, atol %g)", what, i,
                          part ? " (imag)" : "", g, w, rtol, atol);
        }
}

/* ---- devices ---------------------------------------------------------- */

static DLDevice devs[2];
static int ndevs;

void tc_devices_init(void)
{
    ezc_error err;
    ndevs = 0;
    devs[ndevs++] = ezc_device_cpu();
    if (ezc_xp_for(ezc_device_cuda(0), &err))
        devs[ndevs++] = ezc_device_cuda(0);
    else
        printf("cuda:0 not tested: %s\n", err.msg);
}

int tc_ndevs(void)
{
    return ndevs;
}
DLDevice tc_dev(int i)
{
    return devs[i];
}

ezc_array *tc_to(ezc_array *a, DLDevice d)
{
    ezc_error err;
    if (!a || ezc_device_equal(a->tensor.device, d))
        return a;
    ezc_array *b = ezc_array_to_device(a, d, &err);
    ck_assert_msg(b != NULL, "%s", err.msg);
    ezc_array_destroy(&a);
    return b;
}

ezc_array *tc_host(ezc_array *a)
{
    return tc_to(a, ezc_device_cpu());
}

static void scratch_remove(void);
const char *tc_tmp_path(const char *file);

int tc_run_suite(Suite *s)
{
    /* the scratch folder is made here, in the parent, so that every test
     * (a forked child each) sees the same one */
    tc_tmp_path("");
    SRunner *sr = srunner_create(s);
    if (ndevs > 1)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    scratch_remove();
    return nf ? 1 : 0;
}

/* ---- transformers ----------------------------------------------------- */

/* Parses "a=1; b=[1, 2]" into s. */
static int parse_settings(const char *text, ezc_settings **out, ezc_error *err)
{
    ezc_settings *s = ezc_settings_new(err);
    if (!s)
        return err->code;
    char *copy = strdup(text ? text : ""), *save = NULL;
    for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        while (*item == ' ')
            item++;
        if (!*item)
            continue;
        char *eq = strchr(item, '=');
        ck_assert_msg(eq != NULL, "setting '%s' has no '='", item);
        *eq = 0;
        char *name = item, *end = eq;
        while (end > name && end[-1] == ' ')
            *--end = 0;
        char *value = eq + 1;
        while (*value == ' ')
            value++;
        int rc = ezc_settings_set(s, name, value, "test", err);
        if (rc) {
            free(copy);
            ezc_settings_destroy(&s);
            return rc;
        }
    }
    free(copy);
    *out = s;
    return 0;
}

ezc_transformer *tc_make(const ezc_transformer_type *type, const char *settings)
{
    ezc_error err = {0};
    ezc_settings *s = NULL;
    ck_assert_msg(parse_settings(settings, &s, &err) == 0, "%s", err.msg);
    ezc_transformer *t = ezc_transformer_new(type, s, &err);
    ck_assert_msg(t != NULL, "%s {%s}: %s", type->name, settings ? settings : "", err.msg);
    ezc_settings_destroy(&s);
    return t;
}

static char last_msg[sizeof(((ezc_error *)0)->msg)];

const char *tc_make_fails(const ezc_transformer_type *type, const char *settings, int code)
{
    ezc_error err = {0};
    ezc_settings *s = NULL;
    int rc = parse_settings(settings, &s, &err);
    if (!rc) {
        ezc_transformer *t = ezc_transformer_new(type, s, &err);
        ck_assert_msg(t == NULL, "%s {%s} was accepted", type->name, settings);
        rc = err.code;
        ezc_settings_destroy(&s);
    }
    ck_assert_msg(rc == code, "%s {%s}: code %d, want %d (%s)", type->name, settings, rc, code,
                  err.msg);
    snprintf(last_msg, sizeof last_msg, "%s", err.msg);
    return last_msg;
}

ezc_array *tc_apply_port(ezc_transformer *t, int port, ezc_array *in)
{
    ezc_error err = {0};
    ezc_array *out = NULL;
    int rc = ezc_transformer_process(t, port, in, &out, &err);
    ck_assert_msg(rc == 0, "%s (port %d): %s", t->type->name, port, err.msg);
    return out;
}

ezc_array *tc_apply(ezc_transformer *t, ezc_array *in)
{
    return tc_apply_port(t, 0, in);
}

const char *tc_apply_port_fails(ezc_transformer *t, int port, ezc_array *in, int code)
{
    ezc_error err = {0};
    ezc_array *out = NULL;
    int rc = ezc_transformer_process(t, port, in, &out, &err);
    ck_assert_msg(rc == code, "%s (port %d): code %d, want %d (%s)", t->type->name, port, rc, code,
                  err.msg);
    ck_assert_ptr_null(out);
    snprintf(last_msg, sizeof last_msg, "%s", err.msg);
    return last_msg;
}

const char *tc_apply_fails(ezc_transformer *t, ezc_array *in, int code)
{
    return tc_apply_port_fails(t, 0, in, code);
}

ezc_array *tc_apply_chunks(ezc_transformer *t, const ezc_array *in, int axis, const int64_t *lens,
                           size_t n, const char *out_dim)
{
    ezc_error err = {0};
    ezc_array **outs = calloc(n ? n : 1, sizeof *outs);
    size_t nout = 0;
    int64_t at = 0;
    char dim[EZC_NAME_MAX];
    snprintf(dim, sizeof dim, "%s", out_dim ? out_dim : in->dims[axis]);
    for (size_t i = 0; i < n; i++) {
        ezc_array *part = ezc_array_slice(in, axis, at, at + lens[i], &err);
        ck_assert_msg(part != NULL, "%s", err.msg);
        at += lens[i];
        ezc_array *y = tc_apply(t, part);
        if (y)
            outs[nout++] = tc_host(y);
    }
    ck_assert_int_eq(at, in->shape[axis]);
    ezc_array *joined = NULL;
    if (nout) {
        int oax = ezc_array_axis_index(outs[0], dim);
        ck_assert_msg(oax >= 0, "output has no dim '%s'", dim);
        joined = ezc_array_concat((const ezc_array *const *)outs, nout, oax, &err);
        ck_assert_msg(joined != NULL, "%s", err.msg);
    }
    for (size_t i = 0; i < nout; i++)
        ezc_array_destroy(&outs[i]);
    free(outs);
    return joined;
}

size_t tc_random_chunks(int64_t total, unsigned seed, int64_t *lens, size_t max)
{
    size_t n = 0;
    int64_t left = total;
    unsigned r = seed * 2654435761u + 12345u;
    /* a zero-length and a one-sample chunk first, then random lengths */
    if (max > 2 && left >= 1) {
        lens[n++] = 0;
        lens[n++] = 1;
        left -= 1;
    }
    while (left > 0 && n + 1 < max) {
        r = r * 1103515245u + 12345u;
        int64_t len = 1 + (int64_t)((r >> 8) % (unsigned)(total / 4 + 2));
        if (len > left)
            len = left;
        lens[n++] = len;
        left -= len;
    }
    if (left > 0)
        lens[n++] = left;
    return n;
}

ezc_array *tc_array(ezc_dtype t, int ndim, const int64_t *shape, const double *v)
{
    ezc_error err = {0};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, ndim, shape, NULL, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    memcpy(ezc_array_data(a), v, ezc_array_nbytes(a));
    if (t == EZC_FLOAT64)
        return a;
    ezc_array *b = ezc_array_new(t, ndim, shape, NULL, ezc_device_cpu(), &err);
    ck_assert_msg(b != NULL && ezc_xp_cpu()->astype(a, b, &err) == 0, "%s", err.msg);
    ezc_array_destroy(&a);
    return b;
}

static char scratch[64];

static void scratch_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (scratch[0] && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", scratch);
}

const char *tc_tmp_path(const char *file)
{
    static char p[2][512];
    static int which;
    if (!scratch[0]) {
        snprintf(scratch, sizeof scratch, "/tmp/ezc_test_XXXXXX");
        if (!mkdtemp(scratch)) { /* may run outside a test: no ck_assert here */
            perror("tc_tmp_path: mkdtemp");
            exit(2);
        }
    }
    which ^= 1;
    snprintf(p[which], sizeof p[which], "%s/%s", scratch, file);
    return p[which];
}

double tc_max_abs(const ezc_array *a)
{
    double m = 0;
    for (size_t i = 0; i < ezc_array_size(a); i++)
        m = fmax(m, fabs(tc_get(a, i, 0)));
    return m;
}

void tc_assert_scaled(const ezc_array *got, const ezc_array *want, double tol, const char *what)
{
    tc_assert_close(got, want, 0, tol * tc_max_abs(want), what);
}

ezc_array *tc_as_dtype(ezc_array *a, ezc_dtype t)
{
    if (a->dtype == t)
        return a;
    ezc_error err = {0};
    ezc_array *h = tc_host(a);
    ezc_array *b = ezc_array_new_like(h, t, 0, NULL, &err);
    ck_assert_msg(b && ezc_xp_cpu()->astype(h, b, &err) == 0, "%s", err.msg);
    ezc_array_destroy(&h);
    return b;
}

ezc_array *tc_stream_of(const char *name, double fs, double t0, ezc_dtype t, DLDevice dev)
{
    ezc_array *a = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(a, 0, 1.0 / fs, t0, "s");
    return tc_to(tc_as_dtype(a, t), dev);
}

void tc_check_chunks(const ezc_transformer_type *type, const char *settings, const char *xname,
                     double fs, DLDevice dev)
{
    ezc_error err = {0};
    ezc_array *x = tc_stream_of(xname, fs, 0.25, EZC_FLOAT64, dev);
    ezc_transformer *t1 = tc_make(type, settings);
    ezc_array *c = ezc_array_clone(x, &err);
    ck_assert_msg(c != NULL, "%s", err.msg);
    ezc_array *whole = tc_host(tc_apply(t1, c));
    for (unsigned seed = 1; seed <= 3; seed++) {
        int64_t lens[64];
        size_t n = tc_random_chunks(x->shape[0], seed, lens, 64);
        ezc_transformer *t2 = tc_make(type, settings);
        ezc_array *parts = tc_apply_chunks(t2, x, 0, lens, n, NULL);
        char what[192];
        snprintf(what, sizeof what, "%s {%s} chunks (seed %u)", type->name, settings, seed);
        tc_assert_close(parts, whole, 1e-13, 1e-13, what);
        ck_assert_int_eq(parts->axes[0].kind, whole->axes[0].kind);
        if (whole->axes[0].kind == EZC_AXIS_LINEAR) {
            ck_assert_double_eq_tol(parts->axes[0].gain, whole->axes[0].gain, 1e-15);
            ck_assert_double_eq_tol(parts->axes[0].offset, whole->axes[0].offset, 1e-12);
        }
        ezc_array_destroy(&parts);
        ezc_transformer_destroy(&t2);
    }
    ezc_array_destroy(&whole);
    ezc_array_destroy(&x);
    ezc_transformer_destroy(&t1);
}

ezc_array *tc_ramp(int64_t n, double t0, double v0, double fs)
{
    double *v = malloc((size_t)(n ? n : 1) * 2 * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (int64_t i = 0; i < 2 * n; i++)
        v[i] = v0 + (double)i;
    int64_t shape[2] = {n, 2};
    ezc_array *a = tc_dims(tc_array(EZC_FLOAT64, 2, shape, v), "time", "ch");
    free(v);
    ezc_array_set_linear_axis(a, 0, 1 / fs, t0, "s");
    return a;
}

ezc_array *tc_labelled(const char *name, double fs, double t0, const char *labels)
{
    ezc_error err = {0};
    ezc_array *a = tc_dims(tc_ref("%s", name), "time", "ch");
    ezc_array_set_linear_axis(a, 0, 1.0 / fs, t0, "s");
    const char *lab[8];
    char buf[8][2];
    ck_assert_int_le(a->shape[1], 8);
    for (int i = 0; i < a->shape[1]; i++) {
        buf[i][0] = labels[i];
        buf[i][1] = 0;
        lab[i] = buf[i];
    }
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, lab, (size_t)a->shape[1], "", &err), 0);
    return a;
}

void tc_check_steady(ezc_transformer *t, const ezc_array *x)
{
    ezc_error err = {0};
    for (int i = 0; i < 12; i++) {
        uint64_t before = ezc_buffer_new_count();
        ezc_array *y = tc_apply(t, ezc_array_clone(x, &err));
        ezc_array_destroy(&y);
        if (i >= 2)
            ck_assert_msg(ezc_buffer_new_count() == before,
                          "%s: %llu buffers on the steady path (run %d)", t->type->name,
                          (unsigned long long)(ezc_buffer_new_count() - before), i + 1);
    }
}

/* Adds the samples of each port a drop report names to drops[]. */
static void count_drops(const char *msg, const char *const ports[2], uint64_t drops[2])
{
    char fmt[160];
    snprintf(fmt, sizeof fmt, "dropped %%llu samples of port '%s' and %%llu of port '%s'", ports[0],
             ports[1]);
    const char *p = strstr(msg, "dropped ");
    unsigned long long x = 0, y = 0;
    ck_assert_msg(p && sscanf(p, fmt, &x, &y) == 2, "%s", msg);
    drops[0] += x;
    drops[1] += y;
}

ezc_array *tc_run_two_ports(ezc_transformer *t, const ezc_array *a, const ezc_array *b,
                            DLDevice dev, const unsigned seeds[2], const char *const ports[2],
                            uint64_t drops[2])
{
    enum { MAXC = 64 };
    ezc_error err = {0};
    const ezc_array *src[2] = {a, b};
    int64_t lens[2][MAXC], pos[2] = {0, 0};
    size_t nc[2] = {tc_random_chunks(a->shape[0], seeds[0], lens[0], MAXC),
                    tc_random_chunks(b->shape[0], seeds[1], lens[1], MAXC)};
    size_t at[2] = {0, 0}, nout = 0;
    ezc_array *outs[2 * MAXC + 1];
    unsigned r = seeds[0];
    drops[0] = drops[1] = 0;
    for (int last = 0; !last;) {
        int p; /* the chunk lists merged at random, then the empty chunk */
        if (at[0] == nc[0] && at[1] == nc[1])
            p = 0, last = 1;
        else
            p = at[0] == nc[0] ? 1 : at[1] == nc[1] ? 0 : (int)(rand_r(&r) % 2);
        int64_t len = last ? 0 : lens[p][at[p]++];
        ezc_array *piece = ezc_array_slice(src[p], 0, pos[p], pos[p] + len, &err);
        ck_assert_msg(piece != NULL, "%s", err.msg);
        ezc_array *cp = ezc_array_copy(piece, &err); /* a buffer of its own */
        ezc_array_destroy(&piece);
        pos[p] += len;
        ezc_array *y = NULL;
        int rc = ezc_transformer_process(t, p, tc_to(cp, dev), &y, &err);
        if (rc) {
            ck_assert_int_eq(rc, EZC_EINVAL);
            count_drops(err.msg, ports, drops);
        } else if (y) {
            ck_assert_uint_lt(nout, 2 * MAXC + 1);
            outs[nout++] = tc_host(y);
        }
    }
    ck_assert_uint_gt(nout, 0);
    ezc_array *joined = ezc_array_concat((const ezc_array *const *)outs, nout, 0, &err);
    ck_assert_msg(joined != NULL, "%s", err.msg);
    for (size_t i = 1; i < nout; i++) /* the time axis runs on across the outputs */
        ck_assert_double_eq_tol(outs[i]->axes[0].offset,
                                outs[i - 1]->axes[0].offset +
                                    (double)outs[i - 1]->shape[0] * outs[i - 1]->axes[0].gain,
                                1e-9);
    for (size_t i = 0; i < nout; i++)
        ezc_array_destroy(&outs[i]);
    return joined;
}
