/*
 * recurrent_layer.h - the recurrent layer kinds (rnn, lstm, gru) as others
 * see them: their settings and the layout of their parameters.  How they
 * run is recurrent_layer.c's alone, through their NNLayerRoutines.
 *
 * Input shape [steps, features] (rank 2), a row stored step-major: step
 * 0's features, then step 1's, ...  Output: with return_sequences, every
 * step's hidden state, [steps, directions x units] (step-major, the
 * forward direction's units before the backward one's); without, the
 * last step's, [directions x units] (the backward direction's "last"
 * step is step 0, as in ONNX and Keras).
 *
 * Cells (x: the step's input, h: the previous hidden state, 0 at the
 * start; s: logistic sigmoid):
 *   rnn:  h' = tanh(W x + R h + b)
 *   lstm: gates in ONNX order i, o, f, c:
 *         i = s(.), o = s(.), f = s(.), g = tanh(.)   (. = W_k x + R_k h + b_k)
 *         c' = f * c + i * g,  h' = o * tanh(c')      (c: 0 at the start)
 *   gru:  gates in ONNX order z, r, h; the reset gate after the recurrent
 *         product (ONNX linear_before_reset = 1, PyTorch's and cuDNN's
 *         GRU, Keras' reset_after = True):
 *         z = s(W_z x + R_z h + b_z),  r = s(W_r x + R_r h + b_r),
 *         n = tanh(W_h x + b_h + r * (R_h h + b_rh)),
 *         h' = (1 - z) * n + z * h
 *
 * Parameters, G gates (rnn 1, lstm 4, gru 3), H units, F input features,
 * D directions (1, or 2 when bidirectional), in storage order, each
 * direction's block after the other's as in ONNX:
 *   W  [D][G x H][F]    input weights, gate-major rows (ONNX W)
 *   R  [D][G x H][H]    recurrent weights (ONNX R)
 *   b  [D][B]           biases: rnn and lstm B = G x H (ONNX's Wb; its
 *                       Rb is zero); gru B = 4 x H: b_z, b_r, b_h, then
 *                       b_rh (ONNX Wb = b_z b_r b_h, Rb = 0 0 b_rh)
 * W and R are weights (penalized, clipped by tensor); b is not penalized.
 *
 * Initialization: W as the init option asks (auto: Xavier, the layer's
 * nonlinearity being tanh), fan-in F and fan-out H; each gate's H x H
 * block of R orthogonal (Gram-Schmidt of seeded normal values); biases
 * 0, except the LSTM forget gate's, 1 (Jozefowicz et al., 2015).
 *
 * Dropout, when set, applies to the layer's output (every step's, with
 * return_sequences), inverted as for dense layers.
 */
#ifndef NN_RECURRENT_LAYER_H
#define NN_RECURRENT_LAYER_H

#include "layer.h"

/* the most units one recurrent layer has */
#define NN_MAX_RECURRENT_UNITS 4096

typedef struct NNRecurrentSettings
{
	uint16_t	units;			/* H, 1 .. NN_MAX_RECURRENT_UNITS */
	uint8_t		return_sequences;	/* 1: every step's output; 0: the last */
	uint8_t		bidirectional;	/* 1: a forward and a backward direction */
	float		dropout;		/* rate in [0, 1) on the output */
} __attribute__((__may_alias__)) NNRecurrentSettings;

_Static_assert(sizeof(NNRecurrentSettings) <= NN_LAYER_SETTINGS_BYTES,
			   "recurrent settings must fit NNLayerSettings");

static inline const NNRecurrentSettings *
nn_recurrent(const NNNet *net, uint32_t l)
{
	return (const NNRecurrentSettings *) (const void *) net->layers[l].settings.bytes;
}

static inline NNRecurrentSettings *
nn_recurrent_mut(NNNet *net, uint32_t l)
{
	return (NNRecurrentSettings *) (void *) net->layers[l].settings.bytes;
}

/*
 * Make layer l a recurrent layer of that kind (NN_LAYER_RNN, NN_LAYER_LSTM
 * or NN_LAYER_GRU) with these settings, the rest zero.
 */
void		nn_recurrent_set(NNNet *net, uint32_t l, NNLayerKind kind,
							 const NNRecurrentSettings *s);

/* G: the gates of a kind (rnn 1, lstm 4, gru 3; 0 for another kind) */
uint32_t	nn_recurrent_gates(NNLayerKind kind);

/* directions of layer l: 1, or 2 when bidirectional */
static inline uint32_t
nn_recurrent_directions(const NNNet *net, uint32_t l)
{
	return nn_recurrent(net, l)->bidirectional ? 2 : 1;
}

/* floats of b per direction (rnn, lstm: G x H; gru: 4 x H) */
size_t		nn_recurrent_bias_floats(NNLayerKind kind, uint32_t units);

#endif
