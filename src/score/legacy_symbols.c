/*
 * legacy_symbols.c - C symbols that only the frozen install and upgrade
 * scripts still name.
 *
 * Until version 1.3 the by-name overloads of the scoring functions had C
 * functions of their own.  One C function now serves both overloads of
 * each (resolve.c tells a name from a bytea by the argument's type), but
 * nn--1.0--1.1.sql and nn--1.1--1.2.sql name the old symbols, and CREATE
 * FUNCTION checks that a symbol exists: an install or upgrade through
 * those scripts needs them.  Each is the shared function under its old
 * name; nothing else should use them.
 */
#include "postgres.h"

#include "fmgr.h"

#include "score/score.h"

PG_FUNCTION_INFO_V1(nn_predict_by_name);
PG_FUNCTION_INFO_V1(nn_predict_class_by_name);
PG_FUNCTION_INFO_V1(nn_predict_proba_by_name);
PG_FUNCTION_INFO_V1(nn_predict_batch_by_name);
PG_FUNCTION_INFO_V1(nn_predict_row_by_name);
PG_FUNCTION_INFO_V1(nn_predict_class_row_by_name);
PG_FUNCTION_INFO_V1(nn_predict_proba_row_by_name);
PG_FUNCTION_INFO_V1(nn_predict_window_by_name);
PG_FUNCTION_INFO_V1(nn_predict_class_window_by_name);
PG_FUNCTION_INFO_V1(nn_predict_proba_window_by_name);

Datum		nn_predict_by_name(PG_FUNCTION_ARGS) { return nn_predict(fcinfo); }
Datum		nn_predict_class_by_name(PG_FUNCTION_ARGS) { return nn_predict_class(fcinfo); }
Datum		nn_predict_proba_by_name(PG_FUNCTION_ARGS) { return nn_predict_proba(fcinfo); }
Datum		nn_predict_batch_by_name(PG_FUNCTION_ARGS) { return nn_predict_batch(fcinfo); }
Datum		nn_predict_row_by_name(PG_FUNCTION_ARGS) { return nn_predict_row(fcinfo); }
Datum		nn_predict_class_row_by_name(PG_FUNCTION_ARGS) { return nn_predict_class_row(fcinfo); }
Datum		nn_predict_proba_row_by_name(PG_FUNCTION_ARGS) { return nn_predict_proba_row(fcinfo); }
Datum		nn_predict_window_by_name(PG_FUNCTION_ARGS) { return nn_predict_window(fcinfo); }
Datum		nn_predict_class_window_by_name(PG_FUNCTION_ARGS) { return nn_predict_class_window(fcinfo); }
Datum		nn_predict_proba_window_by_name(PG_FUNCTION_ARGS) { return nn_predict_proba_window(fcinfo); }
