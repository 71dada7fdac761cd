-- Acceptance checks of the training toolkit (issue 3), run by
-- test/toolkit_acceptance.sh; each check is a row of the printed table.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- 4 classes, 20 features: Gaussian clouds around seeded random centres.
SELECT setseed(0.25);
CREATE TEMP TABLE centres AS
  SELECT c, j, (random() * 2 - 1) * 1.2 AS mu
  FROM generate_series(0, 3) c, generate_series(1, 20) j;
CREATE TEMP TABLE toy AS
  SELECT i AS id, i % 4 AS label,
         ARRAY(SELECT (mu + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + 0 * i)::real
               FROM centres WHERE c = i % 4 ORDER BY j) AS x
  FROM generate_series(1, 5000) i;
CREATE TEMP VIEW toy_train AS SELECT label, x FROM toy WHERE id % 5 <> 0;
CREATE TEMP VIEW toy_test AS SELECT label, x FROM toy WHERE id % 5 = 0;

CREATE TEMP TABLE checks (name text, value numeric, target text, passed boolean);

-- every optimizer at its default learning rate, 30 epochs
CREATE TEMP TABLE opt_models AS
  SELECT o AS optimizer, nn_train('toy_train', 'label', '{x}', '{32}',
                                  jsonb_build_object('optimizer', o, 'epochs', 30, 'seed', 1)) AS model
  FROM unnest(ARRAY['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamw']) o;
INSERT INTO checks
  SELECT 'test accuracy, ' || optimizer, round(avg((nn_predict(model, x) = label)::int), 4),
         '>= 0.90', avg((nn_predict(model, x) = label)::int) >= 0.90
  FROM opt_models, toy_test GROUP BY optimizer;

-- early stopping: an over-sized network on a small noisy set
CREATE TEMP TABLE noisy AS
  SELECT label, x FROM toy WHERE id <= 300;
UPDATE noisy SET label = (label + 1) % 4 WHERE random() < 0.3;
CREATE TEMP TABLE es AS
  SELECT nn_train('noisy', 'label', '{x}', '{256,256}',
                  '{"epochs": 200, "patience": 3, "validation_fraction": 0.3, "seed": 3}') AS model;
CREATE TEMP VIEW es_hist AS
  SELECT (h->>'epoch')::int AS epoch, (h->>'val_loss')::float8 AS val_loss
  FROM es, jsonb_array_elements(nn_info(model)->'history') h;
INSERT INTO checks
  SELECT 'early stopping: epochs run', count(*), '< 200', count(*) < 200 FROM es_hist;
INSERT INTO checks
  SELECT 'early stopping: kept best epoch', (nn_info(model)->>'best_epoch')::int, 'argmin val_loss',
         (nn_info(model)->>'best_epoch')::int =
           (SELECT epoch FROM es_hist ORDER BY val_loss, epoch LIMIT 1)
  FROM es;
INSERT INTO checks
  SELECT 'early stopping: stopped patience after best', max(epoch) - (SELECT (nn_info(model)->>'best_epoch')::int FROM es),
         '= 3', max(epoch) - (SELECT (nn_info(model)->>'best_epoch')::int FROM es) = 3 FROM es_hist;

-- dropout and batch normalization score deterministically
CREATE TEMP TABLE reg AS
  SELECT nn_train('toy_train', 'label', '{x}', '{64,32}',
                  '{"epochs": 10, "dropout": 0.3, "batch_norm": true, "seed": 4}') AS model;
INSERT INTO checks
  SELECT 'dropout+batch_norm: same row, same output', count(*) FILTER (WHERE p1 <> p2), '= 0 differ',
         count(*) FILTER (WHERE p1 <> p2) = 0
  FROM (SELECT nn_predict_proba(model, x) p1, nn_predict_proba(model, x) p2 FROM reg, toy_test) s;
INSERT INTO checks
  SELECT 'dropout+batch_norm: test accuracy', round(avg((nn_predict(model, x) = label)::int), 4),
         '>= 0.90', avg((nn_predict(model, x) = label)::int) >= 0.90
  FROM reg, toy_test;

-- warm start is exact: 2 epochs then 2 more equal 4 epochs
INSERT INTO checks
  SELECT 'warm start: train 2 + continue 2 = train 4', NULL, 'same bytes',
         md5(nn_continue(nn_train('toy_train', 'label', '{x}', '{32}', '{"epochs": 2, "seed": 5, "dropout": 0.2}'),
                         'toy_train', '{"epochs": 2}'))
         = md5(nn_train('toy_train', 'label', '{x}', '{32}', '{"epochs": 4, "seed": 5, "dropout": 0.2}'));

\pset footer off
SELECT name AS check, value, target, CASE WHEN passed THEN 'pass' ELSE 'FAIL' END AS result FROM checks;
SELECT count(*) FILTER (WHERE passed) || ' passed, ' || count(*) FILTER (WHERE NOT passed) || ' failed' AS summary
FROM checks \gset
\echo toolkit: :summary
