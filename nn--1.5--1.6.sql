-- nn 1.5 -> 1.6: nn_fit as a true partial aggregate, for Citus (issue 19).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.7.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.6'" to load this file. \quit

-- ------------------------------------------- nn_fit's state type
-- (helper T: nn_fit_state and the nn_fit aggregate over it)

-- ------------------------------------------- aggregate training strategy
-- (helper S: objects for options.strategy "aggregate", if any)

CREATE FUNCTION @extschema@.nn_features_row(model bytea, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_features_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_features_row(bytea, record) IS
'the inputs a model encodes from a whole row (raw, before standardization), as nn_fit takes them; NULL when impute ''skip'' leaves the row out';
