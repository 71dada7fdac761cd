-- nn 1.4 -> 1.5: compression, explanations and adversarial robustness (issue 17).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.5.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.5'" to load this file. \quit

-- ------------------------------------------- compression
-- (helper Q)

-- ------------------------------------------- explanations
-- (helper E)

-- ------------------------------------------- adversarial robustness
-- (helper A)

-- nn_evaluate takes options: the three-argument function makes way for one
-- with a fourth, defaulted, so calls with two or three arguments still work
DROP FUNCTION @extschema@.nn_evaluate(bytea, text, text);
CREATE FUNCTION @extschema@.nn_evaluate(model bytea, source text, target text DEFAULT NULL,
                                        options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.nn_evaluate(bytea, text, text, jsonb) IS
'metrics of the model on the rows of a table, view or SELECT (target: the model''s target column when NULL); options.adversarial adds robust_accuracy or robust_mse';

CREATE FUNCTION @extschema@.nn_adversarial(model bytea, features real[], options jsonb DEFAULT '{}')
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_adversarial'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_adversarial(bytea, real[], jsonb)
IS 'an adversarial version of one row of features (FGSM or PGD within epsilon), as nn_predict takes them';

CREATE FUNCTION @extschema@.nn_adversarial(name text, features real[], options jsonb DEFAULT '{}')
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_adversarial'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_adversarial(text, real[], jsonb)
IS 'nn_adversarial with the deployed version of a model in nn_models';
