-- nn_info: the keys a model reports; nn_init: untrained models and the
-- options it accepts.

CREATE TABLE info_data AS
SELECT i::real AS x1, (i % 7)::real AS x2, ARRAY[i % 3, i % 5]::real[] AS arr,
       CASE WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'b' ELSE 'c' END AS label
FROM generate_series(1, 90) i;

CREATE TABLE info_model AS
SELECT nn_train('info_data', 'label', NULL, '{6, 5}',
                '{"epochs": 4, "batch_size": 16, "seed": 12, "activation": "leaky_relu"}') AS m;

-- every top-level key, and every option
SELECT k AS key FROM info_model, jsonb_object_keys(nn_info(m)) k ORDER BY k COLLATE "C";
SELECT k AS option FROM info_model, jsonb_object_keys(nn_info(m)->'options') k ORDER BY k COLLATE "C";

SELECT i->'format_version' AS format_version, i->'task' AS task, i->'inputs' AS inputs,
       i->'loss' AS loss, i->'optimizer' AS optimizer, i->'parameters' AS parameters,
       i->'rows_trained' AS rows_trained, i->'epochs' AS epochs,
       i->'optimizer_steps' AS optimizer_steps
FROM (SELECT nn_info(m) AS i FROM info_model) t;

-- 4 inputs -> 6 -> 5 -> 3: (4*6+6) + (6*5+5) + (5*3+3) = 83 parameters;
-- 90 rows in batches of 16 are 6 steps per epoch
SELECT jsonb_pretty(i->'layers') AS layers FROM (SELECT nn_info(m) AS i FROM info_model) t;
SELECT i->'features' AS features, i->'feature_widths' AS feature_widths, i->'classes' AS classes
FROM (SELECT nn_info(m) AS i FROM info_model) t;
SELECT jsonb_pretty((i->'options') - '{beta1, beta2, epsilon}'::text[]) AS options,
       i->'options'->'beta1' AS beta1, i->'options'->'beta2' AS beta2,
       i->'options'->'epsilon' AS epsilon
FROM (SELECT nn_info(m) AS i FROM info_model) t;

-- history: an array with one element per epoch, each with its loss
SELECT jsonb_typeof(i->'history') AS type, jsonb_array_length(i->'history') AS length,
       (SELECT array_agg(e->>'epoch' ORDER BY (e->>'epoch')::int) FROM jsonb_array_elements(i->'history') e)
           AS epochs,
       (SELECT bool_and(jsonb_typeof(e->'train_loss') = 'number' AND (e->>'train_loss')::float8 > 0)
        FROM jsonb_array_elements(i->'history') e) AS losses_positive
FROM (SELECT nn_info(m) AS i FROM info_model) t;

-- the defaults: 10 epochs, batch 32, adam at 0.001, relu, seed 0,
-- standardize; sgd defaults to a learning rate of 0.01
SELECT (i->'options') - '{beta1, beta2, epsilon}'::text[] AS options, i->'epochs' AS epochs,
       jsonb_array_length(i->'history') AS history_length
FROM (SELECT nn_info(nn_train('info_data', 'label', ARRAY['x1', 'x2'])) AS i) t;
SELECT i->'options'->'learning_rate' AS learning_rate, i->'options' ? 'beta1' AS has_beta1
FROM (SELECT nn_info(nn_train('info_data', 'label', ARRAY['x1'], '{}',
                              '{"optimizer": "sgd", "epochs": 1}')) AS i) t;
SELECT i->'options'->'standardize' AS standardize
FROM (SELECT nn_info(nn_train('info_data', 'label', ARRAY['x1'], '{}',
                              '{"standardize": false, "epochs": 1}')) AS i) t;

-- each activation is recorded for the hidden layers
SELECT a AS activation, nn_info(nn_train('info_data', 'label', ARRAY['x1', 'x2'], '{3, 3}',
                                         jsonb_build_object('activation', a, 'epochs', 1)))->'layers' AS layers
FROM unnest(ARRAY['relu', 'sigmoid', 'tanh', 'leaky_relu', 'identity']) a;

-- verbose: one NOTICE per epoch (hidden here: it holds timings)
SET client_min_messages = warning;
SELECT nn_info(nn_train('info_data', 'label', ARRAY['x1'], '{}',
                        '{"verbose": true, "epochs": 2}'))->'epochs' AS epochs;
RESET client_min_messages;

-- options given as null in SQL use the defaults
SELECT nn_info(nn_train('info_data', 'label', ARRAY['x1'], '{}', NULL))->'options'->'epochs' AS epochs;

-- nn_init: a classifier with n_outputs classes labelled '0'..'n-1'
SELECT i->'task' AS task, i->'inputs' AS inputs, i->'layers' AS layers, i->'classes' AS classes,
       i->'features' AS features, i->'parameters' AS parameters, i->'rows_trained' AS rows_trained,
       i->'epochs' AS epochs, i->'history' AS history, i->'options'->'standardize' AS standardize
FROM (SELECT nn_info(nn_init(4, '{5}', 3, '{"seed": 1}')) AS i) t;

-- one output: a regressor, or with task 'classification' a sigmoid over
-- two classes (binary_cross_entropy)
SELECT i->'task' AS task, i->'loss' AS loss, i->'layers' AS layers, i->'classes' AS classes
FROM (SELECT nn_info(nn_init(2, '{}', 1)) AS i) t;
SELECT i->'task' AS task, i->'loss' AS loss, i->'layers' AS layers, i->'classes' AS classes
FROM (SELECT nn_info(nn_init(2, '{}', 1, '{"task": "classification"}')) AS i) t;
SELECT i->'task' AS task, i->'loss' AS loss, i->'layers' AS layers, i->'classes' AS classes
FROM (SELECT nn_info(nn_init(2, '{}', 2, '{"loss": "binary_cross_entropy"}')) AS i) t;

-- nn_init takes the network's and training's options
SELECT (i->'options') - '{beta1, beta2, epsilon}'::text[] AS options, i->'layers' AS layers
FROM (SELECT nn_info(nn_init(3, '{7, 2}', 2,
                             '{"activation": "sigmoid", "optimizer": "sgd", "learning_rate": 0.5,
                               "batch_size": 8, "seed": 99, "loss": "cross_entropy",
                               "task": "classification"}')) AS i) t;

-- more hidden layers; no hidden layer
SELECT nn_info(nn_init(10, '{20, 15, 10, 5}', 2))->'parameters' AS parameters,
       jsonb_array_length(nn_info(nn_init(10, '{20, 15, 10, 5}', 2))->'layers') AS n_layers,
       nn_info(nn_init(10, '{}', 2))->'parameters' AS linear_parameters;

-- volatility, strictness and parallel safety of the SQL functions: nn_train
-- VOLATILE and PARALLEL UNSAFE, the rest IMMUTABLE STRICT PARALLEL SAFE
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE p.proname IN ('nn_train', 'nn_init', 'nn_predict', 'nn_predict_class', 'nn_predict_proba',
                    'nn_info')
ORDER BY p.proname COLLATE "C", p.proargtypes[0]::regtype::text COLLATE "C";
SELECT p.proname, p.prokind, p.proparallel FROM pg_proc p WHERE p.proname = 'nn_fit';

DROP TABLE info_data, info_model;
