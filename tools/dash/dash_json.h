/* dash_json.h — JSON in and out for the dashboard's WebSocket messages.
 *
 * The reader takes hostile input: at most DASH_JSON_MAX_BYTES, nested at
 * most DASH_JSON_MAX_DEPTH deep, at most DASH_JSON_MAX_NODES values, strict
 * RFC 8259 syntax, strings valid UTF-8 without NUL; anything else is
 * refused with a message saying where. It builds a small tree in one
 * allocation; strings are decoded and NUL-terminated.
 *
 * The writer (dash_buf) appends to a growable buffer; strings are escaped,
 * invalid UTF-8 written as U+FFFD, non-finite numbers as null. */
#ifndef EZC_DASH_JSON_H
#define EZC_DASH_JSON_H
#include <stddef.h>
#include <stdint.h>

#define DASH_JSON_MAX_BYTES 65536
#define DASH_JSON_MAX_DEPTH 32
#define DASH_JSON_MAX_NODES 4096

typedef enum { DJ_NULL, DJ_FALSE, DJ_TRUE, DJ_NUM, DJ_STR, DJ_ARR, DJ_OBJ } dash_json_type;

typedef struct dash_json {
    dash_json_type type;
    double num;
    const char *str; /* DJ_STR: decoded, NUL-terminated */
    size_t len;      /* DJ_STR: bytes; DJ_ARR/DJ_OBJ: members */
    const char *key; /* a member of an object: its key */
    int first, next; /* children and siblings: node indices, -1 for none */
} dash_json;

typedef struct dash_json_doc {
    dash_json *nodes; /* nodes[0] is the root */
    size_t n;
    char *strings;
} dash_json_doc;

/* Parses text[0..len). 0 and *doc filled (free with dash_json_free), or -1
 * with why (a message naming the offset: "JSON: nested deeper than 32 at
 * byte 33"). */
int dash_json_parse(const char *text, size_t len, dash_json_doc *doc, char *why, size_t cap);
void dash_json_free(dash_json_doc *doc);
/* Member `key` of object node i, or NULL. */
const dash_json *dash_json_get(const dash_json_doc *doc, const dash_json *obj, const char *key);
/* Member `key` as a string, or NULL when absent or not a string. */
const char *dash_json_get_str(const dash_json_doc *doc, const dash_json *obj, const char *key);

typedef struct dash_buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the content is incomplete */
} dash_buf;

void dash_buf_free(dash_buf *b);
void dash_buf_put(dash_buf *b, const void *p, size_t n);
void dash_buf_printf(dash_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal (quoted, escaped); NULL as null. */
void dash_buf_str(dash_buf *b, const char *s);
/* x as a JSON number, or null when not finite. */
void dash_buf_num(dash_buf *b, double x);

#endif
