/* interrupt.c — the process-wide stop request (ezc/interrupt.h).
 *
 * A C11 atomic rather than a volatile sig_atomic_t: it is written by a
 * signal handler and read by every thread that waits in ezc; being lock-free
 * keeps it async-signal-safe. */
#include <stdatomic.h>
#include "ezc/interrupt.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs a lock-free atomic int");

static atomic_int requested;

void ezc_interrupt(void)
{
    atomic_store(&requested, 1);
}

int ezc_interrupted(void)
{
    return atomic_load_explicit(&requested, memory_order_relaxed);
}

void ezc_interrupt_clear(void)
{
    atomic_store(&requested, 0);
}
