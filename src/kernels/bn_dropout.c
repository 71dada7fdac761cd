/*
 * bn_dropout.c - batch normalization and inverted dropout over batch x
 * channels x positions values (bn_dropout.h), for the dense and conv2d
 * layer kinds.  A dense layer is the case of one position per channel:
 * every loop below then does the arithmetic, in the order, it did when it
 * was dense_layer.c's alone, so dense models keep their bytes.
 */
#include <math.h>
#include <string.h>

#include "bn_dropout.h"

/*
 * The loops run over row-major data a block of channels at a time, so
 * that per-channel accumulators (double, for precision over large
 * batches) and factors live on the stack instead of the workspace.
 */
#define BN_BLOCK 256

void
nn_bn_init(float *gamma_beta, float *stats, size_t channels)
{
	for (size_t i = 0; i < channels; i++)
	{
		gamma_beta[i] = 1.0f;
		gamma_beta[channels + i] = 0.0f;
		stats[i] = 0.0f;
		stats[channels + i] = 1.0f;
	}
}

void
nn_bn_inference(float *z, const float *gamma, const float *beta,
				const float *mean, const float *var, size_t batch,
				size_t channels, size_t positions)
{
	size_t		P = positions;

	for (size_t c0 = 0; c0 < channels; c0 += BN_BLOCK)
	{
		size_t		nc = channels - c0 < BN_BLOCK ? channels - c0 : BN_BLOCK;
		float		scale[BN_BLOCK];

		for (size_t c = 0; c < nc; c++)
			scale[c] = gamma[c0 + c] / sqrtf(var[c0 + c] + NN_BN_EPSILON);
		for (size_t r = 0; r < batch; r++)
		{
			float	   *row = z + (r * channels + c0) * P;

			for (size_t c = 0; c < nc; c++)
				for (size_t p = 0; p < P; p++)
					row[c * P + p] = (row[c * P + p] - mean[c0 + c]) * scale[c] +
						beta[c0 + c];
		}
	}
}

/* du/dz is the forward's scale, computed the same way */
void
nn_bn_inference_backward(float *d, const float *gamma, const float *var,
						 size_t batch, size_t channels, size_t positions)
{
	size_t		P = positions;

	for (size_t c = 0; c < channels; c++)
	{
		float		scale = gamma[c] / sqrtf(var[c] + NN_BN_EPSILON);

		for (size_t r = 0; r < batch; r++)
			for (size_t p = 0; p < P; p++)
				d[(r * channels + c) * P + p] *= scale;
	}
}

/*
 * The statistics take one pass, accumulating in double the deviations
 * from a shift, the channel's first value: var = mean(d^2) - mean(d)^2
 * only cancels badly when the shift is far from the mean in units of the
 * deviation, and a sample of the channel is not.  The block's statistics
 * are kept in local arrays, which cannot alias z.
 */
void
nn_bn_train(float *z, const float *gamma, const float *beta, float *zhat,
			float *mean, float *inv_std, size_t batch, size_t channels,
			size_t positions)
{
	size_t		P = positions;
	double		count = (double) batch * (double) P;

	for (size_t c0 = 0; c0 < channels; c0 += BN_BLOCK)
	{
		size_t		nc = channels - c0 < BN_BLOCK ? channels - c0 : BN_BLOCK;
		double		shift[BN_BLOCK];
		double		sum[BN_BLOCK];
		double		sum_sq[BN_BLOCK];
		float		m[BN_BLOCK];
		float		s[BN_BLOCK];

		for (size_t c = 0; c < nc; c++)
		{
			shift[c] = z[(c0 + c) * P];
			sum[c] = 0.0;
			sum_sq[c] = 0.0;
		}
		for (size_t r = 0; r < batch; r++)
		{
			const float *zr = z + (r * channels + c0) * P;

			for (size_t c = 0; c < nc; c++)
				for (size_t p = 0; p < P; p++)
				{
					double		d = zr[c * P + p] - shift[c];

					sum[c] += d;
					sum_sq[c] += d * d;
				}
		}
		for (size_t c = 0; c < nc; c++)
		{
			double		dm = sum[c] / count;
			double		var = fmax(sum_sq[c] / count - dm * dm, 0.0);

			m[c] = (float) (shift[c] + dm);
			s[c] = (float) (1.0 / sqrt(var + NN_BN_EPSILON));
		}

		for (size_t r = 0; r < batch; r++)
		{
			float	   *zr = z + (r * channels + c0) * P;
			float	   *hr = zhat + (r * channels + c0) * P;

			for (size_t c = 0; c < nc; c++)
				for (size_t p = 0; p < P; p++)
				{
					float		h = (zr[c * P + p] - m[c]) * s[c];

					hr[c * P + p] = h;
					zr[c * P + p] = gamma[c0 + c] * h + beta[c0 + c];
				}
		}
		memcpy(mean + c0, m, nc * sizeof(float));
		memcpy(inv_std + c0, s, nc * sizeof(float));
	}
}

/*
 * With n = batch x positions values a channel:
 *   dz = gamma inv_std / n (n du - sum(du) - zhat sum(du zhat)),
 * dgamma = sum(du zhat), dbeta = sum(du).
 */
void
nn_bn_backward(float *d, const float *zhat, const float *inv_std,
			   const float *gamma, float *dgamma, float *dbeta, size_t batch,
			   size_t channels, size_t positions)
{
	size_t		P = positions;
	float		fb = (float) (batch * P);

	for (size_t c0 = 0; c0 < channels; c0 += BN_BLOCK)
	{
		size_t		nc = channels - c0 < BN_BLOCK ? channels - c0 : BN_BLOCK;
		double		acc_d[BN_BLOCK];
		double		acc_dh[BN_BLOCK];
		float		sum_d[BN_BLOCK];
		float		sum_dh[BN_BLOCK];
		float		k[BN_BLOCK];

		memset(acc_d, 0, nc * sizeof(double));
		memset(acc_dh, 0, nc * sizeof(double));
		for (size_t r = 0; r < batch; r++)
		{
			const float *dr = d + (r * channels + c0) * P;
			const float *hr = zhat + (r * channels + c0) * P;

			for (size_t c = 0; c < nc; c++)
				for (size_t p = 0; p < P; p++)
				{
					acc_d[c] += dr[c * P + p];
					acc_dh[c] += dr[c * P + p] * hr[c * P + p];
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
			float	   *dr = d + (r * channels + c0) * P;
			const float *hr = zhat + (r * channels + c0) * P;

			for (size_t c = 0; c < nc; c++)
				for (size_t p = 0; p < P; p++)
					dr[c * P + p] = k[c] * (fb * dr[c * P + p] - sum_d[c] -
											hr[c * P + p] * sum_dh[c]);
		}
	}
}

/*
 * running = m running + (1 - m) batch, for the mean and the biased batch
 * variance (the one the batch was normalized with), recovered from the
 * stored 1 / sqrt(var + eps).
 */
void
nn_bn_update_stats(float *stats, const float *bn_mean, const float *bn_inv_std,
				   size_t channels)
{
	const float m = NN_BN_MOMENTUM;
	float	   *mean = stats;
	float	   *var = stats + channels;

	for (size_t c = 0; c < channels; c++)
	{
		double		s = bn_inv_std[c];
		/* rounding can push a zero variance a hair below 0 */
		double		v = fmax(1.0 / (s * s) - NN_BN_EPSILON, 0.0);

		mean[c] = m * mean[c] + (1.0f - m) * bn_mean[c];
		var[c] = (float) ((double) m * var[c] + (1.0 - m) * v);
	}
}

bool
nn_bn_stats_valid(const float *stats, size_t channels)
{
	for (size_t i = 0; i < channels; i++)
		if (stats[channels + i] < 0.0f)
			return false;
	return true;
}

/* ------------------------------------------------------------ dropout */

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
 * Keep each value with probability 1 - rate and scale the kept ones by
 * 1 / (1 - rate), so inference needs no rescaling.  Each 64-bit draw
 * gives two 32-bit uniforms: a value is dropped when its uniform is below
 * rate * 2^32 (which rate < 1 keeps below 2^32).
 */
void
nn_dropout_forward(float rate, const float *y, float *mask, float *out,
				   size_t n, NNRng *rng)
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
