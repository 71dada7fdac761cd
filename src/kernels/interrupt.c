/*
 * interrupt.c - the one definition of the kernels' interrupt hook
 * (interrupt.h says how it is used).  Its own file, so that no kernel file
 * both defines the hook and calls it: every kernel depends on interrupt.h,
 * and interrupt.h on nothing.
 */
#include "interrupt.h"

void		(*nn_interrupt_hook) (void) = NULL;
