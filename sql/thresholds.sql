-- Imbalanced classes (issue 20 items 1-3): options positive_class and
-- threshold, nn_with_threshold, one class's probability, and nn_evaluate's
-- ranking metrics, each checked against the same thing computed in SQL.

-- a generated table, 3.8% positive by a known rule; rows 1-4000 train,
-- 4001-6000 are held out.  The held-out features are rounded, so many rows
-- share a score (ties).
CREATE TABLE imb AS
SELECT i AS id, x1, x2, x3, x1 + x2 + 0.4 * x3 > 1.95 AS y
FROM (SELECT i,
             (hashint4(i) & 65535) / 65535.0 AS x1,
             (hashint4(i + 1000000) & 65535) / 65535.0 AS x2,
             (hashint4(i + 2000000) & 65535) / 65535.0 AS x3
      FROM generate_series(1, 6000) i) s;
UPDATE imb SET x1 = round(x1, 1), x2 = round(x2, 1), x3 = round(x3, 1) WHERE id > 4000;
CREATE VIEW imb_train AS SELECT x1, x2, x3, y FROM imb WHERE id <= 4000;
CREATE VIEW imb_test AS SELECT x1, x2, x3, y FROM imb WHERE id > 4000;
SELECT round(avg(y::int), 3) AS positive_share FROM imb;

CREATE TABLE thr AS
SELECT nn_train('imb_train', 'y', NULL, '{8}',
                '{"epochs": 20, "seed": 1, "validation_fraction": 0.25, "threshold": "f1"}') AS f1,
       nn_train('imb_train', 'y', NULL, '{8}',
                '{"epochs": 20, "seed": 1, "validation_fraction": 0.25}') AS plain;

-- 1. the threshold chosen is stored in the options record, shown by nn_info;
-- the training is the same, only the record differs
SELECT jsonb_typeof(nn_info(f1)->'options'->'threshold') AS recorded,
       (nn_info(f1)->>'threshold')::float8 > 0 AND (nn_info(f1)->>'threshold')::float8 < 0.5 AS below_half,
       nn_info(f1)->'threshold' = nn_info(f1)->'options'->'threshold' AS shown,
       nn_info(f1)->>'positive_class' AS positive_class,
       nn_info(plain)->'options' ? 'threshold' AS plain_records_it,
       nn_info(plain)->>'threshold' AS plain_threshold,
       nn_with_threshold(f1, 0.5) = plain AS same_training
FROM thr;

-- Done when: on the held-out rows, the positive class's F1 at the chosen
-- threshold beats the same model's at 0.5
WITH e AS (SELECT nn_evaluate(f1, 'imb_test') AS at_f1,
                  nn_evaluate(nn_with_threshold(f1, 0.5), 'imb_test') AS at_half FROM thr)
SELECT (at_f1->>'f1')::float8 > (at_half->>'f1')::float8 AS f1_threshold_wins,
       (at_f1->>'f1')::float8 > 0.5 AS f1_above_half,
       at_half->>'threshold' AS half, at_f1->>'positive_class' AS positive_class
FROM e;

-- 2. every class-returning function decides by P(true) >= threshold:
-- per row, whole row, window, batch (nn_predict's class index), by name
SELECT nn_register('thr_f1', f1) AS version FROM thr;
WITH t AS (SELECT (nn_info(f1)->>'threshold')::real AS th, f1 FROM thr),
     s AS (SELECT x1, x2, x3, ARRAY[x1, x2, x3]::real[] AS f, f1, th FROM imb, t WHERE id > 4000)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE nn_predict_class(f1, f) =
                        CASE WHEN nn_predict_proba(f1, f, 'true') >= th THEN 'true' ELSE 'false' END) AS per_row,
       count(*) FILTER (WHERE nn_predict_class_row(f1, s) = nn_predict_class(f1, f)) AS whole_row,
       count(*) FILTER (WHERE nn_predict(f1, f) = (nn_predict_class(f1, f) = 'true')::int) AS index,
       count(*) FILTER (WHERE nn_predict_class('thr_f1', f) = nn_predict_class(f1, f)) AS by_name,
       count(*) FILTER (WHERE nn_predict_class_row('thr_f1', s) = nn_predict_class(f1, f)) AS by_name_row,
       count(*) FILTER (WHERE nn_predict_class(f1, f) = 'true') AS called_true,
       count(*) FILTER (WHERE nn_predict_class(nn_with_threshold(f1, 0.5), f) = 'true') AS called_true_at_half
FROM s;
WITH s AS (SELECT ARRAY[x1, x2, x3]::real[] AS f, f1 FROM imb, thr WHERE id > 4000)
SELECT count(*) FILTER (WHERE w = nn_predict_class(f1, f)) AS window_agrees, count(*) AS rows
FROM (SELECT f, f1, nn_predict_class_window(f1, f) OVER () AS w FROM s) q;
WITH s AS (SELECT array_agg(ARRAY[x1, x2, x3]::real[] ORDER BY id) AS rows,
                  array_agg(id ORDER BY id) AS ids FROM imb WHERE id > 4000)
SELECT count(*) FILTER (WHERE b.v = (nn_predict_class(f1, ARRAY[i.x1, i.x2, i.x3]::real[]) = 'true')::int) AS batch_agrees
FROM s, thr, unnest(nn_predict_batch(f1, s.rows), s.ids) AS b(v, id) JOIN imb i ON i.id = b.id;

-- 3. one class's probability: equal to its element of nn_predict_proba,
-- for a model by value and by name, per row and whole row; unknown-typed
-- literals pick the overloads they should
SELECT count(*) FILTER (WHERE nn_predict_proba(f1, f, 'true') = (nn_predict_proba(f1, f))[2]
                          AND nn_predict_proba(f1, f, 'false') = (nn_predict_proba(f1, f))[1]) AS by_value,
       count(*) FILTER (WHERE nn_predict_proba('thr_f1', f, 'true') = (nn_predict_proba(f1, f))[2]) AS by_name,
       count(*) FILTER (WHERE nn_predict_proba_row(f1, s, 'true') = (nn_predict_proba(f1, f))[2]
                          AND nn_predict_proba_row('thr_f1', s, 'true') = (nn_predict_proba(f1, f))[2]) AS whole_row
FROM (SELECT x1, x2, x3, ARRAY[x1, x2, x3]::real[] AS f, f1 FROM imb, thr WHERE id > 5900) s;
SELECT pg_typeof(nn_predict_proba('thr_f1', '{0.9,0.9,0.9}', 'true')) AS by_name_type,
       nn_predict_proba('thr_f1', '{0.9,0.9,0.9}', 'true') = (nn_predict_proba('thr_f1', '{0.9,0.9,0.9}'))[2] AS same,
       pg_typeof(nn_predict_proba('thr_f1', '{0.9,0.9,0.9}')) AS all_classes_type,
       (SELECT nn_predict_proba(f1, '{0.9,0.9,0.9}', 'true') = nn_predict_proba('thr_f1', '{0.9,0.9,0.9}', 'true') FROM thr) AS bytea_literal;
-- errors: not a class (the classes listed), a regression model
SELECT nn_predict_proba(f1, '{0.5,0.5,0.5}', 't') FROM thr;
SELECT nn_predict_proba_row(f1, s, 'yes') FROM thr, (SELECT x1, x2, x3 FROM imb LIMIT 1) s;
SELECT nn_predict_proba('thr_f1', '{0.5,0.5,0.5}', 'TRUE');
SELECT nn_predict_proba(nn_train('imb_train', 'x1', '{x2}', '{2}', '{"epochs": 1}'), '{0.5}', 'true');

-- 4. nn_evaluate's ranking metrics against SQL: roc_auc by the rank formula
-- (average ranks for ties), pr_auc by a window computation of average
-- precision, precision, recall and f1 from nn_predict_class
CREATE TABLE thr_scores AS
SELECT nn_predict_proba(f1, ARRAY[x1, x2, x3]::real[], 'true') AS p,
       nn_predict_class(f1, ARRAY[x1, x2, x3]::real[]) = 'true' AS called, y
FROM imb, thr WHERE id > 4000;
SELECT count(DISTINCT p) < count(*) AS ties FROM thr_scores;
WITH r AS (SELECT p, y, rank() OVER (ORDER BY p) + (count(*) OVER (PARTITION BY p) - 1) / 2.0 AS rk
           FROM thr_scores),
     auc AS (SELECT (sum(rk) FILTER (WHERE y) - count(*) FILTER (WHERE y) * (count(*) FILTER (WHERE y) + 1) / 2.0)
                    / (count(*) FILTER (WHERE y) * count(*) FILTER (WHERE NOT y)) AS v FROM r),
     g AS (SELECT p, count(*) FILTER (WHERE y) AS pos, count(*) AS n FROM thr_scores GROUP BY p),
     c AS (SELECT p, pos, sum(pos) OVER (ORDER BY p DESC) AS tp, sum(n) OVER (ORDER BY p DESC) AS called
           FROM g),
     ap AS (SELECT sum(pos::numeric / (SELECT count(*) FROM thr_scores WHERE y) * tp / called) AS v FROM c),
     prf AS (SELECT count(*) FILTER (WHERE called AND y)::numeric AS tp,
                    count(*) FILTER (WHERE called AND NOT y) AS fp,
                    count(*) FILTER (WHERE NOT called AND y) AS fn FROM thr_scores),
     e AS (SELECT nn_evaluate(f1, 'imb_test') AS r FROM thr)
SELECT abs((r->>'roc_auc')::numeric - auc.v) < 1e-9 AS roc_auc_ok,
       abs((r->>'pr_auc')::numeric - ap.v) < 1e-9 AS pr_auc_ok,
       abs((r->>'precision')::numeric - tp / (tp + fp)) < 1e-9 AS precision_ok,
       abs((r->>'recall')::numeric - tp / (tp + fn)) < 1e-9 AS recall_ok,
       abs((r->>'f1')::numeric - 2 * tp / (2 * tp + fp + fn)) < 1e-9 AS f1_ok,
       (r->>'roc_auc')::numeric > 0.9 AS ranks_well,
       round(auc.v, 2) AS roc_auc
FROM e, auc, ap, prf;

-- more classes: roc_auc_ovr, the mean of each class's ROC AUC against the rest
CREATE TABLE thr3 AS
SELECT nn_train('SELECT x1, x2, x3, CASE WHEN x1 < 0.3 THEN ''a'' WHEN x1 < 0.6 THEN ''b'' ELSE ''c'' END AS k
                 FROM imb WHERE id <= 4000', 'k', NULL, '{8}', '{"epochs": 5, "seed": 2}') AS m;
CREATE VIEW thr3_test AS
SELECT x1, x2, x3, CASE WHEN x1 < 0.3 THEN 'a' WHEN x1 < 0.6 THEN 'b' ELSE 'c' END AS k FROM imb WHERE id > 4000;
WITH s AS (SELECT c, nn_predict_proba(m, ARRAY[x1, x2, x3]::real[], c) AS p, k = c AS y
           FROM thr3, thr3_test, unnest('{a,b,c}'::text[]) c),
     r AS (SELECT c, y, rank() OVER (PARTITION BY c ORDER BY p)
                        + (count(*) OVER (PARTITION BY c, p) - 1) / 2.0 AS rk FROM s),
     per AS (SELECT (sum(rk) FILTER (WHERE y) - count(*) FILTER (WHERE y) * (count(*) FILTER (WHERE y) + 1) / 2.0)
                    / (count(*) FILTER (WHERE y) * count(*) FILTER (WHERE NOT y)) AS v FROM r GROUP BY c),
     e AS (SELECT nn_evaluate(m, 'thr3_test') AS r FROM thr3)
SELECT abs((r->>'roc_auc_ovr')::numeric - (SELECT avg(v) FROM per)) < 1e-9 AS roc_auc_ovr_ok,
       r ? 'roc_auc' AS two_class_keys, r ? 'threshold' AS threshold_key
FROM e;
-- the probabilities kept for roc_auc are budgeted: a 1 MB nn.score_memory
-- holds too few rows of 3 classes
SET nn.score_memory = 1;
SELECT nn_evaluate(m, 'SELECT * FROM thr3_test, generate_series(1, 20)') FROM thr3;
RESET nn.score_memory;

-- 5. nn_with_threshold: a number in (0, 1), the rest of the model kept;
-- stripped and quantized models too; NULL in, NULL out
SELECT nn_info(nn_with_threshold(plain, 0.25))->'threshold' AS set,
       nn_info(nn_with_threshold(nn_with_threshold(plain, 0.25), 0.5))->'options' ? 'threshold' AS half_leaves_it,
       nn_with_threshold(nn_with_threshold(plain, 0.25), 0.5) = plain AS back_to_plain,
       nn_info(nn_with_threshold(nn_strip(plain), 0.25))->'threshold' AS stripped,
       nn_info(nn_with_threshold(nn_quantize(plain), 0.25))->'threshold' AS quantized,
       nn_predict_class(nn_with_threshold(nn_quantize(plain), 0.01), '{0.5,0.5,0.5}') AS low_threshold_class,
       nn_with_threshold(NULL, 0.3) IS NULL AND nn_with_threshold(plain, NULL) IS NULL AS strict
FROM thr;
-- a positive class named, and an existing one kept
SELECT nn_info(nn_with_threshold(plain, 0.25, 'false'))->>'positive_class' AS named,
       nn_predict_class(nn_with_threshold(plain, 0.99, 'false'), '{0.95,0.95,0.95}') AS class_at_099,
       nn_info(nn_with_threshold(nn_with_threshold(plain, 0.25, 'false'), 0.3))->>'positive_class' AS kept
FROM thr;
-- errors: out of (0, 1), not two classes, no positive class, not a class, nn_init
SELECT nn_with_threshold(plain, 0) FROM thr;
SELECT nn_with_threshold(plain, 1) FROM thr;
SELECT nn_with_threshold(plain, 'NaN') FROM thr;
SELECT nn_with_threshold(m, 0.3) FROM thr3;
SELECT nn_with_threshold(nn_train('imb_train', 'x1', '{x2}', '{2}', '{"epochs": 1}'), 0.3);
SELECT nn_with_threshold(plain, 0.3, 'maybe') FROM thr;
SELECT nn_with_threshold(nn_init(3, '{4}', 2), 0.3);
CREATE TABLE thr_text AS
SELECT nn_train('SELECT x1, x2, CASE WHEN y THEN ''fraud'' ELSE ''ok'' END AS k FROM imb_train',
                'k', NULL, '{4}', '{"epochs": 2, "seed": 3}') AS m;
SELECT nn_info(m)->'positive_class' AS no_default, nn_info(m)->'threshold' AS threshold FROM thr_text;
SELECT nn_with_threshold(m, 0.3) FROM thr_text;
SELECT nn_info(nn_with_threshold(m, 0.3, 'fraud'))->>'positive_class' AS named FROM thr_text;
-- nn_evaluate ranks the second label when there is no positive class
SELECT nn_evaluate(m, 'SELECT x1, x2, CASE WHEN y THEN ''fraud'' ELSE ''ok'' END AS k FROM imb_test', 'k')->>'positive_class' AS ranked
FROM thr_text;

-- 6. the options: positive_class as a string, number or boolean; a numeric
-- label's default is the larger; nn_continue keeps the threshold and
-- chooses again with "f1"
SELECT nn_info(nn_train('imb_train', 'y', NULL, '{2}', '{"epochs": 1, "positive_class": false, "threshold": 0.7}'))->>'positive_class' AS from_boolean,
       nn_info(nn_train('SELECT x1, y::int AS k FROM imb_train', 'k', NULL, '{2}', '{"epochs": 1, "task": "classification", "threshold": 0.7}'))->>'positive_class' AS numeric_default,
       nn_info(nn_train('SELECT x1, y::int AS k FROM imb_train', 'k', NULL, '{2}', '{"epochs": 1, "task": "classification", "positive_class": 0}'))->>'positive_class' AS from_number,
       nn_info(nn_train('SELECT x1, CASE WHEN y THEN 9 ELSE 10 END AS k FROM imb_train', 'k', NULL, '{2}', '{"epochs": 1, "task": "classification", "threshold": 0.7}'))->>'positive_class' AS larger_not_first_in_text;
SELECT nn_info(nn_continue(nn_with_threshold(plain, 0.3), 'imb_train', '{"epochs": 1}'))->'threshold' AS kept,
       nn_info(nn_continue(nn_with_threshold(plain, 0.3), 'imb_train', '{"epochs": 1, "threshold": 0.4}'))->'threshold' AS replaced,
       (nn_info(nn_continue(plain, 'imb_train', '{"epochs": 1, "threshold": "f1"}'))->>'threshold')::float8 < 0.5 AS chosen
FROM thr;
-- the choice is deterministic
SELECT nn_train('imb_train', 'y', NULL, '{8}',
                '{"epochs": 20, "seed": 1, "validation_fraction": 0.25, "threshold": "f1"}') = f1 AS same_bytes
FROM thr;
-- without a hold-out the training rows choose; with no positive row, a warning keeps 0.5
SELECT (nn_info(nn_train('imb_train', 'y', NULL, '{4}', '{"epochs": 3, "seed": 1, "threshold": "f1"}'))->>'threshold')::float8 < 0.5 AS from_training_rows;
SELECT nn_info(nn_train('SELECT x1, x2, id IN (7, 8) AS y FROM imb WHERE id <= 100', 'y', NULL, '{2}',
                        '{"epochs": 1, "seed": 1, "threshold": "f1", "validation_fraction": 0.2}'))->'threshold' AS kept_half;
-- errors: the value, the model (regression, more classes), the positive class
SELECT nn_train('imb_train', 'y', NULL, '{2}', '{"threshold": 1}');
SELECT nn_train('imb_train', 'y', NULL, '{2}', '{"threshold": "f2"}');
SELECT nn_train('imb_train', 'y', NULL, '{2}', '{"positive_class": [1]}');
SELECT nn_train('imb_train', 'x1', '{x2}', '{2}', '{"threshold": 0.3}');
SELECT nn_train('imb_train', 'x1', '{x2}', '{2}', '{"positive_class": "true"}');
SELECT nn_train('SELECT x1, CASE WHEN x1 < 0.3 THEN ''a'' WHEN x1 < 0.6 THEN ''b'' ELSE ''c'' END AS k FROM imb_train',
                'k', NULL, '{2}', '{"threshold": "f1"}');
SELECT nn_train('imb_train', 'y', NULL, '{2}', '{"positive_class": "yes"}');
SELECT nn_train('SELECT x1, CASE WHEN y THEN ''fraud'' ELSE ''ok'' END AS k FROM imb_train', 'k', NULL, '{2}', '{"threshold": 0.2}');
SELECT nn_init(3, '{4}', 2, '{"threshold": 0.2}');
-- a record whose decision is not one (its bytes changed in place): a damaged model
SELECT nn_predict_class(decode(replace(encode(nn_with_threshold(plain, 0.25), 'hex'),
                                       encode('"threshold":0.25', 'hex'), encode('"threshold":1.25', 'hex')), 'hex'),
                        '{0.5,0.5,0.5}') FROM thr;
SELECT nn_info(decode(replace(encode(nn_with_threshold(plain, 0.25, 'false'), 'hex'),
                              encode('"positive_class":"false"', 'hex'), encode('"positive_class":"FALSE"', 'hex')), 'hex'))
FROM thr;

-- nn_continue given threshold 0.5 takes it, as any other value; a value
-- that rounds to 1 as a real is refused with what it rounds to
SELECT nn_info(nn_continue(nn_with_threshold(plain, 0.3), 'imb_train', '{"threshold": 0.5, "epochs": 1}'))->'threshold' AS threshold_after
FROM thr;
SELECT nn_with_threshold(plain, 0.999999999) FROM thr;
