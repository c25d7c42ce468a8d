/* device.c — device names: "cpu", "cuda:0" to a DLPack device and back.
 *
 * One table row per device type a name exists for; format, parse and the
 * "expected ..." wording of parse errors all come from it, so a new backend
 * (rocm:N, vulkan:N) is one row here plus its folder (docs/architecture.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/buffer.h"

typedef struct {
    DLDeviceType type;
    const char *name;
    int has_id;   /* formatted "name:id"; parsed as "name" (id 0) or "name:N" */
    int parsable; /* accepted by ezc_device_parse */
} device_name;

static const device_name device_names[] = {
    {kDLCPU, "cpu", 0, 1},
    {kDLCUDA, "cuda", 1, 1},
    {kDLCUDAHost, "cuda_host", 0, 0},
};
#define NDEVICE_NAMES (sizeof device_names / sizeof device_names[0])
#define MAX_DEVICE_ID 1024

char *ezc_device_format(DLDevice d, char *buf, size_t n)
{
    for (size_t i = 0; i < NDEVICE_NAMES; i++) {
        const device_name *r = &device_names[i];
        if (r->type != d.device_type)
            continue;
        if (r->has_id)
            snprintf(buf, n, "%s:%d", r->name, d.device_id);
        else
            snprintf(buf, n, "%s", r->name);
        return buf;
    }
    snprintf(buf, n, "device%d:%d", (int)d.device_type, d.device_id);
    return buf;
}

/* "cpu or cuda:N" (bare: without the bare form of numbered devices) or
 * "cpu, cuda or cuda:N" into buf. */
static const char *expected_names(int bare_ids, char *buf, size_t n)
{
    const char *items[2 * NDEVICE_NAMES];
    char numbered[NDEVICE_NAMES][40];
    size_t k = 0;
    for (size_t i = 0; i < NDEVICE_NAMES; i++) {
        const device_name *r = &device_names[i];
        if (!r->parsable)
            continue;
        if (!r->has_id || bare_ids)
            items[k++] = r->name;
        if (r->has_id) {
            snprintf(numbered[i], sizeof numbered[i], "%s:N", r->name);
            items[k++] = numbered[i];
        }
    }
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s",
                               i == 0       ? ""
                               : i + 1 == k ? " or "
                                            : ", ",
                               items[i]);
    return buf;
}

int ezc_device_parse(const char *text, DLDevice *out, ezc_error *err)
{
    char expect[160];
    if (!text || !*text)
        return ezc_error_set(err, EZC_EINVAL, "device: empty name (expected %s)",
                             expected_names(0, expect, sizeof expect));
    for (size_t i = 0; i < NDEVICE_NAMES; i++) {
        const device_name *r = &device_names[i];
        size_t len = strlen(r->name);
        if (!r->parsable || strncmp(text, r->name, len) != 0)
            continue;
        const char *p = text + len;
        if (*p == '\0') {
            out->device_type = r->type;
            out->device_id = 0;
            return 0;
        }
        if (r->has_id && *p == ':' && p[1]) {
            char *end;
            long id = strtol(p + 1, &end, 10);
            if (*end == '\0' && id >= 0 && id < MAX_DEVICE_ID) {
                out->device_type = r->type;
                out->device_id = (int)id;
                return 0;
            }
        }
    }
    return ezc_error_set(err, EZC_EINVAL, "device '%s': expected %s", text,
                         expected_names(1, expect, sizeof expect));
}

int ezc_device_equal(DLDevice a, DLDevice b)
{
    return a.device_type == b.device_type && a.device_id == b.device_id;
}
