/*
 * test_parallel.c - nn_parallel_for (parallel.h): every index runs exactly
 * once whatever the thread count, parts are not split below their
 * minimum, and the kernels that split their loops give the same bytes at
 * 1, 2 and 3 threads (conv2d and max-pooling training steps through the
 * driver, pooling's input gradient).
 */
#include "conv2d_layer.h"
#include "harness.h"
#include "parallel.h"
#include "pool_layer.h"
#include "testnet.h"

#define N_MARKS 1000

static void
Mark(void *arg, size_t begin, size_t end)
{
	int		   *seen = arg;

	for (size_t i = begin; i < end; i++)
		seen[i]++;
}

typedef struct Parts
{
	size_t		n;
	size_t		smallest;
} Parts;

static void
CountPart(void *arg, size_t begin, size_t end)
{
	Parts	   *p = arg;

	/* parts run at once: only the caller's (the first) writes */
	if (begin == 0)
	{
		p->n = 1;
		p->smallest = end - begin;
	}
}

static void
test_every_index_once(void)
{
	static const int threads[] = {1, 2, 3, 7, 64, 100};
	static const size_t sizes[] = {0, 1, 2, 5, 999, N_MARKS};
	int			seen[N_MARKS];

	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		{
			nn_set_kernel_threads(threads[t]);
			memset(seen, 0, sizeof(seen));
			nn_parallel_for(sizes[s], 1, Mark, seen);
			for (size_t i = 0; i < N_MARKS; i++)
				CHECK_MSG(seen[i] == (i < sizes[s] ? 1 : 0),
						  "%d threads, n %zu: index %zu ran %d times",
						  threads[t], sizes[s], i, seen[i]);
		}
	nn_set_kernel_threads(0);
	CHECK_EQ_INT(nn_kernel_threads(), 1);
	nn_set_kernel_threads(1000);
	CHECK_EQ_INT(nn_kernel_threads(), 64);
	nn_set_kernel_threads(1);
}

/* 2 threads but 10 indexes of at least 6 each: one part, on the caller */
static void
test_min_part(void)
{
	Parts		p = {0, 0};

	nn_set_kernel_threads(2);
	nn_parallel_for(10, 6, CountPart, &p);
	CHECK_EQ_INT(p.smallest, 10);
	nn_parallel_for(12, 6, CountPart, &p);
	CHECK_EQ_INT(p.smallest, 6);
	nn_set_kernel_threads(1);
}

/* 10 tasks, each asking for a parallel loop over its own 100 marks */
typedef struct Nested
{
	int			seen[10 * 100];
} Nested;

static void
NestedTask(void *arg, size_t t, size_t end)
{
	Nested	   *n = arg;

	for (; t < end; t++)
		nn_parallel_for(100, 1, Mark, n->seen + t * 100);
}

/*
 * A part that asks for parallel work of its own (a conv2d group lowering
 * its image) gets it run in place on its thread: the pool serves one call
 * at a time, and the inner call must not disturb the outer one.
 */
static void
test_nested_in_place(void)
{
	Nested		n;

	for (int threads = 1; threads <= 3; threads++)
	{
		bool		once = true;

		nn_set_kernel_threads(threads);
		memset(&n, 0, sizeof(n));
		nn_parallel_tasks(10, NestedTask, &n);
		for (size_t i = 0; i < 10 * 100; i++)
			once = once && n.seen[i] == 1;
		CHECK_MSG(once, "%d threads: a nested index did not run exactly once", threads);
	}
	nn_set_kernel_threads(1);
}

/*
 * Training steps of conv2d (with dropout, whose masks the image tasks
 * apply) -> max_pool2d -> dense over a batch of 11, which the conv2d
 * layer runs in 8 groups of one or two images (NN_CONV_GROUPS), its
 * weight gradient summed by group: parameters, and the outputs of an
 * inference pass, the same bytes at 1, 2 and 3 threads.
 */
static float *
TrainedParams(int threads, size_t *np, float **out, size_t *nout)
{
	NNNet		net;
	NNConv2dSettings c = {8, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_RELU, 0, 0.2f};
	NNPoolSettings p = {{2, 2, 2, 2, 0, 0, 0, 0}};
	NNWork		work;
	NNRng		rng;
	size_t		batch = 11;
	size_t		nx;
	float	   *x,
			   *y,
			   *buf;

	nn_set_kernel_threads(threads);
	memset(&net, 0, sizeof(net));
	net.n_layers = 3;
	net.shapes[0] = (NNShape) {3, {64, 8, 8}};
	nn_conv2d_set(&net, 0, &c);
	nn_pool_set(&net, 1, NN_LAYER_MAX_POOL2D, &p);
	nn_dense_set(&net, 2, 3, NN_ACT_SOFTMAX, false, 0.0f);
	set_training(&net, NN_LOSS_CROSS_ENTROPY);
	if (!CHECK(nn_net_layout(&net) == NULL))
		return NULL;
	net.params = xcalloc(net.n_params, sizeof(float));
	net.stats = xcalloc(1, sizeof(float));
	net.opt_state = xcalloc(1, sizeof(float));
	nn_rng_seed(&rng, 1702);
	nn_net_init_params(&net, NN_INIT_AUTO, &rng);
	nx = batch * nn_net_inputs(&net);
	x = xcalloc(nx, sizeof(float));
	y = xcalloc(batch, sizeof(float));
	fill_uniform(&rng, x, nx, -1.0, 1.0);
	for (size_t i = 0; i < batch; i++)
		y[i] = (float) (i % 3);
	buf = xcalloc(nn_work_floats(&net, batch, true), sizeof(float));
	nn_work_bind(&work, &net, buf, batch, true);
	work.threads = threads;
	for (int step = 0; step < 3; step++)
		nn_net_train_batch(&net, &work, x, y, NULL, batch, &rng);
	*nout = batch * 3;
	*out = xcalloc(*nout, sizeof(float));
	memcpy(*out, nn_net_forward(&net, &work, x, batch), *nout * sizeof(float));
	*np = net.n_params;
	free(buf);
	free(x);
	free(y);
	free(net.stats);
	free(net.opt_state);
	nn_set_kernel_threads(1);
	return net.params;
}

static void
test_training_same_bytes(void)
{
	size_t		n1,
				o1;
	float	   *out1;
	float	   *p1 = TrainedParams(1, &n1, &out1, &o1);

	for (int threads = 2; threads <= 3; threads++)
	{
		size_t		n,
					o;
		float	   *out;
		float	   *p = TrainedParams(threads, &n, &out, &o);

		if (CHECK(p1 != NULL && p != NULL && n1 == n && o1 == o))
		{
			CHECK_MSG(memcmp(p1, p, n1 * sizeof(float)) == 0,
					  "trained parameters differ at %d threads", threads);
			CHECK_MSG(memcmp(out1, out, o1 * sizeof(float)) == 0,
					  "outputs differ at %d threads", threads);
		}
		free(p);
		free(out);
	}
	free(p1);
	free(out1);
}

/*
 * The input gradient through max and average pooling, planes split over
 * threads (2048 planes of 8x8: MinPlanes in pool_layer.c lets 2 parts
 * run): the same bytes at 1 and 2 threads.
 */
static void
InputGradient(int threads, NNLayerKind kind, float *grad)
{
	NNNet		net;
	NNPoolSettings p = {{3, 3, 2, 2, 1, 1, 1, 1}};
	NNWork		work;
	NNRng		rng;
	NNGradSeed	seed = {NN_SEED_OUTPUT, 1, NULL, NULL};
	size_t		batch = 32;
	float	   *x,
			   *buf;

	nn_set_kernel_threads(threads);
	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	net.shapes[0] = (NNShape) {3, {64, 8, 8}};
	nn_pool_set(&net, 0, kind, &p);
	nn_dense_set(&net, 1, 2, NN_ACT_SOFTMAX, false, 0.0f);
	set_training(&net, NN_LOSS_CROSS_ENTROPY);
	if (!CHECK(nn_net_layout(&net) == NULL))
		return;
	net.params = xcalloc(net.n_params, sizeof(float));
	nn_rng_seed(&rng, 1703);
	nn_net_init_params(&net, NN_INIT_AUTO, &rng);
	x = xcalloc(batch * 4096, sizeof(float));
	fill_uniform(&rng, x, batch * 4096, -1.0, 1.0);
	buf = xcalloc(nn_work_floats(&net, batch, true), sizeof(float));
	nn_work_bind(&work, &net, buf, batch, true);
	work.threads = threads;
	CHECK(nn_net_input_gradient(&net, &work, x, batch, &seed, NULL, NULL, grad) != NULL);
	free(buf);
	free(x);
	free(net.params);
	nn_set_kernel_threads(1);
}

static void
test_pool_input_gradient_same_bytes(void)
{
	float	   *g1 = xcalloc(32 * 4096, sizeof(float));
	float	   *g2 = xcalloc(32 * 4096, sizeof(float));

	for (int k = 0; k < 2; k++)
	{
		NNLayerKind kind = k == 0 ? NN_LAYER_MAX_POOL2D : NN_LAYER_AVG_POOL2D;

		InputGradient(1, kind, g1);
		InputGradient(2, kind, g2);
		CHECK_MSG(memcmp(g1, g2, 32 * 4096 * sizeof(float)) == 0,
				  "%s: input gradient differs at 2 threads", k == 0 ? "max" : "avg");
	}
	free(g1);
	free(g2);
}

int
main(void)
{
	/* the kernels split their loops at the sizes of these small cases */
	nn_set_parallel_min_work(1024);
	RUN_TEST(test_every_index_once);
	RUN_TEST(test_min_part);
	RUN_TEST(test_nested_in_place);
	RUN_TEST(test_training_same_bytes);
	RUN_TEST(test_pool_input_gradient_same_bytes);
	return harness_finish("test_parallel");
}
