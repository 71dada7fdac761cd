/*
 * kernel_epoch.c - one Fashion-MNIST-shaped training epoch through the
 * kernels alone (no PostgreSQL): 784-256-128-10, relu, softmax
 * cross-entropy, Adam, batch 128, 60000 random rows.  Prints the CPU
 * seconds of the epoch and of each part, so that kernel changes can be
 * compared without a server, and on a busy machine (CPU time, not wall).
 *
 * The rows are uniform noise with labels i % 10, which nothing can learn:
 * after a couple of epochs the gradients are so small that Adam's moments
 * and their squares fall into float32's subnormal range, where x86 float
 * arithmetic is many times slower (measured in the third session: Adam's
 * step from 4% to a third of the time by the fourth epoch, and the epoch
 * 1.5x longer than with flush-to-zero).  Real data (Fashion-MNIST) showed
 * no such slowdown over 10 epochs, so time only the first epoch here, or
 * compare kernels at the same epoch count.
 *
 *   gcc -O2 -Isrc test/bench/kernel_epoch.c src/kernels/*.c -lopenblas -lm
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/dense_layer.h"

#define ROWS 60000
#define BATCH 128

static double
CpuSeconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int			epochs = argc > 1 ? atoi(argv[1]) : 1;
	NNNet		net = {0};
	NNWork		work;
	NNRng		rng;
	float	   *x = malloc(sizeof(float) * ROWS * 784);
	float	   *y = malloc(sizeof(float) * ROWS);
	double		start,
				loss = 0;

	net.n_layers = 3;
	net.shapes[0] = nn_shape_vector(784);
	nn_dense_set(&net, 0, 256, NN_ACT_RELU, false, 0.0f);
	nn_dense_set(&net, 1, 128, NN_ACT_RELU, false, 0.0f);
	nn_dense_set(&net, 2, 10, NN_ACT_SOFTMAX, false, 0.0f);
	net.loss.kind = NN_LOSS_CROSS_ENTROPY;
	net.loss.huber_delta = 1;
	net.optimizer = NN_OPT_ADAM;
	nn_optimizer_defaults(NN_OPT_ADAM, &net.opt);
	net.batch_size = BATCH;
	net.lr_factor = 1;
	if (nn_net_layout(&net) != NULL)
		return 1;
	net.params = malloc(sizeof(float) * net.n_params);
	net.stats = malloc(sizeof(float) * (net.n_stats + 1));
	net.opt_state = calloc(nn_net_state_floats(&net), sizeof(float));
	nn_rng_seed(&rng, 1);
	nn_net_init_params(&net, NN_INIT_AUTO, &rng);
	nn_work_bind(&work, &net, malloc(sizeof(float) * nn_work_floats(&net, BATCH, true)), BATCH, true);
	for (size_t i = 0; i < (size_t) ROWS * 784; i++)
		x[i] = (float) nn_rng_uniform(&rng);
	for (int i = 0; i < ROWS; i++)
		y[i] = (float) (i % 10);

	start = CpuSeconds();
	for (int e = 0; e < epochs; e++)
		for (int b = 0; b < ROWS; b += BATCH)
		{
			int			n = ROWS - b < BATCH ? ROWS - b : BATCH;

			loss += nn_net_train_batch(&net, &work, x + (size_t) b * 784, y + b, NULL, n, &rng);
		}
	printf("cpu seconds per epoch: %.3f (loss %.4f)\n", (CpuSeconds() - start) / epochs, loss / ROWS / epochs);
	return 0;
}
