/*
 * test_model_compare.c - nn_model_setup_differs (src/formats/
 * model_compare.c), what tells nn_fit's combine that two partial states
 * start from different models: each part training leaves alone, changed
 * in one of two copies of a model, is named; the parts training changes
 * are not.
 */
#include "harness.h"
#include "formats/model.h"
#include "modeltest.h"
#include "testnet.h"

static char *names[] = {"color", "size"};
static uint32_t widths[] = {2, 2};
static uint8_t kinds[] = {NN_FEATURE_CATEGORICAL, NN_FEATURE_NUMERIC};
static char *colors[] = {"blue", "red"};
static char **categories[] = {colors, NULL};
static float fill[] = {0, 0, 1.5f, -2};
static float mean[] = {0, 0, 3, 4};
static float std[] = {1, 1, 2, 5};

/*
 * 4 inputs (a text column one-hot, a pair of numbers, imputed and
 * standardized) -> 3 tanh -> 2 softmax, read twice from its bytes into a
 * and b, which share nothing.
 */
static void
TwoCopies(NNModel *a, NNModel *b)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf;
	char		err[256];

	memset(&m, 0, sizeof(m));
	m.net.n_layers = 2;
	set_width(&m.net, 0, 4);
	nn_dense_set(&m.net, 0, 3, NN_ACT_TANH, false, 0.0f);
	nn_dense_set(&m.net, 1, 2, NN_ACT_SOFTMAX, false, 0.0f);
	FinishModel(&m, 5);
	m.n_features = 2;
	m.feature_names = names;
	m.feature_widths = widths;
	m.feature_kinds = kinds;
	m.categories = categories;
	m.impute = NN_IMPUTE_MEAN;
	m.fill = fill;
	m.standardized = true;
	m.x_mean = mean;
	m.x_std = std;
	m.seed = 9;
	buf = Write(&m, &len);
	CHECK_MSG(nn_model_read(buf, len, a, &arena_alloc, err, sizeof(err)) == NN_MODEL_OK, "%s", err);
	CHECK_MSG(nn_model_read(buf, len, b, &arena_alloc, err, sizeof(err)) == NN_MODEL_OK, "%s", err);
}

static void
Differs(const NNModel *a, const NNModel *b, const char *want, const char *what)
{
	const char *got = nn_model_setup_differs(a, b);

	CHECK_MSG(got != NULL && strstr(got, want) != NULL, "%s: got \"%s\", expected \"%s\"",
			  what, got ? got : "(nothing)", want);
}

/* each part training leaves alone, changed in b alone, is what differs */
static void
test_each_part_named(void)
{
	NNModel		a,
				b;
	char	   *other = "green";

	TwoCopies(&a, &b);
	CHECK(nn_model_setup_differs(&a, &b) == NULL);
#define CHANGED(field, value, want) \
	do { \
		__typeof__(field) keep = (field); \
		(field) = (value); \
		Differs(&a, &b, (want), #field); \
		(field) = keep; \
		CHECK_MSG(nn_model_setup_differs(&a, &b) == NULL, "%s restored", #field); \
	} while (0)
	CHANGED(nn_dense_mut(&b.net, 0)->act, NN_ACT_RELU, "layers");
	CHANGED(b.task, NN_TASK_REGRESSION, "task");
	CHANGED(b.classes[1], other, "classes");
	CHANGED(b.feature_names[1], other, "feature columns");
	CHANGED(b.feature_widths[0], 3, "feature columns");
	CHANGED(b.categories[0][0], other, "encoding");
	CHANGED(b.impute, NN_IMPUTE_ZERO, "imputation");
	CHANGED(b.fill[3], 7.0f, "imputation");
	CHANGED(b.x_mean[2], 3.5f, "inputs");
	CHANGED(b.x_std[3], 6.0f, "inputs");
	CHANGED(b.y_mean, 1.0f, "target");
	CHANGED(b.y_std, 2.0f, "target");
	CHANGED(b.target_name, other, "target");
	CHANGED(b.net.loss.kind, NN_LOSS_BINARY_CROSS_ENTROPY, "loss");
	CHANGED(b.net.optimizer, NN_OPT_ADAM, "optimizer");
	CHANGED(b.net.opt.learning_rate, 0.5f, "training settings");
	CHANGED(b.net.reg.l2, 0.5f, "training settings");
	CHANGED(b.net.batch_size, 64, "batch_size");
	CHANGED(b.seed, 10, "initialization");
	CHANGED(b.init, NN_INIT_HE, "initialization");
	CHANGED(b.options_json, "{\"threshold\": 0.3}", "options");
	CHANGED(b.epochs_run, 1, "epochs");
	CHANGED(b.n_history, 1, "epochs");
#undef CHANGED
	ArenaFree();
}

/* what training changes is no difference */
static void
test_trained_parts_ignored(void)
{
	NNModel		a,
				b;

	TwoCopies(&a, &b);
	b.net.params[0] += 1.0f;
	b.net.opt_step = 12;
	b.rng.s[0] ^= 1;
	b.rows_trained = 1000;
	b.best_epoch = 1;
	CHECK(nn_model_setup_differs(&a, &b) == NULL);
	CHECK(nn_model_setup_differs(&b, &a) == NULL);
	ArenaFree();
}

int
main(void)
{
	RUN_TEST(test_each_part_named);
	RUN_TEST(test_trained_parts_ignored);
	return harness_finish("test_model_compare");
}
