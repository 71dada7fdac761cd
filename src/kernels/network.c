/*
 * network.c - layout, initialization, forward and backward passes of a
 * stack of dense layers, and one minibatch training step.
 */
#include <math.h>
#include <string.h>

#include "dense.h"
#include "network.h"

const char *
nn_net_layout(NNNet *net)
{
	size_t		total = 0;

	if (net->n_layers < 1 || net->n_layers > NN_MAX_LAYERS)
		return "layer count out of range";
	for (uint32_t l = 0; l <= net->n_layers; l++)
		if (net->widths[l] < 1 || net->widths[l] > NN_MAX_WIDTH)
			return "layer width out of range";
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		/* each term is at most 2^32, so the sum cannot wrap */
		total += (size_t) net->widths[l + 1] * (net->widths[l] + 1);
		if (total > NN_MAX_PARAMS)
			return "too many parameters";
	}
	net->n_params = total;
	return NULL;
}

size_t
nn_net_weight_offset(const NNNet *net, uint32_t layer)
{
	size_t		off = 0;

	for (uint32_t l = 0; l < layer; l++)
		off += (size_t) net->widths[l + 1] * (net->widths[l] + 1);
	return off;
}

size_t
nn_net_bias_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_weight_offset(net, layer) +
		(size_t) net->widths[layer + 1] * net->widths[layer];
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
		/* He: var 2/in keeps ReLU activations' scale; Xavier: 2/(in+out) */
		double		sd = kind == NN_INIT_HE ? sqrt(2.0 / in) :
			sqrt(2.0 / (in + out));

		for (size_t i = 0; i < in * out; i++)
			w[i] = (float) (sd * nn_rng_normal(rng));
		memset(w + in * out, 0, out * sizeof(float));
	}
	if (net->opt_state != NULL)
		memset(net->opt_state, 0, nn_net_state_floats(net) * sizeof(float));
	net->opt_step = 0;
}

static size_t
MaxWidth(const NNNet *net)
{
	size_t		max = 0;

	for (uint32_t l = 0; l <= net->n_layers; l++)
		if (net->widths[l] > max)
			max = net->widths[l];
	return max;
}

size_t
nn_work_floats(const NNNet *net, size_t max_batch, bool training)
{
	size_t		total = 0;

	for (uint32_t l = 1; l <= net->n_layers; l++)
		total += max_batch * net->widths[l];
	if (training)
		total += 2 * max_batch * MaxWidth(net) + net->n_params;
	return total;
}

void
nn_work_bind(NNWork *work, const NNNet *net, float *buf, size_t max_batch,
			 bool training)
{
	memset(work, 0, sizeof(*work));
	work->max_batch = max_batch;
	for (uint32_t l = 1; l <= net->n_layers; l++)
	{
		work->acts[l] = buf;
		buf += max_batch * net->widths[l];
	}
	if (training)
	{
		size_t		delta = max_batch * MaxWidth(net);

		work->delta_a = buf;
		work->delta_b = buf + delta;
		work->grads = buf + 2 * delta;
	}
}

const float *
nn_net_forward(const NNNet *net, NNWork *work, const float *x, size_t batch)
{
	work->acts[0] = (float *) x;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		in = net->widths[l];
		size_t		out = net->widths[l + 1];

		nn_dense_forward(work->acts[l],
						 net->params + nn_net_weight_offset(net, l),
						 net->params + nn_net_bias_offset(net, l),
						 work->acts[l + 1], batch, in, out);
		nn_activation_forward((NNActivation) net->act[l], work->acts[l + 1],
							  batch, out);
	}
	return work->acts[net->n_layers];
}

double
nn_net_gradient(const NNNet *net, NNWork *work, const float *x,
				const float *target, size_t batch)
{
	uint32_t	last = net->n_layers - 1;
	float	   *delta = work->delta_a;
	float	   *spare = work->delta_b;
	double		loss;

	nn_net_forward(net, work, x, batch);
	/* the loss gives the gradient w.r.t. the output pre-activation */
	loss = nn_loss_compute(net->loss, work->acts[net->n_layers], target,
						   delta, batch, net->widths[net->n_layers]);

	for (uint32_t l = last + 1; l-- > 0;)
	{
		size_t		in = net->widths[l];
		size_t		out = net->widths[l + 1];
		float	   *dx = l > 0 ? spare : NULL;
		float	   *tmp;

		nn_dense_backward(work->acts[l],
						  net->params + nn_net_weight_offset(net, l),
						  delta,
						  work->grads + nn_net_weight_offset(net, l),
						  work->grads + nn_net_bias_offset(net, l),
						  dx, batch, in, out);
		if (l > 0)
			nn_activation_backward((NNActivation) net->act[l - 1],
								   work->acts[l], dx, batch * in);
		tmp = delta;
		delta = spare;
		spare = tmp;
	}
	return loss;
}

double
nn_net_train_batch(NNNet *net, NNWork *work, const float *x,
				   const float *target, size_t batch)
{
	double		loss = nn_net_gradient(net, work, x, target, batch);

	net->opt_step++;
	nn_optimizer_step(net->optimizer, &net->opt, net->params, work->grads,
					  net->opt_state, net->n_params, net->opt_step);
	return loss;
}

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

bool
nn_all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}
