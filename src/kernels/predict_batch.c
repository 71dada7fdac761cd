/*
 * predict_batch.c - many rows through a trained network, NN_PREDICT_BLOCK
 * at a time (predict_batch.h): standardize a block in place, one
 * inference forward pass over it, hand the outputs on.
 */
#include "interrupt.h"
#include "predict_batch.h"

size_t
nn_predict_batch_work_floats(const NNNet *net)
{
	return nn_work_floats(net, NN_PREDICT_BLOCK, false);
}

size_t
nn_predict_batch_x_floats(size_t n_inputs)
{
	return (size_t) NN_PREDICT_BLOCK * n_inputs;
}

void
nn_predict_batch_bind(NNPredictBatch *pb, const NNNet *net, const float *mean,
					  const float *std, size_t n_inputs, float *work, float *x)
{
	pb->net = net;
	pb->mean = mean;
	pb->std = std;
	pb->n_inputs = n_inputs;
	pb->n_outputs = nn_net_outputs(net);
	nn_work_bind(&pb->work, net, work, NN_PREDICT_BLOCK, false);
	pb->x = x;
}

const float *
nn_predict_batch_block(NNPredictBatch *pb, size_t n)
{
	if (pb->mean != NULL)
		nn_standardize_rows(pb->x, pb->mean, pb->std, n, pb->n_inputs);
	return nn_net_forward(pb->net, &pb->work, pb->x, n);
}

void
nn_predict_batch_rows(NNPredictBatch *pb, size_t n_rows, NNBlockFill fill,
					  NNBlockUse use, void *arg)
{
	for (size_t start = 0; start < n_rows; start += NN_PREDICT_BLOCK)
	{
		size_t		n = n_rows - start < NN_PREDICT_BLOCK ? n_rows - start : NN_PREDICT_BLOCK;

		fill(arg, pb->x, start, n);
		use(arg, nn_predict_batch_block(pb, n), start, n);
		nn_check_interrupt();
	}
}
