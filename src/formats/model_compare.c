/*
 * model_compare.c - whether two models are the same model apart from what
 * training changes.  nn_fit's partial states can be averaged only then:
 * their parameters are comparable, and the rows they buffered were scaled
 * and encoded the same way (pending regression targets are stored
 * standardized with the model's y_mean and y_std).
 *
 * Training changes the parameters, running statistics and optimizer state,
 * the optimizer's step, the shuffle stream, the rows trained and the best
 * epoch; everything else is compared here, field by field, so that the
 * error can name what differs.
 */
#include <string.h>

#include "model.h"
#include "model_settings.h"

static bool
SameFloats(const float *a, const float *b, size_t n)
{
	/* bitwise: the same model holds the same bits, NaN fill values included */
	return n == 0 || memcmp(a, b, n * sizeof(float)) == 0;
}

static bool
SameStrings(char *const *a, char *const *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool
SameLayers(const NNNet *a, const NNNet *b)
{
	if (a->n_layers != b->n_layers)
		return false;
	for (uint32_t l = 0; l < a->n_layers; l++)
		if (a->layers[l].kind != b->layers[l].kind ||
			memcmp(a->layers[l].settings.bytes, b->layers[l].settings.bytes,
				   NN_LAYER_SETTINGS_BYTES) != 0)
			return false;
	for (uint32_t l = 0; l <= a->n_layers; l++)
		if (a->shapes[l].rank != b->shapes[l].rank ||
			memcmp(a->shapes[l].dims, b->shapes[l].dims,
				   a->shapes[l].rank * sizeof(uint32_t)) != 0)
			return false;
	return true;
}

/* the learning rate, the optimizer's constants, the Huber delta, the penalties */
static bool
SameSettings(const NNNet *a, const NNNet *b)
{
	float	   *fa[N_SETTINGS];
	float	   *fb[N_SETTINGS];

	nn_model_setting_fields((NNNet *) a, fa);
	nn_model_setting_fields((NNNet *) b, fb);
	for (int i = 0; i < N_SETTINGS; i++)
		if (memcmp(fa[i], fb[i], sizeof(float)) != 0)
			return false;
	return true;
}

static bool
SameFeatures(const NNModel *a, const NNModel *b)
{
	return a->n_features == b->n_features &&
		SameStrings(a->feature_names, b->feature_names, a->n_features) &&
		(a->n_features == 0 ||
		 memcmp(a->feature_widths, b->feature_widths, a->n_features * sizeof(uint32_t)) == 0);
}

/* each feature's kind and a categorical feature's values */
static bool
SameEncoding(const NNModel *a, const NNModel *b)
{
	for (uint32_t i = 0; i < a->n_features; i++)
	{
		NNFeatureKind kind = nn_model_feature_kind(a, i);

		if (kind != nn_model_feature_kind(b, i))
			return false;
		if (kind == NN_FEATURE_CATEGORICAL &&
			!SameStrings(a->categories[i], b->categories[i], a->feature_widths[i]))
			return false;
	}
	return true;
}

static bool
SameImpute(const NNModel *a, const NNModel *b)
{
	bool		filled = a->impute == NN_IMPUTE_MEAN || a->impute == NN_IMPUTE_ZERO;

	return a->impute == b->impute &&
		(!filled || SameFloats(a->fill, b->fill, nn_model_inputs(a)));
}

static bool
SameStandardization(const NNModel *a, const NNModel *b)
{
	uint32_t	n = nn_net_inputs(&a->net);

	return a->standardized == b->standardized &&
		(!a->standardized ||
		 (SameFloats(a->x_mean, b->x_mean, n) && SameFloats(a->x_std, b->x_std, n)));
}

static bool
SameTargetScaling(const NNModel *a, const NNModel *b)
{
	return !a->standardized ||
		(SameFloats(&a->y_mean, &b->y_mean, 1) && SameFloats(&a->y_std, &b->y_std, 1));
}

const char *
nn_model_setup_differs(const NNModel *a, const NNModel *b)
{
	/* the layout first: the fields after it are sized by it */
	if (!SameLayers(&a->net, &b->net))
		return "layers";
	if (a->task != b->task)
		return "task";
	if (a->n_classes != b->n_classes || !SameStrings(a->classes, b->classes, a->n_classes))
		return "classes";
	if (!SameFeatures(a, b))
		return "feature columns";
	if (!SameEncoding(a, b))
		return "feature encoding (categories)";
	if (!SameImpute(a, b))
		return "imputation (impute and its fill values)";
	if (!SameStandardization(a, b))
		return "standardization of the inputs";
	if (!SameTargetScaling(a, b))
		return "standardization of the target";
	if (strcmp(a->target_name, b->target_name) != 0)
		return "target";
	if (a->net.loss.kind != b->net.loss.kind)
		return "loss";
	if (a->net.optimizer != b->net.optimizer)
		return "optimizer";
	if (!SameSettings(&a->net, &b->net))
		return "training settings (learning rate, optimizer constants, penalties)";
	if (a->net.batch_size != b->net.batch_size)
		return "batch_size";
	if (a->init != b->init || a->seed != b->seed)
		return "initialization (init and seed)";
	if (a->storage != b->storage)
		return "storage";
	if (strcmp(a->options_json, b->options_json) != 0)
		return "options";
	/* the same model at another epoch: not the run either state continues */
	if (a->epochs_run != b->epochs_run || a->n_history != b->n_history)
		return "epochs trained";
	return NULL;
}
