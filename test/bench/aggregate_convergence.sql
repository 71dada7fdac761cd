-- Strategy "aggregate" against "memory" on digits (sklearn's load_digits,
-- 1,797 rows of 64 pixels; ids divisible by 5 are the test rows): the
-- training loss per epoch and the test accuracy after the same epochs, for
-- 1, 2 and 4 partial states.  K partial states are K partitions of the
-- training rows (every K-th id) with enable_partitionwise_aggregate on and
-- no parallel workers: each partition's rows train their own copy of the
-- model, and nn_fit's combine averages them, serially and so
-- deterministically, as Citus does with shards.  Run by
-- aggregate_convergence.sh, which loads the table digits(id, label, px).
\set ON_ERROR_STOP 1
\set epochs 20
CREATE TEMP TABLE dtrain AS SELECT * FROM digits WHERE id % 5 <> 0 ORDER BY id;
CREATE TEMP TABLE dtest AS SELECT * FROM digits WHERE id % 5 = 0 ORDER BY id;
CREATE TEMP TABLE dp2 (id int, label int, px real[]) PARTITION BY LIST ((id % 2));
CREATE TEMP TABLE dp2_0 PARTITION OF dp2 FOR VALUES IN (0);
CREATE TEMP TABLE dp2_1 PARTITION OF dp2 FOR VALUES IN (1);
INSERT INTO dp2 SELECT * FROM dtrain ORDER BY id;
CREATE TEMP TABLE dp4 (id int, label int, px real[]) PARTITION BY LIST ((id % 4));
CREATE TEMP TABLE dp4_0 PARTITION OF dp4 FOR VALUES IN (0);
CREATE TEMP TABLE dp4_1 PARTITION OF dp4 FOR VALUES IN (1);
CREATE TEMP TABLE dp4_2 PARTITION OF dp4 FOR VALUES IN (2);
CREATE TEMP TABLE dp4_3 PARTITION OF dp4 FOR VALUES IN (3);
INSERT INTO dp4 SELECT * FROM dtrain ORDER BY id;
ANALYZE dtrain, dtest, dp2, dp4;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;

CREATE TEMP TABLE runs (name text, lr real, model bytea);
INSERT INTO runs
SELECT name, lr, nn_train(src, 'label', '{px}', '{64}',
       format('{"epochs": %s, "seed": 1, "learning_rate": %s, "strategy": "%s"}',
              :epochs, lr, strategy)::jsonb)
FROM (VALUES ('memory', 'dtrain', 'memory'), ('aggregate 1', 'dtrain', 'aggregate'),
             ('aggregate 2', 'dp2', 'aggregate'), ('aggregate 4', 'dp4', 'aggregate')) v(name, src, strategy),
     (VALUES (0.001::real), (0.004::real)) l(lr);

-- what recovers 4 states at the default rate: 4 times the epochs
INSERT INTO runs
SELECT 'aggregate 4, 4x epochs', 0.001,
       nn_train('dp4', 'label', '{px}', '{64}',
                format('{"epochs": %s, "seed": 1, "strategy": "aggregate"}', 4 * :epochs)::jsonb);

-- the partial states the plans have: EXPLAIN of the nn_fit query over dp4
EXPLAIN (COSTS OFF)
SELECT nn_fit(m, nn_features_row(m, r), label::real)
FROM (SELECT label, px FROM dp4) r, (SELECT nn_init(64, '{8}', 10, '{}') m) i;

SELECT name, lr, round(avg((nn_predict_row(model, t) = label)::int), 4) AS test_accuracy,
       round((nn_info(model)->'history'->-1->>'train_loss')::numeric, 4) AS last_loss
FROM runs, dtest t GROUP BY name, lr, model ORDER BY lr, name;

SELECT e + 1 AS epoch, lr,
       max(CASE name WHEN 'memory' THEN loss END) AS memory,
       max(CASE name WHEN 'aggregate 1' THEN loss END) AS aggregate_1,
       max(CASE name WHEN 'aggregate 2' THEN loss END) AS aggregate_2,
       max(CASE name WHEN 'aggregate 4' THEN loss END) AS aggregate_4
FROM (SELECT name, lr, e, round((nn_info(model)->'history'->e->>'train_loss')::numeric, 4) AS loss
      FROM runs, generate_series(0, :epochs - 1) e) x
GROUP BY e, lr ORDER BY lr, e;
