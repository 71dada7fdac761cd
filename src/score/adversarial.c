/*
 * adversarial.c - nn_adversarial(model, features, options): an adversarial
 * version of one row of features (kernels/adversarial.h), FGSM or PGD
 * under an L-infinity budget in raw feature units, against options.label
 * or else the class the model predicts; text columns' one-hot inputs are
 * never perturbed.  The result is the features as nn_predict takes them,
 * so nn_predict(model, nn_adversarial(model, x, o)) scores the attack.
 * One C function serves both overloads (model bytea or name, resolve.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "kernels/adversarial.h"
#include "score/score.h"

PG_FUNCTION_INFO_V1(nn_adversarial);

#define FN "nn_adversarial"

/*
 * The target of the attack in the network's units: a class index, or a
 * regression value standardized as training standardized it.
 */
static float
AttackTarget(NNScorer *s, const NNAttackOptions *o, const float *x)
{
	const NNModel *m = s->model;
	double		y;

	if (m->task == NN_TASK_CLASSIFICATION)
	{
		if (o->label != NULL)
			return (float) nn_fnoption_class(m, FN, "label", o->label);
		return (float) nn_predicted_class(m, nn_scorer_run(s, x));
	}
	/* the loss at the model's own prediction is flat: nothing to climb */
	if (o->label == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_adversarial needs option \"label\" for a regression model"),
				 errdetail("The attack moves the prediction away from the label, a number in the target's units.")));
	y = nn_fnoption_number(FN, "label", o->label, -FLT_MAX, FLT_MAX, "a number");
	return m->standardized ? (float) ((y - m->y_mean) / m->y_std) : (float) y;
}

Datum
nn_adversarial(PG_FUNCTION_ARGS)
{
	NNScorer   *s = nn_score_resolve_arg(fcinfo, 0);
	const NNModel *m = s->model;
	const float *given = nn_scorer_array_features(s, PG_GETARG_ARRAYTYPE_P(1));
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	uint32		n_in = s->n_inputs;
	NNAttackOptions o;
	NNAttack	a = {0};
	float	   *x = palloc(n_in * sizeof(float));
	float	   *eps = palloc(n_in * sizeof(float));
	float	   *lo = palloc(n_in * sizeof(float));
	float	   *hi = palloc(n_in * sizeof(float));
	NNAttackBudget b = {eps, lo, hi};
	float	   *scratch = palloc(nn_attack_scratch_floats(&m->net, 1) * sizeof(float));
	float		target;
	Datum	   *elems = palloc(n_in * sizeof(Datum));

	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_adversarial options must be a JSON object")));
	nn_attack_options(&options->root, FN, NULL, NN_ATTACK_KEY_SEED | NN_ATTACK_KEY_LABEL, &o);
	memcpy(x, given, n_in * sizeof(float));
	target = AttackTarget(s, &o, x);
	a.method = (NNAttackMethod) o.method;
	a.steps = (uint32) o.steps;
	a.step_fraction = o.step_size / o.epsilon;
	a.seed = (uint64) o.seed;
	nn_attack_budget(eps, lo, hi, n_in, o.epsilon, nn_attack_mask(m),
					 o.has_clip ? o.clip : NULL, NULL, NULL);
	if (!nn_attack_rows(&m->net, nn_scorer_grad_work(s), x, 1, &target, &a, &b,
						m->standardized ? m->x_mean : NULL, m->standardized ? m->x_std : NULL,
						scratch))
		elog(ERROR, "nn_adversarial: the attack refused its arguments");
	for (uint32 i = 0; i < n_in; i++)
		elems[i] = Float4GetDatum(x[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n_in, FLOAT4OID, sizeof(float4), true,
										  TYPALIGN_INT));
}
