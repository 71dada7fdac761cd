/*
 * recurrent_layer.c - the rnn, lstm and gru layer kinds (layer.h); their
 * settings, cells and parameter layout are in recurrent_layer.h, the
 * fused per-step passes in recurrent_cells.c.
 *
 * A pass over a minibatch of N rows, T steps, F features, H units, G
 * gates, D directions:
 *
 *   P = X W^T + b          one product for every step, row and direction:
 *                          X is N T x F (a row is stored step-major), P is
 *                          N T x D G H, row n T + t, direction d's columns
 *                          at d G H
 *   per direction, per step in its order (backward direction: T-1 .. 0):
 *     P_t += h_prev R^T    rnn, lstm: accumulated into P's rows of step t
 *                          (gru: into a buffer of its own, since its reset
 *                          gate multiplies the candidate's part)
 *     cell pass            the gates' activations over P_t, the new h, c
 *
 * Backward through time walks each direction's steps in reverse, turning
 * P_t into the gates' pre-activation gradients dG_t and carrying dL/dh
 * (and the LSTM's dL/dc) to the previous step through dh_prev = dG_t R;
 * dR += dG_t^T h_prev per step, in that fixed order.  Then dW = dG^T X,
 * db the column sums of dG (row order), and dx = dG W, one product each.
 * Every sum runs in an order fixed by the shapes alone, and the cell
 * passes split no work over threads: the bytes do not depend on the
 * kernels' thread count.  OpenBLAS at one thread count gives the same
 * bytes run after run; another count may round differently (it does here,
 * as for dense models: README, nn.blas_threads).
 *
 * Training keeps, per row of the minibatch (the README quotes it):
 *   rnn:  T D (H + H)          P (the gates) and the hidden states
 *   lstm: T D (4H + H + 2H)    P, the hidden states, the cell states and
 *                              their tanh
 *   gru:  T D (3H + H + H)     P, the hidden states, R_h h + b_rh
 * less T D H with return_sequences (the output holds the hidden states),
 * plus twice the output's floats with dropout (mask, dropped output), and
 * dL/dh (H) and the LSTM's dL/dc (H) or the GRU's recurrent product (3H).
 * LSTM(128) over 28 steps: 28 x 896 + 256 = 25344 floats, 99 KB a row,
 * 13 MB for a batch of 128.
 * Inference keeps P, two steps of hidden and cell states, and the gru's
 * recurrent product.
 */
#include <math.h>
#include <string.h>

#include "bn_dropout.h"
#include "dense.h"
#include "interrupt.h"
#include "recurrent_cells.h"
#include "recurrent_layer.h"

/* ------------------------------------------------------------ geometry */

typedef struct RecDims
{
	size_t		T;				/* steps */
	size_t		F;				/* features */
	size_t		H;				/* units */
	size_t		G;				/* gates */
	size_t		D;				/* directions */
	size_t		B;				/* bias floats per direction */
	NNLayerKind kind;
} RecDims;

uint32_t
nn_recurrent_gates(NNLayerKind kind)
{
	switch (kind)
	{
		case NN_LAYER_RNN:
			return 1;
		case NN_LAYER_LSTM:
			return 4;
		case NN_LAYER_GRU:
			return 3;
		default:
			return 0;
	}
}

size_t
nn_recurrent_bias_floats(NNLayerKind kind, uint32_t units)
{
	/* gru: b_z, b_r, b_h and the candidate's recurrent bias b_rh */
	return (size_t) units * (kind == NN_LAYER_GRU ? 4 : nn_recurrent_gates(kind));
}

static RecDims
Dims(const NNNet *net, uint32_t l, NNShape in)
{
	NNLayerKind kind = (NNLayerKind) net->layers[l].kind;
	const NNRecurrentSettings *s = nn_recurrent(net, l);

	return (RecDims) {
		.T = in.dims[0],
		.F = in.dims[1],
		.H = s->units,
		.G = nn_recurrent_gates(kind),
		.D = nn_recurrent_directions(net, l),
		.B = nn_recurrent_bias_floats(kind, s->units),
		.kind = kind,
	};
}

static NNShape
RecurrentOutShape(const NNNet *net, uint32_t l, NNShape in)
{
	const NNRecurrentSettings *s = nn_recurrent(net, l);
	NNShape		out = {0};
	uint32_t	width = (uint32_t) s->units * nn_recurrent_directions(net, l);

	if (in.rank != 2 || in.dims[0] == 0 || in.dims[1] == 0 ||
		s->units == 0 || s->units > NN_MAX_RECURRENT_UNITS)
		return out;
	if (!s->return_sequences)
		return nn_shape_vector(width);
	out.rank = 2;
	out.dims[0] = in.dims[0];
	out.dims[1] = width;
	return out;
}

static const char *
RecurrentCheck(const NNNet *net, uint32_t l, bool last)
{
	const NNRecurrentSettings *s = nn_recurrent(net, l);
	NNShape		in = net->shapes[l];

	if (s->units < 1 || s->units > NN_MAX_RECURRENT_UNITS)
		return "recurrent units out of range [1, 4096]";
	if (s->return_sequences > 1)
		return "return_sequences flag must be 0 or 1";
	if (s->bidirectional > 1)
		return "bidirectional flag must be 0 or 1";
	/* written so that a NaN rate fails too */
	if (!(s->dropout >= 0.0f && s->dropout < 1.0f))
		return "recurrent dropout rate out of range [0, 1)";
	if (last)
		return "a recurrent layer cannot be the output layer (the output layer is dense)";
	if (in.rank != 2 || in.dims[0] == 0 || in.dims[1] == 0)
		return "a recurrent layer needs input of shape [steps, features]: "
			"input_shape [steps, features], or return_sequences on the "
			"recurrent layer before it";
	return NULL;
}

/* ------------------------------------------------------------ layout */

/*
 * W, R, b (recurrent_layer.h).  units <= 4096, gates <= 4, features <=
 * NN_MAX_WIDTH, directions <= 2: the sum stays below 2^33.
 */
static uint32_t
RecurrentTensors(const NNNet *net, uint32_t l, NNShape in, NNShape out,
				 NNTensor *t)
{
	RecDims		m = Dims(net, l, in);
	size_t		nw = m.D * m.G * m.H * m.F;
	size_t		nr = m.D * m.G * m.H * m.H;

	(void) out;
	t[0] = (NNTensor) {"W", 0, nw, true, m.D * m.G * m.H};
	t[1] = (NNTensor) {"R", nw, nr, true, m.D * m.G * m.H};
	t[2] = (NNTensor) {"b", nw + nr, m.D * m.B, false, 0};
	return 3;
}

static size_t
RecurrentParams(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	NNTensor	t[NN_LAYER_MAX_TENSORS];

	RecurrentTensors(net, l, in, out, t);
	return t[2].offset + t[2].size;
}

static size_t
RecurrentStats(const NNNet *net, uint32_t l, NNShape out)
{
	(void) net;
	(void) l;
	(void) out;
	return 0;
}

/* ------------------------------------------------------------ workspace */

/*
 * The layer's buffers.  The hidden and cell states of step t, direction d,
 * row n are at n *_row + slot * D H + d H, slot t when every step is kept
 * (training, or the output itself with return_sequences) and else the
 * step's parity (inference keeps two steps).
 */
typedef struct RecBufs
{
	float	   *P;				/* N T x D G H */
	float	   *h;				/* hidden states; NULL: the output */
	float	   *c;				/* lstm: cell states; gru: R_h h + b_rh */
	float	   *tc;				/* lstm, training: tanh of the cell states */
	float	   *rec;			/* gru: N x 3H, the recurrent product */
	float	   *dh;				/* training: N x H */
	float	   *dc;				/* lstm, training: N x H */
	float	   *mask;			/* dropout, training */
	float	   *dropped;
	bool		keep;			/* every step's states kept */
} RecBufs;

/*
 * Carve the block own for batches of up to max_batch rows, or only count
 * it when own is NULL; returns the floats it takes.
 */
static size_t
CarveRec(const NNNet *net, uint32_t l, NNShape in, NNShape out,
		 size_t max_batch, bool training, float *own, RecBufs *b)
{
	const NNRecurrentSettings *s = nn_recurrent(net, l);
	RecDims		m = Dims(net, l, in);
	size_t		steps = training ? m.T : 2;
	size_t		states = max_batch * steps * m.D * m.H;
	size_t		used = 0;

	memset(b, 0, sizeof(*b));
	b->keep = training;
#define TAKE(field, n) \
	do { \
		if (own != NULL) \
			b->field = own + used; \
		used += (n); \
	} while (0)

	TAKE(P, max_batch * m.T * m.D * m.G * m.H);
	if (!s->return_sequences)
		TAKE(h, states);
	if (m.kind != NN_LAYER_RNN)
		TAKE(c, states);
	if (m.kind == NN_LAYER_LSTM && training)
		TAKE(tc, states);
	if (m.kind == NN_LAYER_GRU)
		TAKE(rec, max_batch * 3 * m.H);
	if (training)
		TAKE(dh, max_batch * m.H);
	if (m.kind == NN_LAYER_LSTM && training)
		TAKE(dc, max_batch * m.H);
	if (training && s->dropout > 0.0f)
	{
		TAKE(mask, max_batch * nn_shape_size(out));
		TAKE(dropped, max_batch * nn_shape_size(out));
	}
#undef TAKE
	return used;
}

static size_t
RecurrentWorkFloats(const NNNet *net, uint32_t l, NNShape out,
					size_t max_batch, bool training)
{
	RecBufs		b;

	return CarveRec(net, l, net->shapes[l], out, max_batch, training, NULL, &b);
}

/* the buffers of the block a pass runs in (a training block keeps all) */
static RecBufs
OwnBufs(const NNLayer *L)
{
	RecBufs		b;

	CarveRec(L->net, L->index, L->in_shape, L->out_shape, L->work->max_batch,
			 L->work->training, L->own, &b);
	return b;
}

/* ------------------------------------------------------------ init */

/*
 * Each of the rows of r (n x n) orthonormal: modified Gram-Schmidt of
 * seeded normal values, run twice ("twice is enough") with the dot
 * products in double; a row that comes out (nearly) dependent is drawn
 * again.
 */
static void
Orthogonal(float *r, size_t n, NNRng *rng)
{
	for (size_t i = 0; i < n; i++)
	{
		float	   *ri = r + i * n;
		double		norm = 0.0;

		do
		{
			for (size_t k = 0; k < n; k++)
				ri[k] = (float) nn_rng_normal(rng);
			for (int pass = 0; pass < 2; pass++)
				for (size_t j = 0; j < i; j++)
				{
					const float *rj = r + j * n;
					double		dot = 0.0;

					for (size_t k = 0; k < n; k++)
						dot += (double) ri[k] * rj[k];
					for (size_t k = 0; k < n; k++)
						ri[k] = (float) (ri[k] - dot * rj[k]);
				}
			norm = 0.0;
			for (size_t k = 0; k < n; k++)
				norm += (double) ri[k] * ri[k];
			norm = sqrt(norm);
		} while (norm < 1e-3);
		for (size_t k = 0; k < n; k++)
			ri[k] = (float) (ri[k] / norm);
	}
}

/*
 * W as init asks (auto: Xavier, the cells' nonlinearity being tanh; fan-in
 * F, fan-out H), each gate's H x H block of R orthogonal, biases 0 but
 * the LSTM forget gate's 1 (recurrent_layer.h).
 */
static void
RecurrentInit(const NNNet *net, uint32_t l, NNShape in, NNShape out,
			  float *w, float *stats, NNInit init, NNRng *rng)
{
	RecDims		m = Dims(net, l, in);
	NNTensor	t[NN_LAYER_MAX_TENSORS];

	(void) stats;
	RecurrentTensors(net, l, in, out, t);
	nn_init_weights(w, t[0].size, m.F, m.H, init, NN_ACT_TANH, rng);
	for (size_t k = 0; k < m.D * m.G; k++)
		Orthogonal(w + t[1].offset + k * m.H * m.H, m.H, rng);
	memset(w + t[2].offset, 0, t[2].size * sizeof(float));
	if (m.kind == NN_LAYER_LSTM)
		for (size_t d = 0; d < m.D; d++)
			for (size_t j = 0; j < m.H; j++)
				w[t[2].offset + d * m.B + 2 * m.H + j] = 1.0f;
}

/* ------------------------------------------------------------ forward */

/* direction d's k-th step in its order, and the previous one's slot */
static inline size_t
StepAt(const RecDims *m, size_t d, size_t k)
{
	return d == 0 ? k : m->T - 1 - k;
}

/*
 * Where step t, the k-th of direction d, keeps its states within a row:
 * its own slot when every step is kept (always for the output), else the
 * step's parity.
 */
static inline size_t
StateOffset(const RecDims *m, bool every, size_t t, size_t k, size_t d)
{
	return (every ? t : k % 2) * m->D * m->H + d * m->H;
}

/* the hidden states: the layer's own, or the output (every step) */
static inline float *
HBase(const NNLayer *L, const RecBufs *b, const RecDims *m, bool *every,
	  size_t *row)
{
	*every = b->h == NULL || b->keep;
	*row = (*every ? m->T : 2) * m->D * m->H;
	return b->h != NULL ? b->h : L->out;
}

/* a step of one direction as the cells see it (forward and backward) */
static NNRecStep
StepOf(const NNLayer *L, const RecBufs *b, const RecDims *m, size_t d,
	   size_t k)
{
	size_t		t = StepAt(m, d, k);
	size_t		tp = d == 0 ? t - 1 : t + 1;	/* wraps at k = 0: unused */
	bool		h_every;
	size_t		h_row;
	float	   *h = HBase(L, b, m, &h_every, &h_row);
	size_t		GH = m->G * m->H;
	NNRecStep	s = {
		.rows = L->batch,
		.units = m->H,
		.gates = b->P + t * m->D * GH + d * GH,
		.gates_ld = m->T * m->D * GH,
		.rec = b->rec,
		.h = h + StateOffset(m, h_every, t, k, d),
		.h_ld = h_row,
		.c_ld = (b->keep ? m->T : 2) * m->D * m->H,
		.dh = b->dh,
		.dc = b->dc,
	};

	if (m->kind == NN_LAYER_GRU)
		s.b_rh = L->params + m->D * GH * (m->F + m->H) + d * m->B + 3 * m->H;
	if (b->c != NULL)
		s.c = b->c + StateOffset(m, b->keep, t, k, d);
	if (b->tc != NULL)
		s.tc = b->tc + StateOffset(m, b->keep, t, k, d);
	if (k > 0)
	{
		s.h_prev = h + StateOffset(m, h_every, tp, k - 1, d);
		if (b->c != NULL)
			s.c_prev = b->c + StateOffset(m, b->keep, tp, k - 1, d);
	}
	return s;
}

/*
 * The forward pass into the buffers b (the caller's dropout aside); with
 * return_sequences the hidden states are the output, else the last step
 * of each direction is copied there.
 */
static void
Run(const NNLayer *L, const RecBufs *b)
{
	RecDims		m = Dims(L->net, L->index, L->in_shape);
	size_t		N = L->batch;
	size_t		GH = m.G * m.H;
	size_t		DGH = m.D * GH;
	const float *W = L->params;
	const float *R = W + DGH * m.F;
	const float *bias = R + DGH * m.H;

	/* the input projections of every step and direction: one product */
	nn_sgemm_blocked(0, 1, N * m.T, DGH, m.F, 1.0f, L->in, m.F, W, m.F, 0.0f, b->P, DGH);
	for (size_t row = 0; row < N * m.T; row++)
		for (size_t d = 0; d < m.D; d++)
		{
			float	   *p = b->P + row * DGH + d * GH;
			const float *bd = bias + d * m.B;

			for (size_t j = 0; j < GH; j++)
				p[j] += bd[j];
		}
	nn_check_interrupt();

	for (size_t d = 0; d < m.D; d++)
		for (size_t k = 0; k < m.T; k++)
		{
			NNRecStep	s = StepOf(L, b, &m, d, k);
			const float *Rd = R + d * GH * m.H;

			if (m.kind == NN_LAYER_GRU)
			{
				if (s.h_prev != NULL)
					nn_sgemm_blocked(0, 1, N, GH, m.H, 1.0f, s.h_prev, s.h_ld, Rd, m.H, 0.0f, b->rec, GH);
				else
					memset(b->rec, 0, N * GH * sizeof(float));
				nn_gru_step_forward(&s);
			}
			else
			{
				if (s.h_prev != NULL)
					nn_sgemm_blocked(0, 1, N, GH, m.H, 1.0f, s.h_prev, s.h_ld, Rd, m.H, 1.0f, s.gates, s.gates_ld);
				if (m.kind == NN_LAYER_LSTM)
					nn_lstm_step_forward(&s);
				else
					nn_rnn_step_forward(&s);
			}
			nn_check_interrupt();
		}

	if (b->h != NULL)
		for (size_t d = 0; d < m.D; d++)
		{
			NNRecStep	s = StepOf(L, b, &m, d, m.T - 1);

			for (size_t n = 0; n < N; n++)
				memcpy(L->out + n * L->out_size + d * m.H, s.h + n * s.h_ld,
					   m.H * sizeof(float));
		}
}

static void
RecurrentForward(const NNLayer *L)
{
	RecBufs		b = OwnBufs(L);

	Run(L, &b);
}

/* one row: the batch pass over a batch of one (no one-row data) */
static void
RecurrentForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	RecurrentForward(L);
}

static const float *
RecurrentForwardTrain(const NNLayer *L, NNRng *rng)
{
	const NNRecurrentSettings *s = nn_recurrent(L->net, L->index);
	RecBufs		b = OwnBufs(L);

	Run(L, &b);
	if (rng == NULL || s->dropout <= 0.0f)
		return L->out;
	nn_dropout_forward(s->dropout, L->out, b.mask, b.dropped,
					   L->batch * L->out_size, rng);
	return b.dropped;
}

/* ------------------------------------------------------------ backward */

/*
 * Column sums of rows x cols values at leading dimension ld into dst
 * (written), row after row in double, a block of columns at a time.
 */
#define SUM_BLOCK 512

static void
ColumnSums(const float *v, size_t rows, size_t cols, size_t ld, float *dst)
{
	double		acc[SUM_BLOCK];

	for (size_t j0 = 0; j0 < cols; j0 += SUM_BLOCK)
	{
		size_t		n = cols - j0 < SUM_BLOCK ? cols - j0 : SUM_BLOCK;

		for (size_t j = 0; j < n; j++)
			acc[j] = 0.0;
		for (size_t r = 0; r < rows; r++)
			for (size_t j = 0; j < n; j++)
				acc[j] += v[r * ld + j0 + j];
		for (size_t j = 0; j < n; j++)
			dst[j0 + j] = (float) acc[j];
	}
}

/* one direction's steps in reverse: dG into P, dR accumulated */
static void
BackDirection(const NNLayer *L, const RecBufs *b, const RecDims *m, size_t d,
			  const float *d_out, float *dR)
{
	const NNRecurrentSettings *set = nn_recurrent(L->net, L->index);
	size_t		N = L->batch;
	size_t		GH = m->G * m->H;
	const float *Rd = L->params + m->D * GH * m->F + d * GH * m->H;

	/* dL/dh after the last step: the output's, without return_sequences */
	for (size_t n = 0; n < N; n++)
		for (size_t j = 0; j < m->H; j++)
			b->dh[n * m->H + j] = set->return_sequences ? 0.0f :
				d_out[n * L->out_size + d * m->H + j];
	if (b->dc != NULL)
		memset(b->dc, 0, N * m->H * sizeof(float));

	for (size_t k = m->T; k-- > 0;)
	{
		NNRecStep	s = StepOf(L, b, m, d, k);
		size_t		t = StepAt(m, d, k);
		/* dG_t, or for gru the gradient of the recurrent product */
		const float *dz = m->kind == NN_LAYER_GRU ? b->rec : s.gates;
		int			ldz = m->kind == NN_LAYER_GRU ? (int) GH : (int) s.gates_ld;

		/* with return_sequences, h is the output: d_out has h's rows */
		if (set->return_sequences)
			s.dout = d_out + t * m->D * m->H + d * m->H;
		if (m->kind == NN_LAYER_GRU)
			nn_gru_step_backward(&s);
		else if (m->kind == NN_LAYER_LSTM)
			nn_lstm_step_backward(&s);
		else
			nn_rnn_step_backward(&s);
		if (s.h_prev != NULL)
		{
			if (dR != NULL)
				nn_sgemm_blocked(1, 0, GH, m->H, N, 1.0f, dz, ldz, s.h_prev, s.h_ld, 1.0f, dR, m->H);
			/* gru: dh holds dh z, the part that bypasses R */
			nn_sgemm_blocked(0, 0, N, m->H, GH, 1.0f, dz, ldz, Rd, m->H, m->kind == NN_LAYER_GRU ? 1.0f : 0.0f, b->dh, m->H);
		}
		nn_check_interrupt();
	}
}

/*
 * dL/d(output) d (after the dropout mask, when training used one) to the
 * parameter gradients (training) and the input gradient (dx).  It reads
 * the states of the last forward pass, every step's: a backward pass has
 * a training workspace (nn_work_fits), whose block makes even an inference
 * forward keep them all (OwnBufs).  It overwrites them (P becomes dG).
 */
static void
RecurrentBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
				  bool training, bool rng_used)
{
	const NNRecurrentSettings *s = nn_recurrent(L->net, L->index);
	RecDims		m = Dims(L->net, L->index, L->in_shape);
	size_t		N = L->batch;
	size_t		DGH = m.D * m.G * m.H;
	size_t		nw = DGH * m.F;
	size_t		nr = DGH * m.H;
	RecBufs		b;

	/* not the output layer (check), so d is dL/d(output) */
	(void) from;
	CarveRec(L->net, L->index, L->in_shape, L->out_shape, L->work->max_batch,
			 true, L->own, &b);
	if (!training && dx == NULL)
		return;
	if (training && rng_used && s->dropout > 0.0f)
		for (size_t i = 0; i < N * L->out_size; i++)
			d[i] *= b.mask[i];
	if (training)
		memset(L->grads + nw, 0, nr * sizeof(float));
	for (size_t dir = 0; dir < m.D; dir++)
		BackDirection(L, &b, &m, dir, d,
					  training ? L->grads + nw + dir * m.G * m.H * m.H : NULL);
	if (training)
	{
		float	   *db = L->grads + nw + nr;

		nn_sgemm_blocked(1, 0, DGH, m.F, N * m.T, 1.0f, b.P, DGH, L->in, m.F, 0.0f, L->grads, m.F);
		for (size_t dir = 0; dir < m.D; dir++)
		{
			ColumnSums(b.P + dir * m.G * m.H, N * m.T, m.G * m.H, DGH,
					   db + dir * m.B);
			/* gru: b_rh's gradient, dn_pre r, kept in the c buffer */
			if (m.kind == NN_LAYER_GRU)
				ColumnSums(b.c + dir * m.H, N * m.T, m.H, m.D * m.H,
						   db + dir * m.B + 3 * m.H);
		}
	}
	if (dx != NULL)
		nn_sgemm_blocked(0, 0, N * m.T, m.F, DGH, 1.0f, b.P, DGH, L->params, m.F, 0.0f, dx, m.F);
}

/* ------------------------------------------------------------ the rest */

static int
RecurrentActivation(const NNNet *net, uint32_t l)
{
	(void) net;
	(void) l;
	return NN_ACT_TANH;
}

void
nn_recurrent_set(NNNet *net, uint32_t l, NNLayerKind kind,
				 const NNRecurrentSettings *s)
{
	net->layers[l].kind = (uint8_t) kind;
	memset(&net->layers[l].settings, 0, sizeof(net->layers[l].settings));
	*nn_recurrent_mut(net, l) = *s;
}

#define RECURRENT_ROUTINE(kind_name) { \
	.name = kind_name, \
	.check = RecurrentCheck, \
	.out_shape = RecurrentOutShape, \
	.n_params = RecurrentParams, \
	.n_stats = RecurrentStats, \
	.tensors = RecurrentTensors, \
	.work_floats = RecurrentWorkFloats, \
	.init = RecurrentInit, \
	.forward = RecurrentForward, \
	.forward_row = RecurrentForwardRow, \
	.forward_train = RecurrentForwardTrain, \
	.backward = RecurrentBackward, \
	.update_stats = nn_layer_no_stats_update, \
	.stats_valid = nn_layer_no_stats_valid, \
	.activation = RecurrentActivation, \
	.row_floats = nn_layer_no_floats, \
	.row_prepare = nn_layer_no_row_prepare, \
}

const NNLayerRoutine nn_rnn_layer = RECURRENT_ROUTINE("rnn");
const NNLayerRoutine nn_lstm_layer = RECURRENT_ROUTINE("lstm");
const NNLayerRoutine nn_gru_layer = RECURRENT_ROUTINE("gru");
