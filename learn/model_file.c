/* model_file.c — load/save of model files (format in model_file.h).
 *
 * Reading goes through core's bounds-checked msgpack cursor, so a truncated
 * or hostile file is an error naming the field, never a large allocation
 * taken on trust; writing uses msgpack-c's packer. */
#include "model_file.h"
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/array.h"
#include "msgpack_reader.h"

#define MAX_FILE ((long)1 << 31)

ezc_model *ezc_model_new(const char *kind, ezc_error *err)
{
    ezc_model *m = calloc(1, sizeof *m);
    if (!m) {
        ezc_error_set(err, EZC_ENOMEM, "model: out of memory");
        return NULL;
    }
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    return m;
}

static void clear_labels(ezc_model *m)
{
    for (size_t i = 0; m->labels && i < m->nlabels; i++)
        free(m->labels[i]);
    free(m->labels);
    free(m->label_values);
    m->labels = NULL;
    m->label_values = NULL;
    m->nlabels = 0;
}

void ezc_model_destroy(ezc_model **mp)
{
    if (!mp || !*mp)
        return;
    ezc_model *m = *mp;
    for (size_t i = 0; i < m->narrays; i++)
        free(m->arrays[i].data);
    clear_labels(m);
    free(m);
    *mp = NULL;
}

int ezc_model_add(ezc_model *m, const char *name, int ndim, const int64_t *shape,
                  const double *data, ezc_error *err)
{
    if (m->narrays == EZC_MODEL_MAX_ARRAYS || ndim < 0 || ndim > 2 || strlen(name) >= 32)
        return ezc_error_set(err, EZC_EINVAL, "model: cannot add array '%s'", name);
    ezc_model_array *a = &m->arrays[m->narrays];
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || shape[i] > ((int64_t)1 << 31))
            return ezc_error_set(err, EZC_EINVAL, "model: array '%s' shape out of range", name);
        a->shape[i] = shape[i];
        n *= (size_t)shape[i];
    }
    a->data = malloc(n ? n * sizeof(double) : 1);
    if (!a->data)
        return ezc_error_set(err, EZC_ENOMEM, "model: out of memory");
    if (n)
        memcpy(a->data, data, n * sizeof(double));
    snprintf(a->name, sizeof a->name, "%s", name);
    a->ndim = ndim;
    m->narrays++;
    return 0;
}

int ezc_model_set_labels(ezc_model *m, size_t n, const char *const *labels, const double *values,
                         ezc_error *err)
{
    clear_labels(m);
    if (labels) {
        m->labels = calloc(n ? n : 1, sizeof *m->labels);
        for (size_t i = 0; m->labels && i < n; i++)
            if (!(m->labels[i] = strdup(labels[i]))) {
                m->nlabels = i;
                clear_labels(m);
                break;
            }
        if (!m->labels)
            return ezc_error_set(err, EZC_ENOMEM, "model: out of memory");
    } else {
        m->label_values = malloc((n ? n : 1) * sizeof(double));
        if (!m->label_values)
            return ezc_error_set(err, EZC_ENOMEM, "model: out of memory");
        if (n)
            memcpy(m->label_values, values, n * sizeof(double));
    }
    m->nlabels = n;
    return 0;
}

const ezc_model_array *ezc_model_get(const ezc_model *m, const char *path, const char *name,
                                     int ndim, const int64_t *shape, ezc_error *err)
{
    const char *where = path ? path : "model";
    for (size_t i = 0; i < m->narrays; i++) {
        const ezc_model_array *a = &m->arrays[i];
        if (strcmp(a->name, name) != 0)
            continue;
        int ok = a->ndim == ndim;
        for (int d = 0; ok && d < ndim; d++)
            ok = shape[d] < 0 || shape[d] == a->shape[d];
        if (!ok) {
            ezc_error_set(err, EZC_ESHAPE,
                          "%s: array '%s' has %d dims (%lld x %lld), want %d dims (%lld x %lld; "
                          "-1 = any)",
                          where, name, a->ndim, (long long)(a->ndim > 0 ? a->shape[0] : 1),
                          (long long)(a->ndim > 1 ? a->shape[1] : 1), ndim,
                          (long long)(ndim > 0 ? shape[0] : 1),
                          (long long)(ndim > 1 ? shape[1] : 1));
            return NULL;
        }
        return a;
    }
    ezc_error_set(err, EZC_ENOTFOUND, "%s: no array '%s' in this %s model", where, name, m->kind);
    return NULL;
}

/* ---- reading ---------------------------------------------------------- */

static int bad(ezc_error *err, const char *path, const char *what)
{
    return ezc_error_set(err, EZC_EINVAL, "model file %s: %s", path, what);
}

static int read_array(mp_cursor *c, ezc_model *m, const char *name, uint32_t nlen, const char *path,
                      ezc_error *err)
{
    char nm[32], msg[160];
    if (nlen >= sizeof nm || m->narrays == EZC_MODEL_MAX_ARRAYS)
        return bad(err, path, "too many arrays or an array name of 32 bytes or more");
    memcpy(nm, name, nlen);
    nm[nlen] = 0;
    uint32_t nk;
    if (mp_read_map(c, &nk)) {
        snprintf(msg, sizeof msg, "array '%s' is not a map", nm);
        return bad(err, path, msg);
    }
    int dsize = 0, ndim = -1;
    int64_t shape[2] = {1, 1};
    const char *data = NULL;
    uint32_t dlen = 0;
    for (uint32_t k = 0; k < nk; k++) {
        const char *key = NULL; /* named in the error below even when unreadable */
        uint32_t klen = 0;
        int fail = mp_read_str(c, &key, &klen);
        if (!fail && mp_str_eq(key, klen, "dtype")) {
            const char *s;
            uint32_t sl;
            fail = mp_read_str(c, &s, &sl);
            dsize = fail                          ? 0
                    : mp_str_eq(s, sl, "float64") ? 8
                    : mp_str_eq(s, sl, "float32") ? 4
                                                  : 0;
            fail = fail || !dsize;
        } else if (!fail && mp_str_eq(key, klen, "shape")) {
            uint32_t n;
            fail = mp_read_array(c, &n) || n > 2;
            for (uint32_t d = 0; !fail && d < n; d++) {
                uint64_t v;
                fail = mp_read_uint(c, &v) || v > ((uint64_t)1 << 31);
                shape[d] = (int64_t)v;
            }
            ndim = fail ? -1 : (int)n;
        } else if (!fail && mp_str_eq(key, klen, "data")) {
            fail = mp_peek(c) != MP_BIN;
            if (!fail) { /* bin 8/16/32: the cursor reads its length prefix */
                uint8_t t = *c->p;
                size_t hl = t == 0xc4 ? 2 : t == 0xc5 ? 3 : 5;
                if (mp_left(c) < hl)
                    fail = 1;
                else {
                    dlen = 0;
                    for (size_t b = 1; b < hl; b++)
                        dlen = (dlen << 8) | c->p[b];
                    fail = mp_left(c) - hl < dlen;
                    if (!fail) {
                        data = (const char *)c->p + hl;
                        c->p += hl + dlen;
                    }
                }
            }
        } else if (!fail) {
            fail = mp_skip(c, 8);
        }
        if (fail) {
            snprintf(msg, sizeof msg,
                     "array '%s': bad field %.*s (dtype: \"float64\"|\"float32\", shape: up to 2 "
                     "non-negative ints, data: bin)",
                     nm, (int)(klen < 40 ? klen : 40), key ? key : "?");
            return bad(err, path, msg);
        }
    }
    if (!dsize || ndim < 0 || !data) {
        snprintf(msg, sizeof msg, "array '%s' lacks %s", nm,
                 !dsize     ? "dtype"
                 : ndim < 0 ? "shape"
                            : "data");
        return bad(err, path, msg);
    }
    size_t n = 0; /* elements, overflow-checked: the data bytes must match exactly */
    if (ezc_shape_count(ndim, shape, "shape", &n, NULL) || n > UINT32_MAX / (size_t)dsize) {
        snprintf(msg, sizeof msg, "array '%s': shape [%lld, %lld] is too large", nm,
                 (long long)shape[0], (long long)shape[1]);
        return bad(err, path, msg);
    }
    if (n * (size_t)dsize != dlen) {
        snprintf(msg, sizeof msg, "array '%s': %u data bytes for %llu elements of %d bytes", nm,
                 dlen, (unsigned long long)n, dsize);
        return bad(err, path, msg);
    }
    double *v = malloc(n ? n * sizeof(double) : 1);
    if (!v)
        return ezc_error_set(err, EZC_ENOMEM, "model file %s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        if (dsize == 8)
            memcpy(&v[i], data + 8 * i, 8);
        else {
            float f;
            memcpy(&f, data + 4 * i, 4);
            v[i] = f;
        }
    }
    int rc = ezc_model_add(m, nm, ndim, shape, v, err);
    free(v);
    return rc;
}

static int read_labels(mp_cursor *c, ezc_model *m, const char *path, ezc_error *err)
{
    uint32_t n;
    if (mp_read_array(c, &n))
        return bad(err, path, "labels is not an array");
    int strs = n && mp_peek(c) == MP_STR;
    char **labels = strs ? calloc(n, sizeof *labels) : NULL;
    double *values = !strs ? malloc((n ? n : 1) * sizeof *values) : NULL;
    int rc = (strs ? !labels : !values) ? EZC_ENOMEM : 0;
    for (uint32_t i = 0; !rc && i < n; i++) {
        if (strs) {
            const char *s;
            uint32_t len;
            if (mp_read_str(c, &s, &len))
                rc = bad(err, path, "labels mix strings and numbers");
            else if (!(labels[i] = strndup(s, len)))
                rc = EZC_ENOMEM;
        } else if (mp_read_number(c, &values[i])) {
            rc = bad(err, path, "labels mix strings and numbers");
        }
    }
    if (!rc)
        rc = ezc_model_set_labels(m, n, (const char *const *)labels, values, err);
    else if (rc == EZC_ENOMEM)
        ezc_error_set(err, rc, "model file %s: out of memory", path);
    for (uint32_t i = 0; labels && i < n; i++)
        free(labels[i]);
    free(labels);
    free(values);
    return rc;
}

static int parse(const uint8_t *buf, size_t len, const char *path, ezc_model *m, ezc_error *err)
{
    mp_cursor c;
    mp_init(&c, buf, len);
    uint32_t nk;
    if (mp_read_map(&c, &nk))
        return bad(err, path, "not an ezc model (no msgpack map at the start)");
    int version = -1;
    for (uint32_t k = 0; k < nk; k++) {
        const char *key;
        uint32_t klen;
        if (mp_read_str(&c, &key, &klen))
            return bad(err, path, "a top-level key is not a string (truncated or corrupt?)");
        int rc = 0;
        if (mp_str_eq(key, klen, "ezc_model")) {
            uint64_t v;
            if (mp_read_uint(&c, &v))
                return bad(err, path, "ezc_model (the format version) is not an integer");
            version = (int)(v > 1000 ? 1000 : v);
        } else if (mp_str_eq(key, klen, "kind")) {
            const char *s;
            uint32_t sl;
            if (mp_read_str(&c, &s, &sl) || sl >= sizeof m->kind)
                return bad(err, path, "kind is not a short string");
            memcpy(m->kind, s, sl);
            m->kind[sl] = 0;
        } else if (mp_str_eq(key, klen, "arrays")) {
            uint32_t na;
            if (mp_read_map(&c, &na))
                return bad(err, path, "arrays is not a map");
            for (uint32_t i = 0; !rc && i < na; i++) {
                const char *an;
                uint32_t al;
                rc = mp_read_str(&c, &an, &al) ? bad(err, path, "an array name is not a string")
                                               : read_array(&c, m, an, al, path, err);
            }
        } else if (mp_str_eq(key, klen, "labels")) {
            rc = read_labels(&c, m, path, err);
        } else if (mp_skip(&c, 16)) {
            return bad(err, path, "truncated or corrupt value");
        }
        if (rc)
            return rc;
    }
    if (version != EZC_MODEL_VERSION) {
        char msg[96];
        snprintf(msg, sizeof msg, "format version %d, this build reads %d%s", version,
                 EZC_MODEL_VERSION, version < 0 ? " (no 'ezc_model' key: not an ezc model)" : "");
        return bad(err, path, msg);
    }
    if (!m->kind[0])
        return bad(err, path, "no 'kind'");
    if (mp_left(&c))
        return bad(err, path, "trailing bytes after the model");
    return 0;
}

int ezc_model_load(const char *path, ezc_model **out, ezc_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ezc_error_set(err, EZC_EIO, "model file %s: cannot open (%m)", path);
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len < 0 || len > MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ezc_error_set(err, EZC_EIO, "model file %s: cannot read its size", path);
    }
    uint8_t *buf = malloc(len ? (size_t)len : 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(buf);
        return ezc_error_set(err, EZC_EIO, "model file %s: read failed", path);
    }
    fclose(f);
    ezc_model *m = ezc_model_new("", err);
    int rc = m ? parse(buf, (size_t)len, path, m, err) : EZC_ENOMEM;
    free(buf);
    if (rc)
        ezc_model_destroy(&m);
    *out = m;
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

int ezc_model_save(const char *path, const ezc_model *m, ezc_error *err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, m->nlabels ? 4 : 3);
    pack_str(&pk, "ezc_model");
    msgpack_pack_uint32(&pk, EZC_MODEL_VERSION);
    pack_str(&pk, "kind");
    pack_str(&pk, m->kind);
    pack_str(&pk, "arrays");
    msgpack_pack_map(&pk, m->narrays);
    for (size_t i = 0; i < m->narrays; i++) {
        const ezc_model_array *a = &m->arrays[i];
        size_t n = 1;
        pack_str(&pk, a->name);
        msgpack_pack_map(&pk, 3);
        pack_str(&pk, "dtype");
        pack_str(&pk, "float64");
        pack_str(&pk, "shape");
        msgpack_pack_array(&pk, (size_t)a->ndim);
        for (int d = 0; d < a->ndim; d++) {
            msgpack_pack_uint64(&pk, (uint64_t)a->shape[d]);
            n *= (size_t)a->shape[d];
        }
        pack_str(&pk, "data");
        msgpack_pack_bin(&pk, n * 8);
        msgpack_pack_bin_body(&pk, a->data, n * 8); /* little-endian hosts only */
    }
    if (m->nlabels) {
        pack_str(&pk, "labels");
        msgpack_pack_array(&pk, m->nlabels);
        for (size_t i = 0; i < m->nlabels; i++) {
            if (m->labels)
                pack_str(&pk, m->labels[i]);
            else
                msgpack_pack_double(&pk, m->label_values[i]);
        }
    }
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (!f) {
        rc = ezc_error_set(err, EZC_EIO, "model file %s: cannot create (%m)", path);
    } else {
        int wrote = fwrite(sb.data, 1, sb.size, f) == sb.size;
        if (fclose(f) != 0 || !wrote)
            rc = ezc_error_set(err, EZC_EIO, "model file %s: write failed", path);
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}
