/* dash_json.c — a strict, bounded JSON reader and a small writer
 * (dash_json.h). Recursive descent with the depth counted, so a request
 * nested 10,000 deep is refused at level 33 instead of using the stack. */
#include "dash_json.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const unsigned char *p, *end, *start;
    dash_json_doc *doc;
    size_t cap_nodes, slen;
    char *why;
    size_t why_cap;
    int failed;
} parser;

static int fail(parser *ps, const char *what)
{
    if (!ps->failed)
        snprintf(ps->why, ps->why_cap, "JSON: %s at byte %zu", what, (size_t)(ps->p - ps->start));
    ps->failed = 1;
    return -1;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int new_node(parser *ps, dash_json_type t)
{
    if (ps->doc->n >= ps->cap_nodes)
        return fail(ps, "too many values");
    int i = (int)ps->doc->n++;
    dash_json *j = &ps->doc->nodes[i];
    memset(j, 0, sizeof *j);
    j->type = t;
    j->first = j->next = -1;
    return i;
}

static int hex4(parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return fail(ps, "a \\u escape cut short");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return fail(ps, "a bad \\u escape");
    }
    ps->p += 4;
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (at most avail bytes), or 0. */
static int utf8_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    int n = c < 0x80             ? 1
            : (c & 0xe0) == 0xc0 ? 2
            : (c & 0xf0) == 0xe0 ? 3
            : (c & 0xf8) == 0xf0 ? 4
                                 : 0;
    if (n == 0 || (size_t)n > avail)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (int i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3f);
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80)
        *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* A string at p (the opening quote) into the arena; its start, or NULL. */
static const char *parse_string(parser *ps, size_t *len)
{
    ps->p++;
    char *out = ps->doc->strings + ps->slen, *o = out;
    for (;;) {
        if (ps->p >= ps->end) {
            fail(ps, "a string without its closing quote");
            return NULL;
        }
        unsigned c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) {
            fail(ps, "a control character in a string");
            return NULL;
        }
        if (c == '\\') {
            if (++ps->p >= ps->end) {
                fail(ps, "an escape cut short");
                return NULL;
            }
            c = *ps->p++;
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *k = c ? strchr(from, (int)c) : NULL;
            if (k) {
                *o++ = to[k - from];
                continue;
            }
            if (c != 'u') {
                fail(ps, "a bad escape");
                return NULL;
            }
            unsigned cp, lo;
            if (hex4(ps, &cp))
                return NULL;
            if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair */
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    fail(ps, "a lone surrogate");
                    return NULL;
                }
                ps->p += 2;
                if (hex4(ps, &lo))
                    return NULL;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    fail(ps, "a lone surrogate");
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                fail(ps, "a lone surrogate");
                return NULL;
            }
            if (cp == 0) {
                fail(ps, "a NUL in a string");
                return NULL;
            }
            o = put_utf8(o, cp);
            continue;
        }
        int n = utf8_len(ps->p, (size_t)(ps->end - ps->p));
        if (!n) {
            fail(ps, "invalid UTF-8 in a string");
            return NULL;
        }
        memcpy(o, ps->p, (size_t)n);
        o += n;
        ps->p += n;
    }
    *o++ = '\0';
    *len = (size_t)(o - out) - 1;
    ps->slen += *len + 1;
    return out;
}

static int parse_value(parser *ps, int depth);

static int parse_number(parser *ps)
{
    const unsigned char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail(ps, "a bad number");
    if (*ps->p == '0')
        ps->p++;
    else
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "a bad number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "a bad number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    char tmp[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof tmp)
        return fail(ps, "a number too long");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    int i = new_node(ps, DJ_NUM);
    if (i < 0)
        return -1;
    ps->doc->nodes[i].num = strtod(tmp, NULL);
    return i;
}

static int literal(parser *ps, const char *word, dash_json_type t)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return fail(ps, "an unexpected character");
    ps->p += n;
    return new_node(ps, t);
}

static int parse_container(parser *ps, int depth, int obj)
{
    int self = new_node(ps, obj ? DJ_OBJ : DJ_ARR), last = -1;
    if (self < 0)
        return -1;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
        return self;
    }
    for (;;) {
        const char *key = NULL;
        size_t klen;
        skip_ws(ps);
        if (obj) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "expected a key");
            if (!(key = parse_string(ps, &klen)))
                return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, "expected ':'");
            ps->p++;
        }
        int kid = parse_value(ps, depth + 1);
        if (kid < 0)
            return -1;
        ps->doc->nodes[kid].key = key;
        if (last < 0)
            ps->doc->nodes[self].first = kid;
        else
            ps->doc->nodes[last].next = kid;
        last = kid;
        ps->doc->nodes[self].len++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
            ps->p++;
            return self;
        }
        return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *ps, int depth)
{
    if (depth > DASH_JSON_MAX_DEPTH) {
        char m[64];
        snprintf(m, sizeof m, "nested deeper than %d", DASH_JSON_MAX_DEPTH);
        return fail(ps, m);
    }
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "a value expected");
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, 1);
    case '[': return parse_container(ps, depth, 0);
    case '"': {
        size_t len;
        const char *s = parse_string(ps, &len);
        if (!s)
            return -1;
        int i = new_node(ps, DJ_STR);
        if (i >= 0) {
            ps->doc->nodes[i].str = s;
            ps->doc->nodes[i].len = len;
        }
        return i;
    }
    case 't': return literal(ps, "true", DJ_TRUE);
    case 'f': return literal(ps, "false", DJ_FALSE);
    case 'n': return literal(ps, "null", DJ_NULL);
    default: return parse_number(ps);
    }
}

int dash_json_parse(const char *text, size_t len, dash_json_doc *doc, char *why, size_t cap)
{
    memset(doc, 0, sizeof *doc);
    if (len > DASH_JSON_MAX_BYTES) {
        snprintf(why, cap, "JSON: %zu bytes (at most %d)", len, DASH_JSON_MAX_BYTES);
        return -1;
    }
    size_t nodes = len < DASH_JSON_MAX_NODES ? len + 1 : DASH_JSON_MAX_NODES;
    doc->nodes = malloc(nodes * sizeof *doc->nodes);
    doc->strings = malloc(len + 1);
    if (!doc->nodes || !doc->strings) {
        dash_json_free(doc);
        snprintf(why, cap, "JSON: out of memory");
        return -1;
    }
    parser ps = {(const unsigned char *)text,
                 (const unsigned char *)text + len,
                 (const unsigned char *)text,
                 doc,
                 nodes,
                 0,
                 why,
                 cap,
                 0};
    int root = parse_value(&ps, 1);
    if (root >= 0) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            root = fail(&ps, "bytes after the value");
    }
    if (root < 0) {
        dash_json_free(doc);
        return -1;
    }
    return 0;
}

void dash_json_free(dash_json_doc *doc)
{
    free(doc->nodes);
    free(doc->strings);
    memset(doc, 0, sizeof *doc);
}

const dash_json *dash_json_get(const dash_json_doc *doc, const dash_json *obj, const char *key)
{
    if (!obj || obj->type != DJ_OBJ)
        return NULL;
    for (int i = obj->first; i >= 0; i = doc->nodes[i].next)
        if (!strcmp(doc->nodes[i].key, key))
            return &doc->nodes[i];
    return NULL;
}

const char *dash_json_get_str(const dash_json_doc *doc, const dash_json *obj, const char *key)
{
    const dash_json *j = dash_json_get(doc, obj, key);
    return j && j->type == DJ_STR ? j->str : NULL;
}

/* ---- writer ---- */

static int grow(dash_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void dash_buf_free(dash_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void dash_buf_put(dash_buf *b, const void *p, size_t n)
{
    if (grow(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void dash_buf_printf(dash_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        dash_buf_put(b, tmp, (size_t)n);
        return;
    }
    if (grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void dash_buf_str(dash_buf *b, const char *s)
{
    if (!s) {
        dash_buf_put(b, "null", 4);
        return;
    }
    dash_buf_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            dash_buf_put(b, e, 2);
        } else if (c < 0x20) {
            dash_buf_printf(b, "\\u%04x", c);
        } else {
            int n = utf8_len(p, left);
            if (!n) {
                dash_buf_put(b, "\xef\xbf\xbd", 3);
                n = 1;
            } else
                dash_buf_put(b, p, (size_t)n);
            p += n;
            left -= (size_t)n;
            continue;
        }
        p++;
        left--;
    }
    dash_buf_put(b, "\"", 1);
}

void dash_buf_num(dash_buf *b, double x)
{
    if (!isfinite(x))
        dash_buf_put(b, "null", 4);
    else if (x == floor(x) && fabs(x) < 1e15)
        dash_buf_printf(b, "%.0f", x);
    else
        dash_buf_printf(b, "%.9g", x);
}
