-- nn 1.6 -> 1.7: imbalanced classes, mixed tables and errors that teach (issue 20).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.7.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.7'" to load this file. \quit

-- ------------------------------------------- decisions for two-class models
-- (helper D: nn_with_threshold, nn_predict_proba by class, ranking metrics)
CREATE FUNCTION @extschema@.nn_predict_proba(model bytea, features real[], class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba(bytea, real[], text)
IS 'the probability of one class, named by its label, of a classifier for one row';

CREATE FUNCTION @extschema@.nn_predict_proba(name text, features real[], class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba(text, real[], text)
IS 'nn_predict_proba of one class with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_proba_row(model bytea, r record, class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_row(bytea, record, text) IS
'the probability of one class, named by its label, for a whole row';

CREATE FUNCTION @extschema@.nn_predict_proba_row(name text, r record, class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_row(text, record, text)
IS 'nn_predict_proba_row of one class with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_with_threshold(model bytea, threshold double precision)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_with_threshold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_with_threshold(bytea, double precision)
IS 'a two-class model with a new decision threshold in its options, without training';

CREATE FUNCTION @extschema@.nn_with_threshold(model bytea, threshold double precision,
	positive_class text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_with_threshold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_with_threshold(bytea, double precision, text)
IS 'a two-class model with a new decision threshold and positive class in its options, without training';

-- ------------------------------------------- everyday errors
-- (helper F: objects for messages, feature choice and introspection, if any)
