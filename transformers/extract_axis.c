/* extract_axis.c — an axis' values as the data (ezmsg-sigproc's
 * ExtractAxisData): numeric coordinates of dim `axis` become a float64
 * [axis] array that keeps that axis; a linear axis becomes offset + gain * i
 * for i along the `reference` dim, a [reference] array with the reference's
 * axis. The values are written on the host and copied to the message's
 * device when it lives elsewhere; the message's data is dropped. */
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef struct extract_state {
    const char *axis, *reference;
    ezc_buffer *c_host, *c_dev;
} extract_state;

static const ezc_setting_spec extract_settings[] = {
    {"axis", EZC_SETTING_STRING, "freq", "dim whose axis values become the data", 0, NULL},
    {"reference", EZC_SETTING_STRING, "time",
     "dim that sets the length when `axis` is linear (gain/offset)", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void extract_fini(void *state)
{
    extract_state *st = state;
    if (!st)
        return;
    ezc_buffer_unref(&st->c_host);
    ezc_buffer_unref(&st->c_dev);
    free(st);
}

static int extract_init(void **state, const ezc_settings *s, ezc_error *err)
{
    extract_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "extract_axis: out of memory");
    st->axis = "freq";
    st->reference = "time";
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "reference", &st->reference);
    *state = st;
    return 0;
}

static int extract_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err)
{
    extract_state *st = state;
    (void)port;
    *out = NULL;
    int ax, ref = -1, rc = ezc_tf_axis("extract_axis", in, st->axis, &ax, err);
    ezc_array *h = NULL, *y = NULL;
    const ezc_axis *a = rc ? NULL : &in->axes[ax];
    if (rc)
        goto done;
    if (a->kind == EZC_AXIS_LINEAR) {
        ref = ezc_array_axis_index(in, st->reference);
        if (ref < 0) {
            char dims[EZC_DIMS_STR_MAX];
            rc = ezc_error_set(err, EZC_ENOTFOUND,
                               "extract_axis: setting 'reference' = '%s': the message has no "
                               "such dim (dims: %s)",
                               st->reference, ezc_array_dims_str(in, dims, sizeof dims));
            goto done;
        }
    } else if (a->kind != EZC_AXIS_COORD || !a->coords || !a->coords->values) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "extract_axis: setting 'axis' = '%s': the dim has %s, not numbers",
                           st->axis, a->kind == EZC_AXIS_COORD ? "text labels" : "no axis values");
        goto done;
    }
    int od = ref >= 0 ? ref : ax;
    /* O(elements): a message with no data gives no values (a hostile
     * [2^40, 0] must not make 2^40 of them) */
    int64_t n = ezc_array_size(in) ? in->shape[od] : 0;
    const char *dim = in->dims[od];
    int64_t nb = n * (int64_t)sizeof(double);
    ezc_buffer *hb = ezc_buffer_cached(&st->c_host, (size_t)nb, ezc_device_cpu(), err);
    h = hb ? ezc_array_from_buffer(hb, 0, EZC_FLOAT64, 1, &n, &dim, err) : NULL;
    ezc_buffer_unref(&hb);
    if (!h || (rc = ezc_array_set_key(h, in->key, err))) {
        rc = h ? rc : err->code;
        goto done;
    }
    double *v = ezc_array_data(h);
    for (int64_t i = 0; i < n; i++)
        v[i] = ref >= 0 ? a->offset + a->gain * (double)i : a->coords->values[i];
    if (n == in->shape[od] || in->axes[od].kind != EZC_AXIS_COORD) {
        h->axes[0] = in->axes[od];
        ezc_coords_ref(h->axes[0].coords);
    }
    h->attrs = ezc_attrs_ref(in->attrs);
    h->src = in->src;
    h->seq = in->seq;
    h->ts_ns = in->ts_ns;
    if (in->tensor.device.device_type == kDLCPU) {
        y = h;
        h = NULL;
    } else {
        ezc_buffer *db = ezc_buffer_cached(&st->c_dev, (size_t)nb, in->tensor.device, err);
        y = db ? ezc_array_clone(h, err) : NULL;
        rc = y ? ezc_array_set_buffer(y, db, 0, err) : err->code;
        ezc_buffer_unref(&db);
        if (!rc)
            rc = ezc_xp_call(xp, copy, err, h, y);
    }
done:
    ezc_array_destroy(&in);
    ezc_array_destroy(&h);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_extract_axis_type = {
    .name = "extract_axis",
    .summary = "an axis' values (coordinates, or gain/offset times the reference) as the data",
    .settings = extract_settings,
    .init = extract_init,
    .process = extract_process,
    .fini = extract_fini,
};
