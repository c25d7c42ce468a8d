/* learn_helper.c — runs a learner with a model file on raw float64 samples
 * for tests/test_learn_models.py:
 *   learn_helper TYPE MODEL IN N F OUT [SETTING=VALUE...]
 * IN holds N x F float64 (C order); OUT gets the output's float64 data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: learn_helper TYPE MODEL IN N F OUT [NAME=VALUE...]\n");
        return 2;
    }
    ezc_error err;
    ezc_registry *reg = ezc_registry_new(&err);
    ezc_settings *s = ezc_settings_new(&err);
    if (!reg || !s || ezc_registry_add_builtins(reg, &err) ||
        ezc_settings_set(s, "model", argv[2], "argv", &err))
        goto fail;
    for (int i = 7; i < argc; i++) {
        char name[64];
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq - argv[i] >= (int)sizeof name)
            return 2;
        snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i]), argv[i]);
        if (ezc_settings_set(s, name, eq + 1, "argv", &err))
            goto fail;
    }
    const ezc_transformer_type *type = ezc_registry_find(reg, argv[1], &err);
    ezc_transformer *t = type ? ezc_transformer_new(type, s, &err) : NULL;
    if (!t)
        goto fail;
    int64_t shape[2] = {atoll(argv[4]), atoll(argv[5])};
    const char *dims[2] = {"time", "ch"};
    ezc_array *x = ezc_array_new(EZC_FLOAT64, 2, shape, dims, ezc_device_cpu(), &err), *y = NULL;
    FILE *f = fopen(argv[3], "rb");
    if (!x || !f || fread(ezc_array_data(x), 1, ezc_array_nbytes(x), f) != ezc_array_nbytes(x))
        return 2;
    fclose(f);
    if (ezc_transformer_process(t, 0, x, &y, &err))
        goto fail;
    f = fopen(argv[6], "wb");
    if (!f || fwrite(ezc_array_data(y), 1, ezc_array_nbytes(y), f) != ezc_array_nbytes(y))
        return 2;
    fclose(f);
    ezc_array_destroy(&y);
    ezc_transformer_destroy(&t);
    ezc_settings_destroy(&s);
    ezc_registry_destroy(&reg);
    return 0;
fail:
    fprintf(stderr, "learn_helper: %s\n", err.msg);
    return 1;
}
