/* npy.c — reading and writing NumPy .npy files.
 *
 * Layout (numpy's format documentation): the magic "\x93NUMPY", a major and
 * minor version byte, the header length (2 bytes little-endian in 1.0, 4 in
 * 2.0/3.0), then an ASCII Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (100, 8), }
 * padded with spaces to a multiple of 64 bytes and ended by '\n', then the
 * raw data. The dict is parsed here by hand: three known keys, nothing
 * evaluated. */
#include "ezc/npy.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *descr;
    ezc_dtype t;
} descrs[] = {
    {"f4", EZC_FLOAT32}, {"f8", EZC_FLOAT64}, {"i1", EZC_INT8},      {"i2", EZC_INT16},
    {"i4", EZC_INT32},   {"i8", EZC_INT64},   {"u1", EZC_UINT8},     {"u2", EZC_UINT16},
    {"u4", EZC_UINT32},  {"u8", EZC_UINT64},  {"c8", EZC_COMPLEX64}, {"c16", EZC_COMPLEX128},
    {"b1", EZC_BOOL},
};

/* The value text after 'key': in the header dict, or NULL. */
static const char *dict_value(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static int parse_header(const char *path, const char *h, ezc_dtype *t, int *ndim, int64_t *shape,
                        ezc_error *err)
{
    const char *d = dict_value(h, "descr"), *f = dict_value(h, "fortran_order"),
               *s = dict_value(h, "shape");
    if (!d || !f || !s)
        return ezc_error_set(err, EZC_EPROTO, "npy %s: header lacks %s", path,
                             !d   ? "'descr'"
                             : !f ? "'fortran_order'"
                                  : "'shape'");
    if (*d != '\'' && *d != '"')
        return ezc_error_set(err, EZC_EDTYPE,
                             "npy %s: 'descr' is not a simple dtype string "
                             "(structured arrays are not supported)",
                             path);
    char q = *d++, order = *d;
    const char *end = strchr(d, q);
    if (!end || end - d < 2 || end - d > 8)
        return ezc_error_set(err, EZC_EPROTO, "npy %s: bad 'descr'", path);
    if (order == '>')
        return ezc_error_set(err, EZC_EDTYPE,
                             "npy %s: big-endian data; save it with "
                             "a.astype(a.dtype.newbyteorder('<'))",
                             path);
    if (order != '<' && order != '|')
        return ezc_error_set(err, EZC_EPROTO, "npy %s: bad byte order '%c' in 'descr'", path,
                             order);
    char code[8] = {0};
    memcpy(code, d + 1, (size_t)(end - d - 1));
    *t = 0;
    for (size_t i = 0; i < sizeof descrs / sizeof *descrs; i++)
        if (!strcmp(code, descrs[i].descr))
            *t = descrs[i].t;
    if (!*t)
        return ezc_error_set(err, EZC_EDTYPE, "npy %s: dtype '%s' is not supported", path, code);
    if (!strncmp(f, "True", 4))
        return ezc_error_set(err, EZC_ESHAPE,
                             "npy %s: Fortran-order data; save it with "
                             "np.save(path, np.ascontiguousarray(a))",
                             path);
    if (strncmp(f, "False", 5))
        return ezc_error_set(err, EZC_EPROTO, "npy %s: bad 'fortran_order'", path);
    if (*s != '(')
        return ezc_error_set(err, EZC_EPROTO, "npy %s: bad 'shape'", path);
    s++;
    *ndim = 0;
    for (;;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == ')')
            break;
        char *e;
        errno = 0;
        long long v = strtoll(s, &e, 10);
        if (e == s || v < 0 || errno)
            return ezc_error_set(err, EZC_EPROTO, "npy %s: bad 'shape'", path);
        if (*ndim == EZC_MAX_DIMS)
            return ezc_error_set(err, EZC_ESHAPE, "npy %s: more than %d dims", path, EZC_MAX_DIMS);
        shape[(*ndim)++] = v;
        s = e;
    }
    return 0;
}

ezc_array *ezc_npy_load(const char *path, ezc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ezc_error_set(err, EZC_EIO, "npy %s: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char pre[12];
    char *h = NULL;
    ezc_array *a = NULL;
    int rc = 0;
    size_t got = fread(pre, 1, 10, f), hlen = 0;
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        rc = ezc_error_set(err, EZC_EPROTO, "npy %s: not a .npy file (no \\x93NUMPY magic)", path);
    } else if (pre[6] == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2)
            rc = ezc_error_set(err, EZC_EPROTO, "npy %s: truncated header", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        rc = ezc_error_set(err, EZC_EPROTO, "npy %s: format version %d.%d is not supported", path,
                           pre[6], pre[7]);
    }
    if (!rc && hlen > (1u << 20))
        rc = ezc_error_set(err, EZC_EPROTO, "npy %s: header of %zu bytes", path, hlen);
    if (!rc && !(h = calloc(hlen + 1, 1)))
        rc = ezc_error_set(err, EZC_ENOMEM, "npy %s: out of memory", path);
    if (!rc && fread(h, 1, hlen, f) != hlen)
        rc = ezc_error_set(err, EZC_EPROTO, "npy %s: truncated header", path);
    ezc_dtype t = 0;
    int ndim = 0;
    int64_t shape[EZC_MAX_DIMS];
    if (!rc)
        rc = parse_header(path, h, &t, &ndim, shape, err);
    /* The header's shape is checked, and the file must hold its bytes,
     * before anything that size is allocated. */
    size_t count = 0;
    ezc_error why = {0};
    if (!rc && ezc_shape_count(ndim, shape, "shape", &count, &why))
        rc = ezc_error_set(err, EZC_ESHAPE, "npy %s: %s", path, why.msg);
    struct stat st;
    long here = rc ? 0 : ftell(f);
    if (!rc && fstat(fileno(f), &st) == 0 && here >= 0 && S_ISREG(st.st_mode) &&
        (uint64_t)(st.st_size - here) < (uint64_t)count * ezc_dtype_size(t))
        rc =
            ezc_error_set(err, EZC_EPROTO, "npy %s: data truncated (want %zu bytes, file has %lld)",
                          path, count * ezc_dtype_size(t), (long long)(st.st_size - here));
    if (!rc && !(a = ezc_array_new(t, ndim, shape, NULL, ezc_device_cpu(), err)))
        rc = err ? err->code : EZC_ENOMEM;
    if (!rc && fread(ezc_array_data(a), 1, ezc_array_nbytes(a), f) != ezc_array_nbytes(a))
        rc = ezc_error_set(err, EZC_EPROTO, "npy %s: data truncated (want %zu bytes)", path,
                           ezc_array_nbytes(a));
    if (rc)
        ezc_array_destroy(&a);
    free(h);
    fclose(f);
    return a;
}

int ezc_npy_save(const char *path, const ezc_array *a, ezc_error *err)
{
    if (a->tensor.device.device_type != kDLCPU)
        return ezc_error_set(err, EZC_EDEVICE, "npy %s: the array is not on the host", path);
    const char *code = NULL;
    for (size_t i = 0; i < sizeof descrs / sizeof *descrs; i++)
        if (descrs[i].t == a->dtype)
            code = descrs[i].descr;
    if (!code)
        return ezc_error_set(err, EZC_EDTYPE, "npy %s: dtype %s has no npy code", path,
                             ezc_dtype_name(a->dtype));
    char dict[512], shape[256] = "";
    for (int i = 0; i < ezc_array_ndim(a); i++)
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%lld%s",
                 (long long)a->shape[i],
                 ezc_array_ndim(a) == 1      ? ","
                 : i + 1 < ezc_array_ndim(a) ? ", "
                                             : "");
    int n =
        snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (%s), }",
                 ezc_dtype_size(a->dtype) == 1 ? '|' : '<', code, shape);
    /* pad so that the data starts at a multiple of 64 */
    size_t total = 10 + (size_t)n + 1, pad = (64 - total % 64) % 64, hlen = (size_t)n + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return ezc_error_set(err, EZC_EIO, "npy %s: %s", path, strerror(errno));
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF &&
         fwrite(ezc_array_data(a), 1, ezc_array_nbytes(a), f) == ezc_array_nbytes(a);
    if (fclose(f) || !ok)
        return ezc_error_set(err, EZC_EIO, "npy %s: write failed: %s", path, strerror(errno));
    return 0;
}
