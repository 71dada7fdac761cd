-- Errors of the scoring functions and of the nn_fit aggregate.

CREATE TABLE es AS
SELECT a::real AS a, b::real AS b, (a::int # b::int) AS y
FROM generate_series(0, 1) a, generate_series(0, 1) b;
CREATE TABLE es_models (name text, m bytea);
INSERT INTO es_models SELECT 'classifier', nn_train('es', 'y', NULL, '{4}', '{"epochs": 2}');
INSERT INTO es_models
SELECT 'regressor', nn_train('SELECT a, b, (a + b)::float8 AS t FROM es', 't', NULL, '{4}', '{"epochs": 2}');

-- features of the wrong length
SELECT nn_predict(m, ARRAY[1, 2, 3]::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict(m, ARRAY[1]::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict(m, '{}'::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict_class(m, ARRAY[1, 2, 3]::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict_proba(m, ARRAY[1]::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict(m, ARRAY[1, 2, 3]::real[]) FROM es_models WHERE name = 'regressor';
-- NaN, infinity, NULL elements, two dimensions
SELECT nn_predict(m, ARRAY[1, 'NaN']::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict(m, ARRAY['Infinity', 1]::real[]) FROM es_models WHERE name = 'regressor';
SELECT nn_predict_class(m, ARRAY[1, '-Infinity']::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict_proba(m, ARRAY['NaN', 'NaN']::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict(m, ARRAY[1, NULL]::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict_class(m, ARRAY[NULL, NULL]::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict(m, '{{1, 2}}'::real[]) FROM es_models WHERE name = 'classifier';
SELECT nn_predict_proba(m, '{{1}, {2}}'::real[]) FROM es_models WHERE name = 'classifier';
-- a value beyond real's range does not even reach nn
SELECT nn_predict(m, ARRAY[1e39, 1]::real[]) FROM es_models WHERE name = 'classifier';
-- class functions on a regressor
SELECT nn_predict_class(m, ARRAY[1, 2]::real[]) FROM es_models WHERE name = 'regressor';
SELECT nn_predict_proba(m, ARRAY[1, 2]::real[]) FROM es_models WHERE name = 'regressor';
SELECT nn_predict_class(nn_init(2, '{}', 1), ARRAY[1, 2]::real[]);
-- but nn_predict works on both
SELECT name, nn_predict(m, ARRAY[1, 0]::real[]) IS NOT NULL AS scored
FROM es_models ORDER BY name COLLATE "C";

-- nn_fit: a NULL model
SELECT nn_fit(NULL, ARRAY[a, b], y) FROM es;
SELECT nn_fit(CASE WHEN a = 0 AND b = 0 THEN NULL ELSE nn_init(2, '{}', 2) END, ARRAY[a, b], y) FROM es;
-- bad targets for a classifier: not a class index
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], y + 1) FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], -1) FROM es;
SELECT nn_fit(nn_init(2, '{}', 3), ARRAY[a, b], 0.5) FROM es;
SELECT nn_fit(nn_init(2, '{}', 1, '{"task": "classification"}'), ARRAY[a, b], 2) FROM es;
-- NaN and infinite targets, for classifiers and regressors
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], 'NaN') FROM es;
SELECT nn_fit(nn_init(2, '{}', 1), ARRAY[a, b], 'Infinity') FROM es;
SELECT nn_fit(nn_init(2, '{}', 1), ARRAY[a, b], '-Infinity') FROM es;
-- features of the wrong length, NaN, NULL elements, two dimensions
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a], y) FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, b, a], y) FROM es;
SELECT nn_fit(nn_init(3, '{}', 2), ARRAY[a, b], y) FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, 'NaN'], y) FROM es;
SELECT nn_fit(nn_init(2, '{}', 1), ARRAY['Infinity', b], y) FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, NULL], y) FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[[a, b]], y) FROM es;
-- a diverging run is an error, not a model full of NaN
SELECT nn_fit(nn_init(2, '{}', 1, '{"learning_rate": 1e30, "optimizer": "sgd", "batch_size": 1}'),
              ARRAY[a * 1e30, b * 1e30]::real[], (a * 1e30)::real) FROM es;
-- a classifier too: its loss is bounded, but its weights must stay finite
SELECT nn_fit(nn_init(1, '{8}', 2, '{"learning_rate": 1e30, "optimizer": "sgd", "batch_size": 1}'),
              ARRAY[a * 1e10]::real[], y) FROM es;
-- the session goes on
SELECT nn_info(nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], y))->'rows_trained' AS rows_trained FROM es;

-- every row has a NULL features array or target: no row is trained, so
-- there is no model (like an aggregate over no rows)
SELECT nn_fit(nn_init(2, '{}', 1), NULL::real[], y) IS NULL AS no_model FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], NULL) IS NULL AS no_model FROM es;
SELECT nn_fit(nn_init(2, '{}', 2), CASE WHEN a > 5 THEN ARRAY[a, b] END, y) IS NULL AS no_model FROM es;

-- The SQLSTATE of each error class (README, Errors): each statement runs in
-- a subtransaction that catches its error and returns the code and message.
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/test/error_of.sql
\set ECHO all
INSERT INTO es_models
SELECT 'array', nn_train('SELECT ARRAY[a, b] AS v, y FROM es', 'y', NULL, '{4}', '{"epochs": 2}');
-- the regressor's features have a standard deviation of 0.5, so 3e38
-- standardizes beyond real's range: the output is not finite
SELECT c.what, e.code, e.message
FROM (VALUES
    (1, 'features of the wrong length', $$SELECT nn_predict(m, ARRAY[1, 2, 3]::real[]) FROM es_models WHERE name = 'classifier'$$),
    (2, 'features in two dimensions', $$SELECT nn_predict_proba(m, '{{1, 2}}'::real[]) FROM es_models WHERE name = 'classifier'$$),
    (3, 'batch rows of the wrong width', $$SELECT nn_predict_batch(m, '{{1, 2, 3}}'::real[]) FROM es_models WHERE name = 'regressor'$$),
    (4, 'row: array of the wrong length', $$SELECT nn_predict_row(m, r) FROM es_models, (SELECT ARRAY[1]::real[] AS v) r WHERE name = 'array'$$),
    (5, 'row: array in two dimensions', $$SELECT nn_predict_row(m, r) FROM es_models, (SELECT '{{1, 2}}'::real[] AS v) r WHERE name = 'array'$$),
    (6, 'nn_fit: features of the wrong length', $$SELECT nn_fit(nn_init(3, '{}', 2), ARRAY[a, b], y) FROM es$$),
    (7, 'NaN feature', $$SELECT nn_predict(m, ARRAY[1, 'NaN']::real[]) FROM es_models WHERE name = 'classifier'$$),
    (8, 'infinite feature', $$SELECT nn_predict_class(m, ARRAY['-Infinity', 1]::real[]) FROM es_models WHERE name = 'classifier'$$),
    (9, 'row: NaN in an array', $$SELECT nn_predict_row(m, r) FROM es_models, (SELECT ARRAY[1, 'NaN']::real[] AS v) r WHERE name = 'array'$$),
    (10, 'output not finite', $$SELECT nn_predict(m, ARRAY[3e38, 3e38]::real[]) FROM es_models WHERE name = 'regressor'$$),
    (11, 'batch output not finite', $$SELECT nn_predict_batch(m, '{{3e38, 3e38}}'::real[]) FROM es_models WHERE name = 'regressor'$$),
    (12, 'evaluated output not finite', $$SELECT nn_evaluate(m, 'SELECT 3e38::real AS a, 3e38::real AS b, 1::float8 AS t') FROM es_models WHERE name = 'regressor'$$),
    (13, 'nn_fit: NaN target', $$SELECT nn_fit(nn_init(2, '{}', 1), ARRAY[a, b], 'NaN') FROM es$$),
    (14, 'nn_fit: diverged', $$SELECT nn_fit(nn_init(2, '{}', 1, '{"learning_rate": 1e30, "optimizer": "sgd", "batch_size": 1}'), ARRAY[a * 1e30, b * 1e30]::real[], (a * 1e30)::real) FROM es$$),
    (15, 'NULL element', $$SELECT nn_predict(m, ARRAY[1, NULL]::real[]) FROM es_models WHERE name = 'classifier'$$),
    (16, 'nn_fit: NULL model', $$SELECT nn_fit(NULL, ARRAY[a, b], y) FROM es$$),
    (17, 'class of a regressor', $$SELECT nn_predict_class(m, ARRAY[1, 2]::real[]) FROM es_models WHERE name = 'regressor'$$),
    (18, 'nn_fit: not a class index', $$SELECT nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], 0.5) FROM es$$),
    (19, 'damaged model', $$SELECT nn_predict('\x00'::bytea, ARRAY[1, 2]::real[])$$),
    (20, 'no such model name', $$SELECT nn_predict('es_no_such_model', ARRAY[1, 2]::real[])$$),
    (21, 'row: missing column', $$SELECT nn_predict_row(m, r) FROM es_models, (SELECT 1 AS a) r WHERE name = 'classifier'$$),
    (22, 'row: column of the wrong type', $$SELECT nn_predict_row(m, r) FROM es_models, (SELECT 1 AS a, now() AS b) r WHERE name = 'classifier'$$),
    (23, 'the catalog trigger called directly', $$SELECT nn_catalog_invalidate()$$),
    (24, 'nn_fit_state: text not base64', $$SELECT 'not base64!'::nn_fit_state$$),
    (25, 'nn_fit_state: damaged', $$SELECT 'Tk5GUw=='::nn_fit_state$$),
    (26, 'nn_fit: states of different models', $$SELECT nn_fit_combine(nn_fit_partial(nn_init(2, '{}', 2), ARRAY[a, b], y), nn_fit_partial(nn_init(2, '{4}', 2), ARRAY[a, b], y)) FROM es$$)
) c(n, what, query), LATERAL pg_temp.error_of(c.query) e
ORDER BY c.n;

-- serialization_failure: a REPEATABLE READ transaction registers a name
-- after another session (here through dblink) registered a version it
-- cannot see
CREATE EXTENSION dblink;
SELECT nn_register('es_serial', nn_init(2, '{}', 1)) AS version;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) AS versions_seen FROM nn_models WHERE name = 'es_serial';
SELECT version AS registered_elsewhere
FROM dblink(format('host=%s port=%s dbname=%s user=%s',
                   split_part(current_setting('unix_socket_directories'), ',', 1),
                   current_setting('port'), current_database(), current_user),
            $$SELECT nn_register('es_serial', nn_init(2, '{}', 1))$$) AS t(version int);
SELECT e.code, e.message
FROM pg_temp.error_of($$SELECT nn_register('es_serial', nn_init(2, '{}', 1))$$) e;
ROLLBACK;
SELECT nn_drop_model('es_serial') AS dropped;
DROP EXTENSION dblink;

DROP TABLE es, es_models;
