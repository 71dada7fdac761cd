/*
 * explain.c - nn_explain(model, features, options) and nn_explain_row(model,
 * record, options): integrated gradients of one row (shared/explain.c) as
 * jsonb.  Each C function serves both SQL overloads, the model given as a
 * bytea or as a name in nn_models (resolve.c); the features are read as
 * nn_predict and nn_predict_row read them.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "score/score.h"
#include "shared/explain.h"

PG_FUNCTION_INFO_V1(nn_explain);
PG_FUNCTION_INFO_V1(nn_explain_row);

/* explain raw, checked features x with the options in argument 2 */
static Jsonb *
Explain(FunctionCallInfo fcinfo, NNScorer *s, const float *x, const char *fn)
{
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	NNExplainOptions o;
	NNModelExplainer *me;

	nn_fnoptions_check(options, fn, nn_explain_option_keys);
	nn_explain_options(s->model, options, fn, &o);
	me = nn_model_explainer(s->model, &o, fn);
	nn_model_explain(me, x);
	return nn_explanation_jsonb(me);
}

Datum
nn_explain(PG_FUNCTION_ARGS)
{
	NNScorer   *s = nn_score_resolve_arg(fcinfo, 0);
	const float *x = nn_scorer_array_features(s, PG_GETARG_ARRAYTYPE_P(1));

	PG_RETURN_JSONB_P(Explain(fcinfo, s, x, "nn_explain"));
}

Datum
nn_explain_row(PG_FUNCTION_ARGS)
{
	NNScoreSite *site = nn_score_site(fcinfo, 0);
	NNScorer   *s = nn_score_resolve(fcinfo, site, PG_GETARG_DATUM(0));
	const float *x = nn_score_record_features(s, PG_GETARG_HEAPTUPLEHEADER(1),
											  &site->row_map, fcinfo->flinfo->fn_mcxt);

	if (x == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(Explain(fcinfo, s, x, "nn_explain_row"));
}
