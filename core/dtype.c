/* dtype.c — element types: sizes, numpy names, DLPack codes. */
#include <string.h>
#include "ezc/dtype.h"

static const struct {
    const char *name;
    size_t size;
    uint8_t code, bits;
} table[EZC_DTYPE_COUNT] = {
    [EZC_DTYPE_INVALID] = {"invalid", 0, 0, 0},
    [EZC_FLOAT32] = {"float32", 4, kDLFloat, 32},
    [EZC_FLOAT64] = {"float64", 8, kDLFloat, 64},
    [EZC_INT8] = {"int8", 1, kDLInt, 8},
    [EZC_INT16] = {"int16", 2, kDLInt, 16},
    [EZC_INT32] = {"int32", 4, kDLInt, 32},
    [EZC_INT64] = {"int64", 8, kDLInt, 64},
    [EZC_UINT8] = {"uint8", 1, kDLUInt, 8},
    [EZC_UINT16] = {"uint16", 2, kDLUInt, 16},
    [EZC_UINT32] = {"uint32", 4, kDLUInt, 32},
    [EZC_UINT64] = {"uint64", 8, kDLUInt, 64},
    [EZC_BOOL] = {"bool", 1, EZC_DL_BOOL, 8},
    [EZC_COMPLEX64] = {"complex64", 8, kDLComplex, 64},
    [EZC_COMPLEX128] = {"complex128", 16, kDLComplex, 128},
};

static int valid(ezc_dtype t)
{
    return t > EZC_DTYPE_INVALID && t < EZC_DTYPE_COUNT;
}

size_t ezc_dtype_size(ezc_dtype t)
{
    return valid(t) ? table[t].size : 0;
}

const char *ezc_dtype_name(ezc_dtype t)
{
    return valid(t) ? table[t].name : "invalid";
}

ezc_dtype ezc_dtype_from_name(const char *name, size_t len)
{
    if (!name)
        return EZC_DTYPE_INVALID;
    if (len == (size_t)-1)
        len = strlen(name);
    for (int t = 1; t < EZC_DTYPE_COUNT; t++)
        if (strlen(table[t].name) == len && memcmp(table[t].name, name, len) == 0)
            return (ezc_dtype)t;
    return EZC_DTYPE_INVALID;
}

DLDataType ezc_dtype_to_dl(ezc_dtype t)
{
    DLDataType d = {0, 0, 1};
    if (valid(t)) {
        d.code = table[t].code;
        d.bits = table[t].bits;
    }
    return d;
}

ezc_dtype ezc_dtype_from_dl(DLDataType dl)
{
    if (dl.lanes != 1)
        return EZC_DTYPE_INVALID;
    for (int t = 1; t < EZC_DTYPE_COUNT; t++)
        if (table[t].code == dl.code && table[t].bits == dl.bits)
            return (ezc_dtype)t;
    /* DLPack 0.6 producers describe bool as 1-bit or 8-bit unsigned. */
    if (dl.code == kDLUInt && dl.bits == 1)
        return EZC_BOOL;
    return EZC_DTYPE_INVALID;
}

int ezc_dtype_is_float(ezc_dtype t)
{
    return t == EZC_FLOAT32 || t == EZC_FLOAT64;
}
int ezc_dtype_is_complex(ezc_dtype t)
{
    return t == EZC_COMPLEX64 || t == EZC_COMPLEX128;
}
int ezc_dtype_is_int(ezc_dtype t)
{
    return t >= EZC_INT8 && t <= EZC_UINT64;
}
int ezc_dtype_is_signed(ezc_dtype t)
{
    return (t >= EZC_INT8 && t <= EZC_INT64) || ezc_dtype_is_float(t) || ezc_dtype_is_complex(t);
}

ezc_dtype ezc_dtype_real(ezc_dtype t)
{
    if (t == EZC_COMPLEX64)
        return EZC_FLOAT32;
    if (t == EZC_COMPLEX128)
        return EZC_FLOAT64;
    return t;
}

ezc_dtype ezc_dtype_complex(ezc_dtype t)
{
    if (t == EZC_FLOAT32 || t == EZC_COMPLEX64)
        return EZC_COMPLEX64;
    if (t == EZC_FLOAT64 || t == EZC_COMPLEX128)
        return EZC_COMPLEX128;
    return EZC_DTYPE_INVALID;
}
