-- nn_train's options.strategy "aggregate": each epoch one nn_fit query over
-- the source.  Its results, its relation to nn_fit and nn_continue, the
-- hold-out by hash, partial states (partitions, a parallel plan) and its
-- errors.
SET max_parallel_workers_per_gather = 0;

CREATE TABLE sg_rows AS
SELECT i, (ARRAY['east', 'north', 'west'])[1 + (i * 7) % 3] AS label,
       CASE WHEN i % 17 = 0 THEN NULL ELSE (((i * 7) % 3) + sin(i) / 2)::real END AS a,
       cos(i * 1.3)::real AS b,
       (ARRAY['x', 'y', 'z'])[1 + (i * 7 + i / 50) % 3] AS c,
       ARRAY[((i * 7) % 3)::float8 / 2, sin(i * 0.7)] AS v
FROM generate_series(1, 600) i;

CREATE TABLE sg_models AS
SELECT s.strategy, nn_train('sg_rows', 'label', '{a,b,c,v}', '{16}',
       jsonb_build_object('strategy', s.strategy, 'epochs', 6, 'seed', 3, 'impute', 'mean',
                          'learning_rate', 0.01)) AS m
FROM (VALUES ('memory'), ('aggregate')) s(strategy);

-- the same data, options and seed give the same bytes (a serial plan)
SELECT md5(m) = md5(nn_train('sg_rows', 'label', '{a,b,c,v}', '{16}',
       '{"strategy": "aggregate", "epochs": 6, "seed": 3, "impute": "mean", "learning_rate": 0.01}'))
       AS same_bytes
FROM sg_models WHERE strategy = 'aggregate';

-- the record names the strategy; the history has an element per epoch
SELECT strategy, nn_info(m)->'options'->>'strategy' AS recorded,
       jsonb_array_length(nn_info(m)->'history') AS epochs,
       nn_info(m)->'rows_trained' AS rows_trained
FROM sg_models ORDER BY strategy;

-- both learn, and both encode the rows alike: classes, categories, fill values
SELECT strategy, round(avg((nn_predict_class_row(m, r) = r.label)::int), 1) AS accuracy
FROM sg_models, sg_rows r GROUP BY strategy, m ORDER BY strategy;
SELECT a.m <> b.m AS different_weights,
       nn_info(a.m)->'classes' = nn_info(b.m)->'classes' AS same_classes,
       nn_info(a.m)->'categories' = nn_info(b.m)->'categories' AS same_categories,
       nn_info(a.m)->'impute' = nn_info(b.m)->'impute' AS same_impute
FROM sg_models a, sg_models b WHERE a.strategy = 'aggregate' AND b.strategy = 'memory';

-- nn_features_row is the encoding nn_fit trains on: scoring its array equals
-- scoring the row, for every row (a NULL a filled with the training mean)
SELECT bool_and(nn_predict_proba(m, nn_features_row(m, r)) = nn_predict_proba_row(m, r))
       AS features_score_as_the_row,
       count(*) FILTER (WHERE r.a IS NULL) AS rows_with_null
FROM sg_models, sg_rows r WHERE strategy = 'aggregate';
SELECT nn_features_row(m, r)::numeric(6,3)[] AS inputs
FROM sg_models, sg_rows r WHERE strategy = 'aggregate' AND r.i IN (1, 17) ORDER BY r.i;

-- an epoch is nn_fit over the source: the model's second epoch equals nn_fit
-- by hand over the first epoch's model, row for row in the table's order
CREATE TABLE sg_steps AS
SELECT nn_train('sg_rows', 'label', '{a,b,c,v}', '{16}', o) AS one,
       nn_train('sg_rows', 'label', '{a,b,c,v}', '{16}', o || '{"epochs": 2}') AS two
FROM (SELECT '{"strategy": "aggregate", "epochs": 1, "seed": 3, "impute": "mean",
               "learning_rate": 0.01}'::jsonb AS o) x;
SELECT bool_and(nn_predict_proba_row(two, r) = nn_predict_proba_row(by_hand, r)) AS same_scores,
       nn_info(two)->'history' = nn_info(by_hand)->'history' AS same_history
FROM sg_steps, sg_rows r,
     (SELECT nn_fit(one, nn_features_row(one, s),
                    (array_position('{east,north,west}', s.label) - 1)::real) AS by_hand
      FROM sg_steps, sg_rows s) h
GROUP BY two, by_hand;

-- nn_continue follows the recorded strategy: 1 epoch and 1 more are 2 epochs,
-- byte for byte, with a schedule spanning both
SELECT nn_continue(nn_train('sg_rows', 'label', '{a,b,c,v}', '{16}', o), 'sg_rows', '{"epochs": 1}')
       = nn_train('sg_rows', 'label', '{a,b,c,v}', '{16}', o || '{"epochs": 2}') AS continue_same_bytes
FROM (SELECT '{"strategy": "aggregate", "epochs": 1, "seed": 3, "impute": "mean",
               "lr_schedule": "cosine"}'::jsonb AS o) x;

-- the hold-out: rows whose seeded hash of (target, features) falls in the
-- lowest validation_fraction of 2^53, the same in every plan; each epoch
-- scores them, and early stopping keeps the best epoch (noisy labels overfit)
CREATE TABLE sg_noisy AS
SELECT i, CASE WHEN (i * 13) % 10 < 4 THEN (ARRAY['east', 'north', 'west'])[1 + (i * 5) % 3]
               ELSE label END AS label, a, b, c, v
FROM sg_rows;
CREATE TABLE sg_val AS
SELECT nn_train('sg_noisy', 'label', '{a,b,c,v}', '{64}',
       '{"strategy": "aggregate", "epochs": 40, "seed": 5, "impute": "mean", "learning_rate": 0.05,
         "validation_fraction": 0.25, "patience": 2}') AS m;
SELECT h.n AS held_out,
       (nn_info(m)->>'rows_trained')::int / jsonb_array_length(nn_info(m)->'history') = 600 - h.n
       AS trained_on_the_rest,
       (SELECT bool_and(e ? 'val_loss' AND abs((e->>'val_accuracy')::float8 * h.n
                                               - round((e->>'val_accuracy')::float8 * h.n)) < 1e-3)
        FROM jsonb_array_elements(nn_info(m)->'history') e) AS accuracy_over_held_out_rows,
       (nn_info(m)->>'epochs')::int < 40 AS stopped_early,
       (nn_info(m)->>'best_epoch')::int BETWEEN 1 AND (nn_info(m)->>'epochs')::int - 2 AS kept_best
FROM sg_val,
     (SELECT count(*) AS n FROM sg_noisy
      WHERE (hash_record_extended(ROW(label, a, b, c, v), 5) & 9007199254740991)
            < (0.25::real::float8 * 9007199254740992)::bigint) h;

-- a fraction so small that no row is held out: no validation, as in memory
SELECT nn_info(m)->'history'->0 ? 'val_loss' AS validated, nn_info(m)->'rows_trained' AS rows_trained
FROM (SELECT nn_train('sg_rows', 'label', '{a,b,c,v}', '{4}',
             '{"strategy": "aggregate", "epochs": 1, "validation_fraction": 0.0001}') AS m) t;

-- a regressor and a boolean target: the target expression per type
CREATE TABLE sg_reg AS
SELECT i, (i % 10)::real / 10 AS x, ((i % 10)::numeric / 10 * 3 + 1) AS y, (i % 10) >= 5 AS flag
FROM generate_series(1, 400) i;
SELECT round(avg(abs(nn_predict_row(m, r) - r.y))::numeric, 1) AS mean_abs_error
FROM (SELECT nn_train('sg_reg', 'y', '{x}', '{8}',
             '{"strategy": "aggregate", "epochs": 30, "learning_rate": 0.01}') AS m) t, sg_reg r;
SELECT avg((nn_predict_class_row(m, r) = r.flag::text)::int) AS accuracy
FROM (SELECT nn_train('sg_reg', 'flag', '{x}', '{8}',
             '{"strategy": "aggregate", "epochs": 30, "learning_rate": 0.01}') AS m) t, sg_reg r;

-- partial states: 2 partitions trained apart and averaged (partitionwise
-- aggregation, as Citus trains shards), the same bytes on every run
CREATE TABLE sg_parts (i int, label text, a real, b real, c text, v float8[]) PARTITION BY LIST ((i % 2));
CREATE TABLE sg_parts_0 PARTITION OF sg_parts FOR VALUES IN (0);
CREATE TABLE sg_parts_1 PARTITION OF sg_parts FOR VALUES IN (1);
INSERT INTO sg_parts SELECT * FROM sg_rows ORDER BY i;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF)
SELECT nn_fit(nn_init(7, '{4}', 3), ARRAY[a, b], 0) FROM sg_parts;
CREATE TABLE sg_two AS
SELECT nn_train('sg_parts', 'label', '{a,b,c,v}', '{16}',
       '{"strategy": "aggregate", "epochs": 6, "seed": 3, "impute": "mean", "learning_rate": 0.01}') AS m;
SELECT md5(m) = md5(nn_train('sg_parts', 'label', '{a,b,c,v}', '{16}',
       '{"strategy": "aggregate", "epochs": 6, "seed": 3, "impute": "mean", "learning_rate": 0.01}'))
       AS same_bytes,
       m <> (SELECT m FROM sg_models WHERE strategy = 'aggregate') AS averaged_differs,
       round(avg((nn_predict_class_row(m, r) = r.label)::int), 1) AS accuracy
FROM sg_two, sg_rows r GROUP BY m;
RESET enable_partitionwise_aggregate;

-- a forced parallel plan: workers train partial models that are averaged;
-- the bytes depend on how the rows fell to the workers, the model is sound
CREATE TABLE sg_big AS SELECT r.* FROM sg_rows r, generate_series(1, 8) g ORDER BY g, r.i;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT nn_fit(nn_init(7, '{4}', 3), ARRAY[a, b], 0) FROM sg_big;
-- (at least 0.9 however the rows fall: 3 partitions reach 0.985, one part 1.0)
SELECT avg((nn_predict_class_row(m, r) = r.label)::int) >= 0.9 AS accurate
FROM (SELECT nn_train('sg_big', 'label', '{a,b,c,v}', '{16}',
             '{"strategy": "aggregate", "epochs": 4, "seed": 3, "impute": "mean",
               "learning_rate": 0.03}') AS m) t, sg_rows r;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;

-- errors
SELECT nn_train('sg_rows', 'label', '{a,b}', '{4}', '{"strategy": "rows"}');
SELECT nn_train('sg_rows', 'label', '{a,b}', '{4}', '{"strategy": 1}');
SELECT nn_train('sg_rows', 'label', '{a,b}', '{4}', '{"strategy": "aggregate", "weight_column": "i"}');
SELECT nn_train('sg_rows', 'label', '{a,b}', '{4}', '{"strategy": "aggregate", "class_weight": "balanced"}');
SELECT nn_continue(m, 'sg_rows', '{"strategy": "memory"}') FROM sg_models WHERE strategy = 'aggregate';
SELECT nn_train('(SELECT label, a, b FROM sg_rows WHERE false)', 'label', NULL, '{4}', '{"strategy": "aggregate"}');
-- the rows of a query source vanish after the first pass: no row reaches nn_fit
CREATE SEQUENCE sg_seq;
SELECT nn_train('SELECT label, a, b FROM sg_rows WHERE nextval(''sg_seq'') <= 600', 'label', NULL,
                '{4}', '{"strategy": "aggregate"}');
-- nn_features_row: a model that names no columns; a row without a feature
SELECT nn_features_row(nn_init(2, '{4}', 2), r) FROM sg_rows r LIMIT 1;
SELECT nn_features_row(m, r) FROM sg_models, (SELECT label, a, b FROM sg_rows) r
WHERE strategy = 'memory' LIMIT 1;

-- with the issue-20 options: threshold "f1" is chosen on the hold-out (and
-- needs one: the training rows are not kept), and a name registers the
-- hold-out's metrics
CREATE TABLE sg_bin AS
SELECT i, (a > 1.2) AS hit, a, b FROM sg_rows WHERE a IS NOT NULL;
SELECT nn_train('sg_bin', 'hit', '{a,b}', '{8}', '{"strategy": "aggregate", "threshold": "f1"}');
CREATE TABLE sg_f1 AS
SELECT nn_train('sg_bin', 'hit', '{a,b}', '{8}',
                '{"strategy": "aggregate", "threshold": "f1", "validation_fraction": 0.25, "epochs": 8,
                  "learning_rate": 0.02, "seed": 5, "name": "sg_f1"}') AS m;
SELECT (nn_info(m)->>'threshold')::float8 BETWEEN 0 AND 1 AND nn_info(m)->>'threshold' <> '0.5' AS chosen,
       nn_info(m)->'positive_class' AS positive_class
FROM sg_f1;
SELECT metrics->>'on' AS metrics_on, (metrics->>'rows')::int > 0 AS has_rows,
       (metrics->>'accuracy')::float8 BETWEEN 0 AND 1 AS has_accuracy
FROM nn_models WHERE name = 'sg_f1';
SELECT nn_continue(m, 'sg_bin', '{"threshold": "f1"}') IS NOT NULL AS continued FROM sg_f1;
DELETE FROM nn_models WHERE name = 'sg_f1';

-- the review's cases: a column named nn_row is a column like another; a
-- built-in the query uses cannot be shadowed on the search_path; a class
-- found only among the held-out rows says so; threshold "f1" on a hold-out
-- that caught no row; nn_continue checks the decision options first
CREATE TABLE sg_named AS SELECT a AS nn_row, b, label FROM sg_rows WHERE a IS NOT NULL;
SELECT nn_info(nn_train('sg_named', 'label', NULL, '{4}',
                        '{"strategy": "aggregate", "epochs": 1, "seed": 2}'))->'features' AS features;
CREATE SCHEMA sg_shadow;
CREATE FUNCTION sg_shadow.concat(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'shadow' $$;
SET search_path = sg_shadow, public;
SELECT (nn_evaluate(nn_train('sg_named', 'label', NULL, '{4}', '{"strategy": "aggregate", "epochs": 2, "seed": 2}'),
                   'sg_named', 'label')->>'accuracy')::float8 > 0.5 AS trained_on_the_labels;
RESET search_path;
DROP SCHEMA sg_shadow CASCADE;
CREATE TABLE sg_rare AS
SELECT label, a, b FROM sg_rows WHERE a IS NOT NULL UNION ALL SELECT 'rare', 0.5::real, 0.5::real;
SELECT nn_train('sg_rare', 'label', '{a,b}', '{4}', '{"strategy": "aggregate", "validation_fraction": 0.3, "seed": 5}');
SELECT nn_train('(SELECT hit, a, b FROM sg_bin WHERE i < 40)', 'hit', '{a,b}', '{4}',
                '{"strategy": "aggregate", "threshold": "f1", "validation_fraction": 0.001}');
SELECT nn_continue(m, 'sg_rows', '{"threshold": 0.3}') FROM sg_models WHERE strategy = 'aggregate';
-- a role that may read only the columns the model needs trains through the
-- subquery form (a whole-row reference would need SELECT on every column)
CREATE ROLE sg_columns_only;
GRANT SELECT (label, a, b) ON sg_rows TO sg_columns_only;
SET ROLE sg_columns_only;
SELECT nn_info(nn_train('sg_rows', 'label', '{a,b}', '{4}',
                        '{"strategy": "aggregate", "epochs": 1, "impute": "mean"}'))->'features' AS features;
RESET ROLE;
REVOKE ALL ON sg_rows FROM sg_columns_only;
DROP ROLE sg_columns_only;
