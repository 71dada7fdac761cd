/*
 * train_step.c - one training step of the network (network.h): the
 * gradient from the driver (network.c), the penalties and gradient
 * clipping over the tensors the layers list (weights only where the layer
 * table says so), the optimizer update in blocks, and the running
 * statistics.  Like the driver, it never knows a kind's layout: a tensor
 * is a name, a size and a weight flag.
 */
#include <math.h>

#include "interrupt.h"
#include "layer.h"
#include "parallel.h"

/*
 * Parameters per block of the update: the updates are element-wise, so
 * blocks, and the parts a block is split into over the kernels' threads,
 * give the same bytes as one call, and an interrupt check after each block
 * bounds the time between checks (4 M Adam updates: tens of ms).
 */
#define UPDATE_BLOCK ((size_t) 4 * 1024 * 1024)

/* ------------------------------------------------------------ penalties */

/* every layer's tensors in storage order, at offsets into net->params */
#define NN_MAX_TENSORS (NN_MAX_LAYERS * NN_LAYER_MAX_TENSORS)

static uint32_t
AllTensors(const NNNet *net, NNTensor *t)
{
	uint32_t	n = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
		n += nn_net_tensors(net, l, t + n);
	return n;
}

double
nn_net_penalty(const NNNet *net)
{
	NNTensor	t[NN_MAX_TENSORS];

	return nn_reg_penalty(&net->reg, net->params, t, AllTensors(net, t));
}

void
nn_net_regularize(const NNNet *net, float *grads)
{
	NNTensor	t[NN_MAX_TENSORS];

	nn_reg_apply(&net->reg, net->params, grads, net->n_params, t, AllTensors(net, t));
}

/* ------------------------------------------------------------ the update */

/*
 * Parameters one thread updates at least: an Adam update is a few
 * nanoseconds per parameter, handing a part to a waiting worker about a
 * microsecond.
 */
#define UPDATE_MIN_PART ((size_t) 16 * 1024)

/* one block of the update, split over the kernels' threads */
typedef struct UpdateBlock
{
	NNNet	   *net;
	const float *grads;
	float		lr;
	size_t		off;
	bool		decay;
} UpdateBlock;

static void
UpdatePart(void *arg, size_t begin, size_t end)
{
	const UpdateBlock *u = arg;
	NNNet	   *net = u->net;
	size_t		at = u->off + begin;

	/* SGD keeps no state, and its opt_state may be NULL */
	nn_optimizer_step(net->optimizer, &net->opt, u->lr, net->params + at,
					  u->grads + at,
					  net->opt_state != NULL ? net->opt_state + at : NULL,
					  end - begin, net->n_params, net->opt_step, u->decay);
}

/* update parameters [off, off + n) in blocks of UPDATE_BLOCK */
static void
UpdateRange(NNNet *net, const float *grads, float lr, size_t off, size_t n,
			bool decay)
{
	for (size_t end = off + n, len; off < end; off += len)
	{
		UpdateBlock u = {net, grads, lr, off, decay};

		len = end - off < UPDATE_BLOCK ? end - off : UPDATE_BLOCK;
		nn_parallel_for(len, UPDATE_MIN_PART, UpdatePart, &u);
		nn_check_interrupt();
	}
}

/*
 * One optimizer update of every tensor.  The optimizers are element-wise,
 * so the whole parameter vector goes as one range unless AdamW's decay
 * must reach the weights and skip the rest; then each run of adjacent
 * tensors that agree on decay is one range (dense: its weights, then its
 * contiguous b, gamma, beta).
 */
static void
OptimizerUpdate(NNNet *net, const float *grads, float lr)
{
	size_t		off = 0;
	size_t		start = 0;
	bool		decay = false;

	if (net->optimizer != NN_OPT_ADAMW || net->opt.weight_decay == 0.0f)
	{
		UpdateRange(net, grads, lr, 0, net->n_params, false);
		return;
	}
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	nt = nn_net_tensors(net, l, t);

		for (uint32_t k = 0; k < nt; k++)
		{
			if (t[k].weight != decay)
			{
				UpdateRange(net, grads, lr, start, off - start, decay);
				start = off;
				decay = t[k].weight;
			}
			off += t[k].size;
		}
	}
	UpdateRange(net, grads, lr, start, off - start, decay);
}

double
nn_net_train_batch(NNNet *net, NNWork *work, const float *x,
				   const float *target, const float *weight, size_t batch,
				   NNRng *rng)
{
	double		loss;

	if (!nn_work_fits(work, batch))
		return NAN;
	loss = nn_net_gradient(net, work, x, target, weight, batch, rng);
	nn_net_regularize(net, work->grads);
	nn_check_interrupt();
	net->opt_step++;
	OptimizerUpdate(net, work->grads, net->opt.learning_rate * net->lr_factor);
	nn_net_update_stats(net, work);
	return loss;
}

bool
nn_net_state_finite(const NNNet *net)
{
	return nn_all_finite(net->params, net->n_params) &&
		nn_all_finite(net->stats, net->n_stats) &&
		nn_all_finite(net->opt_state, nn_net_state_floats(net));
}
