-- The model catalog nn_models: nn_register, nn_deploy, nn_model,
-- nn_list_models, nn_drop_model, nn_train's option "name", scoring by name
-- (nn_predict, nn_predict_class, nn_predict_proba, nn_predict_batch with a
-- text first argument), the per-backend cache across deployments, and
-- privileges.  Two sessions and pg_dump are tested in test/catalog.sh.
-- Roles are cluster-wide, so they are called nn_test_* and dropped at the end.

SET client_min_messages = warning;
DROP ROLE IF EXISTS nn_test_scorer;
RESET client_min_messages;

-- 1. The table: an extension configuration table (pg_dump keeps its rows),
--    with its key, the one-deployed-per-name index and the trigger.
SELECT 'nn_models'::regclass = ANY (e.extconfig) AS config_table,
       e.extcondition[array_position(e.extconfig, 'nn_models'::regclass)] AS filter
FROM pg_extension e WHERE e.extname = 'nn';
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS default_value,
       col_description(a.attrelid, a.attnum) IS NOT NULL AS commented
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = 'nn_models'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT obj_description('nn_models'::regclass, 'pg_class') IS NOT NULL AS table_commented;
SELECT indexrelid::regclass AS index, indisunique, pg_get_expr(indpred, indrelid) AS predicate
FROM pg_index WHERE indrelid = 'nn_models'::regclass ORDER BY 1;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'nn_models'::regclass;
SELECT p.oid::regprocedure AS function, p.prosecdef, p.provolatile, p.proparallel
FROM pg_proc p
WHERE p.proname IN ('nn_register', 'nn_deploy', 'nn_model', 'nn_list_models', 'nn_drop_model')
   OR (p.proname LIKE 'nn_predict%' AND p.proargtypes[0] = 'text'::regtype)
ORDER BY p.oid::regprocedure::text;

-- 2. Data: y = x1 + 2 x2 for a regressor, the quadrant for a classifier.
CREATE TABLE cat_rows AS
SELECT i::real AS x1, j::real AS x2, (i + 2 * j)::real AS y,
       CASE WHEN i < 5 THEN 'west' ELSE 'east' END AS side
FROM generate_series(0, 9) i, generate_series(0, 9) j;
CREATE TABLE cat_trained AS
SELECT e AS epochs,
       nn_train('SELECT x1, x2, y FROM cat_rows', 'y', NULL, '{8}',
                jsonb_build_object('epochs', e, 'seed', 7)) AS m
FROM (VALUES (2), (60)) v(e);

-- 3. nn_register: versions 1, 2, 3 of a name; the first is deployed, the
--    later ones are not; metrics default to the last epoch of the history.
SELECT nn_register('cat_reg', m, description => 'two epochs') FROM cat_trained WHERE epochs = 2;
SELECT nn_register('cat_reg', m) FROM cat_trained WHERE epochs = 60;
SELECT nn_register('cat_reg', m, '{"rmse": 0.5}', 'with metrics') FROM cat_trained WHERE epochs = 60;
SELECT version, deployed, created_by = current_user AS by_me, created_at <= now() AS created,
       metrics ? 'train_loss' AS loss_metric, metrics -> 'epoch' AS epoch_metric,
       metrics -> 'rmse' AS rmse, options -> 'epochs' AS options_epochs,
       options = nn_info(model) -> 'options' AS options_recorded, description
FROM nn_models WHERE name = 'cat_reg' ORDER BY version;
-- another name counts its own versions
SELECT nn_register('cat_other', m) FROM cat_trained WHERE epochs = 2;

-- errors: NULLs, a damaged model, names of no or too many characters,
-- metrics that are not an object, and the same refused by the table's
-- CHECKs when inserted by hand
SELECT nn_register(NULL, m) FROM cat_trained WHERE epochs = 2;
SELECT nn_register('cat_reg', NULL);
SELECT nn_register('cat_reg', '\x00010203'::bytea);
SELECT nn_register('', m) FROM cat_trained WHERE epochs = 2;
SELECT nn_register(repeat('n', 129), m) FROM cat_trained WHERE epochs = 2;
SELECT nn_register('cat_reg', m, '[1, 2]') FROM cat_trained WHERE epochs = 2;
\set VERBOSITY terse
INSERT INTO nn_models (name, version, model) VALUES ('', 1, '\x00');
INSERT INTO nn_models (name, version, model) VALUES ('cat_reg', 0, '\x00');
INSERT INTO nn_models (name, version, model) VALUES ('cat_reg', 5, '');
INSERT INTO nn_models (name, version, model, metrics) VALUES ('cat_reg', 5, '\x00', '1');
INSERT INTO nn_models (name, version, model, options) VALUES ('cat_reg', 5, '\x00', '"a"');
\set VERBOSITY default
-- a failed registration takes no version number
SELECT max(version) FROM nn_models WHERE name = 'cat_reg';

-- 4. Scoring by name: an untyped literal resolves to the text overload, a
--    bytea column to the model overload, and both give the same numbers.
SELECT round(nn_predict('cat_reg', ARRAY[3, 4]::real[])::numeric, 4) =
       round(nn_predict(m, ARRAY[3, 4]::real[])::numeric, 4) AS same_as_version_1
FROM cat_trained WHERE epochs = 2;
SELECT version, round(nn_predict(model, ARRAY[3, 4]::real[])::numeric, 4) =
                round(nn_predict(name, ARRAY[3, 4]::real[])::numeric, 4) AS by_column_and_name
FROM nn_models WHERE name = 'cat_reg' ORDER BY version;
-- many rows: one read of the catalog, then the cached scorer
SELECT count(*) AS rows,
       bool_and(nn_predict('cat_reg', ARRAY[x1, x2]) = nn_predict(t.m, ARRAY[x1, x2])) AS all_same
FROM cat_rows, cat_trained t WHERE t.epochs = 2;
SELECT nn_predict_batch('cat_reg', ARRAY[[3, 4], [1, 1]]::real[]) =
       nn_predict_batch(m, ARRAY[[3, 4], [1, 1]]::real[]) AS batch_same
FROM cat_trained WHERE epochs = 2;
-- NULL in, NULL out
SELECT nn_predict(NULL::text, ARRAY[1, 2]::real[]) IS NULL AS null_name,
       nn_predict('cat_reg', NULL) IS NULL AS null_features;

-- errors: unknown names, a name longer than any in the catalog, a
-- regressor asked for a class, features of the wrong length
SELECT nn_predict('cat_missing', ARRAY[1, 2]::real[]);
SELECT nn_predict(repeat('n', 600), ARRAY[1, 2]::real[]);
SELECT nn_predict_class('cat_reg', ARRAY[1, 2]::real[]);
SELECT nn_predict_proba('cat_reg', ARRAY[1, 2]::real[]);
SELECT nn_predict('cat_reg', ARRAY[1, 2, 3]::real[]);
SELECT nn_predict_batch('cat_reg', ARRAY[1, 2]::real[]);

-- 5. nn_deploy moves the deployed flag; the next statement scores with the
--    new version (the trigger invalidated this backend's cache).
SELECT nn_deploy('cat_reg', 2);
SELECT version, deployed FROM nn_models WHERE name = 'cat_reg' ORDER BY version;
SELECT round(nn_predict('cat_reg', ARRAY[3, 4]::real[])::numeric, 4) =
       round(nn_predict(m, ARRAY[3, 4]::real[])::numeric, 4) AS now_version_2
FROM cat_trained WHERE epochs = 60;
-- the latest by default; deploying the deployed version changes nothing
SELECT nn_deploy('cat_reg');
SELECT nn_deploy('cat_reg', 3);
SELECT array_agg(version) FILTER (WHERE deployed) AS deployed FROM nn_models WHERE name = 'cat_reg';
-- a rolled-back deployment: scoring inside sees it, after the rollback not
SELECT nn_deploy('cat_reg', 1);
BEGIN;
SELECT nn_deploy('cat_reg', 2);
SELECT round(nn_predict('cat_reg', ARRAY[3, 4]::real[])::numeric, 4) =
       round(nn_predict(nn_model('cat_reg', 2), ARRAY[3, 4]::real[])::numeric, 4) AS inside_version_2;
ROLLBACK;
SELECT round(nn_predict('cat_reg', ARRAY[3, 4]::real[])::numeric, 4) =
       round(nn_predict(nn_model('cat_reg', 1), ARRAY[3, 4]::real[])::numeric, 4) AS back_to_version_1;
-- an UPDATE by hand and a TRUNCATE invalidate the cache too
UPDATE nn_models SET deployed = false WHERE name = 'cat_reg';
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]);
SELECT nn_deploy('cat_reg', 1);
BEGIN;
TRUNCATE nn_models;
SAVEPOINT s;
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]);
ROLLBACK;
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]) IS NOT NULL AS back_after_truncate_rollback;
-- errors: unknown name or version (undefined_object), NULL name, and the
-- index that allows one deployed version per name
SELECT nn_deploy('cat_missing');
SELECT nn_deploy('cat_reg', 9);
SELECT nn_deploy(NULL);
UPDATE nn_models SET deployed = true WHERE name = 'cat_reg';

-- 6. nn_model: the deployed version by default, or the one asked for.
SELECT nn_model('cat_reg') = m AS deployed_is_version_1 FROM cat_trained WHERE epochs = 2;
SELECT nn_model('cat_reg', 3) = m AS version_3 FROM cat_trained WHERE epochs = 60;
SELECT nn_model(NULL) IS NULL AS null_name;
SELECT nn_model('cat_missing');
SELECT nn_model('cat_reg', 9);

-- 7. nn_list_models: every model, or the versions of one name.
SELECT name, version, deployed, task, n_inputs, bytes = octet_length(nn_model(name, version)) AS bytes,
       metrics ? 'train_loss' AS has_metrics, created_by = current_user AS by_me, description
FROM nn_list_models() WHERE name LIKE 'cat%';
SELECT count(*) FROM nn_list_models('cat_reg');
SELECT count(*) FROM nn_list_models('cat_missing');

-- 8. nn_train's option "name" trains and registers in one call.
SELECT nn_train('SELECT x1, x2, side FROM cat_rows', 'side', NULL, '{8}',
                '{"epochs": 100, "seed": 3, "name": "cat_side"}') IS NOT NULL AS trained;
SELECT nn_predict_class('cat_side', ARRAY[1, 1]::real[]) AS west,
       nn_predict_class('cat_side', ARRAY[8, 1]::real[]) AS east,
       array_length(nn_predict_proba('cat_side', ARRAY[8, 1]::real[]), 1) AS n_proba,
       nn_predict_batch('cat_side', ARRAY[[1, 1], [8, 1]]::real[]) AS classes;
SELECT nn_train('SELECT x1, x2, side FROM cat_rows', 'side', NULL, '{8}',
                '{"epochs": 1, "seed": 3, "name": "cat_side"}') IS NOT NULL AS trained;
SELECT version, deployed, options ? 'name' AS name_in_options
FROM nn_models WHERE name = 'cat_side' ORDER BY version;
-- errors: the name must be text of 1 to 128 characters, and only nn_train
-- takes it
SELECT nn_train('cat_rows', 'y', NULL, '{4}', '{"epochs": 1, "name": ""}');
SELECT nn_train('cat_rows', 'y', NULL, '{4}', '{"epochs": 1, "name": 7}');
SELECT nn_train('cat_rows', 'y', NULL, '{4}', jsonb_build_object('epochs', 1, 'name', repeat('n', 129)));
SELECT nn_init(2, '{4}', 1, '{"name": "cat_init"}');
SELECT nn_continue(m, 'SELECT x1, x2, y FROM cat_rows', '{"name": "cat_more"}') FROM cat_trained WHERE epochs = 2;
-- 128 characters of a two-byte letter are accepted and score by name
SELECT nn_train('SELECT x1, x2, y FROM cat_rows', 'y', NULL, '{4}',
                jsonb_build_object('epochs', 1, 'name', repeat('é', 128))) IS NOT NULL AS trained;
SELECT nn_predict(repeat('é', 128), ARRAY[1, 2]::real[]) IS NOT NULL AS scored;

-- 9. Privileges: table privileges on nn_models decide.  A role without
--    SELECT cannot score by name, even though this backend has the model
--    cached; with SELECT it can, and REVOKE takes it away again.
CREATE ROLE nn_test_scorer NOLOGIN;
GRANT SELECT ON cat_trained TO nn_test_scorer;
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]) IS NOT NULL AS cached_for_superuser;
SET ROLE nn_test_scorer;
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]);
SELECT nn_model('cat_reg');
SELECT nn_register('cat_reg', m) FROM cat_trained WHERE epochs = 2;
SELECT nn_deploy('cat_reg', 1);
RESET ROLE;
GRANT SELECT ON nn_models TO nn_test_scorer;
SET ROLE nn_test_scorer;
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]) IS NOT NULL AS scored_with_select;
SELECT count(*) > 0 AS listed FROM nn_list_models('cat_reg');
SELECT nn_register('cat_reg', nn_model('cat_reg'));
SELECT nn_deploy('cat_reg', 2);
RESET ROLE;
GRANT INSERT, UPDATE ON nn_models TO nn_test_scorer;
SET ROLE nn_test_scorer;
SELECT nn_register('cat_reg', nn_model('cat_reg')) AS registered_version;
SELECT nn_deploy('cat_reg', 1);
RESET ROLE;
REVOKE ALL ON nn_models FROM nn_test_scorer;
SET ROLE nn_test_scorer;
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]);
RESET ROLE;

-- 10. nn_drop_model: one version, or every version of a name.
SELECT nn_drop_model('cat_reg', 4);
SELECT nn_drop_model('cat_reg', 4);
SELECT nn_drop_model('cat_reg');
SELECT nn_predict('cat_reg', ARRAY[3, 4]::real[]);
SELECT nn_drop_model('cat_missing');
SELECT nn_drop_model(NULL);
-- a name with no version left starts again at 1, deployed
SELECT nn_register('cat_reg', m) FROM cat_trained WHERE epochs = 2;
SELECT version, deployed FROM nn_models WHERE name = 'cat_reg';

-- 11. Default metrics: the epoch whose weights the model holds (the best
-- one after early stopping restored it, else the last).
-- (labels that cannot be learned: validation loss rises, training stops)
SELECT nn_register('cat_best', nn_train(
       'SELECT x1, x2, CASE WHEN (x1 * 7 + x2 * 3)::int % 10 < 5 THEN ''a'' ELSE ''b'' END AS noise FROM cat_rows',
       'noise', NULL, '{16}',
       '{"epochs": 40, "patience": 2, "validation_fraction": 0.5, "seed": 3, "learning_rate": 0.05}')) AS version;
SELECT (nn_info(model)->>'best_epoch')::int < (nn_info(model)->>'epochs')::int AS stopped_early,
       (metrics->>'epoch')::int = (nn_info(model)->>'best_epoch')::int AS metrics_of_the_best_epoch
FROM nn_models WHERE name = 'cat_best';

-- 12. The trigger function only runs as a trigger.
SELECT nn_catalog_invalidate();

-- clean up: the catalog's rows, the tables, then the cluster-wide role
DELETE FROM nn_models WHERE name LIKE 'cat%' OR name = repeat('é', 128);
DROP TABLE cat_rows, cat_trained;
DROP ROLE nn_test_scorer;
