/*
 * values.c - column values as numbers, for training rows and for scoring
 * a whole row alike: which column types are categorical or numeric, a
 * scalar as a double, and the check that it is finite and fits in real.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "shared/shared.h"

bool
nn_is_category_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID || type == BPCHAROID;
}

bool
nn_is_numeric_scalar(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID || type == FLOAT4OID ||
		type == FLOAT8OID || type == NUMERICOID || type == BOOLOID;
}

void
nn_check_finite(double v, const char *column)
{
	if (isnan(v) || isinf(v) || fabs(v) > FLT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("column \"%s\" has a NaN or infinite value (or one beyond the range of real)",
						column)));
}

double
nn_scalar_value(Datum v, Oid type)
{
	switch (type)
	{
		case BOOLOID:
			return DatumGetBool(v) ? 1.0 : 0.0;
		case INT2OID:
			return DatumGetInt16(v);
		case INT4OID:
			return DatumGetInt32(v);
		case INT8OID:
			return (double) DatumGetInt64(v);
		case FLOAT4OID:
			return DatumGetFloat4(v);
		case FLOAT8OID:
			return DatumGetFloat8(v);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, v));
		default:
			elog(ERROR, "unexpected column type %u", type);
	}
}
