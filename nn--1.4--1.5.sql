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

-- ------------------------------------------- adversarial robustness
-- (helper A)
