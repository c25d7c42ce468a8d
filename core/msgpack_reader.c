/* msgpack_reader.c — the bounds-checked msgpack cursor (see the header for
 * why ezc decodes with its own reader). Big-endian reads, every one after a
 * length check. */
#include <string.h>
#include "msgpack_reader.h"

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

mp_type mp_peek(const mp_cursor *c)
{
    if (c->p >= c->end)
        return MP_INVALID;
    uint8_t b = *c->p;
    if (b <= 0x7f || b == 0xcc || b == 0xcd || b == 0xce || b == 0xcf)
        return MP_UINT;
    if (b >= 0xe0 || b == 0xd0 || b == 0xd1 || b == 0xd2 || b == 0xd3) {
        /* A signed encoding of a non-negative value still reads as an int. */
        return MP_INT;
    }
    if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf)
        return MP_MAP;
    if ((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd)
        return MP_ARRAY;
    if ((b & 0xe0) == 0xa0 || b == 0xd9 || b == 0xda || b == 0xdb)
        return MP_STR;
    switch (b) {
    case 0xc0: return MP_NIL;
    case 0xc2:
    case 0xc3: return MP_BOOL;
    case 0xca:
    case 0xcb: return MP_FLOAT;
    case 0xc4:
    case 0xc5:
    case 0xc6: return MP_BIN;
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: return MP_EXT;
    default: return MP_INVALID; /* 0xc1 is never used */
    }
}

/* Reads a container header: fixed form (mask/marker) or 16/32-bit forms. */
static int read_container(mp_cursor *c, uint32_t *n, uint8_t fix_hi, uint8_t b16, uint8_t b32,
                          int per_elem)
{
    if (c->p >= c->end)
        return -1;
    uint8_t b = *c->p;
    size_t hdr;
    uint64_t count;
    if ((b & 0xf0) == fix_hi) {
        hdr = 1;
        count = b & 0x0f;
    } else if (b == b16) {
        if (mp_left(c) < 3)
            return -1;
        hdr = 3;
        count = be(c->p + 1, 2);
    } else if (b == b32) {
        if (mp_left(c) < 5)
            return -1;
        hdr = 5;
        count = be(c->p + 1, 4);
    } else {
        return -1;
    }
    if (count * (uint64_t)per_elem > mp_left(c) - hdr)
        return -1;
    c->p += hdr;
    *n = (uint32_t)count;
    return 0;
}

int mp_read_map(mp_cursor *c, uint32_t *n)
{
    return read_container(c, n, 0x80, 0xde, 0xdf, 2);
}
int mp_read_array(mp_cursor *c, uint32_t *n)
{
    return read_container(c, n, 0x90, 0xdc, 0xdd, 1);
}

/* Length-prefixed bytes: str (fix/8/16/32) or bin (8/16/32). */
static int read_bytes(mp_cursor *c, const char **s, uint32_t *len, int want_str)
{
    if (c->p >= c->end)
        return -1;
    uint8_t b = *c->p;
    size_t hdr;
    uint64_t n;
    if (want_str && (b & 0xe0) == 0xa0) {
        hdr = 1;
        n = b & 0x1f;
    } else {
        int w;
        if (b == (want_str ? 0xd9 : 0xc4))
            w = 1;
        else if (b == (want_str ? 0xda : 0xc5))
            w = 2;
        else if (b == (want_str ? 0xdb : 0xc6))
            w = 4;
        else
            return -1;
        if (mp_left(c) < (size_t)(1 + w))
            return -1;
        hdr = (size_t)(1 + w);
        n = be(c->p + 1, w);
    }
    if (n > mp_left(c) - hdr)
        return -1;
    *s = (const char *)c->p + hdr;
    *len = (uint32_t)n;
    c->p += hdr + n;
    return 0;
}

int mp_read_str(mp_cursor *c, const char **s, uint32_t *len)
{
    return read_bytes(c, s, len, 1);
}

/* Any integer as a sign flag and magnitude-compatible pieces. */
static int read_integer(mp_cursor *c, int *negative, uint64_t *u, int64_t *i)
{
    if (c->p >= c->end)
        return -1;
    uint8_t b = *c->p;
    size_t need = 1;
    if (b <= 0x7f) {
        *negative = 0;
        *u = b;
    } else if (b >= 0xe0) {
        *negative = 1;
        *i = (int8_t)b;
    } else {
        int w;
        int sign;
        switch (b) {
        case 0xcc:
            w = 1;
            sign = 0;
            break;
        case 0xcd:
            w = 2;
            sign = 0;
            break;
        case 0xce:
            w = 4;
            sign = 0;
            break;
        case 0xcf:
            w = 8;
            sign = 0;
            break;
        case 0xd0:
            w = 1;
            sign = 1;
            break;
        case 0xd1:
            w = 2;
            sign = 1;
            break;
        case 0xd2:
            w = 4;
            sign = 1;
            break;
        case 0xd3:
            w = 8;
            sign = 1;
            break;
        default: return -1;
        }
        need = (size_t)(1 + w);
        if (mp_left(c) < need)
            return -1;
        uint64_t raw = be(c->p + 1, w);
        if (!sign) {
            *negative = 0;
            *u = raw;
        } else {
            int64_t v;
            if (w == 1)
                v = (int8_t)raw;
            else if (w == 2)
                v = (int16_t)raw;
            else if (w == 4)
                v = (int32_t)raw;
            else
                memcpy(&v, &raw, 8);
            if (v >= 0) {
                *negative = 0;
                *u = (uint64_t)v;
            } else {
                *negative = 1;
                *i = v;
            }
        }
    }
    c->p += need;
    return 0;
}

int mp_read_uint(mp_cursor *c, uint64_t *v)
{
    mp_cursor save = *c;
    int neg;
    uint64_t u = 0;
    int64_t i = 0;
    if (read_integer(c, &neg, &u, &i) || neg) {
        *c = save;
        return -1;
    }
    *v = u;
    return 0;
}

int mp_read_int(mp_cursor *c, int64_t *v)
{
    mp_cursor save = *c;
    int neg;
    uint64_t u = 0;
    int64_t i = 0;
    if (read_integer(c, &neg, &u, &i) || (!neg && u > (uint64_t)INT64_MAX)) {
        *c = save;
        return -1;
    }
    *v = neg ? i : (int64_t)u;
    return 0;
}

int mp_read_number(mp_cursor *c, double *v)
{
    if (c->p >= c->end)
        return -1;
    uint8_t b = *c->p;
    if (b == 0xca || b == 0xcb) {
        size_t w = b == 0xca ? 4 : 8;
        if (mp_left(c) < 1 + w)
            return -1;
        uint64_t raw = be(c->p + 1, (int)w);
        if (w == 4) {
            uint32_t r32 = (uint32_t)raw;
            float f;
            memcpy(&f, &r32, 4);
            *v = f;
        } else {
            memcpy(v, &raw, 8);
        }
        c->p += 1 + w;
        return 0;
    }
    int neg;
    uint64_t u = 0;
    int64_t i = 0;
    if (read_integer(c, &neg, &u, &i))
        return -1;
    *v = neg ? (double)i : (double)u;
    return 0;
}

int mp_read_bool(mp_cursor *c, int *v)
{
    if (c->p >= c->end || (*c->p != 0xc2 && *c->p != 0xc3))
        return -1;
    *v = *c->p == 0xc3;
    c->p++;
    return 0;
}

int mp_read_nil(mp_cursor *c)
{
    if (c->p >= c->end || *c->p != 0xc0)
        return -1;
    c->p++;
    return 0;
}

static int skip_n(mp_cursor *c, size_t n)
{
    if (n > mp_left(c))
        return -1;
    c->p += n;
    return 0;
}

static int skip(mp_cursor *c, int depth)
{
    const char *s;
    uint32_t n;
    double d;
    switch (mp_peek(c)) {
    case MP_NIL: return mp_read_nil(c);
    case MP_BOOL: {
        int b;
        return mp_read_bool(c, &b);
    }
    case MP_UINT:
    case MP_INT:
    case MP_FLOAT: return mp_read_number(c, &d);
    case MP_STR: return mp_read_str(c, &s, &n);
    case MP_BIN: return read_bytes(c, &s, &n, 0);
    case MP_ARRAY:
    case MP_MAP: {
        int map = mp_peek(c) == MP_MAP;
        if (depth <= 0 || (map ? mp_read_map(c, &n) : mp_read_array(c, &n)))
            return -1;
        uint64_t items = map ? 2ull * n : n;
        for (uint64_t k = 0; k < items; k++)
            if (skip(c, depth - 1))
                return -1;
        return 0;
    }
    case MP_EXT: {
        uint8_t b = *c->p;
        static const uint8_t fixed[] = {1, 2, 4, 8, 16};
        if (b >= 0xd4 && b <= 0xd8)
            return skip_n(c, 2 + (size_t)fixed[b - 0xd4]);
        int w = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
        if (mp_left(c) < (size_t)(1 + w))
            return -1;
        return skip_n(c, (size_t)(2 + w) + be(c->p + 1, w));
    }
    default: return -1;
    }
}

int mp_skip(mp_cursor *c, int max_depth)
{
    mp_cursor save = *c;
    if (skip(c, max_depth)) {
        *c = save;
        return -1;
    }
    return 0;
}

int mp_str_eq(const char *s, uint32_t len, const char *lit)
{
    size_t n = strlen(lit);
    return n == len && memcmp(s, lit, n) == 0;
}
