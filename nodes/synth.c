/* synth.c — synthetic sources. Values are computed in double and stored in
 * the requested dtype (integers round), so every dtype sees the same signal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/synth.h"

struct ezc_synth {
    ezc_synth_options o;
    uint64_t n;          /* samples so far */
    uint64_t rng;        /* xorshift64* state */
    ezc_coords *labels;  /* shared by every chunk */
    char key[64];
    double *row;         /* one time step, every channel, in double */
    double *rot;         /* sine: cos, sin of each channel's phase step, and */
    double *phase;       /* the running (cos, sin) of its phase */
};

void ezc_synth_options_init(ezc_synth_options *o)
{
    memset(o, 0, sizeof *o);
    o->kind = EZC_SYNTH_SINE;
    o->fs = 1000;
    o->channels = 8;
    o->chunk = 100;
    o->dtype = EZC_FLOAT32;
    o->freq = 10;
    o->amplitude = 1;
    o->seed = 1;
    o->key = "synth";
}

int ezc_synth_kind_parse(const char *name, ezc_synth_kind *out, ezc_error *err)
{
    static const char *names[] = {"sine", "noise", "counter"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (ezc_synth_kind)i;
            return 0;
        }
    return ezc_error_set(err, EZC_EINVAL, "signal '%s': expected sine, noise or counter", name);
}

ezc_synth *ezc_synth_new(const ezc_synth_options *o, ezc_error *err)
{
    if (!(o->fs > 0) || o->channels < 1 || o->channels > 65536 || o->chunk < 1 ||
        o->chunk > (1 << 24)) {
        ezc_error_set(err, EZC_EINVAL,
                      "synth: need fs > 0, 1 <= channels <= 65536, 1 <= chunk <= 2^24");
        return NULL;
    }
    if (!ezc_dtype_size(o->dtype) || ezc_dtype_is_complex(o->dtype) || o->dtype == EZC_BOOL) {
        ezc_error_set(err, EZC_EDTYPE, "synth: dtype %s not supported (use a real dtype)",
                      ezc_dtype_name(o->dtype));
        return NULL;
    }
    ezc_synth *s = calloc(1, sizeof *s);
    if (!s) {
        ezc_error_set(err, EZC_ENOMEM, "synth: out of memory");
        return NULL;
    }
    s->o = *o;
    s->row = malloc((size_t)o->channels * sizeof *s->row);
    s->rot = malloc(2 * (size_t)o->channels * sizeof *s->rot);
    s->phase = malloc(2 * (size_t)o->channels * sizeof *s->phase);
    if (!s->row || !s->rot || !s->phase) {
        ezc_synth_destroy(&s);
        ezc_error_set(err, EZC_ENOMEM, "synth: out of memory");
        return NULL;
    }
    for (int c = 0; c < o->channels; c++) {
        double w = 2.0 * M_PI * o->freq * (c + 1) / o->fs;
        s->rot[2 * c] = cos(w);
        s->rot[2 * c + 1] = sin(w);
    }
    snprintf(s->key, sizeof s->key, "%s", o->key ? o->key : "synth");
    s->rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ull;
    char (*names)[16] = malloc((size_t)o->channels * sizeof *names);
    const char **ptrs = malloc((size_t)o->channels * sizeof *ptrs);
    if (names && ptrs) {
        for (int c = 0; c < o->channels; c++) {
            snprintf(names[c], sizeof names[c], "ch%d", c);
            ptrs[c] = names[c];
        }
        s->labels = ezc_coords_new((size_t)o->channels, NULL, ptrs, err);
    }
    free(names);
    free(ptrs);
    if (!s->labels) {
        ezc_synth_destroy(&s);
        ezc_error_set(err, EZC_ENOMEM, "synth: out of memory");
        return NULL;
    }
    return s;
}

void ezc_synth_destroy(ezc_synth **sp)
{
    if (!sp || !*sp)
        return;
    ezc_coords_unref(&(*sp)->labels);
    free((*sp)->row);
    free((*sp)->rot);
    free((*sp)->phase);
    free(*sp);
    *sp = NULL;
}

static double uniform(ezc_synth *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return ((s->rng * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gaussian(ezc_synth *s)
{
    double u1 = uniform(s), u2 = uniform(s);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* One time step (row, in double) into row t of the chunk, as dtype. */
#define STORE_ROW(T, CONV)                                  \
    do {                                                    \
        T *dst = (T *)data + (size_t)t * (size_t)nc;        \
        for (int c = 0; c < nc; c++)                        \
            dst[c] = (T)(CONV(row[c]));                     \
    } while (0)
#define AS_IS(v) (v)
#define ROUNDED(v) llrint(v)
#define ROUNDED_ABS(v) llrint(fabs(v))

static void store_row(void *data, ezc_dtype dt, int64_t t, int nc, const double *row)
{
    switch (dt) {
    case EZC_FLOAT32: STORE_ROW(float, AS_IS); break;
    case EZC_FLOAT64: STORE_ROW(double, AS_IS); break;
    case EZC_INT8: STORE_ROW(int8_t, ROUNDED); break;
    case EZC_INT16: STORE_ROW(int16_t, ROUNDED); break;
    case EZC_INT32: STORE_ROW(int32_t, ROUNDED); break;
    case EZC_INT64: STORE_ROW(int64_t, ROUNDED); break;
    case EZC_UINT8: STORE_ROW(uint8_t, ROUNDED_ABS); break;
    case EZC_UINT16: STORE_ROW(uint16_t, ROUNDED_ABS); break;
    case EZC_UINT32: STORE_ROW(uint32_t, ROUNDED_ABS); break;
    case EZC_UINT64: STORE_ROW(uint64_t, ROUNDED_ABS); break;
    default: break;
    }
}

ezc_array *ezc_synth_next(ezc_synth *s, ezc_error *err)
{
    const ezc_synth_options *o = &s->o;
    int64_t shape[2] = {o->chunk, o->channels};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(o->dtype, 2, shape, dims, ezc_device_cpu(), err);
    if (!a)
        return NULL;
    void *d = ezc_array_data(a);
    int nc = o->channels;
    double *row = s->row, *ph = s->phase;
    const double *rot = s->rot;
    if (o->kind == EZC_SYNTH_SINE) {
        /* Each chunk starts from the exact phase, then steps by rotating
         * (cos, sin) by the per-sample angle: 4 multiplies a sample instead
         * of a sin() call, with an error that grows by an ulp or so a step
         * and is reset every chunk. */
        double tt = (double)s->n / o->fs;
        for (int c = 0; c < nc; c++) {
            double phi = 2.0 * M_PI * o->freq * (c + 1) * tt;
            ph[2 * c] = cos(phi);
            ph[2 * c + 1] = sin(phi);
        }
    }
    for (int64_t t = 0; t < o->chunk; t++) {
        if (o->kind == EZC_SYNTH_SINE) {
            for (int c = 0; c < nc; c++) {
                double cs = ph[2 * c], sn = ph[2 * c + 1];
                row[c] = o->amplitude * sn;
                ph[2 * c] = cs * rot[2 * c] - sn * rot[2 * c + 1];
                ph[2 * c + 1] = sn * rot[2 * c] + cs * rot[2 * c + 1];
            }
        } else if (o->kind == EZC_SYNTH_NOISE) {
            for (int c = 0; c < nc; c++)
                row[c] = o->amplitude * gaussian(s);
        } else {
            for (int c = 0; c < nc; c++)
                row[c] = (double)(s->n + (uint64_t)t);
        }
        store_row(d, o->dtype, t, nc, row);
    }
    ezc_array_set_linear_axis(a, 0, 1.0 / o->fs, (double)s->n / o->fs, "s");
    a->axes[1].kind = EZC_AXIS_COORD;
    a->axes[1].coords = ezc_coords_ref(s->labels);
    ezc_array_set_key(a, s->key, NULL);
    s->n += (uint64_t)o->chunk;
    return a;
}

uint64_t ezc_synth_samples(const ezc_synth *s) { return s->n; }
