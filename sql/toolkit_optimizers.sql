-- The optimizers of the training toolkit: each one trains a small problem
-- well at its default learning rate, nn_info records its resolved settings,
-- its state (moments, accumulators, step count) persists from one nn_fit
-- pass to the next, and adamw's decoupled weight decay changes the model.
-- Scores are booleans against thresholds, so the output does not depend on
-- the last digits of floating point.

-- 4 classes, 8 features: class c is high on features c+1 and c+5, plus
-- uniform noise in (-1.5, 1.5) from a fixed hash (no random()).
CREATE TABLE to_data AS
SELECT i AS id, i % 4 AS label,
       ARRAY(SELECT ((CASE WHEN i % 4 = j % 4 THEN 2.0 ELSE 0.0 END)
                     + (hashint4(i * 100 + j) % 1000000) / 1000000.0 * 1.5)::real
             FROM generate_series(1, 8) j) AS x
FROM generate_series(1, 800) i;
CREATE VIEW to_train AS SELECT label, x FROM to_data WHERE id % 5 <> 0;
CREATE VIEW to_test AS SELECT label, x FROM to_data WHERE id % 5 = 0;

-- every optimizer at its default learning rate: >= 90% test accuracy
-- within 30 epochs, and the training loss went down
CREATE TABLE to_models AS
SELECT o AS optimizer, n,
       nn_train('to_train', 'label', NULL, '{16}',
                jsonb_build_object('optimizer', o, 'epochs', 30, 'seed', 1)) AS m
FROM unnest(ARRAY['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamw'])
     WITH ORDINALITY u(o, n);

SELECT optimizer, nn_info(m)->'optimizer' AS recorded,
       (SELECT avg((nn_predict(m, x) = label)::int) FROM to_test) >= 0.9 AS accuracy_ok,
       (nn_info(m)->'history'->-1->>'train_loss')::float8 <
           (nn_info(m)->'history'->0->>'train_loss')::float8 AS loss_decreased,
       nn_info(m)->'epochs' AS epochs
FROM to_models ORDER BY n;

-- the thresholds mean something: an untrained network is far from them
SELECT avg((nn_predict(nn_init(8, '{16}', 4, '{"seed": 1}'), x) = label)::int) < 0.6 AS untrained_poor
FROM to_test;

-- every optimizer gives a different model from the same seed
SELECT count(DISTINCT md5(m)) AS distinct_models FROM to_models;

-- each optimizer's resolved defaults, as nn_info records them (nn_init and
-- nn_train record the same network settings)
SELECT o AS optimizer, i->'learning_rate' AS learning_rate, i->'momentum' AS momentum,
       i->'rho' AS rho, i->'beta1' AS beta1, i->'beta2' AS beta2, i->'epsilon' AS epsilon,
       i->'weight_decay' AS weight_decay
FROM (SELECT o, n, nn_info(nn_init(8, '{4}', 4, jsonb_build_object('optimizer', o)))->'options' AS i
      FROM unnest(ARRAY['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamw'])
           WITH ORDINALITY u(o, n)) t
ORDER BY n;

SELECT optimizer,
       (nn_info(m)->'options') @> (nn_info(nn_init(8, '{4}', 4, jsonb_build_object('optimizer', optimizer, 'seed', 1)))->'options')
           AS same_settings_as_nn_init
FROM to_models ORDER BY n;

-- settings given explicitly are recorded and change the training
CREATE TABLE to_explicit AS
SELECT k, o, nn_train('to_train', 'label', NULL, '{16}', o || '{"epochs": 3, "seed": 1}') AS m
FROM (VALUES ('momentum 0.5', '{"optimizer": "momentum", "momentum": 0.5}'::jsonb),
             ('nesterov 0.5', '{"optimizer": "nesterov", "momentum": 0.5}'),
             ('rmsprop rho 0.5', '{"optimizer": "rmsprop", "rho": 0.5}'),
             ('adadelta rho 0.5', '{"optimizer": "adadelta", "rho": 0.5}'),
             ('adadelta epsilon 1e-4', '{"optimizer": "adadelta", "epsilon": 0.0001}'),
             ('adam beta1 0.5', '{"optimizer": "adam", "beta1": 0.5}'),
             ('adam beta2 0.9', '{"optimizer": "adam", "beta2": 0.9}'),
             ('adagrad lr 0.1', '{"optimizer": "adagrad", "learning_rate": 0.1}')) v(k, o);
SELECT k, (nn_info(m)->'options') @> (o - 'optimizer') AS recorded,
       md5(nn_train('to_train', 'label', NULL, '{16}',
                    jsonb_build_object('optimizer', o->'optimizer', 'epochs', 3, 'seed', 1))) <> md5(m)
           AS differs_from_default
FROM to_explicit ORDER BY k COLLATE "C";

-- optimizer steps: 640 training rows in batches of 32 are 20 steps an
-- epoch, 600 in 30 epochs
SELECT optimizer, nn_info(m)->'optimizer_steps' AS optimizer_steps
FROM to_models WHERE optimizer IN ('sgd', 'adam');

-- the state persists across nn_fit passes: two passes over 64 rows (a
-- whole number of batches, in a fixed order) give exactly the model of one
-- pass over the same rows twice, for every optimizer.  Resetting moments,
-- accumulators or the step count between passes would break this.
CREATE TABLE to_fit_rows AS SELECT id, label, x FROM to_data WHERE id <= 64;
CREATE TABLE to_fit AS
WITH start AS (
    SELECT o, n, nn_init(8, '{6}', 4, jsonb_build_object('optimizer', o, 'seed', 2, 'batch_size', 16)) AS m
    FROM unnest(ARRAY['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamw'])
         WITH ORDINALITY u(o, n)),
pass1 AS (SELECT o, n, m AS m0, (SELECT nn_fit(start.m, x, label ORDER BY id) FROM to_fit_rows) AS m FROM start)
SELECT o, n, m0, m AS m1,
       (SELECT nn_fit(pass1.m, x, label ORDER BY id) FROM to_fit_rows) AS m2,
       (SELECT nn_fit(pass1.m0, x, label ORDER BY r, id) FROM to_fit_rows, generate_series(1, 2) r) AS doubled
FROM pass1;

SELECT o AS optimizer,
       nn_info(m1)->'optimizer_steps' AS steps_1, nn_info(m2)->'optimizer_steps' AS steps_2,
       nn_info(doubled)->'optimizer_steps' AS steps_doubled,
       (SELECT bool_and(nn_predict_proba(m2, x) = nn_predict_proba(doubled, x)) FROM to_data) AS two_passes_equal_one_doubled,
       NOT (SELECT bool_and(nn_predict_proba(m1, x) = nn_predict_proba(m2, x)) FROM to_data) AS second_pass_changed,
       jsonb_array_length(nn_info(m2)->'history') AS passes
FROM to_fit ORDER BY n;

-- nn_fit continues a trained model too: its step count goes on
SELECT nn_info(m)->'optimizer_steps' AS before,
       nn_info((SELECT nn_fit(to_models.m, x, label) FROM to_train))->'optimizer_steps' AS after_one_pass
FROM to_models WHERE optimizer = 'rmsprop';

-- adamw: decoupled weight decay.  With weight_decay 0 it is adam (the same
-- predictions, exactly); its default (0.01) changes the model; a large
-- decay shrinks the weights, so the predictions are less confident.
CREATE TABLE to_decay AS
SELECT k, nn_train('to_train', 'label', NULL, '{16}', o || '{"epochs": 30, "seed": 1}') AS m
FROM (VALUES ('adam', '{"optimizer": "adam"}'::jsonb),
             ('adamw 0', '{"optimizer": "adamw", "weight_decay": 0}'),
             ('adamw default', '{"optimizer": "adamw"}'),
             ('adamw 5', '{"optimizer": "adamw", "weight_decay": 5}')) v(k, o);
SELECT d.k, nn_info(d.m)->'options'->'weight_decay' AS weight_decay,
       (SELECT bool_and(nn_predict_proba(d.m, x) = nn_predict_proba(a.m, x)) FROM to_test) AS same_as_adam,
       (SELECT avg((SELECT max(p) FROM unnest(nn_predict_proba(d.m, x)) p)) FROM to_test) <
           (SELECT avg((SELECT max(p) FROM unnest(nn_predict_proba(a.m, x)) p)) FROM to_test) - 0.1
           AS much_less_confident,
       (SELECT avg((nn_predict(d.m, x) = label)::int) FROM to_test) >= 0.9 AS accuracy_ok
FROM to_decay d, to_decay a WHERE a.k = 'adam'
ORDER BY d.k COLLATE "C";

DROP TABLE to_models, to_explicit, to_fit, to_fit_rows, to_decay;
DROP VIEW to_train, to_test;
DROP TABLE to_data;
