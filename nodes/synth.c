/* synth.c — synthetic sources. Values are computed in double and stored in
 * the requested dtype (integers round), so every dtype sees the same signal.
 *
 * The sine steps each channel's (cos, sin) by rotation, from an exact
 * anchor at each chunk's start, over all channels at once: the state is
 * kept as separate cos and sin arrays padded to whole vectors (GCC vector
 * types, compiled once for AVX2/FMA and once for the baseline), the
 * amplitude folded into it. float32 output runs the rotation in float for
 * blocks of SINE_BLOCK samples, each started from the double state, which
 * steps by the block's whole angle: float error stays ~1e-6 of the
 * amplitude however long the chunk. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/synth.h"

struct ezc_synth {
    ezc_synth_options o;
    ezc_buffer *cache;  /* the chunks' data, reused once the consumer lets go */
    uint64_t n;         /* samples so far */
    uint64_t rng;       /* xorshift64* state */
    ezc_coords *labels; /* shared by every chunk */
    char key[64];
    double *row; /* one time step, every channel, in double */
    /* sine, padded to npad channels (a multiple of SINE_LANES): */
    int npad;
    double *rc, *rs;  /* cos, sin of each channel's phase step */
    double *bc, *bs;  /* ... of SINE_BLOCK steps */
    double *pc, *ps;  /* the running amplitude * (cos, sin) of its phase */
    float *frc, *frs; /* float32 path: the phase steps in float */
};

#define SINE_BLOCK 8
#define SINE_LANES 32 /* channels stepped together (4 vectors); npad is a multiple */
#define VBYTES 32
typedef double v4d __attribute__((vector_size(VBYTES)));
typedef float v8f __attribute__((vector_size(VBYTES)));
typedef float v4f __attribute__((vector_size(VBYTES / 2)));
/* unaligned views for the stores into a chunk's rows */
typedef double v4d_u __attribute__((vector_size(VBYTES), aligned(8), may_alias));
typedef float v8f_u __attribute__((vector_size(VBYTES), aligned(4), may_alias));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

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
    s->npad = (o->channels + SINE_LANES - 1) / SINE_LANES * SINE_LANES;
    size_t dn = (size_t)s->npad * sizeof(double), fn = (size_t)s->npad * sizeof(float);
    s->row = malloc((size_t)o->channels * sizeof *s->row);
    double **d[] = {&s->rc, &s->rs, &s->bc, &s->bs, &s->pc, &s->ps};
    float **f[] = {&s->frc, &s->frs};
    int ok = s->row != NULL;
    for (size_t i = 0; i < 6; i++)
        ok &= (*d[i] = aligned_alloc(VBYTES, dn)) != NULL;
    for (size_t i = 0; i < 2; i++)
        ok &= (*f[i] = aligned_alloc(VBYTES, fn)) != NULL;
    if (!ok) {
        ezc_synth_destroy(&s);
        ezc_error_set(err, EZC_ENOMEM, "synth: out of memory");
        return NULL;
    }
    for (int c = 0; c < s->npad; c++) { /* padding lanes: a zero signal */
        double w = c < o->channels ? 2.0 * M_PI * o->freq * (c + 1) / o->fs : 0;
        s->rc[c] = cos(w);
        s->rs[c] = sin(w);
        s->bc[c] = cos(SINE_BLOCK * w);
        s->bs[c] = sin(SINE_BLOCK * w);
        s->frc[c] = (float)s->rc[c];
        s->frs[c] = (float)s->rs[c];
        s->pc[c] = s->ps[c] = 0;
    }
    snprintf(s->key, sizeof s->key, "%s", o->key ? o->key : "synth");
    s->rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ull;
    char(*names)[16] = malloc((size_t)o->channels * sizeof *names);
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
    ezc_buffer_unref(&(*sp)->cache);
    free((*sp)->row);
    free((*sp)->rc);
    free((*sp)->rs);
    free((*sp)->bc);
    free((*sp)->bs);
    free((*sp)->pc);
    free((*sp)->ps);
    free((*sp)->frc);
    free((*sp)->frs);
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
#define STORE_ROW(T, CONV)                                                                         \
    do {                                                                                           \
        T *dst = (T *)data + (size_t)t * (size_t)nc;                                               \
        for (int c = 0; c < nc; c++)                                                               \
            dst[c] = (T)(CONV(row[c]));                                                            \
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

/* Rows t0..t0+n of the sine in double: into dst (float64, row stride nc)
 * or, with dst NULL, through row into the chunk's dtype. */
CLONES static void sine_double(ezc_synth *s, void *data, int64_t n)
{
    int nc = s->o.channels, nv = s->npad / 4;
    v4d *pc = (v4d *)s->pc, *ps = (v4d *)s->ps;
    const v4d *rc = (const v4d *)s->rc, *rs = (const v4d *)s->rs;
    int direct = s->o.dtype == EZC_FLOAT64;
    for (int64_t t = 0; t < n; t++) {
        double *dst = direct ? (double *)data + (size_t)t * (size_t)nc : s->row;
        for (int v = 0; v < nv; v++) {
            v4d c = pc[v], sn = ps[v];
            int left = nc - 4 * v;
            if (left >= 4)
                *(v4d_u *)(dst + 4 * v) = sn;
            else
                for (int i = 0; i < left; i++)
                    dst[4 * v + i] = sn[i];
            pc[v] = c * rc[v] - sn * rs[v];
            ps[v] = sn * rc[v] + c * rs[v];
        }
        if (!direct)
            store_row(data, s->o.dtype, t, nc, s->row);
    }
}

/* float32: blocks of SINE_BLOCK rows in float, each from the double state,
 * which then steps by the block's angle. SINE_LANES channels at a time,
 * their state in registers for the block's rows (four independent chains,
 * so the multiply-add latency is hidden). */
CLONES static void sine_float(ezc_synth *s, float *data, int64_t n)
{
    int nc = s->o.channels;
    v4d *pc = (v4d *)s->pc, *ps = (v4d *)s->ps;
    const v4d *bc = (const v4d *)s->bc, *bs = (const v4d *)s->bs;
    const v8f *rc = (const v8f *)s->frc, *rs = (const v8f *)s->frs;
    for (int64_t t0 = 0; t0 < n; t0 += SINE_BLOCK) {
        int64_t nb = n - t0 < SINE_BLOCK ? n - t0 : SINE_BLOCK;
        for (int g = 0; g < s->npad; g += SINE_LANES) {
            v8f c[4], sn[4], r[4], q[4];
            for (int k = 0; k < 4; k++) {
                int v = g / 8 + k;
                v4f c0 = __builtin_convertvector(pc[2 * v], v4f);
                v4f c1 = __builtin_convertvector(pc[2 * v + 1], v4f);
                v4f s0 = __builtin_convertvector(ps[2 * v], v4f);
                v4f s1 = __builtin_convertvector(ps[2 * v + 1], v4f);
                c[k] = __builtin_shufflevector(c0, c1, 0, 1, 2, 3, 4, 5, 6, 7);
                sn[k] = __builtin_shufflevector(s0, s1, 0, 1, 2, 3, 4, 5, 6, 7);
                r[k] = rc[v];
                q[k] = rs[v];
                for (int h = 2 * v; h < 2 * v + 2; h++) { /* the double state, a block on */
                    v4d dc = pc[h], ds = ps[h];
                    pc[h] = dc * bc[h] - ds * bs[h];
                    ps[h] = ds * bc[h] + dc * bs[h];
                }
            }
            float *dst = data + (size_t)t0 * (size_t)nc + (size_t)g;
            int full = nc - g >= SINE_LANES;
            /* Named, not an array, so that they stay in registers at -O2. */
            v8f c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
            v8f s0 = sn[0], s1 = sn[1], s2 = sn[2], s3 = sn[3];
            for (int64_t t = 0; t < nb; t++, dst += nc) {
                if (full) {
                    *(v8f_u *)dst = s0;
                    *(v8f_u *)(dst + 8) = s1;
                    *(v8f_u *)(dst + 16) = s2;
                    *(v8f_u *)(dst + 24) = s3;
                } else {
                    v8f tmp[4] = {s0, s1, s2, s3};
                    memcpy(dst, tmp, (size_t)(nc - g) * sizeof(float));
                }
#define ROT(C, S, K)                                                                               \
    do {                                                                                           \
        v8f cn = C * r[K] - S * q[K];                                                              \
        S = S * r[K] + C * q[K];                                                                   \
        C = cn;                                                                                    \
    } while (0)
                ROT(c0, s0, 0);
                ROT(c1, s1, 1);
                ROT(c2, s2, 2);
                ROT(c3, s3, 3);
#undef ROT
            }
        }
    }
}

ezc_array *ezc_synth_next(ezc_synth *s, ezc_error *err)
{
    const ezc_synth_options *o = &s->o;
    int64_t shape[2] = {o->chunk, o->channels};
    const char *dims[2] = {"time", "ch"};
    ezc_buffer *b = ezc_buffer_cached(
        &s->cache, (size_t)o->chunk * (size_t)o->channels * ezc_dtype_size(o->dtype),
        ezc_device_cpu(), err);
    ezc_array *a = b ? ezc_array_from_buffer(b, 0, o->dtype, 2, shape, dims, err) : NULL;
    ezc_buffer_unref(&b);
    if (!a)
        return NULL;
    void *d = ezc_array_data(a);
    int nc = o->channels;
    double *row = s->row;
    if (o->kind == EZC_SYNTH_SINE) {
        /* The exact phase at the chunk's start: channel c runs at (c + 1)
         * times channel 0's frequency, so its phasor is channel 0's to the
         * power c + 1 — one sincos a chunk, then a complex multiply per
         * channel (error ~c ulp, far below 1e-12). */
        double cyc = o->freq * ((double)s->n / o->fs); /* reduced in cycles: exact */
        double phi = 2.0 * M_PI * (cyc - floor(cyc));
        double c1 = cos(phi), s1 = sin(phi), zc = o->amplitude * c1, zs = o->amplitude * s1;
        for (int c = 0; c < nc; c++) {
            s->pc[c] = zc;
            s->ps[c] = zs;
            double nzc = zc * c1 - zs * s1;
            zs = zs * c1 + zc * s1;
            zc = nzc;
        }
        if (o->dtype == EZC_FLOAT32)
            sine_float(s, d, o->chunk);
        else
            sine_double(s, d, o->chunk);
    }
    for (int64_t t = 0; t < o->chunk && o->kind != EZC_SYNTH_SINE; t++) {
        if (o->kind == EZC_SYNTH_NOISE) {
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

uint64_t ezc_synth_samples(const ezc_synth *s)
{
    return s->n;
}

void ezc_synth_continue(ezc_synth *s, const ezc_synth *prev)
{
    s->n = prev->n;
    if (s->o.seed == prev->o.seed)
        s->rng = prev->rng;
}
