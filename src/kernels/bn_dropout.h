/*
 * bn_dropout.h - the two stages a dense or conv2d layer may wrap around
 * its activation, shared by both kinds (dense_layer.c, conv2d_layer.c):
 * batch normalization before it and inverted dropout after it.
 *
 * Batch normalization works on batch x channels x positions values,
 * row-major: each channel is normalized over the batch and its positions
 * (a dense layer: one position per unit; conv2d: each filter over its
 * output plane).  Its parameters are gamma then beta, channels each; its
 * statistics the running mean then the running variance, channels each.
 */
#ifndef NN_BN_DROPOUT_H
#define NN_BN_DROPOUT_H

#include <stddef.h>

#include "network.h"

/* gamma 1, beta 0; running mean 0, variance 1 */
void		nn_bn_init(float *gamma_beta, float *stats, size_t channels);

/* z = gamma (z - mean) / sqrt(var + eps) + beta, with the running statistics */
void		nn_bn_inference(float *z, const float *gamma, const float *beta,
							const float *mean, const float *var, size_t batch,
							size_t channels, size_t positions);

/* its input gradient in place (the running statistics are constants) */
void		nn_bn_inference_backward(float *d, const float *gamma, const float *var,
									 size_t batch, size_t channels,
									 size_t positions);

/*
 * Training mode in place: each channel's batch mean and biased variance,
 * zhat (the normalized values) kept for the backward pass, mean and
 * inv_std = 1 / sqrt(var + eps) for update_stats, z replaced by gamma zhat
 * + beta.
 */
void		nn_bn_train(float *z, const float *gamma, const float *beta,
						float *zhat, float *mean, float *inv_std, size_t batch,
						size_t channels, size_t positions);

/*
 * Training-mode backward in place: d holds dL/du on entry, dL/dz on
 * return; dgamma and dbeta are written (not added to).
 */
void		nn_bn_backward(float *d, const float *zhat, const float *inv_std,
						   const float *gamma, float *dgamma, float *dbeta,
						   size_t batch, size_t channels, size_t positions);

/* fold the last training pass's batch statistics into the running ones */
void		nn_bn_update_stats(float *stats, const float *mean,
							   const float *inv_std, size_t channels);

/* the running variances are not negative (the square root needs it) */
bool		nn_bn_stats_valid(const float *stats, size_t channels);

/*
 * Inverted dropout of n values: mask gets 0 or 1 / (1 - rate) per value,
 * out = y * mask.  rate in [0, 1).
 */
void		nn_dropout_forward(float rate, const float *y, float *mask, float *out,
							   size_t n, NNRng *rng);

#endif
