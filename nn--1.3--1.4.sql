-- nn 1.3 -> 1.4: the same objects with uniform markings (issue 14, step 6).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.4.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.4'" to load this file. \quit

-- no argument, so STRICT said nothing
ALTER FUNCTION @extschema@.nn_model_cache_stats() CALLED ON NULL INPUT;

-- every function that runs the network costs COST 1000 (README, "SQL markings")
ALTER FUNCTION @extschema@.nn_predict_batch(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_batch(text, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_window(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class_window(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba_window(bytea, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_window(text, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_class_window(text, real[]) COST 1000;
ALTER FUNCTION @extschema@.nn_predict_proba_window(text, real[]) COST 1000;
