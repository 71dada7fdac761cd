/*
 * recurrent_cells.c - the fused element-wise pass of one time step of the
 * rnn, lstm and gru cells (recurrent_cells.h), forward and backward.
 *
 * Each pass walks the rows; within a row, each loop runs over the units
 * of contiguous arrays with the branch-free gate functions of fastmath.h,
 * so that gcc vectorizes it.  A missing h_prev or c_prev (a direction's
 * first step) counts as zeros: a loop of its own, or a loop-invariant
 * test that gcc hoists out of the loop.
 *
 * Backward, with the activations a kept by forward (derivatives from the
 * outputs, as activations.h does):
 *   rnn:  dpre = dh (1 - h^2)
 *   lstm: dc' = dc + dh o (1 - tanh(c)^2);  di = dc' g;  do = dh tanh(c);
 *         df = dc' c_prev;  dg = dc' i;  dc_prev = dc' f;
 *         sigmoid gates: d (a (1 - a)), tanh gate: d (1 - a^2)
 *   gru:  dn = dh (1 - z);  dz = dh (h_prev - n);  dh_prev = dh z + ...;
 *         dn_pre = dn (1 - n^2);  dr = dn_pre (R_h h + b_rh);
 *         d(R_h h + b_rh) = dn_pre r
 */
#include <string.h>

#include "fastmath.h"
#include "recurrent_cells.h"

/* ------------------------------------------------------------ forward */

void
nn_rnn_step_forward(const NNRecStep *s)
{
	size_t		H = s->units;

	for (size_t n = 0; n < s->rows; n++)
	{
		float	   *a = s->gates + n * s->gates_ld;
		float	   *h = s->h + n * s->h_ld;

		nn_fast_tanh_n(a, a, H);
		memcpy(h, a, H * sizeof(float));
	}
}

void
nn_lstm_step_forward(const NNRecStep *s)
{
	size_t		H = s->units;

	for (size_t n = 0; n < s->rows; n++)
	{
		float	   *a = s->gates + n * s->gates_ld;
		float	   *h = s->h + n * s->h_ld;
		float	   *c = s->c + n * s->c_ld;
		const float *cp = s->c_prev != NULL ? s->c_prev + n * s->c_ld : NULL;
		const float *ig = a;
		const float *og = a + H;
		const float *fg = a + 2 * H;
		const float *gg = a + 3 * H;
		float	   *tc;

		/* i, o, f: sigmoid over 3H contiguous values; g: tanh */
		nn_fast_sigmoid_n(a, a, 3 * H);
		nn_fast_tanh_n(a + 3 * H, a + 3 * H, H);
		if (cp != NULL)
			for (size_t j = 0; j < H; j++)
				c[j] = fg[j] * cp[j] + ig[j] * gg[j];
		else
			for (size_t j = 0; j < H; j++)
				c[j] = ig[j] * gg[j];
		/* tanh(c): kept for backward, else in h on its way */
		tc = s->tc != NULL ? s->tc + n * s->c_ld : h;
		nn_fast_tanh_n(c, tc, H);
		for (size_t j = 0; j < H; j++)
			h[j] = og[j] * tc[j];
	}
}

void
nn_gru_step_forward(const NNRecStep *s)
{
	size_t		H = s->units;

	for (size_t n = 0; n < s->rows; n++)
	{
		float	   *a = s->gates + n * s->gates_ld;
		const float *rec = s->rec + n * 3 * H;
		float	   *h = s->h + n * s->h_ld;
		float	   *hr = s->c + n * s->c_ld;
		const float *hp = s->h_prev != NULL ? s->h_prev + n * s->h_ld : NULL;
		const float *zg = a;
		const float *rg = a + H;
		float	   *ng = a + 2 * H;

		for (size_t j = 0; j < 2 * H; j++)
			a[j] += rec[j];
		nn_fast_sigmoid_n(a, a, 2 * H);
		for (size_t j = 0; j < H; j++)
			hr[j] = rec[2 * H + j] + s->b_rh[j];
		for (size_t j = 0; j < H; j++)
			ng[j] += rg[j] * hr[j];
		nn_fast_tanh_n(ng, ng, H);
		if (hp != NULL)
			for (size_t j = 0; j < H; j++)
				h[j] = (1.0f - zg[j]) * ng[j] + zg[j] * hp[j];
		else
			for (size_t j = 0; j < H; j++)
				h[j] = (1.0f - zg[j]) * ng[j];
	}
}

/* ------------------------------------------------------------ backward */

/* dh of row n: the later step's part plus the output's, into dh itself */
static inline float *
RowDh(const NNRecStep *s, size_t n)
{
	float	   *dh = s->dh + n * s->units;

	if (s->dout != NULL)
	{
		const float *o = s->dout + n * s->h_ld;

		for (size_t j = 0; j < s->units; j++)
			dh[j] += o[j];
	}
	return dh;
}

void
nn_rnn_step_backward(const NNRecStep *s)
{
	size_t		H = s->units;

	for (size_t n = 0; n < s->rows; n++)
	{
		float	   *a = s->gates + n * s->gates_ld;
		float	   *dh = RowDh(s, n);

		for (size_t j = 0; j < H; j++)
			a[j] = dh[j] * (1.0f - a[j] * a[j]);
	}
}

/*
 * One row of the LSTM's backward pass.  The gate blocks and buffers are
 * restrict parameters: with a dozen arrays, gcc would otherwise need more
 * run-time overlap tests than it makes, and not vectorize the loop.
 */
static void
LstmBackRow(size_t H, float *restrict ig, float *restrict og,
			float *restrict fg, float *restrict gg, const float *restrict dh,
			float *restrict dc, const float *restrict tc, const float *cp)
{
	for (size_t j = 0; j < H; j++)
	{
		float		i = ig[j],
					o = og[j],
					f = fg[j],
					g = gg[j];
		float		t = tc[j];
		float		dct = dc[j] + dh[j] * o * (1.0f - t * t);

		ig[j] = dct * g * (i * (1.0f - i));
		og[j] = dh[j] * t * (o * (1.0f - o));
		/* times c_prev below: a test in this loop would stop gcc */
		fg[j] = dct * (f * (1.0f - f));
		gg[j] = dct * i * (1.0f - g * g);
		dc[j] = dct * f;
	}
	if (cp != NULL)
		for (size_t j = 0; j < H; j++)
			fg[j] *= cp[j];
	else
		memset(fg, 0, H * sizeof(float));
}

void
nn_lstm_step_backward(const NNRecStep *s)
{
	size_t		H = s->units;

	for (size_t n = 0; n < s->rows; n++)
	{
		float	   *a = s->gates + n * s->gates_ld;
		float	   *dh = RowDh(s, n);

		LstmBackRow(H, a, a + H, a + 2 * H, a + 3 * H, dh, s->dc + n * H,
					s->tc + n * s->c_ld,
					s->c_prev != NULL ? s->c_prev + n * s->c_ld : NULL);
	}
}

/*
 * One row of the GRU's backward pass (restrict: as LstmBackRow).  d is
 * the row of the recurrent product's gradient (dz, dr, dn r); hp the
 * previous hidden state, or NULL.
 */
static void
GruBackRow(size_t H, float *restrict zg, float *restrict rg,
		   float *restrict ng, float *restrict dz, float *restrict dr,
		   float *restrict dn, float *restrict hr, float *restrict dh,
		   const float *hp)
{
	/* dz needs h_prev - n: n's negation first, h_prev added after */
	for (size_t j = 0; j < H; j++)
		dz[j] = -ng[j];
	if (hp != NULL)
		for (size_t j = 0; j < H; j++)
			dz[j] += hp[j];
	for (size_t j = 0; j < H; j++)
	{
		float		z = zg[j],
					r = rg[j],
					g = ng[j];
		float		dnp = dh[j] * (1.0f - z) * (1.0f - g * g);
		float		drp = dnp * hr[j] * (r * (1.0f - r));
		float		dzp = dh[j] * dz[j] * (z * (1.0f - z));

		zg[j] = dz[j] = dzp;
		rg[j] = dr[j] = drp;
		ng[j] = dnp;
		dn[j] = hr[j] = dnp * r;
		dh[j] = dh[j] * z;
	}
}

void
nn_gru_step_backward(const NNRecStep *s)
{
	size_t		H = s->units;

	for (size_t n = 0; n < s->rows; n++)
	{
		float	   *a = s->gates + n * s->gates_ld;
		float	   *d = s->rec + n * 3 * H;

		GruBackRow(H, a, a + H, a + 2 * H, d, d + H, d + 2 * H,
				   s->c + n * s->c_ld, RowDh(s, n),
				   s->h_prev != NULL ? s->h_prev + n * s->h_ld : NULL);
	}
}
