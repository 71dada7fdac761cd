-- nn 1.3 -> 1.4: the same objects with uniform markings (issue 14, step 6).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.4.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.4'" to load this file. \quit

-- no argument, so STRICT said nothing
ALTER FUNCTION @extschema@.nn_model_cache_stats() CALLED ON NULL INPUT;

-- every function that runs the network costs COST 1000 (README, "SQL markings");
-- the by-name overloads get it where they are re-created below
ALTER FUNCTION @extschema@.nn_predict_batch(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_window(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class_window(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba_window(bytea, real[]) COST 1000;

-- scoring by name: one C function serves a model by value and by name (it
-- looks at the argument's type); the *_by_name symbols 1.0-1.3 named stay in
-- the library (src/score/legacy_symbols.c) for the scripts that name them
CREATE OR REPLACE FUNCTION @extschema@.nn_predict(name text, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_class(name text, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_proba(name text, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_row(name text, r record)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_class_row(name text, r record)
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_proba_row(name text, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_batch(name text, rows real[])
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'nn_predict_batch'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_window(name text, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_window'
LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_class_window(name text, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_window'
LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 1000;

CREATE OR REPLACE FUNCTION @extschema@.nn_predict_proba_window(name text, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_window'
LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 1000;
