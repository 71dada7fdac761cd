-- nn 1.4 -> 1.5: compression, explanations and adversarial robustness (issue 17).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.5.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.5'" to load this file. \quit

-- ------------------------------------------- compression
-- (helper Q)

CREATE FUNCTION @extschema@.nn_strip(model bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_strip'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_strip(bytea)
IS 'the model without its optimizer state, for scoring only (a stripped or quantized model comes back unchanged)';

CREATE FUNCTION @extschema@.nn_quantize(model bytea, options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_quantize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_quantize(bytea, jsonb)
IS 'the model with int8 weights (symmetric, one scale per output channel) and no optimizer state, for scoring only';

-- ------------------------------------------- explanations
-- (helper E)

CREATE FUNCTION @extschema@.nn_explain(model bytea, features real[], options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain(bytea, real[], jsonb)
IS 'integrated gradients of one row: each feature''s attribution to the score of a class (or the regression value) from a baseline';

CREATE FUNCTION @extschema@.nn_explain(name text, features real[], options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain(text, real[], jsonb)
IS 'nn_explain with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_explain_row(model bytea, r record, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain_row(bytea, record, jsonb)
IS 'nn_explain for a whole row, its feature columns found by the names the model recorded';

CREATE FUNCTION @extschema@.nn_explain_row(name text, r record, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain_row(text, record, jsonb)
IS 'nn_explain_row with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_importance(model bytea, source text, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_importance'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.nn_importance(bytea, text, jsonb)
IS 'mean absolute attribution (integrated gradients) of each feature column over the rows of a table, view or SELECT';

CREATE FUNCTION @extschema@.nn_plot(model bytea, features real[], explanation jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'nn_plot_attributions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_plot(bytea, real[], jsonb)
IS 'an SVG heat map of an image model''s attributions (nn_explain) over the image';

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
