-- Regularizers, gradient clipping, options.layers, init and the regression
-- losses mae and huber.  Effects are shown as booleans (an option changes
-- the model, or leaves it exactly as it was) and scores against thresholds.

-- 4 classes, 8 features (as in toolkit_optimizers), noise from a fixed hash
CREATE TABLE tr_data AS
SELECT i AS id, i % 4 AS label,
       ARRAY(SELECT ((CASE WHEN i % 4 = j % 4 THEN 2.0 ELSE 0.0 END)
                     + (hashint4(i * 100 + j) % 1000000) / 1000000.0 * 1.5)::real
             FROM generate_series(1, 8) j) AS x
FROM generate_series(1, 800) i;
CREATE VIEW tr_train AS SELECT label, x FROM tr_data WHERE id % 5 <> 0;
CREATE VIEW tr_test AS SELECT label, x FROM tr_data WHERE id % 5 = 0;

-- mean probability of the predicted class: smaller weights give less
-- confident predictions
CREATE FUNCTION tr_confidence(m bytea) RETURNS float8 LANGUAGE sql AS $$
    SELECT avg((SELECT max(p) FROM unnest(nn_predict_proba(m, x)) p)) FROM tr_test
$$;
CREATE FUNCTION tr_accuracy(m bytea) RETURNS numeric LANGUAGE sql AS $$
    SELECT avg((nn_predict(m, x) = label)::int) FROM tr_test
$$;
-- the same probabilities for every test row
CREATE FUNCTION tr_same(a bytea, b bytea) RETURNS boolean LANGUAGE sql AS $$
    SELECT bool_and(nn_predict_proba(a, x) = nn_predict_proba(b, x)) FROM tr_test
$$;

\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/test/ref_forward.sql
\set ECHO all
-- every test row's probabilities agree with ref_forward's (160 rows x 4)
CREATE FUNCTION tr_same_as_forward(m bytea) RETURNS boolean LANGUAGE sql AS $$
    SELECT count(*) = 640 AND count(*) FILTER (WHERE abs(r - p) < 1e-5) = 640
    FROM unnest(ref_forward(m, (SELECT array_agg(x ORDER BY id) FROM tr_data WHERE id % 5 = 0)),
                (SELECT array_agg(v ORDER BY id, j)
                 FROM tr_data, unnest(nn_predict_proba(m, x)) WITH ORDINALITY u(v, j)
                 WHERE id % 5 = 0)) u(r, p)
$$;

CREATE TABLE tr_models AS
SELECT k, nn_train('tr_train', 'label', NULL, '{16}', '{"epochs": 20, "seed": 1}' || o) AS m
FROM (VALUES ('plain', '{}'::jsonb),
             ('l2 0', '{"l2": 0}'),
             ('l1 0', '{"l1": 0}'),
             ('l2 0.05', '{"l2": 0.05}'),
             ('l1 0.01', '{"l1": 0.01}'),
             ('dropout 0', '{"dropout": 0}'),
             ('dropout 0.3', '{"dropout": 0.3}'),
             ('dropout 0.3 again', '{"dropout": 0.3}'),
             ('dropout 0.3 seed 2', '{"dropout": 0.3, "seed": 2}'),
             ('batch_norm false', '{"batch_norm": false}'),
             ('batch_norm', '{"batch_norm": true}'),
             ('batch_norm again', '{"batch_norm": true}'),
             ('batch_norm + dropout', '{"batch_norm": true, "dropout": 0.5}')) v(k, o);

-- l1 and l2: 0 is the default (the very same bytes); a penalty shrinks the
-- weights, so the predictions are less confident, and the problem is still
-- learned
SELECT r.k, md5(r.m) = md5(p.m) AS same_bytes_as_plain,
       tr_confidence(r.m) < tr_confidence(p.m) - 0.02 AS less_confident,
       tr_accuracy(r.m) >= 0.9 AS accuracy_ok,
       nn_info(r.m)->'options'->'l1' AS l1, nn_info(r.m)->'options'->'l2' AS l2
FROM tr_models r, tr_models p
WHERE p.k = 'plain' AND r.k IN ('l1 0', 'l2 0', 'l1 0.01', 'l2 0.05')
ORDER BY r.k COLLATE "C";

-- a stronger l2 shrinks more
SELECT tr_confidence(nn_train('tr_train', 'label', NULL, '{16}', '{"epochs": 20, "seed": 1, "l2": 0.5}'))
       < tr_confidence(m) AS stronger_shrinks_more
FROM tr_models WHERE k = 'l2 0.05';

-- dropout and batch_norm: seeded training (the same options give the same
-- bytes), a different model from the plain one, scoring as the network
-- computed in SQL from the model's bytes (ref_forward: dropout is the
-- identity and batch normalization uses its running statistics when
-- scoring, so the same row gives the same output every time), and the
-- problem is learned
SELECT r.k, md5(r.m) = md5(p.m) AS same_bytes_as_plain, tr_same(r.m, p.m) AS same_predictions_as_plain,
       tr_same_as_forward(r.m) AS same_as_sql_forward,
       tr_accuracy(r.m) >= 0.9 AS accuracy_ok
FROM tr_models r, tr_models p
WHERE p.k = 'plain' AND (r.k LIKE 'dropout%' OR r.k LIKE 'batch_norm%')
ORDER BY r.k COLLATE "C";

SELECT (SELECT md5(m) FROM tr_models WHERE k = 'dropout 0.3') =
       (SELECT md5(m) FROM tr_models WHERE k = 'dropout 0.3 again') AS dropout_seeded,
       (SELECT md5(m) FROM tr_models WHERE k = 'dropout 0.3') <>
       (SELECT md5(m) FROM tr_models WHERE k = 'dropout 0.3 seed 2') AS dropout_seed_matters,
       (SELECT md5(m) FROM tr_models WHERE k = 'batch_norm') =
       (SELECT md5(m) FROM tr_models WHERE k = 'batch_norm again') AS batch_norm_repeatable;

-- the same rows scored here and in a fresh backend (nothing cached), and
-- with the rows of a 2-D array (nn_predict_batch): the same outputs
CREATE TABLE tr_scores AS
SELECT k, id, nn_predict_proba(m, x) AS p, nn_predict(m, x) AS c
FROM tr_models, tr_data WHERE k IN ('dropout 0.3', 'batch_norm', 'batch_norm + dropout') AND id % 5 = 0;
\c -
SELECT k, count(*) AS rows, bool_and(s.p = nn_predict_proba(m, x)) AS same_probabilities
FROM tr_scores s JOIN tr_models USING (k) JOIN tr_data USING (id)
GROUP BY k ORDER BY k COLLATE "C";
SELECT k, (SELECT array_agg(c ORDER BY id) FROM tr_scores s WHERE s.k = tr_models.k) =
          nn_predict_batch(m, (SELECT array_agg(x ORDER BY id) FROM tr_data WHERE id % 5 = 0)) AS batch_same
FROM tr_models WHERE k IN ('dropout 0.3', 'batch_norm', 'batch_norm + dropout')
ORDER BY k COLLATE "C";

-- nn_info: dropout and batch_norm appear on the hidden layers; batch
-- normalization adds a scale and a shift per unit (16 units: 32 parameters)
SELECT k, nn_info(m)->'layers' AS layers, nn_info(m)->'parameters' AS parameters
FROM tr_models WHERE k IN ('plain', 'dropout 0.3', 'batch_norm', 'batch_norm + dropout')
ORDER BY k COLLATE "C";

-- batch normalization and dropout with the nn_fit aggregate: ten passes
-- from nn_init learn the problem, and the model scores as ref_forward
-- computes it
CREATE TABLE tr_fit (pass int PRIMARY KEY, m bytea);
INSERT INTO tr_fit
VALUES (0, nn_init(8, '{16}', 4, '{"batch_norm": true, "dropout": 0.2, "learning_rate": 0.01, "seed": 1}'));
DO $$
BEGIN
    FOR i IN 1..10 LOOP
        INSERT INTO tr_fit
        SELECT i, nn_fit((SELECT m FROM tr_fit WHERE pass = i - 1), x, label ORDER BY id)
        FROM tr_data WHERE id % 5 <> 0;
    END LOOP;
END
$$;
SELECT pass, nn_info(m)->'epochs' AS epochs, nn_info(m)->'layers'->0 AS hidden,
       tr_accuracy(m) >= 0.9 AS accuracy_ok,
       tr_same_as_forward(m) AS same_as_sql_forward
FROM tr_fit WHERE pass IN (0, 10) ORDER BY pass;
-- a pass moves the running statistics and the weights: the scores change
SELECT NOT tr_same(a.m, b.m) AS pass_changed_scores
FROM tr_fit a, tr_fit b WHERE a.pass = 9 AND b.pass = 10;

-- gradient clipping.  With a huge learning rate, plain sgd diverges; each
-- clip option keeps the steps small enough to learn the problem.
SELECT nn_train('tr_train', 'label', NULL, '{16}',
                '{"optimizer": "sgd", "learning_rate": 50, "epochs": 10, "seed": 1}');
SELECT c AS clip, nn_info(m)->'options'->c AS recorded, tr_accuracy(m) >= 0.9 AS accuracy_ok
FROM (SELECT c, nn_train('tr_train', 'label', NULL, '{16}',
                         jsonb_build_object('optimizer', 'sgd', 'learning_rate', 50, 'epochs', 10, 'seed', 1, c, v)) AS m
      FROM (VALUES ('clip_value', 0.001), ('clip_norm', 0.01), ('clip_global_norm', 0.01)) v(c, v)) t
ORDER BY c COLLATE "C";

-- a clip far above every gradient changes nothing (the same predictions as
-- without it); a tight one changes the model.  Clip options are recorded
-- only when set.
SELECT c AS clip,
       tr_same(nn_train('tr_train', 'label', NULL, '{16}', jsonb_build_object('epochs', 20, 'seed', 1, c, 1e30)), p.m)
           AS loose_changes_nothing,
       NOT tr_same(nn_train('tr_train', 'label', NULL, '{16}', jsonb_build_object('epochs', 20, 'seed', 1, c, 0.001)), p.m)
           AS tight_changes_model,
       nn_info(p.m)->'options' ? c AS recorded_when_off
FROM tr_models p, unnest(ARRAY['clip_value', 'clip_norm', 'clip_global_norm']) c
WHERE p.k = 'plain'
ORDER BY c COLLATE "C";
-- the three kinds differ from each other at the same threshold
SELECT count(DISTINCT md5(nn_predict_proba(m, ARRAY[1, 0, 0, 0, 1, 0, 0, 0]::real[])::text)) AS distinct_models
FROM (SELECT nn_train('tr_train', 'label', NULL, '{16}', jsonb_build_object('epochs', 3, 'seed', 1, c, 0.05)) AS m
      FROM unnest(ARRAY['clip_value', 'clip_norm', 'clip_global_norm']) c) t;

-- options.layers overrides hidden; a key a layer leaves out takes the
-- top-level option (activation sigmoid, dropout 0.1 here)
SELECT jsonb_pretty(nn_info(m)->'layers') AS layers, nn_info(m)->'parameters' AS parameters,
       jsonb_pretty(nn_info(m)->'options'->'layers') AS recorded
FROM (SELECT nn_init(3, '{64}', 2,
                     '{"activation": "sigmoid", "dropout": 0.1,
                       "layers": [{"units": 5},
                                  {"units": 4, "activation": "tanh", "dropout": 0},
                                  {"units": 3, "batch_norm": true, "dropout": 0.25}]}') AS m) t;
-- an empty array: no hidden layer, whatever hidden says
SELECT nn_info(m)->'layers' AS layers, nn_info(m)->'parameters' AS parameters
FROM (SELECT nn_init(3, '{64}', 2, '{"layers": []}') AS m) t;
-- layers from options give the same network as the same hidden widths
SELECT md5(nn_info(a)->>'layers') = md5(nn_info(b)->>'layers') AS same_layers,
       nn_info(a)->'parameters' = nn_info(b)->'parameters' AS same_parameters,
       tr_same(a, b) AS same_weights
FROM (SELECT nn_init(8, '{16, 8}', 4, '{"seed": 3}') AS a,
             nn_init(8, '{99}', 4, '{"seed": 3, "layers": [{"units": 16}, {"units": 8}]}') AS b) t;
-- nn_train takes layers too, and learns with them
SELECT nn_info(m)->'layers' AS layers, tr_accuracy(m) >= 0.9 AS accuracy_ok
FROM (SELECT nn_train('tr_train', 'label', NULL, '{2}',
                      '{"epochs": 20, "seed": 1, "layers": [{"units": 12, "activation": "tanh"}, {"units": 8, "dropout": 0.1}]}') AS m) t;

-- init: three schemes, three different networks from one seed; recorded
-- only when given
SELECT i AS init, nn_info(m)->'options'->'init' AS recorded,
       (SELECT count(*) FROM unnest(ARRAY['he', 'xavier', 'uniform']) j
        WHERE md5(nn_init(8, '{16}', 4, jsonb_build_object('init', j, 'seed', 1))) = md5(m)) AS equal_to_itself_only
FROM (SELECT i, nn_init(8, '{16}', 4, jsonb_build_object('init', i, 'seed', 1)) AS m
      FROM unnest(ARRAY['he', 'xavier', 'uniform']) i) t
ORDER BY i COLLATE "C";
SELECT nn_info(nn_init(8, '{16}', 4))->'options' ? 'init' AS default_recorded;
-- the default is chosen per layer from its activation: Xavier for tanh and
-- sigmoid layers and the output layer, He for ReLU layers
SELECT tr_same(nn_init(8, '{16}', 4, '{"seed": 1, "activation": "tanh"}'),
               nn_init(8, '{16}', 4, '{"seed": 1, "activation": "tanh", "init": "xavier"}')) AS tanh_is_xavier,
       tr_same(nn_init(8, '{}', 4, '{"seed": 1}'),
               nn_init(8, '{}', 4, '{"seed": 1, "init": "xavier"}')) AS output_only_is_xavier,
       NOT tr_same(nn_init(8, '{16}', 4, '{"seed": 1, "activation": "tanh"}'),
                   nn_init(8, '{16}', 4, '{"seed": 1, "activation": "tanh", "init": "he"}')) AS tanh_is_not_he,
       NOT tr_same(nn_init(8, '{16}', 4, '{"seed": 1}'),
                   nn_init(8, '{16}', 4, '{"seed": 1, "init": "uniform"}')) AS relu_is_not_uniform;
-- each init trains the problem
SELECT i AS init, tr_accuracy(nn_train('tr_train', 'label', NULL, '{16}',
                                        jsonb_build_object('init', i, 'epochs', 20, 'seed', 1))) >= 0.9 AS accuracy_ok
FROM unnest(ARRAY['he', 'xavier', 'uniform']) i ORDER BY i COLLATE "C";

-- regression losses.  A clean linear target: mse, mae and huber all fit
-- it (R^2 on the rows, and the validation R^2 in the history).
CREATE TABLE tr_reg AS
SELECT i, ((i % 41) / 4.0)::real AS a, ((i % 13) / 3.0)::real AS b,
       (2 * ((i % 41) / 4.0) - (i % 13) / 3.0 + 1 + (hashint4(i) % 1000) / 2000.0)::float8 AS y
FROM generate_series(1, 400) i;
SELECT l AS loss, nn_info(m)->'loss' AS recorded,
       (SELECT 1 - sum((nn_predict(m, ARRAY[a, b]) - y) ^ 2) / sum((y - (SELECT avg(y) FROM tr_reg)) ^ 2)
        FROM tr_reg) >= 0.99 AS r2_ok,
       (nn_info(m)->'history'->-1->>'val_r2')::float8 >= 0.99 AS val_r2_ok
FROM (SELECT l, nn_train('tr_reg', 'y', '{a, b}', '{16}',
                         jsonb_build_object('loss', l, 'epochs', 30, 'learning_rate', 0.01, 'seed', 1,
                                            'validation_fraction', 0.2)) AS m
      FROM unnest(ARRAY['mse', 'mae', 'huber']) l) t
ORDER BY l COLLATE "C";

-- the same line with every tenth target 40 too high: mse follows the
-- outliers, mae ignores them, huber with a small delta nearly does, and
-- huber with a delta beyond every residual behaves like mse
CREATE TABLE tr_outliers AS
SELECT i, ((i % 41) / 4.0)::real AS a,
       (2 * ((i % 41) / 4.0) + 1 + CASE WHEN i % 10 = 0 THEN 40 ELSE 0 END)::float8 AS y
FROM generate_series(1, 400) i;
CREATE TABLE tr_robust AS
SELECT k, (SELECT avg(abs(nn_predict(m, ARRAY[a]) - (2 * a + 1))) FROM tr_outliers) AS error_vs_clean_line, m
FROM (SELECT k, nn_train('tr_outliers', 'y', '{a}', '{}', o || '{"epochs": 50, "learning_rate": 0.01, "seed": 1}') AS m
      FROM (VALUES ('mse', '{}'::jsonb), ('mae', '{"loss": "mae"}'),
                   ('huber delta 0.1', '{"loss": "huber", "delta": 0.1}'),
                   ('huber delta 100', '{"loss": "huber", "delta": 100}')) v(k, o)) t;
SELECT k, nn_info(m)->'options'->'delta' AS delta,
       error_vs_clean_line < 0.5 AS close_to_clean_line,
       error_vs_clean_line < (SELECT error_vs_clean_line FROM tr_robust WHERE k = 'mse') / 2 AS better_than_mse,
       abs(error_vs_clean_line - (SELECT error_vs_clean_line FROM tr_robust WHERE k = 'mse')) < 0.01 AS like_mse
FROM tr_robust ORDER BY k COLLATE "C";

DROP TABLE tr_models, tr_scores, tr_fit, tr_reg, tr_outliers, tr_robust;
DROP FUNCTION tr_confidence(bytea), tr_accuracy(bytea), tr_same(bytea, bytea), tr_same_as_forward(bytea),
              ref_forward(bytea, real[]), ref_f32(bytea, int), ref_u32(bytea, int);
DROP VIEW tr_train, tr_test;
DROP TABLE tr_data;
