/* ezc/interrupt.h — a process-wide "stop requested" flag.
 *
 * A program that stops on a signal calls ezc_interrupt() from its handler.
 * From then on every ezc call that would wait returns EZC_EINTR instead of
 * waiting (or within 100 ms of the call, when it was already waiting):
 * ezc_pub_send and ezc_pub_wait_subscribers (a subscriber's full queue, no
 * subscriber yet), ezc_sub_recv (nothing queued). What needs no wait still
 * happens: a message that fits is sent, one already queued is received, so
 * the program can finish what it holds and clean up (close recordings,
 * destroy publishers, which removes their ipc socket files). Graph runtimes
 * (ezc/graph_run.h) stop their nodes as ezc_graph_runtime_halt would.
 *
 *   static void on_signal(int sig) { (void)sig; ezc_interrupt(); }
 *
 * The flag is a lock-free atomic: setting and reading it are safe from a
 * signal handler and from any thread. It stays set until
 * ezc_interrupt_clear(). */
#ifndef EZC_INTERRUPT_H
#define EZC_INTERRUPT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Requests a stop; async-signal-safe, any thread. */
void ezc_interrupt(void);

/* Non-zero once ezc_interrupt() was called (and not cleared since);
 * async-signal-safe, any thread. */
int ezc_interrupted(void);

/* Clears the request (a program that goes on after handling it, or a
 * test); any thread. */
void ezc_interrupt_clear(void);

#ifdef __cplusplus
}
#endif
#endif
