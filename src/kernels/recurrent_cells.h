/*
 * recurrent_cells.h - one time step of a recurrent cell over a minibatch,
 * the fused element-wise passes of recurrent_layer.c (the matrix products
 * around them are that file's): forward from the gates' pre-activations to
 * the hidden state, and backward from the hidden state's gradient to the
 * gates' pre-activation gradients.  Cells and gate orders as in
 * recurrent_layer.h.
 *
 * Row n of each buffer starts at n times its leading dimension: gates
 * (G x H per row) at gates_ld, the hidden states at h_ld, the per-step
 * saved values (LSTM: the cell state; GRU: R_h h + b_rh) at c_ld.
 */
#ifndef NN_RECURRENT_CELLS_H
#define NN_RECURRENT_CELLS_H

#include <stddef.h>

typedef struct NNRecStep
{
	size_t		rows;
	size_t		units;			/* H */
	/*
	 * Forward: the pre-activations in, the gate activations out (rnn, lstm:
	 * the recurrent product already added; gru: without it).  Backward: the
	 * activations in, the pre-activation gradients out.
	 */
	float	   *gates;
	size_t		gates_ld;
	float	   *rec;			/* gru: h_prev R^T (rows x 3H); backward: dR input */
	const float *b_rh;			/* gru: the recurrent bias of the candidate */
	const float *h_prev;		/* NULL at a direction's first step: zeros */
	float	   *h;
	size_t		h_ld;
	const float *c_prev;		/* lstm: NULL at the first step */
	float	   *c;				/* lstm: the cell state; gru: R_h h + b_rh */
	float	   *tc;				/* lstm: tanh(c) kept for backward, or NULL */
	size_t		c_ld;
	/* backward only: */
	float	   *dh;				/* rows x H: dL/dh from the later step (in/out) */
	float	   *dc;				/* lstm: rows x H, dL/dc likewise */
	const float *dout;			/* dL/dh from the output (ld h_ld), or NULL */
} NNRecStep;

void		nn_rnn_step_forward(const NNRecStep *s);
void		nn_lstm_step_forward(const NNRecStep *s);
void		nn_gru_step_forward(const NNRecStep *s);

/*
 * Backward of one step: gates become the pre-activation gradients (of the
 * input projection), dh the part of dL/dh_prev that does not go through
 * R (gru: dh z; rnn, lstm: zero, the caller overwrites it), dc dL/dc_prev.
 * gru also writes rec, the gradient of h_prev R^T + (0, 0, b_rh), and c,
 * the gradient of b_rh's term (the third block of rec).
 */
void		nn_rnn_step_backward(const NNRecStep *s);
void		nn_lstm_step_backward(const NNRecStep *s);
void		nn_gru_step_backward(const NNRecStep *s);

#endif
