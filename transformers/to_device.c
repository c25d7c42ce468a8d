/* to_device.c — moves each message's data to a device ("cpu", "cuda:0").
 * The one place data crosses devices: xp operations never do it behind a
 * transformer's back. A message already there passes through untouched. */
#include <stdlib.h>
#include "ezc/plugin.h"

static const ezc_setting_spec to_device_settings[] = {
    {"device", EZC_SETTING_STRING, NULL, "target device: cpu, cuda or cuda:N", 1, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static int to_device_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *name = NULL;
    ezc_settings_get_string(s, "device", &name);
    DLDevice *d = malloc(sizeof *d);
    if (!d)
        return ezc_error_set(err, EZC_ENOMEM, "to_device: out of memory");
    int rc = ezc_device_parse(name, d, err);
    /* Refuse a device that is not there at start, not per message. */
    const ezc_xp *xp = rc ? NULL : ezc_xp_for(*d, err);
    if (!rc && !xp)
        rc = err ? err->code : EZC_EDEVICE;
    if (!rc)
        rc = ezc_xp_call(xp, sync, err, *d);
    if (rc) {
        free(d);
        return rc;
    }
    *state = d;
    return 0;
}

static int to_device_process(void *state, int port, ezc_array *in, ezc_array **out,
                             const ezc_xp *xp, ezc_error *err)
{
    const DLDevice *d = state;
    (void)port;
    (void)xp;
    if (ezc_device_equal(in->tensor.device, *d)) {
        *out = in;
        return 0;
    }
    *out = ezc_array_to_device(in, *d, err);
    ezc_array_destroy(&in);
    return *out ? 0 : (err ? err->code : EZC_EDEVICE);
}

const ezc_transformer_type ezc_to_device_type = {
    .name = "to_device",
    .summary = "move data to a device (cpu, cuda:N); the only implicit-free transfer",
    .settings = to_device_settings,
    .init = to_device_init,
    .process = to_device_process,
    .fini = free,
};
