/*
 * run.h - what the files of src/train/ share among themselves: the
 * hold-out split, the state of a training whose rows pass through in
 * chunks, reading and preparing the rows, running the epochs and
 * reporting progress.  Private to src/train/.
 */
#ifndef NN_TRAIN_RUN_H
#define NN_TRAIN_RUN_H

#include "portability/instr_time.h"
#include "utils/expandeddatum.h"

#include "kernels/predict_batch.h"
#include "train/train.h"

/* training and validation row numbers */
typedef struct Split
{
	uint32	   *train;
	int64		n_train;
	uint32	   *val;
	int64		n_val;
} Split;

/* ---------- epochs.c: validation loss ---------- */

typedef struct EvalSums
{
	double		loss;
	int64		correct;		/* classification */
	double		sse;			/* regression, standardized units */
	double		sae;
	double		sum_y;
	double		sum_yy;
} EvalSums;

/* validation rows scored a block at a time (kernels/predict_batch.h) */
typedef struct Evaluator
{
	const NNModel *model;
	NNPredictBatch batch;
	float	   *y;				/* the block's targets, in model units */
	const NNRows *d;			/* the rows being scored, idx of them */
	const uint32 *idx;
	EvalSums	sums;
	int64		rows;
} Evaluator;

/* ---------- prepare.c: rows that do not fit in memory ---------- */

/*
 * Rows beyond nn.train_memory pass through in chunks, once for what the
 * model needs from all of them (classes, scaling, class counts) and then
 * once per epoch, plus once per epoch for validation.  Each epoch shuffles
 * within a chunk; chunks follow the source's order.
 */
typedef struct Stream
{
	NNModel    *model;
	uint64		seed;
	float		fraction;		/* validation hold-out */
	/* first pass, over training rows: Welford's running moments */
	int64		n_train;
	int64		n_val;
	double	   *mean;
	double	   *m2;
	int64	   *count;			/* non-NULL values per input (impute 'mean') */
	double		y_mean;
	double		y_m2;
	int64	   *label_count;	/* by label id */
	/* epoch passes */
	NNFitState *state;
	const float *class_weight;	/* NULL: all 1 */
	uint32	   *order;
	Evaluator	eval;
	/* progress within the running epoch */
	int			epoch;
	int			epochs;
	int64		rows_done;
	instr_time	start;
} Stream;

/* ---------- rows.c: what nn_rows_load (source.c) calls ---------- */

void		CreateLabelTable(NNRows *d);
/* read the rows of query (the SELECT source.c built) into d, or through its sink */
void		ReadRows(NNRows *d, const char *query, const char *target);

/* ---------- prepare.c: reading and preparing the rows ---------- */

void		ReadSource(NNRows *d, const NNRowsSpec *spec);
void		LoadRows(NNRows *d, const NNRowsSpec *spec);
bool		IsValidation(uint64 seed, float fraction, int64 ordinal);
/* the first streamed pass: classes, scaling and class counts */
void		StatsSink(NNRows *d, void *arg);
void		FillMissing(NNRows *d, const NNModel *m);
Split	   *PrepareRows(NNModel *m, NNRows *d, const NNOptions *opts, Stream *st,
						bool standardize);

/* ---------- fit_attack.c: adversarial training ---------- */

typedef struct NNFitAttack NNFitAttack;

/* the attack the model's record asks for, for minibatches of batch rows; NULL: none */
NNFitAttack *nn_fit_attack_create(const NNModel *m, MemoryContext cxt, size_t batch);
/* its floats for minibatches of batch rows, for the budget */
size_t		nn_fit_attack_floats(const NNModel *m, size_t batch);
/* replace the first share of rows x (standardized) by their attacks */
void		nn_fit_attack_apply(NNFitAttack *fa, const NNModel *m, NNWork *work, float *x,
								const float *target, uint32 rows);

/* ---------- fit.c: the minibatch training state ---------- */

struct NNFitState
{
	MemoryContext cxt;
	NNModel    *model;
	NNWork		work;
	uint32		n_inputs;
	float	   *batch_x;		/* batch_size x n_inputs raw rows */
	float	   *batch_y;
	float	   *batch_w;		/* per-row weights */
	uint32		pending;		/* rows in the buffer, not yet trained */
	uint64		pass_rows;		/* rows trained in this pass */
	double		pass_loss;		/* their summed loss */
	NNFitAttack *attack;		/* adversarial training, or NULL */
	bytea	   *finished;		/* the model a final function made, or NULL */
};

/* ---------- fit_state.c: the SQL type nn_fit_state ---------- */

/*
 * The aggregate's transition value in memory: an expanded object whose
 * context holds the state, so that the executor keeps it across rows and
 * the transition changes it in place.
 */
typedef struct FitStateObject
{
	ExpandedObjectHeader hdr;
	NNFitState *state;
	bytea	   *model_bytes;	/* between get_flat_size and flatten_into */
} FitStateObject;

/* an object without a state yet, in a new child context of parent */
FitStateObject *FitStateNew(MemoryContext parent);
/* a new object holding a copy of d's state, read from its bytes when flat */
FitStateObject *FitStateCopyOf(Datum d, MemoryContext parent);
/* the object in d: itself when expanded (and writable or not asked to be), else a copy under parent */
FitStateObject *FitStateGet(Datum d, MemoryContext parent, bool writable);
/* a state as its flat bytes (legacy serialfn), and back, validated */
bytea	   *FitStateFlatten(NNFitState *s);
NNFitState *FitStateParse(const char *data, size_t len, MemoryContext cxt);
/* a copy of src in cxt (fit.c) */
NNFitState *FitStateCopy(const NNFitState *src, MemoryContext cxt);

/* ---------- aggregate.c: strategy "aggregate", an epoch as a query ---------- */

typedef struct NNAggregate NNAggregate;

void		nn_aggregate_check_options(const NNOptions *o);
/* the epoch's query over source for model m, nn_fit in caller_fn's schema */
NNAggregate *nn_aggregate_plan(const NNModel *m, const char *source, Oid caller_fn,
							   float fraction);
/* one epoch through the query: m takes the trained weights and history */
void		nn_aggregate_pass(const NNAggregate *a, NNModel *m);
/*
 * opts->epochs epochs of m by the query (total: the schedule's span), then
 * threshold "f1" chosen on the hold-out; with want_metrics, the metrics FinalMetrics gives on the hold-out, or NULL
 * without one
 */
Jsonb	   *nn_aggregate_train(NNModel *m, const char *source, Oid caller_fn,
							   NNOptions *opts, int total, bool want_metrics);

/* ---------- threshold.c: a two-class model's decision ---------- */

/* an error unless options positive_class and threshold suit model m and rows d */
void		CheckDecision(const NNModel *m, const NNOptions *o, const NNRows *d, const char *fn);
/*
 * threshold "f1": chosen from the hold-out (else the training rows) into o,
 * m's record and m's decision
 */
void		ChooseThreshold(NNModel *m, const NNRows *d, const Split *s, NNOptions *o);

/* ---------- epochs.c: the epochs and progress ---------- */

/* the SQL function progress reports name */
extern const char *nn_progress_fn;
void		ReportProgress(const char *what);
void		EndProgress(void);
/* the metrics nn_train registers: hold-out (else training) rows, target units */
Jsonb	   *FinalMetrics(const NNModel *m, const NNRows *d, const Split *s);
/* agg: each epoch's pass is its query (d, s: the hold-out alone), else the rows' */
void		RunEpochs(NNModel *m, NNRows *d, const Split *s, const NNOptions *opts, int total,
					  Stream *st, const NNAggregate *agg);

#endif
