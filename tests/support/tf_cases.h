/* tf_cases.h — the built-in transformers with typical settings (tests only). */
#ifndef EZC_TF_CASES_H
#define EZC_TF_CASES_H

#include <stddef.h>
#include "ezc/ezc.h"

typedef struct {
    const char *type, *settings; /* settings as tc_make takes them */
    int nch;                     /* channels the settings expect */
} tc_case;

extern const tc_case tc_typical[];
extern const size_t tc_ntypical;

/* [time, ch] float32 at 1 kHz, channel labels "a".., values in (0.1, 1.1);
 * nch <= 8. The caller owns the result. */
ezc_array *tc_typical_input(int64_t nt, int64_t nch);

#endif
