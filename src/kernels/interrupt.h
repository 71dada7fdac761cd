/*
 * interrupt.h - a hook the kernels call between bounded pieces of work, so
 * that a long training step or scoring call can be cancelled promptly.
 *
 * The server sets it to a function that runs CHECK_FOR_INTERRUPTS(); the C
 * tests and the fuzzer leave it NULL.  The hook may not return (a
 * PostgreSQL ERROR longjmps out of the kernel).  That is safe because the
 * kernels hold no memory of their own (every buffer belongs to the caller)
 * and call the hook only between BLAS calls, never inside one; what an
 * interrupted call leaves behind is partly updated caller memory, which the
 * caller must discard (the server's is in memory contexts the ERROR frees).
 */
#ifndef NN_INTERRUPT_H
#define NN_INTERRUPT_H

#include <stddef.h>

extern void (*nn_interrupt_hook) (void);

static inline void
nn_check_interrupt(void)
{
	if (nn_interrupt_hook != NULL)
		nn_interrupt_hook();
}

#endif
