/* ezc/events.h — event (marker) messages: a convention on the AxisArray.
 *
 * An events message is an ordinary AxisArray (no wire-format change, so
 * recording, replay and every transport carry it as they carry any
 * message): dims ["event"], shape [n] (n may be 0), float64 data holding
 * each event's time in seconds on the stream clock (the clock of a
 * signal's time-axis offset), a coordinate axis on "event" whose labels are
 * the events' labels, and the attr "ezc.kind" = "events". Any language can
 * send one (docs/wire-format.md, "Events (markers)"). The sampler
 * transformer cuts signal windows around them.
 *
 * Functions here are safe to call from any thread on distinct arrays. */
#ifndef EZC_EVENTS_H
#define EZC_EVENTS_H

#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_EVENTS_DIM "event" /* the one dim of an events message */
#define EZC_EVENTS_KIND_ATTR "ezc.kind"
#define EZC_EVENTS_KIND "events" /* value of attrs["ezc.kind"] */

/* A new events message on the CPU: n events at times[0..n) (seconds, finite)
 * labelled labels[0..n) (each non-NULL; copied). n may be 0 (times and
 * labels may then be NULL). Caller owns the result (ezc_array_destroy).
 * EZC_EINVAL naming the event when a time is not finite or a label is
 * NULL; EZC_ENOMEM. */
ezc_array *ezc_events_new(size_t n, const double *times, const char *const *labels, ezc_error *err);

/* Checks that a (received from anywhere) is an events message: attr
 * "ezc.kind" = "events", one dim named "event", float64 data on the CPU,
 * every time finite, and a label coordinate on "event" (one label per
 * event; an empty message needs none). 0 when it is; otherwise EZC_EINVAL
 * (or EZC_EDTYPE, EZC_ESHAPE, EZC_EDEVICE) with a message starting
 * "events: " that names what is wrong ("events: time[2] is nan"). */
int ezc_events_check(const ezc_array *a, ezc_error *err);

/* True when a says it is an events message (attr "ezc.kind" = "events");
 * says nothing about whether it is a well-formed one (ezc_events_check). */
int ezc_events_is(const ezc_array *a);

/* Accessors, valid on an array that passed ezc_events_check (owned by a:
 * valid while a is). */
size_t ezc_events_count(const ezc_array *a);
double ezc_events_time(const ezc_array *a, size_t i);
const char *ezc_events_label(const ezc_array *a, size_t i);

#ifdef __cplusplus
}
#endif
#endif
