/*
 * fit_attack.c - adversarial training (options.adversarial of nn_train and
 * nn_continue): before each minibatch update, the first round(ratio x
 * rows) rows of the minibatch (the rows come shuffled, so a seeded choice)
 * are replaced by their attacks (kernels/adversarial.h) made against the
 * current parameters in inference mode, with the rows' own targets.
 *
 * The setting comes from the model's options record, so nn_train,
 * nn_continue and the nn_fit aggregate all train a model so recorded the
 * same way.  The rows are already standardized here: epsilon and clip,
 * given in raw units, become epsilon / sd and (clip - mean) / sd per input.
 * PGD's random start is drawn from a stream of the model's seed and its
 * update count, so it does not depend on how rows reach the state, and a
 * row's stream is its own (its position in the minibatch).
 */
#include "postgres.h"

#include "kernels/adversarial.h"
#include "train/run.h"

struct NNFitAttack
{
	NNAttack	attack;
	float		ratio;
	float	   *epsilon;		/* per input, standardized units */
	float	   *lo;
	float	   *hi;
	float	   *scratch;
};

/* most models train plainly: their record need not be parsed */
static bool
RecordsAttack(const NNModel *m)
{
	return m->options_json != NULL && strstr(m->options_json, "\"adversarial\"") != NULL;
}

size_t
nn_fit_attack_floats(const NNModel *m, size_t batch)
{
	if (!RecordsAttack(m))
		return 0;
	return nn_attack_scratch_floats(&m->net, batch) + 3 * (size_t) nn_net_inputs(&m->net);
}

NNFitAttack *
nn_fit_attack_create(const NNModel *m, MemoryContext cxt, size_t batch)
{
	NNOptions	o;
	NNFitAttack *fa;
	uint32		n_in = nn_model_inputs(m);
	MemoryContext old;

	if (!RecordsAttack(m))
		return NULL;
	nn_options_from_record(m->options_json, &o);
	if (!o.adversarial_given)
		return NULL;
	old = MemoryContextSwitchTo(cxt);
	fa = palloc0(sizeof(NNFitAttack));
	fa->attack.method = (NNAttackMethod) o.adversarial.method;
	fa->attack.steps = (uint32) o.adversarial.steps;
	fa->attack.step_fraction = o.adversarial.step_size / o.adversarial.epsilon;
	fa->attack.seed_per_row = true;
	fa->ratio = o.adversarial.ratio;
	fa->epsilon = palloc(Max(n_in, 1) * sizeof(float));
	fa->lo = palloc(Max(n_in, 1) * sizeof(float));
	fa->hi = palloc(Max(n_in, 1) * sizeof(float));
	fa->scratch = MemoryContextAllocHuge(cxt, nn_attack_scratch_floats(&m->net, batch) * sizeof(float));
	nn_attack_budget(fa->epsilon, fa->lo, fa->hi, n_in, o.adversarial.epsilon, nn_attack_mask(m),
					 o.adversarial.has_clip ? o.adversarial.clip : NULL,
					 m->standardized ? m->x_mean : NULL, m->standardized ? m->x_std : NULL);
	MemoryContextSwitchTo(old);
	return fa;
}

void
nn_fit_attack_apply(NNFitAttack *fa, const NNModel *m, NNWork *work, float *x,
					const float *target, uint32 rows)
{
	NNAttackBudget b = {fa->epsilon, fa->lo, fa->hi};
	uint32		n = (uint32) (fa->ratio * rows + 0.5f);
	NNRng		mix;

	if (n == 0)
		return;
	/* a well-mixed seed per update: neighbouring updates share no rows' streams */
	nn_rng_seed(&mix, m->seed ^ (m->net.opt_step * UINT64CONST(0x9E3779B97F4A7C15)));
	fa->attack.seed = nn_rng_next(&mix);
	if (!nn_attack_rows(&m->net, work, x, n, target, &fa->attack, &b, NULL, NULL, fa->scratch))
		elog(ERROR, "adversarial training: the attack refused its arguments");
}
