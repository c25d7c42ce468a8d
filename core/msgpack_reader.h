/* msgpack_reader.h — a bounds-checked msgpack cursor (internal).
 *
 * Why not msgpack-c's unpacker: it allocates a container's declared size
 * before checking that the frame can hold it. This reader allocates nothing
 * and checks every length against the bytes left; each function returns 0,
 * or -1 leaving the cursor where it was. */
#ifndef EZC_MSGPACK_READER_H
#define EZC_MSGPACK_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct mp_cursor {
    const uint8_t *p;
    const uint8_t *end;
} mp_cursor;

typedef enum {
    MP_NIL,
    MP_BOOL,
    MP_UINT,
    MP_INT,
    MP_FLOAT,
    MP_STR,
    MP_BIN,
    MP_ARRAY,
    MP_MAP,
    MP_EXT,
    MP_INVALID
} mp_type;

static inline void mp_init(mp_cursor *c, const void *data, size_t len)
{
    c->p = (const uint8_t *)data;
    c->end = c->p + len;
}
static inline size_t mp_left(const mp_cursor *c)
{
    return (size_t)(c->end - c->p);
}

/* Type of the next value (MP_INVALID at the end or on a reserved byte).
 * MP_UINT covers positive ints of every encoding, MP_INT negative ones. */
mp_type mp_peek(const mp_cursor *c);
/* Container headers; n is checked against the bytes left (each element
 * takes at least one byte). */
int mp_read_map(mp_cursor *c, uint32_t *n);
int mp_read_array(mp_cursor *c, uint32_t *n);
/* A str's bytes (not NUL-terminated), pointing into the frame. */
int mp_read_str(mp_cursor *c, const char **s, uint32_t *len);
int mp_read_uint(mp_cursor *c, uint64_t *v); /* non-negative integers */
int mp_read_int(mp_cursor *c, int64_t *v);   /* any integer that fits int64 */
int mp_read_number(mp_cursor *c, double *v); /* float32/64 or any integer */
int mp_read_bool(mp_cursor *c, int *v);
int mp_read_nil(mp_cursor *c);
/* Skips one whole value; containers nested deeper than max_depth fail. */
int mp_skip(mp_cursor *c, int max_depth);
/* Compares a str just read with a C string. */
int mp_str_eq(const char *s, uint32_t len, const char *lit);

#endif
