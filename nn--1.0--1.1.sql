-- nn 1.0 -> 1.1: whole-row scoring, categorical features, evaluation, the
-- model catalog, learning-curve plots and ONNX export (issue 6).
-- A fresh CREATE EXTENSION nn runs nn--1.0.sql and then this script.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.1'" to load this file. \quit

-- ---------------------------------------------------------------- whole-row scoring
-- Separate names, not overloads of nn_predict(bytea, real[]): with both, an
-- untyped literal such as '{1,2}' would be ambiguous.

CREATE FUNCTION nn_predict_row(model bytea, r record)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict_row(bytea, record) IS
'class index or regression value for a whole row, its feature columns found by the names the model recorded';

CREATE FUNCTION nn_predict_class_row(model bytea, r record)
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict_class_row(bytea, record) IS
'predicted class label for a whole row, its feature columns found by name';

CREATE FUNCTION nn_predict_proba_row(model bytea, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict_proba_row(bytea, record) IS
'class probabilities (in the order of nn_info(model)->''classes'') for a whole row';

-- ---------------------------------------------------------------- evaluation

CREATE FUNCTION nn_evaluate(model bytea, source text, target text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nn_evaluate(bytea, text, text) IS
'metrics of the model on the rows of a table, view or SELECT (target: the model''s target column when NULL)';

-- ---------------------------------------------------------------- model catalog

-- ---------------------------------------------------------------- progress
-- A training backend prefixes its pg_stat_activity.query with a comment,
-- "/* nn progress: FUNCTION WHAT */", which this view takes apart.  Like
-- pg_stat_activity, it shows other roles' rows only to members of
-- pg_read_all_stats (and superusers).

CREATE VIEW nn_progress AS
SELECT a.pid,
       a.usename,
       a.datname,
       p[1] AS function,
       CASE WHEN p[2] = 'reading rows' THEN 'reading rows' ELSE 'training' END AS phase,
       (regexp_match(p[2], '^epoch (\d+)/'))[1]::int AS epoch,
       (regexp_match(p[2], '^epoch \d+/(\d+)'))[1]::int AS epochs,
       (regexp_match(p[2], 'rows (\d+)/'))[1]::bigint AS rows_done,
       (regexp_match(p[2], 'rows \d+/(\d+)'))[1]::bigint AS rows_total,
       (regexp_match(p[2], 'train_loss ([^,]+)'))[1]::float8 AS train_loss,
       (regexp_match(p[2], 'val_loss ([^,]+)'))[1]::float8 AS val_loss,
       (regexp_match(p[2], 'val_(?:accuracy|r2) ([^,]+)'))[1]::float8 AS val_metric,
       (regexp_match(p[2], 'elapsed ([0-9.]+) s'))[1]::float8 AS elapsed_s,
       (regexp_match(p[2], 'eta ([0-9.]+) s'))[1]::float8 AS eta_s,
       a.query_start,
       p[3] AS query
FROM pg_catalog.pg_stat_activity a,
     LATERAL regexp_match(a.query, '^/\* nn progress: (\S+) (.*?) \*/ (.*)$', 's') p
WHERE a.query LIKE '/* nn progress: %';
COMMENT ON VIEW nn_progress IS
'nn_train and nn_continue calls running now: epochs done, rows into the current one, losses, elapsed and estimated remaining seconds';

-- ---------------------------------------------------------------- learning curves

-- ---------------------------------------------------------------- ONNX export

CREATE FUNCTION nn_export_onnx(model bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_export_onnx'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_export_onnx(bytea)
IS 'the model as an ONNX file (opset 13): its network with standardization, probabilities or value as nn_predict_proba and nn_predict';
