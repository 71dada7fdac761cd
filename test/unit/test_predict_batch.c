/*
 * test_predict_batch.c - nn_predict_batch_rows, the batch loop of the
 * server's batch scoring paths: the rows go through in blocks of
 * NN_PREDICT_BLOCK (a last, shorter one), each block standardized and run
 * as one nn_net_forward, so the outputs are the bytes of that forward
 * pass; fill and use see each block once, in order, with an interrupt
 * check after each; no rows, no calls.
 */
#include "harness.h"
#include "interrupt.h"
#include "predict_batch.h"
#include "testnet.h"

#define N_IN 5
#define N_OUT 3
#define N_ROWS (2 * NN_PREDICT_BLOCK + 88)

typedef struct Trip
{
	const float *rows;			/* N_ROWS x N_IN raw */
	float	   *out;			/* N_ROWS x N_OUT */
	size_t		next;			/* the row the next block must start at */
	int			fills;
	int			uses;
	bool		ordered;
	bool		pending;		/* a block used, no interrupt check since */
	int			checks;			/* interrupt checks after a block */
	int			calls;			/* interrupt checks in all */
} Trip;

static Trip *trip;

/* the forward pass checks too, between layers: count those after a block */
static void
count_interrupt(void)
{
	trip->calls++;
	if (trip->pending)
		trip->checks++;
	trip->pending = false;
}

static void
fill(void *arg, float *x, size_t start, size_t n)
{
	Trip	   *t = arg;

	t->fills++;
	t->ordered &= !t->pending && start == t->next && n >= 1 && n <= NN_PREDICT_BLOCK;
	memcpy(x, t->rows + start * N_IN, n * N_IN * sizeof(float));
}

static void
use(void *arg, const float *out, size_t start, size_t n)
{
	Trip	   *t = arg;

	t->uses++;
	t->ordered &= start == t->next && t->uses == t->fills;
	memcpy(t->out + start * N_OUT, out, n * N_OUT * sizeof(float));
	t->next = start + n;
	t->pending = true;
}

/* a small trained-looking network: random weights, batch norm, softmax */
static void
make_net(NNNet *net, NNRng *rng)
{
	const uint32_t widths[] = {N_IN, 7, 6, N_OUT};
	const char *msg;

	memset(net, 0, sizeof(*net));
	net->n_layers = 3;
	for (uint32_t l = 0; l <= 3; l++)
		set_width(net, l, widths[l]);
	for (uint32_t l = 0; l < 3; l++)
	{
		nn_dense_mut(net, l)->act = (uint8_t) (l < 2 ? NN_ACT_RELU : NN_ACT_SOFTMAX);
		nn_dense_mut(net, l)->batch_norm = l == 0;
	}
	net->loss.kind = NN_LOSS_CROSS_ENTROPY;
	net->optimizer = NN_OPT_SGD;
	nn_optimizer_defaults(NN_OPT_SGD, &net->opt);
	msg = nn_net_layout(net);
	CHECK_MSG(msg == NULL, "layout rejected: %s", msg);
	net->params = xcalloc(net->n_params, sizeof(float));
	net->stats = xcalloc(net->n_stats, sizeof(float));
	nn_net_init_params(net, NN_INIT_XAVIER, rng);
	for (size_t i = 0; i < net->n_stats; i++)
		net->stats[i] = 0.5f + (float) nn_rng_uniform(rng);
}

static void
test_blocks(void)
{
	NNRng		rng;
	NNNet		net;
	NNPredictBatch pb;
	float		mean[N_IN],
				sd[N_IN];
	float	   *rows = xcalloc(N_ROWS * N_IN, sizeof(float));
	float	   *out = xcalloc(N_ROWS * N_OUT, sizeof(float));
	float	   *work;
	float	   *x = xcalloc(nn_predict_batch_x_floats(N_IN), sizeof(float));
	float	   *ref_work;
	float	   *ref_x = xcalloc(nn_predict_batch_x_floats(N_IN), sizeof(float));
	NNWork		ref;
	Trip		t = {rows, out, 0, 0, 0, true, false, 0, 0};
	bool		same = true;

	nn_rng_seed(&rng, 42);
	make_net(&net, &rng);
	work = xcalloc(nn_predict_batch_work_floats(&net), sizeof(float));
	for (int i = 0; i < N_IN; i++)
	{
		mean[i] = (float) nn_rng_uniform(&rng) - 0.5f;
		sd[i] = 0.5f + (float) nn_rng_uniform(&rng);
	}
	for (int i = 0; i < N_ROWS * N_IN; i++)
		rows[i] = 4.0f * (float) nn_rng_uniform(&rng) - 2.0f;

	nn_predict_batch_bind(&pb, &net, mean, sd, N_IN, work, x);
	CHECK_EQ_INT(pb.n_outputs, N_OUT);
	trip = &t;
	nn_interrupt_hook = count_interrupt;
	nn_predict_batch_rows(&pb, N_ROWS, fill, use, &t);
	nn_interrupt_hook = NULL;
	CHECK_EQ_INT(t.fills, 3);
	CHECK_EQ_INT(t.uses, 3);
	CHECK_EQ_INT(t.checks, 3);
	CHECK(!t.pending);
	CHECK(t.ordered);
	CHECK_EQ_INT(t.next, N_ROWS);

	/* the reference: each block standardized and run by nn_net_forward */
	ref_work = xcalloc(nn_work_floats(&net, NN_PREDICT_BLOCK, false), sizeof(float));
	nn_work_bind(&ref, &net, ref_work, NN_PREDICT_BLOCK, false);
	for (size_t start = 0; start < N_ROWS; start += NN_PREDICT_BLOCK)
	{
		size_t		n = N_ROWS - start < NN_PREDICT_BLOCK ? N_ROWS - start : NN_PREDICT_BLOCK;
		const float *o;

		memcpy(ref_x, rows + start * N_IN, n * N_IN * sizeof(float));
		nn_standardize_rows(ref_x, mean, sd, n, N_IN);
		o = nn_net_forward(&net, &ref, ref_x, n);
		same &= memcmp(o, out + start * N_OUT, n * N_OUT * sizeof(float)) == 0;
	}
	CHECK_MSG(same, "block outputs differ from nn_net_forward's bytes");

	/* no rows: neither fill nor use, nor an interrupt check */
	memset(&t, 0, sizeof(t));
	nn_interrupt_hook = count_interrupt;
	nn_predict_batch_rows(&pb, 0, fill, use, &t);
	nn_interrupt_hook = NULL;
	CHECK_EQ_INT(t.fills + t.uses + t.calls, 0);

	free(rows);
	free(out);
	free(work);
	free(x);
	free(ref_work);
	free(ref_x);
	free(net.params);
	free(net.stats);
}

/* without mean and std, the rows reach the network as they are */
static void
test_unstandardized(void)
{
	NNRng		rng;
	NNNet		net;
	NNPredictBatch pb;
	float	   *work;
	float	   *x = xcalloc(nn_predict_batch_x_floats(N_IN), sizeof(float));
	float		row[N_IN];
	float		expected[N_OUT];
	NNWork		ref;
	float	   *ref_work;

	nn_rng_seed(&rng, 7);
	make_net(&net, &rng);
	work = xcalloc(nn_predict_batch_work_floats(&net), sizeof(float));
	ref_work = xcalloc(nn_work_floats(&net, 1, false), sizeof(float));
	for (int i = 0; i < N_IN; i++)
		row[i] = (float) nn_rng_uniform(&rng);
	nn_work_bind(&ref, &net, ref_work, 1, false);
	memcpy(expected, nn_net_forward(&net, &ref, row, 1), sizeof(expected));
	nn_predict_batch_bind(&pb, &net, NULL, NULL, N_IN, work, x);
	memcpy(pb.x, row, sizeof(row));
	CHECK(memcmp(nn_predict_batch_block(&pb, 1), expected, sizeof(expected)) == 0);
	CHECK(memcmp(pb.x, row, sizeof(row)) == 0);
	free(work);
	free(x);
	free(ref_work);
	free(net.params);
	free(net.stats);
}

int
main(void)
{
	RUN_TEST(test_blocks);
	RUN_TEST(test_unstandardized);
	return harness_finish("test_predict_batch");
}
