-- nn 1.1 -> 1.2: the batch path as window functions (issue 4).
-- A fresh CREATE EXTENSION nn runs nn--1.0.sql, nn--1.0--1.1.sql and this script.

\echo Use "ALTER EXTENSION nn UPDATE TO '1.2'" to load this file. \quit

-- ---------------------------------------------------------------- batch scoring in a window

CREATE FUNCTION @extschema@.nn_predict_window(model bytea, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_predict_window(bytea, real[])
IS 'window function: nn_predict for each row, the partition''s rows scored 256 at a time as matrix products';

CREATE FUNCTION @extschema@.nn_predict_class_window(model bytea, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_predict_class_window(bytea, real[])
IS 'window function: nn_predict_class for each row, the partition''s rows scored 256 at a time as matrix products';

CREATE FUNCTION @extschema@.nn_predict_proba_window(model bytea, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_window(bytea, real[])
IS 'window function: nn_predict_proba for each row, the partition''s rows scored 256 at a time as matrix products';

-- ---------------------------------------------------------------- planner costs

-- One row through a network costs microseconds to milliseconds (a
-- 784-256-128-10 model: 235,000 multiply-adds), not the cost of one
-- operator, which the default COST 1 claims.  With COST 1000 the planner
-- sees scoring a large table as the expensive part of a query and runs it
-- in parallel workers.
ALTER FUNCTION @extschema@.nn_predict(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_row(bytea, record) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class_row(bytea, record) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba_row(bytea, record) COST 1000;
ALTER FUNCTION @extschema@.nn_predict(text, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class(text, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba(text, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_row(text, record) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class_row(text, record) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba_row(text, record) COST 1000;

-- ---------------------------------------------------------------- by name

CREATE FUNCTION @extschema@.nn_predict_window(name text, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_window_by_name'
LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_predict_window(text, real[])
IS 'nn_predict_window with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_class_window(name text, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_window_by_name'
LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_predict_class_window(text, real[])
IS 'nn_predict_class_window with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_proba_window(name text, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_window_by_name'
LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_window(text, real[])
IS 'nn_predict_proba_window with the deployed version of a model in nn_models';
