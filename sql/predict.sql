-- Scoring: nn_predict, nn_predict_class, nn_predict_proba for softmax
-- classifiers, binary_cross_entropy classifiers and regressors; the
-- per-backend model cache across rows, models and TOASTed values.

CREATE TABLE blobs AS
SELECT i::real AS x1, j::real AS x2,
       CASE WHEN i < 5 AND j < 5 THEN 'sw' WHEN i >= 5 AND j < 5 THEN 'se'
            WHEN i < 5 THEN 'nw' ELSE 'ne' END AS quadrant,
       i + j >= 10 AS big
FROM generate_series(0, 9) i, generate_series(0, 9) j;

CREATE TABLE pmodels (name text PRIMARY KEY, m bytea);
INSERT INTO pmodels
SELECT 'softmax', nn_train('blobs', 'quadrant', ARRAY['x1', 'x2'], '{16}',
                           '{"epochs": 100, "learning_rate": 0.02, "seed": 11}');
INSERT INTO pmodels
SELECT 'bce', nn_train('blobs', 'big', ARRAY['x1', 'x2'], '{8}',
                       '{"epochs": 100, "learning_rate": 0.02, "seed": 11, "loss": "binary_cross_entropy"}');
INSERT INTO pmodels
SELECT 'ce2', nn_train('blobs', 'big', ARRAY['x1', 'x2'], '{8}',
                       '{"epochs": 100, "learning_rate": 0.02, "seed": 11}');
INSERT INTO pmodels
SELECT 'regressor', nn_train('SELECT x1, x2, (x1 * 2 - x2)::float8 AS t FROM blobs', 't', NULL, '{}',
                             '{"epochs": 200, "learning_rate": 0.05, "seed": 11}');

SELECT name, nn_info(m)->'loss' AS loss, nn_info(m)->'layers'->-1 AS output_layer,
       nn_info(m)->'classes' AS classes
FROM pmodels ORDER BY name COLLATE "C";

-- softmax classifier: four probabilities in class order, summing to 1;
-- the class is the most probable one and nn_predict is its index
SELECT x1, x2, quadrant,
       nn_predict_class(m, ARRAY[x1, x2]) AS class,
       nn_predict(m, ARRAY[x1, x2]) AS index,
       array_length(nn_predict_proba(m, ARRAY[x1, x2]), 1) AS n_proba,
       round((SELECT sum(p) FROM unnest(nn_predict_proba(m, ARRAY[x1, x2])) p)::numeric, 3) AS proba_sum
FROM blobs, pmodels
WHERE name = 'softmax' AND (x1, x2) IN ((0, 0), (9, 0), (0, 9), (9, 9), (2, 7))
ORDER BY x1, x2;

SELECT avg((nn_predict_class(m, ARRAY[x1, x2]) = quadrant)::int) >= 0.95 AS accuracy_ok,
       bool_and(abs((SELECT sum(p) FROM unnest(nn_predict_proba(m, ARRAY[x1, x2])) p) - 1) < 1e-5)
           AS proba_sums_to_1,
       bool_and((SELECT bool_and(p >= 0 AND p <= 1) FROM unnest(nn_predict_proba(m, ARRAY[x1, x2])) p))
           AS proba_in_range,
       bool_and(nn_predict_class(m, ARRAY[x1, x2]) =
                (nn_info(m)->'classes'->>(nn_predict(m, ARRAY[x1, x2])::int))) AS index_names_class,
       bool_and((nn_predict_proba(m, ARRAY[x1, x2]))[nn_predict(m, ARRAY[x1, x2])::int + 1] =
                (SELECT max(p) FROM unnest(nn_predict_proba(m, ARRAY[x1, x2])) p)) AS class_is_argmax
FROM blobs, pmodels WHERE name = 'softmax';

-- binary_cross_entropy: one sigmoid output, two probabilities, class by
-- the 0.5 threshold
SELECT x1, x2, big, nn_predict_class(m, ARRAY[x1, x2]) AS class, nn_predict(m, ARRAY[x1, x2]) AS index,
       array_length(nn_predict_proba(m, ARRAY[x1, x2]), 1) AS n_proba,
       round((SELECT sum(p) FROM unnest(nn_predict_proba(m, ARRAY[x1, x2])) p)::numeric, 3) AS proba_sum
FROM blobs, pmodels
WHERE name = 'bce' AND (x1, x2) IN ((0, 0), (9, 9), (1, 2), (8, 7))
ORDER BY x1, x2;

SELECT name,
       avg((nn_predict_class(m, ARRAY[x1, x2]) = big::text)::int) >= 0.95 AS accuracy_ok,
       bool_and(((nn_predict_proba(m, ARRAY[x1, x2]))[2] >= 0.5) = (nn_predict(m, ARRAY[x1, x2]) = 1))
           AS threshold_matches,
       bool_and(abs((SELECT sum(p) FROM unnest(nn_predict_proba(m, ARRAY[x1, x2])) p) - 1) < 1e-5)
           AS proba_sums_to_1
FROM blobs, pmodels WHERE name IN ('bce', 'ce2')
GROUP BY name ORDER BY name COLLATE "C";

-- regressor: values in the target's units
SELECT round(nn_predict(m, ARRAY[3, 1]::real[])::numeric, 1) AS at_3_1,
       round(nn_predict(m, ARRAY[0, 9]::real[])::numeric, 1) AS at_0_9,
       avg((nn_predict(m, ARRAY[x1, x2]) - (x1 * 2 - x2)) ^ 2) < 0.01 AS mse_ok
FROM blobs, pmodels WHERE name = 'regressor' GROUP BY m;

-- the scores are the network's outputs: every model's, on every row, agree
-- with a forward pass computed in SQL from the model's bytes (ref_forward,
-- which shares nothing with nn's reader, kernels or caches).  Also an
-- untrained model from nn_init (raw features, no scaling); and a control:
-- with the features swapped, the regressor (2 x1 - x2) agrees only on the
-- 10 rows where x1 = x2.
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/test/ref_forward.sql
\set ECHO all
SELECT name, count(*) AS n_values,
       count(*) FILTER (WHERE abs(r - p) < CASE WHEN name = 'regressor' THEN 1e-4 ELSE 1e-5 END)
           AS n_same_as_sql_forward
FROM (SELECT name, m FROM pmodels
      UNION ALL SELECT 'nn_init', nn_init(2, '{4}', 3, '{"seed": 1}')) pm, blobs,
     unnest(ref_forward(m, ARRAY[ARRAY[x1, x2]]),
            CASE WHEN name = 'regressor' THEN ARRAY[nn_predict(m, ARRAY[x1, x2])]
                 ELSE nn_predict_proba(m, ARRAY[x1, x2])::float8[] END) u(r, p)
GROUP BY name ORDER BY name COLLATE "C";
SELECT count(*) AS n_values, count(*) FILTER (WHERE abs(r[1][1] - p) < 1e-4) AS n_same_with_x1_x2_swapped
FROM pmodels, blobs,
     LATERAL (SELECT ref_forward(m, ARRAY[ARRAY[x2, x1]]) AS r, nn_predict(m, ARRAY[x1, x2]) AS p) t
WHERE name = 'regressor';

-- the features array may have any lower bound; values may come from any
-- numeric expression cast to real[]
SELECT nn_predict_class(m, '[0:1]={9,0}'::real[]) AS lower_bound_0,
       nn_predict_class(m, ARRAY[9.0::numeric, 0]::real[]) AS from_numeric
FROM pmodels WHERE name = 'softmax';

-- the caches: scores made in this backend with the call sites' caches and
-- the backend's cache of stored models at work are compared below with
-- scores made in a fresh backend with the cache of stored models off, one
-- model per query.  First, several models in turn, row after row.
CREATE TABLE pr_mixed AS
SELECT name, x1, x2, nn_predict(m, ARRAY[x1, x2]) AS p
FROM (SELECT * FROM blobs, pmodels ORDER BY x1, x2, name OFFSET 0) s;

-- models stored out of line (TOAST): parsed once, then found in the
-- backend's cache by the next query
CREATE TABLE big_models (id int, m bytea);
ALTER TABLE big_models ALTER COLUMN m SET STORAGE EXTERNAL;
INSERT INTO big_models
SELECT 1, nn_train('blobs', 'quadrant', ARRAY['x1', 'x2'], '{64, 32}', '{"epochs": 20, "seed": 3}');
INSERT INTO big_models
SELECT 2, nn_train('blobs', 'quadrant', ARRAY['x1', 'x2'], '{64, 32}', '{"epochs": 20, "seed": 4}');
SELECT id, length(m) > 8000 AS large, pg_column_size(m) = length(m) AS uncompressed FROM big_models ORDER BY id;
-- the two toasted models, alternating in one scan
SELECT id, count(*) FILTER (WHERE nn_predict_class(m, ARRAY[x1, x2]) = quadrant) >= 80 AS mostly_right
FROM blobs, big_models GROUP BY id ORDER BY id;
CREATE TABLE pr_toasted AS
SELECT id, x1, x2, nn_predict_proba(m, ARRAY[x1, x2]) AS p
FROM (SELECT * FROM blobs, big_models ORDER BY x1, x2, id OFFSET 0) s;
SELECT (nn_model_cache_stats()->>'models')::int >= 2 AS toasted_models_cached,
       (nn_model_cache_stats()->>'hits')::int > 0 AS cache_hits;

-- a fresh backend, the cache of stored models off
\c -
SET nn.model_cache_memory = 0;
SELECT (nn_model_cache_stats()->>'misses')::int AS misses_so_far;
CREATE TABLE pr_single (name text, x1 real, x2 real, p float8);
DO $$
DECLARE
    n text;
BEGIN
    FOR n IN SELECT name FROM pmodels ORDER BY name LOOP
        EXECUTE 'INSERT INTO pr_single SELECT name, x1, x2, nn_predict(m, ARRAY[x1, x2])
                 FROM blobs, pmodels WHERE name = $1' USING n;
    END LOOP;
END
$$;
SELECT count(*) AS rows, bool_and(a.p = s.p) AS mixed_same_as_alone
FROM pr_mixed a JOIN pr_single s USING (name, x1, x2);
-- the toasted models, cached before, against an in-line copy of each,
-- uncached, one model per call site
SELECT count(*) AS rows, bool_and(t.p = u.p) AS toasted_cached_same_as_inline_uncached
FROM pr_toasted t
JOIN (SELECT 1 AS id, x1, x2, nn_predict_proba(m || ''::bytea, ARRAY[x1, x2]) AS p
      FROM blobs, big_models WHERE id = 1
      UNION ALL
      SELECT 2, x1, x2, nn_predict_proba(m || ''::bytea, ARRAY[x1, x2])
      FROM blobs, big_models WHERE id = 2) u USING (id, x1, x2);
SELECT (nn_model_cache_stats()->>'models')::int AS cached_models;
RESET nn.model_cache_memory;

-- an untrained model from nn_init scores too (raw features, no scaling)
SELECT nn_predict(nn_init(2, '{4}', 3, '{"seed": 1}'), ARRAY[1, 2]::real[]) IN (0, 1, 2) AS valid_index,
       nn_predict_class(nn_init(2, '{4}', 3, '{"seed": 1}'), ARRAY[1, 2]::real[]) IN ('0', '1', '2')
           AS valid_label,
       round((SELECT sum(p) FROM unnest(nn_predict_proba(nn_init(2, '{4}', 3), ARRAY[1, 2]::real[])) p)::numeric, 3)
           AS proba_sum;

-- an untrained linear regressor from nn_init: its output depends on the
-- input (random weights), it is not a constant
SELECT nn_predict(m, ARRAY[1, 2]::real[]) <> nn_predict(m, ARRAY[-3, 5]::real[]) AS depends_on_input,
       nn_predict(m, ARRAY[0, 0]::real[]) = 0 AS zero_bias
FROM (SELECT nn_init(2, '{}', 1, '{"seed": 1}') AS m) t;

-- STRICT: a NULL model or NULL features give NULL
SELECT nn_predict(NULL, ARRAY[1, 2]::real[]) IS NULL AS null_model,
       nn_predict_class(m, NULL) IS NULL AS null_features,
       nn_predict_proba(m, NULL) IS NULL AS null_features_proba,
       nn_info(NULL) IS NULL AS null_info
FROM pmodels WHERE name = 'softmax';

DROP TABLE blobs, pmodels, pr_mixed, pr_single, big_models, pr_toasted;
DROP FUNCTION ref_forward(bytea, real[]), ref_f32(bytea, int), ref_u32(bytea, int);
