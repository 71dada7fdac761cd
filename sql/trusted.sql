-- trusted.sql - nn is a trusted extension: the owner of a database installs
-- it without being a superuser, and nothing it installs runs with more
-- rights than the caller's.
SELECT current_database() AS regress_db \gset
CREATE ROLE nn_db_owner;
CREATE DATABASE nn_trusted_regress OWNER nn_db_owner;
\c nn_trusted_regress
SET ROLE nn_db_owner;
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
-- a ceiling set before nn is loaded is not applied when it loads
SET nn.max_memory = '100GB';
CREATE EXTENSION nn;
SHOW nn.max_memory;
SELECT extowner::regrole AS extension_owner FROM pg_extension WHERE extname = 'nn';

-- every function: SECURITY INVOKER, no settings of its own, owned by the
-- bootstrap superuser (so the installer cannot redefine it)
SELECT count(*) > 10 AS many_functions,
       bool_and(NOT p.prosecdef) AS all_invoker,
       bool_and(p.proconfig IS NULL) AS no_settings,
       bool_and(p.proowner = 10) AS owned_by_bootstrap_superuser
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'nn'
JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e';
-- nothing else runs on its own: no event triggers; the one trigger on the
-- extension's tables is nn_models' cache invalidation, a SECURITY INVOKER
-- function that only sends a relation-cache invalidation message
SELECT count(*) AS event_triggers FROM pg_event_trigger;
SELECT t.tgrelid::regclass AS "table", t.tgname, p.proname, p.prosecdef, p.proconfig
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_depend d ON d.objid = t.tgrelid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'nn';

-- the installer cannot turn a function into SECURITY DEFINER or replace it
ALTER FUNCTION nn_info(bytea) SECURITY DEFINER;
CREATE OR REPLACE FUNCTION nn_info(bytea) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
-- nor change the ceilings
SET nn.max_memory = '100GB';

-- and uses it as an ordinary user: on its own table
CREATE TABLE t AS SELECT i::real AS x, (i % 2) AS y FROM generate_series(1, 40) i;
SELECT nn_info(nn_train('t', 'y', NULL, '{4}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
-- and the model catalog: the owner of the extension may register, deploy and
-- score by name, and grant that to others
SELECT nn_train('t', 'y', NULL, '{4}', '{"epochs": 1, "name": "owned"}') IS NOT NULL AS registered;
SELECT nn_deploy('owned', 1) AS deployed, nn_predict('owned', '{3}') IN (0, 1) AS scored;
GRANT SELECT ON nn_models TO PUBLIC;
SELECT has_table_privilege('public', 'nn_models', 'SELECT') AS granted;
DROP TABLE t;
DROP EXTENSION nn;
RESET ROLE;

\c :regress_db
DROP DATABASE nn_trusted_regress;
DROP ROLE nn_db_owner;
