/*
 * plot.c - nn_plot: a model's learning curves as an SVG document (text),
 * and an image model's attributions (nn_explain) as an SVG heat map.
 *
 * The drawings are src/formats/svgplot.c and svgheatmap.c; this file reads
 * the model (and the explanation), hands the writer text in UTF-8 and
 * sizes the result before allocating it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "formats/svgheatmap.h"
#include "formats/svgplot.h"
#include "shared/explain.h"

PG_FUNCTION_INFO_V1(nn_plot);
PG_FUNCTION_INFO_V1(nn_plot_attributions);

/* a history of a million epochs takes over a second to write */
static void
PlotCheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* a writer of svgplot.h's kind: sized without a buffer, then written */
typedef size_t (*SvgRender) (const void *in, char *buf, size_t cap);

static size_t
RenderCurves(const void *in, char *buf, size_t cap)
{
	return nn_svgplot_render(in, buf, cap);
}

static size_t
RenderHeatmap(const void *in, char *buf, size_t cap)
{
	return nn_svg_heatmap_render(in, buf, cap);
}

/* the document as text, sized before it is allocated */
static text *
SvgText(SvgRender render, const void *in)
{
	size_t		size = render(in, NULL, 0);
	text	   *result;

	if (size >= MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nn_plot would produce %zu bytes, more than the 1 GB limit of a text value",
						size)));
	/* one byte more for the NUL the writer ends with */
	result = palloc(VARHDRSZ + size + 1);
	if (render(in, VARDATA(result), size + 1) != size)
		elog(ERROR, "nn_plot: the SVG changed size between sizing and writing");
	SET_VARSIZE(result, VARHDRSZ + size);
	return result;
}

Datum
nn_plot(PG_FUNCTION_ARGS)
{
	NNModel    *m = nn_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	NNPlotInput in;

	/* the SVG is ASCII with character references, decoded from UTF-8 */
	in.target_name = pg_server_to_any(m->target_name, strlen(m->target_name), PG_UTF8);
	in.loss_name = nn_loss_name(m->net.loss.kind);
	in.best_epoch = m->best_epoch;
	in.n_epochs = m->n_history;
	in.history = m->history;
	in.check_interrupts = PlotCheckInterrupts;
	PG_RETURN_TEXT_P(SvgText(RenderCurves, &in));
}

/* ------------------------------------------------------------ heat map */

static void
BadExplanation(const char *detail) pg_attribute_noreturn();

static void
BadExplanation(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("nn_plot explanation must be a result of nn_explain for this model"),
			 errdetail("%s", detail)));
}

/* the number(s) of JSON value v into out[0..n) */
static void
ColumnValues(const char *column, const JsonbValue *v, double *out, uint32 n)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	uint32		i = 0;

	if (v->type == jbvNumeric && n == 1)
	{
		out[0] = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													NumericGetDatum(v->val.numeric)));
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) != n)
		BadExplanation(psprintf("Attributions of column \"%s\" must be %u numbers, one per input.",
								column, n));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
		{
			if (e.type != jbvNumeric)
				BadExplanation(psprintf("Attributions of column \"%s\" must be numbers.", column));
			out[i++] = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
														  NumericGetDatum(e.val.numeric)));
		}
}

/* explanation->'attributions', one value per input in the model's order */
static double *
InputAttributions(const NNModel *m, Jsonb *explanation)
{
	JsonbValue *attrs = nn_fnoption(explanation, "attributions");
	double	   *out = palloc(nn_model_inputs(m) * sizeof(double));
	uint32		pos = 0;

	if (attrs == NULL || attrs->type != jbvBinary || !JsonContainerIsObject(attrs->val.binary.data))
		BadExplanation("It has no \"attributions\" object.");
	for (uint32 i = 0; i < nn_explain_columns(m); i++)
	{
		const char *name = nn_explain_column_name(m, i);
		uint32		width = m->n_features > 0 ? m->feature_widths[i] : nn_model_inputs(m);
		JsonbValue	k;
		JsonbValue *v;

		if (m->n_features > 0 && nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL)
			BadExplanation(psprintf("Column \"%s\" is text: its attribution is not per pixel.", name));
		k.type = jbvString;
		k.val.string.val = unconstify(char *, name);
		k.val.string.len = strlen(name);
		v = findJsonbValueFromContainer(attrs->val.binary.data, JB_FOBJECT, &k);
		if (v == NULL)
			BadExplanation(psprintf("It has no attributions for column \"%s\".", name));
		ColumnValues(name, v, out + pos, width);
		pos += width;
	}
	return out;
}

/*
 * nn_plot(model, features, explanation): the attributions of an explanation
 * (nn_explain of these features) as an SVG heat map over the image, for a
 * model whose input_shape is [channels, height, width].
 */
Datum
nn_plot_attributions(PG_FUNCTION_ARGS)
{
	NNModel    *m = nn_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	Jsonb	   *explanation = PG_GETARG_JSONB_P(2);
	NNShape		shape = m->net.shapes[0];
	NNHeatmapInput in = {0};
	JsonbValue *cls;
	int			n;

	if (shape.rank != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_plot draws attributions only for a model of image inputs"),
				 errdetail("The model's input has no input_shape [channels, height, width]; its explanation is a list: read nn_explain's result.")));
	in.image = nn_array_floats(PG_GETARG_ARRAYTYPE_P(1), "features", &n);
	nn_check_features(in.image, n, nn_model_inputs(m));
	if (!JB_ROOT_IS_OBJECT(explanation))
		BadExplanation("It is not a JSON object.");
	in.attr = InputAttributions(m, explanation);
	in.channels = shape.dims[0];
	in.height = shape.dims[1];
	in.width = shape.dims[2];
	cls = nn_fnoption(explanation, "class");
	if (cls != NULL && cls->type == jbvString)
	{
		char	   *title = psprintf("attributions to class %.*s", cls->val.string.len,
									 cls->val.string.val);

		in.title = pg_server_to_any(title, strlen(title), PG_UTF8);
	}
	in.check_interrupts = PlotCheckInterrupts;
	PG_RETURN_TEXT_P(SvgText(RenderHeatmap, &in));
}
