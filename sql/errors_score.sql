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

DROP TABLE es, es_models;
