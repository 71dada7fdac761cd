/*
 * plot.c - nn_plot: a model's learning curves as an SVG document (text).
 *
 * The drawing is src/formats/svgplot.c; this file reads the model, hands
 * the writer the target name in UTF-8 and sizes the result before
 * allocating it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "formats/svgplot.h"
#include "shared/shared.h"

PG_FUNCTION_INFO_V1(nn_plot);

/* a history of a million epochs takes over a second to write */
static void
PlotCheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

Datum
nn_plot(PG_FUNCTION_ARGS)
{
	NNModel    *m = nn_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	NNPlotInput in;
	size_t		size;
	text	   *result;

	/* the SVG is ASCII with character references, decoded from UTF-8 */
	in.target_name = pg_server_to_any(m->target_name, strlen(m->target_name), PG_UTF8);
	in.loss_name = nn_loss_name(m->net.loss.kind);
	in.best_epoch = m->best_epoch;
	in.n_epochs = m->n_history;
	in.history = m->history;
	in.check_interrupts = PlotCheckInterrupts;

	size = nn_svgplot_render(&in, NULL, 0);
	if (size >= MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nn_plot would produce %zu bytes, more than the 1 GB limit of a text value",
						size)));
	/* one byte more for the NUL the writer ends with */
	result = palloc(VARHDRSZ + size + 1);
	if (nn_svgplot_render(&in, VARDATA(result), size + 1) != size)
		elog(ERROR, "nn_plot: the SVG changed size between sizing and writing");
	SET_VARSIZE(result, VARHDRSZ + size);
	PG_RETURN_TEXT_P(result);
}
