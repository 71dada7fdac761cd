-- Security: every nn function runs as its caller (SECURITY INVOKER), reads
-- only what the caller may SELECT, quotes every name it puts into SQL, and
-- runs a query source as one read-only SELECT.  Roles are cluster-wide, so
-- they are called nn_test_* and dropped at the end.

SET client_min_messages = warning;
DROP ROLE IF EXISTS nn_test_reader;
DROP ROLE IF EXISTS nn_test_other;
RESET client_min_messages;

-- 1. No function of the extension is SECURITY DEFINER, none carries its own
--    settings (SET search_path and the like), and there are some.
SELECT count(*) > 10 AS has_functions,
       count(*) FILTER (WHERE p.prosecdef) AS security_definer,
       count(*) FILTER (WHERE p.proconfig IS NOT NULL) AS with_settings
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'nn'
JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
  AND d.deptype = 'e';
-- the same, listed (empty)
SELECT p.oid::regprocedure AS security_definer_function
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'nn'
JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND p.prosecdef;
-- nn_fit's transition function changes its state in place: it runs only
-- inside an aggregate (1.6; before, its functions took internal)
SELECT nn_fit_accum(NULL, nn_init(2, '{}', 2), '{1, 2}', 1);

-- 2. Privileges.  nn_sec.secret is readable only by its owner (the
--    superuser running the suite); nn_test_reader may use and create in the
--    schema, read nn_sec.open, and read two columns of nn_sec.partial.
CREATE ROLE nn_test_reader NOLOGIN;
CREATE ROLE nn_test_other NOLOGIN;
CREATE SCHEMA nn_sec;
CREATE TABLE nn_sec.secret AS
SELECT (i % 2) AS label, i::real AS x, (i * 3 % 7)::real AS y FROM generate_series(1, 100) i;
CREATE TABLE nn_sec.open AS SELECT * FROM nn_sec.secret;
CREATE TABLE nn_sec.partial AS SELECT * FROM nn_sec.secret;
CREATE TABLE nn_sec.victim (id int);
INSERT INTO nn_sec.victim VALUES (1), (2), (3);
CREATE VIEW nn_sec.owner_view AS SELECT * FROM nn_sec.secret;
CREATE VIEW nn_sec.invoker_view WITH (security_invoker = true) AS SELECT * FROM nn_sec.secret;
CREATE FUNCTION nn_sec.sneaky() RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN DELETE FROM nn_sec.victim; RETURN true; END$$;
GRANT USAGE, CREATE ON SCHEMA nn_sec TO nn_test_reader;
GRANT SELECT ON nn_sec.open, nn_sec.owner_view, nn_sec.invoker_view TO nn_test_reader;
GRANT SELECT (label, x) ON nn_sec.partial TO nn_test_reader;
CREATE TABLE nn_sec.trained AS
SELECT nn_train('nn_sec.open', 'label', NULL, '{}', '{"epochs": 1, "seed": 1}') AS m;
GRANT SELECT ON nn_sec.trained TO nn_test_reader;

SET ROLE nn_test_reader;
-- the table itself, as a name and through queries
SELECT nn_train('nn_sec.secret', 'label');
SELECT nn_train('nn_sec.secret', 'label', ARRAY['x'], '{}');
SELECT nn_train('SELECT label, x FROM nn_sec.secret', 'label');
SELECT nn_train('WITH s AS (SELECT * FROM nn_sec.secret) SELECT label, x FROM s', 'label');
SELECT nn_train('SELECT o.label, o.x FROM nn_sec.open o WHERE o.x IN (SELECT x FROM nn_sec.secret)', 'label');
-- nn_continue checks the same way
SELECT nn_continue(m, 'nn_sec.secret') FROM nn_sec.trained;
-- a view of the caller's own over the table does not help (a view reads
-- with its owner's rights), nor does a security_invoker view
CREATE VIEW nn_sec.my_view AS SELECT * FROM nn_sec.secret;
SELECT nn_train('nn_sec.my_view', 'label');
SELECT nn_train('nn_sec.invoker_view', 'label');
-- a view its owner granted reads with the owner's rights, as in any query
SELECT nn_info(nn_train('nn_sec.owner_view', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
-- column privileges: a query naming only the granted columns works; a
-- query naming another column does not
SELECT nn_info(nn_train('SELECT label, x FROM nn_sec.partial', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SELECT nn_train('SELECT label, y FROM nn_sec.partial', 'label');
-- the table by name works too when the features named are the granted ones
-- (nn reads the column list from the catalog, not with SELECT *)
SELECT nn_info(nn_train('nn_sec.partial', 'label', ARRAY['x'], '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SELECT nn_train('nn_sec.partial', 'label', ARRAY['y'], '{}', '{"epochs": 1}');
-- catalogs
SELECT nn_train('pg_catalog.pg_authid', 'rolsuper', ARRAY['rolcanlogin']);
SELECT nn_train('SELECT rolsuper, oid::int AS x FROM pg_authid', 'rolsuper');
-- the source runs as the caller, and a volatile function in it cannot
-- modify what the caller cannot modify
SELECT nn_info(nn_train('SELECT label, x FROM nn_sec.open WHERE current_user = ''nn_test_reader''',
                        'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_as_caller;
SELECT nn_train('SELECT label, x FROM nn_sec.open WHERE nn_sec.sneaky()', 'label');
-- allowed sources train as usual
SELECT nn_info(nn_train('nn_sec.open', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
-- nn_fit's state (1.6) is a type of its own: its values are made by nn's
-- functions or read by its input and receive functions, which validate
-- them, so a role can neither cast raw bytes to one nor give an aggregate
-- over it an initial state that is not one
CREATE CAST (bytea AS nn_fit_state) WITHOUT FUNCTION;
CREATE AGGREGATE nn_sec.forged(nn_fit_state) (
    SFUNC = nn_fit_combine, STYPE = nn_fit_state, INITCOND = 'AAAA');
SELECT current_user;
RESET ROLE;
SELECT count(*) AS victim_rows FROM nn_sec.victim;

-- row-level security applies to the rows nn_train reads
CREATE TABLE nn_sec.rls AS
SELECT i % 3 AS label, i::real AS x, CASE WHEN i <= 30 THEN 'nn_test_reader' ELSE 'someone' END AS who
FROM generate_series(1, 90) i;
ALTER TABLE nn_sec.rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON nn_sec.rls FOR SELECT USING (who = current_user);
GRANT SELECT ON nn_sec.rls TO nn_test_reader;
SET ROLE nn_test_reader;
SELECT nn_info(nn_train('nn_sec.rls', 'label', ARRAY['x'], '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
RESET ROLE;
SELECT nn_info(nn_train('nn_sec.rls', 'label', ARRAY['x'], '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained_owner;

-- 3. Names with quotes, spaces, capitals and semicolons, in the schema,
--    the table, the target, the features and the weight column; one column
--    is itself named like an injection.
CREATE SCHEMA "nn_sec;S ""q""";
CREATE TABLE "nn_sec;S ""q"""."we;ird ""T""" (
    "La bel" text,
    "a;b" real,
    "Sp ace" real,
    "x""q" real[],
    "x""); DROP TABLE nn_sec.victim; --" real,
    "W;eight" numeric
);
INSERT INTO "nn_sec;S ""q"""."we;ird ""T"""
SELECT CASE WHEN i % 2 = 0 THEN 'Ja; ja' ELSE 'Ne"in' END,
       (i % 2) * 2 - 1 + (i % 7) * 0.01,
       (i % 5)::real,
       ARRAY[(i % 3)::real, 1 - (i % 2)],
       (i % 11)::real,
       1 + i % 3
FROM generate_series(1, 200) i;
CREATE TABLE nn_sec.weird_models AS
SELECT 'all columns' AS how,
       nn_train('"nn_sec;S ""q"""."we;ird ""T"""', 'La bel', NULL, '{8}',
                '{"epochs": 30, "learning_rate": 0.02, "seed": 3}') AS m
UNION ALL
SELECT 'listed, weighted',
       nn_train('"nn_sec;S ""q"""."we;ird ""T"""', 'La bel',
                ARRAY['a;b', 'Sp ace', 'x"q', 'x"); DROP TABLE nn_sec.victim; --'], '{8}',
                '{"epochs": 30, "learning_rate": 0.02, "seed": 3, "weight_column": "W;eight"}')
UNION ALL
SELECT 'query',
       nn_train('SELECT "La bel", "a;b", "x""q" FROM "nn_sec;S ""q"""."we;ird ""T""" WHERE "Sp ace" >= 0',
                'La bel', NULL, '{8}', '{"epochs": 30, "learning_rate": 0.02, "seed": 3}');
SELECT how, nn_info(m)->'features' AS features, nn_info(m)->'classes' AS classes,
       nn_info(m)->'options'->'weight_column' AS weight_column
FROM nn_sec.weird_models ORDER BY how;
-- every model scores the table it was trained on well
SELECT w.how,
       avg((nn_predict_class(w.m, CASE w.how
              WHEN 'query' THEN ARRAY[t."a;b"] || t."x""q"
              WHEN 'all columns' THEN ARRAY[t."a;b", t."Sp ace"] || t."x""q" ||
                   ARRAY[t."x""); DROP TABLE nn_sec.victim; --", t."W;eight"::real]
              ELSE ARRAY[t."a;b", t."Sp ace"] || t."x""q" || t."x""); DROP TABLE nn_sec.victim; --"
            END) = t."La bel")::int) > 0.9 AS accurate
FROM nn_sec.weird_models w, "nn_sec;S ""q"""."we;ird ""T""" t
GROUP BY w.how ORDER BY w.how;
-- the unquoted name folds to lower case, as in SQL, and is not found
SELECT nn_train('nn_sec;S.we;ird', 'La bel');
SELECT nn_train('"nn_sec;S ""q""".WE;IRD', 'La bel');
-- exact, case-sensitive column names: SQL-quoted spellings do not match
SELECT nn_train('"nn_sec;S ""q"""."we;ird ""T"""', '"La bel"');
SELECT nn_train('"nn_sec;S ""q"""."we;ird ""T"""', 'la bel');
SELECT count(*) AS victim_rows FROM nn_sec.victim;

-- 4. A source, target, feature or weight name cannot append a statement;
--    a source cannot modify data.  nn_sec.victim survives all of it.
SELECT nn_train('nn_sec.open; DROP TABLE nn_sec.victim', 'label');
SELECT nn_train('nn_sec.open;DROP TABLE nn_sec.victim;--', 'label');
SELECT nn_train('SELECT * FROM nn_sec.open; DROP TABLE nn_sec.victim', 'label');
SELECT nn_train('SELECT * FROM nn_sec.open; DROP TABLE nn_sec.victim;', 'label');
SELECT nn_train('SELECT * FROM nn_sec.open) AS x; DROP TABLE nn_sec.victim; SELECT * FROM (SELECT 1', 'label');
SELECT nn_train('(SELECT * FROM nn_sec.open); DROP TABLE nn_sec.victim; (SELECT 1', 'label');
SELECT nn_train('SELECT * FROM nn_sec.open /*', 'label');
SELECT nn_train('SELECT * FROM nn_sec.open --', 'label') IS NOT NULL AS comment_is_harmless;
SELECT nn_train('nn_sec.open', 'label" FROM nn_sec.open; DROP TABLE nn_sec.victim; --');
SELECT nn_train('nn_sec.open', 'label', ARRAY['x" FROM nn_sec.open; DROP TABLE nn_sec.victim; --']);
SELECT nn_train('nn_sec.open', 'label', NULL, '{}',
                '{"weight_column": "x\" FROM nn_sec.open; DROP TABLE nn_sec.victim; --"}');
-- data-modifying sources
SELECT nn_train('WITH d AS (DELETE FROM nn_sec.victim RETURNING id AS label, id::real AS x) SELECT * FROM d', 'label');
SELECT nn_train('WITH d AS (UPDATE nn_sec.victim SET id = 0 RETURNING id AS label, id::real AS x) SELECT * FROM d', 'label');
SELECT nn_train('WITH d AS (INSERT INTO nn_sec.victim VALUES (9) RETURNING id AS label, id::real AS x) SELECT * FROM d', 'label');
SELECT nn_train('SELECT * INTO nn_sec.copied FROM nn_sec.open', 'label');
SELECT nn_train('SELECT * FROM nn_sec.open FOR UPDATE', 'label');
SELECT count(*) AS victim_rows, sum(id) AS victim_sum FROM nn_sec.victim;
SELECT to_regclass('nn_sec.copied') AS copied;

-- 5. search_path: a schema-qualified source is that relation whatever the
--    search_path; an unqualified one is resolved once, by the caller's
--    search_path (a temporary table first, as in any query).
CREATE SCHEMA nn_sec_decoy;
CREATE TABLE nn_sec.sp AS SELECT (i % 2) AS label, i::real AS x FROM generate_series(1, 40) i;
CREATE TABLE nn_sec_decoy.sp AS SELECT (i % 2) AS label, i::real AS x FROM generate_series(1, 10) i;
CREATE TEMP TABLE sp AS SELECT (i % 2) AS label, i::real AS x FROM generate_series(1, 4) i;
SET search_path = nn_sec_decoy, public;
SELECT nn_info(nn_train('nn_sec.sp', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS qualified;
SELECT nn_info(nn_train('sp', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS unqualified_temp_first;
DROP TABLE pg_temp.sp;
SELECT nn_info(nn_train('sp', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS unqualified;
-- a search_path without the extension's schema: nn_train needs no lookup
-- of its own, so a qualified call works
SET search_path = nn_sec_decoy;
SELECT public.nn_info(public.nn_train('nn_sec.sp', 'label', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS without_public;
RESET search_path;

-- clean up: objects first, then the cluster-wide roles
SET client_min_messages = warning;
DROP SCHEMA nn_sec, nn_sec_decoy, "nn_sec;S ""q""" CASCADE;
DROP OWNED BY nn_test_reader;
DROP ROLE nn_test_reader;
DROP ROLE nn_test_other;
RESET client_min_messages;
SELECT count(*) AS leftover_roles FROM pg_roles WHERE rolname IN ('nn_test_reader', 'nn_test_other');
