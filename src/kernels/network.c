/*
 * network.c - layout, initialization, forward and backward passes of a
 * stack of dense layers with optional batch normalization and dropout,
 * penalties and gradient clipping, and one minibatch training step.
 *
 * Layer l (0-based) maps its input in[l] (widths[l] columns) to acts[l + 1]
 * (widths[l + 1] columns):
 *
 *     z = in W^T + b
 *     u = gamma zhat + beta,  zhat = (z - mean) / sqrt(var + eps)   [batch_norm]
 *     acts = act(u)
 *     in[l + 1] = acts * mask                                    [dropout]
 *
 * The per-layer training buffers are indexed like acts: mask[l + 1],
 * zhat[l + 1], bn_mean[l + 1] and bn_inv_std[l + 1] belong to layer l.
 * Layers without batch normalization or dropout get no buffers and no
 * passes beyond the dense product and the activation.
 */
#include <math.h>
#include <string.h>

#include "dense.h"
#include "interrupt.h"
#include "network.h"

/*
 * Batch-normalization loops run over row-major data a block of columns at
 * a time, so that per-column accumulators (double, for precision over
 * large batches) and factors live on the stack instead of the workspace.
 */
#define BN_BLOCK 256

/*
 * Parameters per optimizer call: the updates are element-wise, so blocks
 * give the same bytes as one call, and an interrupt check after each block
 * bounds the time between checks (4 M Adam updates: tens of ms).
 */
#define UPDATE_BLOCK ((size_t) 4 * 1024 * 1024)

static const char *const init_names[NN_INIT_COUNT] = {
	"auto", "he", "xavier", "uniform"
};

const char *
nn_init_name(NNInit init)
{
	return (unsigned) init < NN_INIT_COUNT ? init_names[init] : "unknown";
}

int
nn_init_from_name(const char *name)
{
	/* "auto" is the absence of a choice, not a name one can give */
	for (int i = NN_INIT_HE; i < NN_INIT_COUNT; i++)
		if (strcmp(name, init_names[i]) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------ layout */

static inline size_t
LayerWeights(const NNNet *net, uint32_t l)
{
	return (size_t) net->widths[l + 1] * net->widths[l];
}

/* W, b and, when batch-normalized, gamma and beta */
static inline size_t
LayerParams(const NNNet *net, uint32_t l)
{
	size_t		out = net->widths[l + 1];

	return out * (net->widths[l] + 1) + (net->batch_norm[l] ? 2 * out : 0);
}

static const char *
CheckLayerOptions(const NNNet *net)
{
	uint32_t	last = net->n_layers - 1;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		if (net->batch_norm[l] > 1)
			return "batch_norm flag must be 0 or 1";
		/* written so that a NaN rate fails too */
		if (!(net->dropout[l] >= 0.0f && net->dropout[l] < 1.0f))
			return "dropout rate out of range [0, 1)";
	}
	if (net->batch_norm[last])
		return "batch normalization on the output layer";
	if (net->dropout[last] != 0.0f)
		return "dropout on the output layer";
	return NULL;
}

const char *
nn_net_layout(NNNet *net)
{
	size_t		total = 0;
	size_t		stats = 0;
	const char *msg;

	if (net->n_layers < 1 || net->n_layers > NN_MAX_LAYERS)
		return "layer count out of range";
	for (uint32_t l = 0; l <= net->n_layers; l++)
		if (net->widths[l] < 1 || net->widths[l] > NN_MAX_WIDTH)
			return "layer width out of range";
	if ((msg = CheckLayerOptions(net)) != NULL)
		return msg;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		/* each term is below 2^33, so the sum cannot wrap */
		total += LayerParams(net, l);
		if (total > NN_MAX_PARAMS)
			return "too many parameters";
		if (net->batch_norm[l])
			stats += 2 * (size_t) net->widths[l + 1];
	}
	net->n_params = total;
	net->n_stats = stats;
	return NULL;
}

size_t
nn_net_weight_offset(const NNNet *net, uint32_t layer)
{
	size_t		off = 0;

	for (uint32_t l = 0; l < layer; l++)
		off += LayerParams(net, l);
	return off;
}

size_t
nn_net_bias_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_weight_offset(net, layer) + LayerWeights(net, layer);
}

size_t
nn_net_gamma_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_bias_offset(net, layer) + net->widths[layer + 1];
}

size_t
nn_net_beta_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_gamma_offset(net, layer) + net->widths[layer + 1];
}

size_t
nn_net_stats_offset(const NNNet *net, uint32_t layer)
{
	size_t		off = 0;

	for (uint32_t l = 0; l < layer; l++)
		if (net->batch_norm[l])
			off += 2 * (size_t) net->widths[l + 1];
	return off;
}

size_t
nn_net_state_floats(const NNNet *net)
{
	return net->n_params * nn_optimizer_state_per_param(net->optimizer);
}

uint32_t
nn_net_outputs(const NNNet *net)
{
	return net->widths[net->n_layers];
}

/* ------------------------------------------------------------ init */

static void
InitWeights(float *w, size_t in, size_t out, NNInit kind, NNRng *rng)
{
	if (kind == NN_INIT_UNIFORM)
	{
		/* uniform in [-sqrt(1/in), sqrt(1/in)), as PyTorch's nn.Linear */
		double		limit = sqrt(1.0 / in);

		for (size_t i = 0; i < in * out; i++)
			w[i] = (float) (limit * (2.0 * nn_rng_uniform(rng) - 1.0));
	}
	else
	{
		/* He: var 2/in keeps ReLU activations' scale; Xavier: 2/(in+out) */
		double		sd = kind == NN_INIT_HE ? sqrt(2.0 / in) :
			sqrt(2.0 / (in + out));

		for (size_t i = 0; i < in * out; i++)
			w[i] = (float) (sd * nn_rng_normal(rng));
	}
}

void
nn_net_init_params(NNNet *net, NNInit init, NNRng *rng)
{
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		in = net->widths[l];
		size_t		out = net->widths[l + 1];
		float	   *w = net->params + nn_net_weight_offset(net, l);
		bool		rectifier = net->act[l] == NN_ACT_RELU ||
			net->act[l] == NN_ACT_LEAKY_RELU;
		NNInit		kind = init != NN_INIT_AUTO ? init :
			(rectifier ? NN_INIT_HE : NN_INIT_XAVIER);

		InitWeights(w, in, out, kind, rng);
		memset(w + in * out, 0, out * sizeof(float));
		if (net->batch_norm[l])
		{
			float	   *gamma = w + in * out + out;
			float	   *stats = net->stats + nn_net_stats_offset(net, l);

			/* gamma 1, beta 0; running mean 0, variance 1 */
			for (size_t i = 0; i < out; i++)
			{
				gamma[i] = 1.0f;
				gamma[out + i] = 0.0f;
				stats[i] = 0.0f;
				stats[out + i] = 1.0f;
			}
		}
	}
	if (net->opt_state != NULL)
		memset(net->opt_state, 0, nn_net_state_floats(net) * sizeof(float));
	net->opt_step = 0;
}

/* ------------------------------------------------------------ workspace */

/* widest layer output: the size of a delta row (inputs need none) */
static size_t
MaxOutputWidth(const NNNet *net)
{
	size_t		max = 0;

	for (uint32_t l = 1; l <= net->n_layers; l++)
		if (net->widths[l] > max)
			max = net->widths[l];
	return max;
}

/*
 * Carve the workspace out of buf in a fixed order, or only count it when
 * work is NULL; returns the floats used.  Both nn_work_floats and
 * nn_work_bind go through here, so they cannot disagree.
 */
static size_t
CarveWork(NNWork *work, const NNNet *net, float *buf, size_t max_batch,
		  bool training)
{
	size_t		used = 0;

#define TAKE(field, n) \
	do { \
		if (work != NULL) \
			(field) = buf + used; \
		used += (n); \
	} while (0)

	for (uint32_t l = 1; l <= net->n_layers; l++)
	{
		TAKE(work->acts[l], max_batch * net->widths[l]);
		if (work != NULL)
			work->in[l] = work->acts[l];
	}
	if (!training)
		return used;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		out = net->widths[l + 1];

		if (net->dropout[l] > 0.0f)
		{
			TAKE(work->mask[l + 1], max_batch * out);
			TAKE(work->in[l + 1], max_batch * out);
		}
		if (net->batch_norm[l])
		{
			TAKE(work->zhat[l + 1], max_batch * out);
			TAKE(work->bn_mean[l + 1], out);
			TAKE(work->bn_inv_std[l + 1], out);
		}
	}
	TAKE(work->delta_a, max_batch * MaxOutputWidth(net));
	TAKE(work->delta_b, max_batch * MaxOutputWidth(net));
	TAKE(work->grads, net->n_params);
#undef TAKE
	return used;
}

size_t
nn_work_floats(const NNNet *net, size_t max_batch, bool training)
{
	return CarveWork(NULL, net, NULL, max_batch, training);
}

void
nn_work_bind(NNWork *work, const NNNet *net, float *buf, size_t max_batch,
			 bool training)
{
	memset(work, 0, sizeof(*work));
	work->max_batch = max_batch;
	work->training = training;
	CarveWork(work, net, buf, max_batch, training);
}

/* ------------------------------------------------------------ forward */

/* u = gamma (z - mean) / sqrt(var + eps) + beta with the running statistics */
static void
BatchNormInference(float *z, const float *gamma, const float *beta,
				   const float *mean, const float *var, size_t batch,
				   size_t out)
{
	for (size_t c0 = 0; c0 < out; c0 += BN_BLOCK)
	{
		size_t		nc = out - c0 < BN_BLOCK ? out - c0 : BN_BLOCK;
		float		scale[BN_BLOCK];

		for (size_t c = 0; c < nc; c++)
			scale[c] = gamma[c0 + c] / sqrtf(var[c0 + c] + NN_BN_EPSILON);
		for (size_t r = 0; r < batch; r++)
		{
			float	   *row = z + r * out + c0;

			for (size_t c = 0; c < nc; c++)
				row[c] = (row[c] - mean[c0 + c]) * scale[c] + beta[c0 + c];
		}
	}
}

/*
 * Training-mode batch normalization in place: the batch mean and biased
 * variance of each column, zhat kept for the backward pass, z replaced by
 * gamma zhat + beta.
 *
 * The statistics take one pass, accumulating in double the deviations
 * from a shift, the first row: var = mean(d^2) - mean(d)^2 only cancels
 * badly when the shift is far from the mean in units of the deviation,
 * and a sample of the column is not.  The block's statistics are kept in
 * local arrays, which cannot alias z.
 */
static void
BatchNormTrain(float *z, const float *gamma, const float *beta, float *zhat,
			   float *mean, float *inv_std, size_t batch, size_t out)
{
	for (size_t c0 = 0; c0 < out; c0 += BN_BLOCK)
	{
		size_t		nc = out - c0 < BN_BLOCK ? out - c0 : BN_BLOCK;
		double		shift[BN_BLOCK];
		double		sum[BN_BLOCK];
		double		sum_sq[BN_BLOCK];
		float		m[BN_BLOCK];
		float		s[BN_BLOCK];

		for (size_t c = 0; c < nc; c++)
		{
			shift[c] = z[c0 + c];
			sum[c] = 0.0;
			sum_sq[c] = 0.0;
		}
		for (size_t r = 0; r < batch; r++)
		{
			const float *zr = z + r * out + c0;

			for (size_t c = 0; c < nc; c++)
			{
				double		d = zr[c] - shift[c];

				sum[c] += d;
				sum_sq[c] += d * d;
			}
		}
		for (size_t c = 0; c < nc; c++)
		{
			double		dm = sum[c] / (double) batch;
			double		var = fmax(sum_sq[c] / (double) batch - dm * dm, 0.0);

			m[c] = (float) (shift[c] + dm);
			s[c] = (float) (1.0 / sqrt(var + NN_BN_EPSILON));
		}

		for (size_t r = 0; r < batch; r++)
		{
			float	   *zr = z + r * out + c0;
			float	   *hr = zhat + r * out + c0;

			for (size_t c = 0; c < nc; c++)
			{
				float		h = (zr[c] - m[c]) * s[c];

				hr[c] = h;
				zr[c] = gamma[c0 + c] * h + beta[c0 + c];
			}
		}
		memcpy(mean + c0, m, nc * sizeof(float));
		memcpy(inv_std + c0, s, nc * sizeof(float));
	}
}

/*
 * The dropout scale for a uniform u in [0, 2^32): 0 when u < threshold,
 * else scale (given as its bits).  Integer masking, because gcc turns a
 * ternary or a multiplication by the comparison into a branch, which
 * mispredicts on every other value at rate 0.5 (5x slower).
 */
static inline float
KeepScale(uint32_t u, uint32_t threshold, uint32_t scale_bits)
{
	uint32_t	bits = scale_bits & (0u - (uint32_t) (u >= threshold));
	float		f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

/*
 * Inverted dropout: keep each value with probability 1 - rate and scale
 * the kept ones by 1 / (1 - rate), so inference needs no rescaling.  Each
 * 64-bit draw gives two 32-bit uniforms: a value is dropped when its
 * uniform is below rate * 2^32 (which rate < 1 keeps below 2^32).
 */
static void
DropoutForward(float rate, const float *y, float *mask, float *out, size_t n,
			   NNRng *rng)
{
	uint32_t	threshold = (uint32_t) ((double) rate * 4294967296.0);
	float		scale = 1.0f / (1.0f - rate);
	uint32_t	scale_bits;
	size_t		i;

	memcpy(&scale_bits, &scale, sizeof(scale_bits));
	for (i = 0; i + 1 < n; i += 2)
	{
		uint64_t	r = nn_rng_next(rng);

		mask[i] = KeepScale((uint32_t) r, threshold, scale_bits);
		mask[i + 1] = KeepScale((uint32_t) (r >> 32), threshold, scale_bits);
	}
	if (i < n)
		mask[i] = KeepScale((uint32_t) nn_rng_next(rng), threshold, scale_bits);
	for (i = 0; i < n; i++)
		out[i] = y[i] * mask[i];
}

/* dropout is applied after layer l in this training pass */
static inline bool
Dropping(const NNNet *net, uint32_t l, const NNRng *rng)
{
	return rng != NULL && net->dropout[l] > 0.0f;
}

/* the input of layer l in a training pass */
static inline const float *
TrainInput(const NNNet *net, const NNWork *work, uint32_t l, const NNRng *rng)
{
	return l > 0 && Dropping(net, l - 1, rng) ? work->in[l] : work->acts[l];
}

/*
 * Inference.  A lone row (one_row) takes the row product of dense.h, with
 * the transposed weights wt (nn_net_transpose_weights) or NULL.
 */
static const float *
Forward(const NNNet *net, NNWork *work, const float *x, size_t batch,
		bool one_row, const float *wt)
{
	const float *in = x;
	size_t		off = 0;
	size_t		wt_off = 0;

	work->in[0] = work->acts[0] = (float *) x;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		n_in = net->widths[l];
		size_t		out = net->widths[l + 1];
		const float *w = net->params + off;
		float	   *z = work->acts[l + 1];

		if (one_row)
			nn_dense_forward_row(in, w, wt != NULL ? wt + wt_off : NULL,
								 w + n_in * out, z, n_in, out);
		else
			nn_dense_forward(in, w, w + n_in * out, z, batch, n_in, out);
		if (net->batch_norm[l])
		{
			const float *stats = net->stats + nn_net_stats_offset(net, l);

			BatchNormInference(z, w + (n_in + 1) * out, w + (n_in + 2) * out,
							   stats, stats + out, batch, out);
		}
		nn_activation_forward((NNActivation) net->act[l], z, batch, out);
		in = z;
		off += LayerParams(net, l);
		wt_off += LayerWeights(net, l);
		nn_check_interrupt();
	}
	return work->acts[net->n_layers];
}

const float *
nn_net_forward(const NNNet *net, NNWork *work, const float *x, size_t batch)
{
	return Forward(net, work, x, batch, false, NULL);
}

const float *
nn_net_forward_row(const NNNet *net, NNWork *work, const float *x,
				   const float *wt)
{
	return Forward(net, work, x, 1, true, wt);
}

size_t
nn_net_weight_floats(const NNNet *net)
{
	size_t		n = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
		n += LayerWeights(net, l);
	return n;
}

/*
 * b (cols x rows) = a' (a: rows x cols), tile by tile: a plain double loop
 * writes one float per cache line of b, and a 784 x 256 layer's lines do
 * not stay in L1 between two of its columns.  This runs once per parsed
 * model in every process that scores with it (parallel workers included),
 * where it was a quarter of the parse.
 */
#define TRANSPOSE_TILE 32

static void
Transpose(const float *a, float *b, size_t rows, size_t cols)
{
	for (size_t r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE)
	{
		size_t		r1 = rows - r0 < TRANSPOSE_TILE ? rows : r0 + TRANSPOSE_TILE;

		for (size_t c0 = 0; c0 < cols; c0 += TRANSPOSE_TILE)
		{
			size_t		c1 = cols - c0 < TRANSPOSE_TILE ? cols : c0 + TRANSPOSE_TILE;

			for (size_t r = r0; r < r1; r++)
				for (size_t c = c0; c < c1; c++)
					b[c * rows + r] = a[r * cols + c];
		}
	}
}

void
nn_net_transpose_weights(const NNNet *net, float *wt)
{
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		in = net->widths[l];
		size_t		out = net->widths[l + 1];

		Transpose(net->params + nn_net_weight_offset(net, l), wt, out, in);
		wt += in * out;
	}
}

static void
TrainForward(const NNNet *net, NNWork *work, const float *x, size_t batch,
			 NNRng *rng)
{
	size_t		off = 0;

	work->in[0] = work->acts[0] = (float *) x;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		n_in = net->widths[l];
		size_t		out = net->widths[l + 1];
		const float *w = net->params + off;
		float	   *z = work->acts[l + 1];

		nn_dense_forward(TrainInput(net, work, l, rng), w, w + n_in * out, z,
						 batch, n_in, out);
		if (net->batch_norm[l])
			BatchNormTrain(z, w + (n_in + 1) * out, w + (n_in + 2) * out,
						   work->zhat[l + 1], work->bn_mean[l + 1],
						   work->bn_inv_std[l + 1], batch, out);
		nn_activation_forward((NNActivation) net->act[l], z, batch, out);
		if (Dropping(net, l, rng))
			DropoutForward(net->dropout[l], z, work->mask[l + 1],
						   work->in[l + 1], batch * out, rng);
		off += LayerParams(net, l);
		nn_check_interrupt();
	}
}

/* ------------------------------------------------------------ backward */

/*
 * Batch-normalization backward in place: d holds dL/du on entry and
 * dL/dz on return,
 *   dz = gamma inv_std / B (B du - sum(du) - zhat sum(du zhat)),
 * with dgamma = sum(du zhat) and dbeta = sum(du) written to the gradient.
 */
static void
BatchNormBackward(float *d, const float *zhat, const float *inv_std,
				  const float *gamma, float *dgamma, float *dbeta,
				  size_t batch, size_t out)
{
	float		fb = (float) batch;

	for (size_t c0 = 0; c0 < out; c0 += BN_BLOCK)
	{
		size_t		nc = out - c0 < BN_BLOCK ? out - c0 : BN_BLOCK;
		double		acc_d[BN_BLOCK];
		double		acc_dh[BN_BLOCK];
		float		sum_d[BN_BLOCK];
		float		sum_dh[BN_BLOCK];
		float		k[BN_BLOCK];

		memset(acc_d, 0, nc * sizeof(double));
		memset(acc_dh, 0, nc * sizeof(double));
		for (size_t r = 0; r < batch; r++)
		{
			const float *dr = d + r * out + c0;
			const float *hr = zhat + r * out + c0;

			for (size_t c = 0; c < nc; c++)
			{
				acc_d[c] += dr[c];
				acc_dh[c] += dr[c] * hr[c];
			}
		}
		for (size_t c = 0; c < nc; c++)
		{
			sum_d[c] = (float) acc_d[c];
			sum_dh[c] = (float) acc_dh[c];
			k[c] = gamma[c0 + c] * inv_std[c0 + c] / fb;
		}
		memcpy(dbeta + c0, sum_d, nc * sizeof(float));
		memcpy(dgamma + c0, sum_dh, nc * sizeof(float));
		for (size_t r = 0; r < batch; r++)
		{
			float	   *dr = d + r * out + c0;
			const float *hr = zhat + r * out + c0;

			for (size_t c = 0; c < nc; c++)
				dr[c] = k[c] * (fb * dr[c] - sum_d[c] - hr[c] * sum_dh[c]);
		}
	}
}

/*
 * Turn d = dL/d(in[l + 1]), the gradient w.r.t. the input of the layer
 * above, into dL/dz of hidden layer l: through its dropout mask, its
 * activation and its batch normalization (whose gradients land in grads).
 */
static void
HiddenBackward(const NNNet *net, NNWork *work, uint32_t l, size_t off,
			   float *d, size_t batch, const NNRng *rng)
{
	size_t		n_in = net->widths[l];
	size_t		out = net->widths[l + 1];
	size_t		n = batch * out;

	if (Dropping(net, l, rng))
	{
		const float *mask = work->mask[l + 1];

		for (size_t i = 0; i < n; i++)
			d[i] *= mask[i];
	}
	nn_activation_backward((NNActivation) net->act[l], work->acts[l + 1], d, n);
	if (net->batch_norm[l])
	{
		size_t		gamma = off + (n_in + 1) * out;

		BatchNormBackward(d, work->zhat[l + 1], work->bn_inv_std[l + 1],
						  net->params + gamma, work->grads + gamma,
						  work->grads + gamma + out, batch, out);
	}
}

static void
Backward(const NNNet *net, NNWork *work, size_t batch, const NNRng *rng)
{
	float	   *delta = work->delta_a;
	float	   *spare = work->delta_b;
	size_t		off = net->n_params;

	/* delta holds dL/dz of the output layer */
	for (uint32_t l = net->n_layers; l-- > 0;)
	{
		size_t		n_in = net->widths[l];
		size_t		out = net->widths[l + 1];
		float	   *dx = l > 0 ? spare : NULL;
		float	   *tmp;

		off -= LayerParams(net, l);
		nn_dense_backward(TrainInput(net, work, l, rng), net->params + off,
						  delta, work->grads + off,
						  work->grads + off + n_in * out, dx, batch, n_in, out);
		if (l > 0)
			HiddenBackward(net, work, l - 1, off - LayerParams(net, l - 1),
						   dx, batch, rng);
		tmp = delta;
		delta = spare;
		spare = tmp;
		nn_check_interrupt();
	}
}

/* a training call needs training buffers large enough for the batch */
static inline bool
CanTrain(const NNWork *work, size_t batch)
{
	return work->training && batch >= 1 && batch <= work->max_batch;
}

double
nn_net_gradient(const NNNet *net, NNWork *work, const float *x,
				const float *target, const float *weight, size_t batch,
				NNRng *rng)
{
	double		loss;

	if (!CanTrain(work, batch))
		return NAN;
	TrainForward(net, work, x, batch, rng);
	/* the loss gives the gradient w.r.t. the output pre-activation */
	loss = nn_loss_compute(&net->loss, work->acts[net->n_layers], target,
						   weight, work->delta_a, batch,
						   net->widths[net->n_layers]);
	Backward(net, work, batch, rng);
	return loss;
}

/* ------------------------------------------------------------ penalties */

double
nn_net_penalty(const NNNet *net)
{
	double		abs_sum = 0.0,
				sq_sum = 0.0;

	if (net->reg.l1 == 0.0f && net->reg.l2 == 0.0f)
		return 0.0;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		const float *w = net->params + nn_net_weight_offset(net, l);
		size_t		n = LayerWeights(net, l);

		for (size_t i = 0; i < n; i++)
		{
			abs_sum += fabsf(w[i]);
			sq_sum += (double) w[i] * w[i];
		}
	}
	return net->reg.l1 * abs_sum + net->reg.l2 * sq_sum;
}

/* g += l1 sign(w) + 2 l2 w, with sign(0) = 0 */
static void
PenaltyGradient(const float *w, float *g, size_t n, float l1, float l2)
{
	float		l2x2 = 2.0f * l2;

	for (size_t i = 0; i < n; i++)
		g[i] += l1 * (float) ((w[i] > 0.0f) - (w[i] < 0.0f)) + l2x2 * w[i];
}

/* clamp to [-limit, limit]; the comparisons keep a NaN a NaN */
static void
ClipValues(float *g, size_t n, float limit)
{
	for (size_t i = 0; i < n; i++)
	{
		float		v = g[i] < -limit ? -limit : g[i];

		g[i] = v > limit ? limit : v;
	}
}

/* scale g to L2 norm limit when its norm is larger */
static void
ClipNorm(float *g, size_t n, float limit)
{
	double		sq = 0.0;
	double		norm;

	for (size_t i = 0; i < n; i++)
		sq += (double) g[i] * g[i];
	norm = sqrt(sq);
	if (norm > limit)
	{
		float		scale = (float) (limit / norm);

		for (size_t i = 0; i < n; i++)
			g[i] *= scale;
	}
}

/* each tensor of the network: W, b and, when batch-normalized, gamma, beta */
static void
ClipTensorNorms(const NNNet *net, float *grads, float limit)
{
	size_t		off = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		out = net->widths[l + 1];
		size_t		nw = LayerWeights(net, l);

		ClipNorm(grads + off, nw, limit);
		ClipNorm(grads + off + nw, out, limit);
		if (net->batch_norm[l])
		{
			ClipNorm(grads + off + nw + out, out, limit);
			ClipNorm(grads + off + nw + 2 * out, out, limit);
		}
		off += LayerParams(net, l);
	}
}

void
nn_net_regularize(const NNNet *net, float *grads)
{
	const NNRegConfig *reg = &net->reg;

	if (reg->l1 != 0.0f || reg->l2 != 0.0f)
	{
		size_t		off = 0;

		for (uint32_t l = 0; l < net->n_layers; l++)
		{
			PenaltyGradient(net->params + off, grads + off,
							LayerWeights(net, l), reg->l1, reg->l2);
			off += LayerParams(net, l);
		}
	}
	if (reg->clip_value > 0.0f)
		ClipValues(grads, net->n_params, reg->clip_value);
	if (reg->clip_norm > 0.0f)
		ClipTensorNorms(net, grads, reg->clip_norm);
	if (reg->clip_global_norm > 0.0f)
		ClipNorm(grads, net->n_params, reg->clip_global_norm);
}

/* ------------------------------------------------------------ training */

/* update parameters [off, off + n) in blocks of UPDATE_BLOCK */
static void
UpdateRange(NNNet *net, const float *grads, float lr, size_t off, size_t n,
			bool decay)
{
	for (size_t end = off + n, len; off < end; off += len)
	{
		len = end - off < UPDATE_BLOCK ? end - off : UPDATE_BLOCK;
		/* SGD keeps no state, and its opt_state may be NULL */
		nn_optimizer_step(net->optimizer, &net->opt, lr, net->params + off,
						  grads + off,
						  net->opt_state != NULL ? net->opt_state + off : NULL,
						  len, net->n_params, net->opt_step, decay);
		nn_check_interrupt();
	}
}

/*
 * One optimizer update of every tensor.  The optimizers are element-wise,
 * so the whole parameter vector goes as one range unless AdamW's decay
 * must reach the weights and skip the rest; then each layer takes two
 * ranges, its weights and its contiguous b, gamma, beta.
 */
static void
OptimizerUpdate(NNNet *net, const float *grads, float lr)
{
	size_t		off = 0;

	if (net->optimizer != NN_OPT_ADAMW || net->opt.weight_decay == 0.0f)
	{
		UpdateRange(net, grads, lr, 0, net->n_params, false);
		return;
	}
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		nw = LayerWeights(net, l);
		size_t		rest = LayerParams(net, l) - nw;

		UpdateRange(net, grads, lr, off, nw, true);
		off += nw;
		UpdateRange(net, grads, lr, off, rest, false);
		off += rest;
	}
}

/*
 * running = m running + (1 - m) batch, for the mean and the biased batch
 * variance (the one the batch was normalized with), recovered from the
 * stored 1 / sqrt(var + eps).
 */
static void
UpdateRunningStats(NNNet *net, const NNWork *work)
{
	const float m = NN_BN_MOMENTUM;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		out = net->widths[l + 1];
		float	   *mean;
		float	   *var;

		if (!net->batch_norm[l])
			continue;
		mean = net->stats + nn_net_stats_offset(net, l);
		var = mean + out;
		for (size_t c = 0; c < out; c++)
		{
			double		s = work->bn_inv_std[l + 1][c];
			/* rounding can push a zero variance a hair below 0 */
			double		v = fmax(1.0 / (s * s) - NN_BN_EPSILON, 0.0);

			mean[c] = m * mean[c] + (1.0f - m) * work->bn_mean[l + 1][c];
			var[c] = (float) ((double) m * var[c] + (1.0 - m) * v);
		}
	}
}

double
nn_net_train_batch(NNNet *net, NNWork *work, const float *x,
				   const float *target, const float *weight, size_t batch,
				   NNRng *rng)
{
	double		loss;

	if (!CanTrain(work, batch))
		return NAN;
	loss = nn_net_gradient(net, work, x, target, weight, batch, rng);
	nn_net_regularize(net, work->grads);
	nn_check_interrupt();
	net->opt_step++;
	OptimizerUpdate(net, work->grads, net->opt.learning_rate * net->lr_factor);
	UpdateRunningStats(net, work);
	return loss;
}

/* ------------------------------------------------------------ helpers */

void
nn_standardize_rows(float *x, const float *mean, const float *std,
					size_t rows, size_t cols)
{
	for (size_t r = 0; r < rows; r++)
	{
		float	   *row = x + r * cols;

		for (size_t c = 0; c < cols; c++)
			row[c] = (row[c] - mean[c]) / std[c];
	}
}

/*
 * A float is NaN or infinite when its exponent bits are all ones.  Testing
 * the bits of a block with no branch per value lets gcc vectorize the scan
 * (a per-value isfinite() with an early return does not vectorize, and the
 * scan runs over every scored row's features and every parsed model); the
 * scan still stops at the first block that has one.
 */
#define FINITE_BLOCK 256
#define FLOAT_EXPONENT_BITS 0x7f800000u

bool
nn_all_finite(const float *v, size_t n)
{
	for (size_t start = 0; start < n; start += FINITE_BLOCK)
	{
		size_t		end = n - start < FINITE_BLOCK ? n : start + FINITE_BLOCK;
		uint32_t	nonfinite = 0;

		for (size_t i = start; i < end; i++)
		{
			uint32_t	bits;

			memcpy(&bits, &v[i], sizeof(bits));
			nonfinite |= (bits & FLOAT_EXPONENT_BITS) == FLOAT_EXPONENT_BITS;
		}
		if (nonfinite)
			return false;
	}
	return true;
}

bool
nn_net_state_finite(const NNNet *net)
{
	return nn_all_finite(net->params, net->n_params) &&
		nn_all_finite(net->stats, net->n_stats) &&
		nn_all_finite(net->opt_state, nn_net_state_floats(net));
}
