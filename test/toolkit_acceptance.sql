-- Acceptance checks of the training toolkit (issue 3), run by
-- test/toolkit_acceptance.sh; each check is a row of the printed table.
-- Every check listed in expected_checks must report exactly one result, and
-- only a true one passes: a missing row, a NULL or a second row fails.
\set ON_ERROR_STOP 1
-- the test accuracy every optimizer must reach (the README states it)
\set min_accuracy 0.92
SET client_min_messages = warning;

CREATE TEMP TABLE expected_checks (n int PRIMARY KEY, name text UNIQUE);
INSERT INTO expected_checks VALUES
  (1, 'test accuracy, sgd'), (2, 'test accuracy, momentum'), (3, 'test accuracy, nesterov'),
  (4, 'test accuracy, rmsprop'), (5, 'test accuracy, adagrad'), (6, 'test accuracy, adadelta'),
  (7, 'test accuracy, adam'), (8, 'test accuracy, adamw'),
  (9, 'early stopping: epochs run'), (10, 'early stopping: kept best epoch'),
  (11, 'early stopping: stopped patience after best'),
  (12, 'dropout+batch_norm: scores = SQL forward pass'),
  (13, 'dropout+batch_norm: test accuracy'),
  (14, 'warm start: train 2 + continue 2 = train 4');
CREATE TEMP TABLE checks (name text, value numeric, target text, passed boolean);

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

-- every optimizer at its default learning rate, 30 epochs
CREATE TEMP TABLE opt_models AS
  SELECT o AS optimizer, nn_train('toy_train', 'label', '{x}', '{32}',
                                  jsonb_build_object('optimizer', o, 'epochs', 30, 'seed', 1)) AS model
  FROM unnest(ARRAY['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamw']) o;
INSERT INTO checks
  SELECT 'test accuracy, ' || optimizer, round(acc, 4), '>= ' || :'min_accuracy', acc >= :min_accuracy
  FROM (SELECT optimizer, avg((nn_predict(model, x) = label)::int) AS acc
        FROM opt_models, toy_test GROUP BY optimizer) a;

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

-- dropout and batch normalization score deterministically: every test
-- row's probabilities are the network's, computed here in SQL from the
-- model's bytes (ref_forward: running statistics, no dropout), not by
-- calling nn twice
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/test/ref_forward.sql
\set ECHO all
CREATE TEMP TABLE reg AS
  SELECT nn_train('toy_train', 'label', '{x}', '{64,32}',
                  '{"epochs": 10, "dropout": 0.3, "batch_norm": true, "seed": 4}') AS model;
INSERT INTO checks
  SELECT 'dropout+batch_norm: scores = SQL forward pass', count(*) - count(*) FILTER (WHERE abs(r - p) < 1e-5),
         '0 of 4000 values differ', count(*) = 4000 AND count(*) FILTER (WHERE abs(r - p) < 1e-5) = 4000
  FROM reg, unnest(ref_forward(model, (SELECT array_agg(x ORDER BY id) FROM toy WHERE id % 5 = 0)),
                   (SELECT array_agg(v ORDER BY id, j)
                    FROM toy, unnest(nn_predict_proba(model, x)) WITH ORDINALITY u(v, j)
                    WHERE id % 5 = 0)) u(r, p);
INSERT INTO checks
  SELECT 'dropout+batch_norm: test accuracy', round(acc, 4), '>= ' || :'min_accuracy', acc >= :min_accuracy
  FROM (SELECT avg((nn_predict(model, x) = label)::int) AS acc FROM reg, toy_test) a;

-- warm start is exact: 2 epochs then 2 more equal 4 epochs
INSERT INTO checks
  SELECT 'warm start: train 2 + continue 2 = train 4', NULL, 'same bytes',
         md5(nn_continue(nn_train('toy_train', 'label', '{x}', '{32}', '{"epochs": 2, "seed": 5, "dropout": 0.2}'),
                         'toy_train', '{"epochs": 2}'))
         = md5(nn_train('toy_train', 'label', '{x}', '{32}', '{"epochs": 4, "seed": 5, "dropout": 0.2}'));

-- the table: every expected check, then any row no expected check names
\pset footer off
CREATE TEMP VIEW report AS
  SELECT e.n, e.name AS "check", c.value, c.target,
         CASE WHEN c.name IS NULL THEN 'FAIL (no result)'
              WHEN count(*) OVER (PARTITION BY e.name) > 1 THEN 'FAIL (more than one result)'
              WHEN c.passed IS NULL THEN 'FAIL (NULL)'
              WHEN c.passed THEN 'pass' ELSE 'FAIL' END AS result
  FROM expected_checks e LEFT JOIN checks c USING (name)
  UNION ALL
  SELECT NULL, c.name, c.value, c.target, 'FAIL (not an expected check)'
  FROM checks c WHERE c.name IS NULL OR c.name NOT IN (SELECT name FROM expected_checks);
SELECT "check", value, target, result FROM report ORDER BY n NULLS LAST, "check";
SELECT count(*) FILTER (WHERE result = 'pass') || ' passed, ' ||
       count(*) FILTER (WHERE result <> 'pass') || ' failed' AS summary
FROM report \gset
\echo table: :summary
