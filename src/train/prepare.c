/*
 * prepare.c - the rows before the first epoch: reading them, the seeded
 * validation hold-out, class weights, the fill values of NULL features and
 * the standardization, from the rows in memory or, for rows beyond
 * nn.train_memory, from a first streamed pass over them.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "train/run.h"

/* ---------- reading ---------- */

/* nn_rows_load from the table's start, so that rows come in the same order */
void
ReadSource(NNRows *d, const NNRowsSpec *spec)
{
	int			guc_level = NewGUCNestLevel();

	/* a synchronized scan could start mid-table and change the row order */
	(void) set_config_option("synchronize_seqscans", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	nn_rows_load(d, spec);
	AtEOXact_GUC(true, guc_level);
}

void
LoadRows(NNRows *d, const NNRowsSpec *spec)
{
	ReadSource(d, spec);
	if (d->skipped > 0)
		ereport(NOTICE,
				(errmsg_plural("skipped %lld row with a NULL target or feature%s",
							   "skipped %lld rows with a NULL target or feature%s",
							   d->skipped, (long long) d->skipped,
							   d->weight_column != NULL ? " or weight" : "")));
	if (d->n_rows == 0 && !d->streamed)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg(d->skipped > 0 ? "no training rows: every row has a NULL target or feature" :
						"no training rows: the source is empty")));
}


/* a row's place in the hold-out depends only on the seed and its position */
static double
RowHash(uint64 seed, uint64 row)
{
	uint64		z = seed + (row + 1) * UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	z ^= z >> 31;
	return (double) (z >> 11) * (1.0 / 9007199254740992.0);
}

bool
IsValidation(uint64 seed, float fraction, int64 ordinal)
{
	return fraction > 0 && RowHash(seed, (uint64) ordinal) < fraction;
}

static void
SplitRows(const NNRows *d, uint64 seed, float fraction, Split *s)
{
	s->train = MemoryContextAllocHuge(CurrentMemoryContext, d->n_rows * sizeof(uint32));
	s->val = MemoryContextAllocHuge(CurrentMemoryContext, d->n_rows * sizeof(uint32));
	s->n_train = s->n_val = 0;
	for (int64 r = 0; r < d->n_rows; r++)
	{
		if (IsValidation(seed, fraction, r))
			s->val[s->n_val++] = (uint32) r;
		else
			s->train[s->n_train++] = (uint32) r;
	}
	if (s->n_train == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("validation_fraction leaves no training rows")));
}

/* ---------- class weights and standardization ---------- */

/* per-class weights from options; count: training rows of each class */
static float *
ClassWeights(const NNOptions *o, char **classes, int n_classes, const int64 *count,
			 int64 n_train)
{
	float	   *cw = palloc(n_classes * sizeof(float));

	for (int c = 0; c < n_classes; c++)
		cw[c] = 1.0f;
	/* balanced: n / (k n_c), so every class carries the same total weight */
	for (int c = 0; c < n_classes && o->class_weight_balanced; c++)
		cw[c] = count[c] > 0 ? (float) ((double) n_train / ((double) n_classes * count[c])) : 0.0f;
	for (int i = 0; i < o->n_class_weights; i++)
	{
		int			c = 0;

		while (c < n_classes && strcmp(classes[c], o->class_weight_labels[i]) != 0)
			c++;
		if (c == n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"class_weight\": \"%s\" is not a class",
							o->class_weight_labels[i])));
		cw[c] = o->class_weights[i];
	}
	return cw;
}

/* NULL when every class weighs 1 */
static float *
ClassWeightsFor(const NNOptions *o, const NNModel *m, const int64 *count, int64 n_train)
{
	if (!o->class_weight_balanced && o->n_class_weights == 0)
		return NULL;
	if (m->task != NN_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"class_weight\" needs a classification target")));
	return ClassWeights(o, m->classes, m->n_classes, count, n_train);
}

static void
ApplyClassWeights(NNRows *d, const NNOptions *o, const NNModel *m, const Split *s)
{
	int64	   *count = palloc0(Max(m->n_classes, 1) * sizeof(int64));
	float	   *cw;

	if (m->task == NN_TASK_CLASSIFICATION)
		for (int64 i = 0; i < s->n_train; i++)
			count[(int) d->y[s->train[i]]]++;
	cw = ClassWeightsFor(o, m, count, s->n_train);
	for (int64 r = 0; cw != NULL && r < d->n_rows; r++)
		d->w[r] *= cw[(int) d->y[r]];
}

static float
ScaleOf(double sum_sq, int64 n)
{
	double		sd = sqrt(sum_sq / n);

	/* a constant column is left as it is, only centred */
	return sd > 1e-12 && isfinite((float) sd) ? (float) sd : 1.0f;
}

/*
 * The model's x_mean and x_std from each input's mean and sum of squared
 * deviations over n rows.  A shaped input is standardized per channel
 * ([channels, height, width]: the channel's positions) or per feature
 * ([steps, features]: the feature at every step): one mean and deviation
 * over the group's inputs and all rows (their moments pooled), stored once
 * for each input of the group, so that scoring applies them per input as
 * for any model.  A vector's inputs are groups of one, left as they are.
 *
 * Group g's inputs are g * outer + j * inner for j < size: a channel's are
 * contiguous (inner 1), a feature's one step apart (inner = features).
 */
static void
SetInputScale(NNModel *m, const double *mean, const double *sq, int64 n, int n_in)
{
	NNShape		in = m->net.shapes[0];
	int			groups = in.rank == 3 || in.rank == 2 ? (int) in.dims[in.rank == 3 ? 0 : 1] : n_in;
	int			size = n_in / groups;
	int			outer = in.rank == 2 ? 1 : size;
	int			inner = in.rank == 2 ? groups : 1;

	m->x_mean = palloc(n_in * sizeof(float));
	m->x_std = palloc(n_in * sizeof(float));
	for (int g = 0; g < groups; g++)
	{
		double		mc = 0,
					m2 = 0;

		for (int j = 0, i = g * outer; j < size; j++, i += inner)
			mc += mean[i];
		mc /= size;
		for (int j = 0, i = g * outer; j < size; j++, i += inner)
			m2 += sq[i] + n * (mean[i] - mc) * (mean[i] - mc);
		for (int j = 0, i = g * outer; j < size; j++, i += inner)
		{
			m->x_mean[i] = (float) mc;
			m->x_std[i] = ScaleOf(m2, n * size);
		}
	}
}

/* the streamed StreamedFill's counterpart, over the training rows in memory */
static void
SetFill(NNModel *m, const NNRows *d, const Split *s)
{
	int			n_in = d->n_inputs;
	double	   *sum = palloc0(n_in * sizeof(double));
	int64	   *count = palloc0(n_in * sizeof(int64));

	m->fill = palloc0(n_in * sizeof(float));
	if (m->impute != NN_IMPUTE_MEAN)
		return;
	for (int64 i = 0; i < s->n_train; i++)
	{
		const float *row = d->x + (size_t) s->train[i] * n_in;

		for (int c = 0; c < n_in; c++)
			if (!isnan(row[c]))
			{
				sum[c] += row[c];
				count[c]++;
			}
	}
	for (int c = 0; c < n_in; c++)
		m->fill[c] = count[c] > 0 ? (float) (sum[c] / count[c]) : 0.0f;
}

/* mean and standard deviation of the training rows, in two passes */
static void
SetStandardization(NNModel *m, const NNRows *d, const Split *s)
{
	int			n_in = d->n_inputs;
	double	   *sum = palloc0(n_in * sizeof(double));
	double	   *sq = palloc0(n_in * sizeof(double));
	double		ys = 0,
				yq = 0;

	for (int64 i = 0; i < s->n_train; i++)
	{
		const float *row = d->x + (size_t) s->train[i] * n_in;

		for (int c = 0; c < n_in; c++)
			sum[c] += row[c];
		ys += d->y[s->train[i]];
	}
	for (int c = 0; c < n_in; c++)
		sum[c] /= s->n_train;
	ys /= s->n_train;
	for (int64 i = 0; i < s->n_train; i++)
	{
		const float *row = d->x + (size_t) s->train[i] * n_in;
		double		dy = d->y[s->train[i]] - ys;

		for (int c = 0; c < n_in; c++)
			sq[c] += (row[c] - sum[c]) * (row[c] - sum[c]);
		yq += dy * dy;
	}
	SetInputScale(m, sum, sq, s->n_train, n_in);
	m->y_mean = m->task == NN_TASK_REGRESSION ? (float) ys : 0.0f;
	m->y_std = m->task == NN_TASK_REGRESSION ? ScaleOf(yq, s->n_train) : 1.0f;
	m->standardized = true;
}

/* ---------- rows that do not fit in memory ---------- */

void
StatsSink(NNRows *d, void *arg)
{
	Stream	   *st = arg;
	int			n_in = d->n_inputs;

	if (st->mean == NULL)
	{
		st->mean = MemoryContextAllocZero(d->cxt, n_in * sizeof(double));
		st->m2 = MemoryContextAllocZero(d->cxt, n_in * sizeof(double));
		st->count = MemoryContextAllocZero(d->cxt, n_in * sizeof(int64));
		st->label_count = MemoryContextAllocZero(d->cxt, NN_MAX_CLASSES * sizeof(int64));
	}
	for (int64 r = 0; r < d->n_rows; r++)
	{
		const float *row = d->x + (size_t) r * n_in;
		double		dy;

		if (IsValidation(st->seed, st->fraction, d->first_ordinal + r))
		{
			st->n_val++;
			continue;
		}
		st->n_train++;
		for (int c = 0; c < n_in; c++)
		{
			double		delta = row[c] - st->mean[c];

			/* a NULL to impute (NaN) leaves the mean alone, and so the moments */
			if (isnan(row[c]))
				continue;
			st->count[c]++;
			st->mean[c] += delta / st->count[c];
			st->m2[c] += delta * (row[c] - st->mean[c]);
		}
		dy = d->y[r] - st->y_mean;
		st->y_mean += dy / st->n_train;
		st->y_m2 += dy * (d->y[r] - st->y_mean);
		if (d->task == NN_TASK_CLASSIFICATION)
			st->label_count[(int) d->y[r]]++;
	}
}

static void
StreamedStandardization(NNModel *m, const Stream *st, int n_in)
{
	SetInputScale(m, st->mean, st->m2, st->n_train, n_in);
	m->y_mean = m->task == NN_TASK_REGRESSION ? (float) st->y_mean : 0.0f;
	m->y_std = m->task == NN_TASK_REGRESSION ? ScaleOf(st->y_m2, st->n_train) : 1.0f;
	m->standardized = true;
}

/*
 * Values for NULL features: the training rows' means without the NULLs
 * (impute 'mean'), or zeros.  Filled-in means leave the column's mean as it
 * is and add nothing to its squared deviations, so standardization over all
 * rows (the streamed moments divide by n_train) treats them alike.
 */
static void
StreamedFill(NNModel *m, const Stream *st, int n_in)
{
	m->fill = palloc0(n_in * sizeof(float));
	if (m->impute == NN_IMPUTE_MEAN)
		for (int c = 0; c < n_in; c++)
			m->fill[c] = st->count[c] > 0 ? (float) st->mean[c] : 0.0f;
}

/* training rows of each class, by class index, from the first pass */
static int64 *
StreamedClassCounts(const NNRows *d, const Stream *st, uint32 n_classes)
{
	int64	   *count = palloc0(Max(n_classes, 1) * sizeof(int64));

	for (int id = 0; id < d->n_labels && d->label_remap != NULL; id++)
		count[d->label_remap[id]] += st->label_count[id];
	return count;
}

void
FillMissing(NNRows *d, const NNModel *m)
{
	if (m->impute == NN_IMPUTE_MEAN)
		nn_rows_fill(d->x, d->n_rows, d->n_inputs, m->fill);
}

/*
 * After the rows are read: the hold-out, class weights and (nn_train)
 * standardization, from the rows in memory or from the streamed first pass.
 */
Split *
PrepareRows(NNModel *m, NNRows *d, const NNOptions *opts, Stream *st, bool standardize)
{
	Split	   *split;

	if (d->streamed)
	{
		if (st->n_train == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("validation_fraction leaves no training rows")));
		st->model = m;
		if (m->fill == NULL && (m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO))
			StreamedFill(m, st, d->n_inputs);
		if (standardize)
			StreamedStandardization(m, st, d->n_inputs);
		st->class_weight = ClassWeightsFor(opts, m, StreamedClassCounts(d, st, m->n_classes),
										   st->n_train);
		st->order = MemoryContextAllocHuge(CurrentMemoryContext, d->capacity * sizeof(uint32));
		return NULL;
	}
	split = palloc(sizeof(Split));
	SplitRows(d, m->seed, opts->validation_fraction, split);
	ApplyClassWeights(d, opts, m, split);
	if (m->fill == NULL && (m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO))
		SetFill(m, d, split);
	FillMissing(d, m);
	if (standardize)
		SetStandardization(m, d, split);
	return split;
}
