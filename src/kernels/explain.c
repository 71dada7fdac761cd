/*
 * explain.c - integrated gradients over the network's input gradient
 * (explain.h says what is computed and why the trapezoid rule).
 */
#include <math.h>
#include <string.h>

#include "explain.h"
#include "interrupt.h"

NNExplainTarget
nn_explain_class_target(const NNNet *net, uint32_t cls)
{
	NNExplainTarget t = {cls, 1.0, 0.0};

	/* one sigmoid output p is class 1's probability; class 0's is 1 - p */
	if (net->loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
	{
		t.output = 0;
		if (cls == 0)
		{
			t.scale = -1.0;
			t.offset = 1.0;
		}
	}
	return t;
}

NNExplainTarget
nn_explain_value_target(double y_mean, double y_std)
{
	NNExplainTarget t = {0, y_std, y_mean};

	return t;
}

double
nn_explain_score(const NNExplainTarget *t, const float *out)
{
	return t->offset + t->scale * (double) out[t->output];
}

size_t
nn_explain_work_floats(const NNNet *net, size_t chunk)
{
	size_t		n_in = nn_net_inputs(net);

	/* the sum's doubles, two floats each, then the points and gradients */
	return 2 * n_in + 2 * chunk * n_in + nn_work_floats(net, chunk, true);
}

void
nn_explain_bind(NNExplainer *e, const NNNet *net, const float *mean,
				const float *sd, NNExplainTarget target, float *buf, size_t chunk)
{
	size_t		n_in = nn_net_inputs(net);

	memset(e, 0, sizeof(*e));
	e->net = net;
	e->mean = mean;
	e->sd = sd;
	e->target = target;
	e->chunk = chunk;
	e->n_inputs = (uint32_t) n_in;
	e->sum = (double *) buf;
	e->x = buf + 2 * n_in;
	e->grad = e->x + chunk * n_in;
	nn_work_bind(&e->work, net, e->grad + chunk * n_in, chunk, true);
}

const float *
nn_explain_gradient(NNExplainer *e, const float *x, size_t rows, float *grad)
{
	NNGradSeed	seed = {.kind = NN_SEED_OUTPUT, .output = e->target.output};
	const float *out;
	size_t		n = rows * e->n_inputs;

	out = nn_net_input_gradient(e->net, &e->work, x, rows, &seed, e->mean, e->sd, grad);
	if (out != NULL)
		for (size_t i = 0; i < n; i++)
			grad[i] = (float) (e->target.scale * grad[i]);
	return out;
}

/* point idx / denom of the path from b to x: exactly b and x at the ends */
static void
PathPoint(const float *x, const float *b, uint32_t idx, uint32_t denom,
		  uint32_t n_in, float *row)
{
	double		alpha = (double) idx / denom;

	if (idx == 0)
		memcpy(row, b, n_in * sizeof(float));
	else if (idx == denom)
		memcpy(row, x, n_in * sizeof(float));
	else
		for (uint32_t i = 0; i < n_in; i++)
			row[i] = (float) (b[i] + alpha * ((double) x[i] - b[i]));
}

/*
 * Add the score's gradient at the path's points (first + j stride) /
 * denom, j < count, into e->sum, the ends at half weight (the trapezoid
 * rule's), a chunk of points per pass; the scores at the ends into res.
 */
static NNExplainStatus
AddPoints(NNExplainer *e, const float *x, const float *b, uint32_t first,
		  uint32_t stride, uint32_t count, uint32_t denom, NNExplanation *res)
{
	uint32_t	n_in = e->n_inputs;
	uint32_t	n_out = nn_net_outputs(e->net);

	for (uint32_t start = 0; start < count; start += (uint32_t) e->chunk)
	{
		uint32_t	rows = count - start < e->chunk ? count - start : (uint32_t) e->chunk;
		const float *out;

		for (uint32_t r = 0; r < rows; r++)
			PathPoint(x, b, first + (start + r) * stride, denom, n_in, e->x + (size_t) r * n_in);
		out = nn_explain_gradient(e, e->x, rows, e->grad);
		if (out == NULL)
			return NN_EXPLAIN_BAD_CALL;
		if (!nn_all_finite(out, (size_t) rows * n_out) ||
			!nn_all_finite(e->grad, (size_t) rows * n_in))
			return NN_EXPLAIN_NOT_FINITE;
		for (uint32_t r = 0; r < rows; r++)
		{
			uint32_t	idx = first + (start + r) * stride;
			bool		end = idx == 0 || idx == denom;
			const float *g = e->grad + (size_t) r * n_in;

			for (uint32_t i = 0; i < n_in; i++)
				e->sum[i] += end ? 0.5 * g[i] : g[i];
			if (idx == 0)
				res->baseline_score = nn_explain_score(&e->target, out + (size_t) r * n_out);
			if (idx == denom)
				res->score = nn_explain_score(&e->target, out + (size_t) r * n_out);
		}
		nn_check_interrupt();
	}
	return NN_EXPLAIN_OK;
}

/* the attributions of the rule of n intervals and their completeness error */
static void
Attribute(const NNExplainer *e, const float *x, const float *b, uint32_t n,
		  double *attr, NNExplanation *res)
{
	double		total = 0.0;

	for (uint32_t i = 0; i < e->n_inputs; i++)
	{
		attr[i] = ((double) x[i] - b[i]) * e->sum[i] / n;
		total += attr[i];
	}
	res->completeness_error = fabs(total - (res->score - res->baseline_score));
	res->steps = n;
}

static bool
Complete(const NNExplanation *res)
{
	return res->completeness_error <=
		NN_EXPLAIN_REL_TOLERANCE * fabs(res->score - res->baseline_score) +
		NN_EXPLAIN_ABS_TOLERANCE;
}

NNExplainStatus
nn_explain_run(NNExplainer *e, const float *x, const float *baseline,
			   uint32_t steps, uint32_t max_steps, double *attr, NNExplanation *res)
{
	NNExplainStatus st;
	uint32_t	n = steps;

	/* a bad output or chunk is refused by the input gradient's first pass */
	if (steps < 1 || steps > max_steps || max_steps > NN_EXPLAIN_MAX_STEPS)
		return NN_EXPLAIN_BAD_CALL;
	memset(res, 0, sizeof(*res));
	memset(e->sum, 0, e->n_inputs * sizeof(double));
	st = AddPoints(e, x, baseline, 0, 1, steps + 1, steps, res);
	for (;;)
	{
		if (st != NN_EXPLAIN_OK)
			return st;
		Attribute(e, x, baseline, n, attr, res);
		if (Complete(res) || n > max_steps / 2)
			return NN_EXPLAIN_OK;
		/* the 2n rule: the n rule's points and the n midpoints between them */
		st = AddPoints(e, x, baseline, 1, 2, n, 2 * n, res);
		n *= 2;
	}
}
