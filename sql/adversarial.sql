-- Adversarial robustness: nn_adversarial (FGSM and PGD under an L-infinity
-- budget, both overloads), nn_evaluate's options.adversarial
-- (robust_accuracy, robust_mse), adversarial training (option
-- adversarial of nn_train and nn_continue; the nn_fit aggregate follows a
-- model's record), convolutional and recurrent models attacked, and every
-- error of the options.

-- two classes apart on a (pos: a in [0, 0.9], neg: a in [1, 1.9]), b noise,
-- t a text column (one-hot inputs, never perturbed); value a regression target
CREATE TABLE adv AS
SELECT i, CASE WHEN i % 2 = 0 THEN 'pos' ELSE 'neg' END AS label,
       ((i % 2) + ((i * 37) % 10) / 10.0)::real AS a, (((i * 7) % 10) / 10.0)::real AS b,
       CASE WHEN i % 3 = 0 THEN 'u' ELSE 'v' END AS t,
       (2 * (i % 2) + ((i * 37) % 10) / 10.0)::float8 AS value
FROM generate_series(1, 200) i;
CREATE TABLE adv_models (name text PRIMARY KEY, m bytea);
INSERT INTO adv_models
SELECT 'class', nn_train('adv', 'label', '{a,b,t}', '{8}', '{"epochs": 30, "seed": 3, "learning_rate": 0.01}')
UNION ALL
SELECT 'value', nn_train('adv', 'value', '{a,b}', '{8}', '{"epochs": 30, "seed": 3, "learning_rate": 0.01}');
-- the rows as nn_predict takes them: a, b, then t one-hot (u, v)
CREATE VIEW adv_x AS
SELECT i, label, value, ARRAY[a, b, (t = 'u')::int, (t = 'v')::int]::real[] AS x, ARRAY[a, b]::real[] AS xv
FROM adv;

SELECT (nn_evaluate(m, 'adv')->>'accuracy')::float8 >= 0.95 AS learned FROM adv_models WHERE name = 'class';

-- FGSM at 0.6 moves a and b by exactly 0.6 each (the gradient is never 0
-- here), leaves t's one-hot inputs alone and flips most predictions;
-- nn_predict scores the attack
WITH s AS (SELECT i, label, x, nn_adversarial(m, x, '{"epsilon": 0.6}') AS y, m
           FROM adv_models, adv_x WHERE name = 'class')
SELECT bool_and(abs(abs(y[1] - x[1]) - 0.6) < 1e-5 AND abs(abs(y[2] - x[2]) - 0.6) < 1e-5) AS moved_by_epsilon,
       bool_and(y[3] = x[3] AND y[4] = x[4]) AS text_unchanged,
       count(*) FILTER (WHERE nn_predict_class(m, x) = label) >= 190 AS clean_right,
       count(*) FILTER (WHERE nn_predict_class(m, y) = label) <= 100 AS attacked_wrong,
       bool_and(nn_predict(m, y) = CASE nn_predict_class(m, y) WHEN 'neg' THEN 0 ELSE 1 END) AS scored
FROM s;
-- one row, flipped
SELECT nn_predict_class(m, x) AS clean, nn_predict_class(m, nn_adversarial(m, x, '{"epsilon": 0.6}')) AS attacked
FROM adv_models, adv_x WHERE name = 'class' AND i = 2;

-- the direction: against the predicted class a pos row's a grows; against
-- the label "neg" (a string, or a number for a numeric label) it shrinks
SELECT (nn_adversarial(m, x, '{"epsilon": 0.2}'))[1] > x[1] AS away_from_pos,
       (nn_adversarial(m, x, '{"epsilon": 0.2, "label": "neg"}'))[1] < x[1] AS away_from_neg,
       nn_adversarial(m, x, '{"epsilon": 0.2, "label": "pos"}') = nn_adversarial(m, x, '{"epsilon": 0.2}') AS label_is_predicted
FROM adv_models, adv_x WHERE name = 'class' AND i = 2;

-- clip: every input in [0, 1] however large epsilon
SELECT bool_and(y[1] BETWEEN 0 AND 1 AND y[2] BETWEEN 0 AND 1) AS in_range,
       bool_and(y[1] IN (0, 1) AND y[2] IN (0, 1)) AS at_the_bounds,
       bool_and(y[3] = x[3] AND y[4] = x[4]) AS text_unchanged
FROM (SELECT x, nn_adversarial(m, x, '{"epsilon": 5, "clip": [0, 1]}') AS y
      FROM adv_models, adv_x WHERE name = 'class' AND x[1] <= 1) s;
-- a PGD attack clipped too
SELECT bool_and(y[1] BETWEEN 0.25 AND 0.75 AND y[2] BETWEEN 0.25 AND 0.75) AS in_range
FROM (SELECT nn_adversarial(m, x, '{"method": "pgd", "epsilon": 1, "clip": [0.25, 0.75]}') AS y
      FROM adv_models, adv_x WHERE name = 'class' AND x[1] BETWEEN 0.25 AND 0.75 AND x[2] BETWEEN 0.25 AND 0.75) s;

-- PGD: within epsilon, deterministic by seed, another seed another start;
-- at least as strong as FGSM here
WITH s AS (SELECT x, label, m,
                  nn_adversarial(m, x, '{"method": "pgd", "epsilon": 0.3, "seed": 1}') AS p1,
                  nn_adversarial(m, x, '{"method": "pgd", "epsilon": 0.3, "seed": 1}') AS p1b,
                  nn_adversarial(m, x, '{"method": "pgd", "epsilon": 0.3, "steps": 1, "step_size": 0.001, "seed": 2}') AS p2,
                  nn_adversarial(m, x, '{"method": "pgd", "epsilon": 0.3, "steps": 1, "step_size": 0.001, "seed": 1}') AS p3,
                  nn_adversarial(m, x, '{"epsilon": 0.3}') AS f
           FROM adv_models, adv_x WHERE name = 'class')
SELECT bool_and(abs(p1[1] - x[1]) <= 0.3 + 1e-6 AND abs(p1[2] - x[2]) <= 0.3 + 1e-6) AS in_ball,
       bool_and(p1[3] = x[3] AND p1[4] = x[4]) AS text_unchanged,
       bool_and(p1 = p1b) AS same_seed_same_attack,
       bool_and(p2 <> p3) AS other_seed_other_start,
       count(*) FILTER (WHERE nn_predict_class(m, p1) = label) <=
         count(*) FILTER (WHERE nn_predict_class(m, f) = label) AS pgd_at_least_fgsm
FROM s;

-- nn_evaluate: robust_accuracy is the accuracy over each row's own attack,
-- as nn_adversarial makes it against the row's label (PGD too, every row
-- from the seed's stream)
SELECT e->'accuracy' = c->'accuracy' AS clean_unchanged,
       (e->>'robust_accuracy')::float8 <= (e->>'accuracy')::float8 AS robust_at_most_clean,
       round((e->>'robust_accuracy')::numeric, 6) =
         round((SELECT avg((nn_predict_class(m, nn_adversarial(m, x, jsonb_build_object('epsilon', 0.3, 'label', label))) = label)::int)
                FROM adv_x), 6) AS fgsm_matches,
       round((p->>'robust_accuracy')::numeric, 6) =
         round((SELECT avg((nn_predict_class(m, nn_adversarial(m, x, jsonb_build_object('method', 'pgd', 'epsilon', 0.3, 'seed', 4, 'label', label))) = label)::int)
                FROM adv_x), 6) AS pgd_matches,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e) k) =
         (SELECT array_agg(k ORDER BY k) FROM (SELECT jsonb_object_keys(c) UNION ALL SELECT 'robust_accuracy') t(k)) AS one_more_key
FROM (SELECT m, nn_evaluate(m, 'adv', NULL, '{"adversarial": {"epsilon": 0.3}}') AS e,
             nn_evaluate(m, 'adv', 'label', '{"adversarial": {"method": "pgd", "epsilon": 0.3, "seed": 4}}') AS p,
             nn_evaluate(m, 'adv') AS c
      FROM adv_models WHERE name = 'class') s;
-- two and three arguments as before; an empty options object the same
SELECT nn_evaluate(m, 'adv') = nn_evaluate(m, 'adv', 'label', '{}') AS same,
       nn_evaluate(m, 'adv', NULL, NULL) = nn_evaluate(m, 'adv') AS null_options
FROM adv_models WHERE name = 'class';

-- regression: against options.label in target units; robust_mse beside mse
SELECT (nn_adversarial(m, xv, '{"epsilon": 0.3, "label": 0}'))[1] > xv[1] AS pushed_up,
       (nn_adversarial(m, xv, '{"epsilon": 0.3, "label": 10}'))[1] < xv[1] AS pushed_down
FROM adv_models, adv_x WHERE name = 'value' AND i = 4;
SELECT (e->>'robust_mse')::float8 > (e->>'mse')::float8 AS worse,
       round((e->>'robust_mse')::numeric, 4) =
         round((SELECT avg((nn_predict(m, nn_adversarial(m, xv, jsonb_build_object('epsilon', 0.2, 'label', value))) - value) ^ 2)
                FROM adv_x)::numeric, 4) AS matches
FROM (SELECT m, nn_evaluate(m, 'adv', NULL, '{"adversarial": {"epsilon": 0.2}}') AS e
      FROM adv_models WHERE name = 'value') s;

-- the by-name overload: the deployed model
SELECT nn_register('adv_demo', m) AS version FROM adv_models WHERE name = 'class';
SELECT nn_deploy('adv_demo', 1);
SELECT nn_adversarial('adv_demo', x, '{"epsilon": 0.4}') = nn_adversarial(m, x, '{"epsilon": 0.4}') AS same
FROM adv_models, adv_x WHERE name = 'class' AND i = 7;
-- a model that imputes NULLs: the attack of the filled-in features
SELECT nn_adversarial(nn_train('adv', 'label', '{a,b}', '{4}', '{"epochs": 2, "seed": 1, "impute": "mean"}'),
                      '{NULL, 0.5}', '{"epsilon": 0.1}') IS NOT NULL AS filled;

-- a convolutional and a recurrent model attacked: within the ball, robust
-- accuracy at most the clean one
CREATE TABLE adv_img AS
SELECT id, CASE WHEN id % 2 = 0 THEN 'top_left' ELSE 'bottom_right' END AS corner,
       ARRAY(SELECT CASE WHEN (id % 2 = 0 AND i / 8 BETWEEN o AND o + 2 AND i % 8 BETWEEN o AND o + 2)
                           OR (id % 2 = 1 AND i / 8 BETWEEN 5 - o AND 7 - o AND i % 8 BETWEEN 5 - o AND 7 - o)
                         THEN 1.0 ELSE ((id * 37 + i * 11) % 10) / 30.0 END::real
             FROM generate_series(0, 63) i ORDER BY i) AS px
FROM (SELECT id, (id / 2) % 2 AS o FROM generate_series(1, 100) id) s;
CREATE TABLE adv_seq AS
SELECT id, CASE WHEN id % 2 = 0 THEN 'up' ELSE 'down' END AS dir,
       ARRAY(SELECT ((CASE WHEN id % 2 = 0 THEN s ELSE 5 - s END) / 5.0 + ((id * 13 + s * 7) % 10) / 50.0)::real
             FROM generate_series(0, 5) s ORDER BY s) AS seq
FROM generate_series(1, 100) id;
INSERT INTO adv_models
SELECT 'cnn', nn_train('adv_img', 'corner', '{px}', '{}',
    '{"seed": 1, "epochs": 6, "standardize": false, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                 {"type": "max_pool2d", "size": 2}, {"units": 8}]}')
UNION ALL
SELECT 'lstm', nn_train('adv_seq', 'dir', '{seq}', '{}',
    '{"seed": 1, "epochs": 10, "learning_rate": 0.01, "input_shape": [6, 1],
      "layers": [{"type": "lstm", "units": 6, "bidirectional": true}]}');
SELECT name,
       (SELECT bool_and(d <= (o->>'epsilon')::float8 + 1e-6) FROM unnest(ARRAY(
          SELECT abs(u - v) FROM unnest(x, nn_adversarial(m, x, o)) t(u, v))) d) AS in_ball,
       (e->>'robust_accuracy')::float8 <= (e->>'accuracy')::float8 AS robust_at_most_clean,
       (e->>'robust_accuracy')::float8 < 1 AS some_flipped
FROM (SELECT name, m, o, nn_evaluate(m, src, NULL, jsonb_build_object('adversarial', o)) AS e,
             CASE name WHEN 'cnn' THEN (SELECT px FROM adv_img WHERE id = 3) ELSE (SELECT seq FROM adv_seq WHERE id = 3) END AS x
      FROM adv_models,
           LATERAL (SELECT CASE name WHEN 'cnn' THEN 'adv_img' ELSE 'adv_seq' END AS src,
                           jsonb_build_object('method', 'pgd', 'epsilon', CASE name WHEN 'cnn' THEN 0.25 ELSE 0.5 END,
                                              'steps', 5, 'clip', '[0, 2]'::jsonb) AS o) p
      WHERE name IN ('cnn', 'lstm')) s
ORDER BY name;

-- adversarial training: the option in the record (PGD's steps and step
-- size filled in), the same bytes every time at 1 thread and at 2 threads
-- (plain training's bytes differ between 1 and 2 threads for this network
-- too: OpenBLAS splits the products), another model than plain training
CREATE TEMP TABLE adv_md5 (threads int, h text);
CREATE TEMP VIEW adv_train AS
SELECT md5(nn_train('adv', 'label', '{a,b,t}', '{64, 64}',
    '{"epochs": 2, "seed": 3, "batch_size": 100, "adversarial": {"method": "pgd", "epsilon": 0.2, "steps": 3, "clip": [0, 2]}}')) AS h;
INSERT INTO adv_md5 SELECT 1, h FROM adv_train;
INSERT INTO adv_md5 SELECT 1, h FROM adv_train;
SET nn.max_blas_threads = 2;
SET nn.blas_threads = 2;
INSERT INTO adv_md5 SELECT 2, h FROM adv_train;
INSERT INTO adv_md5 SELECT 2, h FROM adv_train;
RESET nn.blas_threads;
RESET nn.max_blas_threads;
SELECT threads, count(DISTINCT h) AS distinct_bytes, count(*) AS runs FROM adv_md5 GROUP BY threads ORDER BY threads;
SELECT h <> md5(nn_train('adv', 'label', '{a,b,t}', '{64, 64}', '{"epochs": 2, "seed": 3, "batch_size": 100}')) AS differs_from_plain
FROM adv_md5 WHERE threads = 1 LIMIT 1;
INSERT INTO adv_models
SELECT 'robust', nn_train('adv', 'label', '{a,b,t}', '{8}',
    '{"epochs": 30, "seed": 3, "learning_rate": 0.01, "adversarial": {"epsilon": 0.3, "ratio": 0.75}}');
SELECT nn_info(m)->'options'->'adversarial' AS recorded FROM adv_models WHERE name = 'robust';
SELECT nn_info(nn_train('adv', 'label', '{a,b}', '{4}', '{"epochs": 1, "adversarial": {"method": "pgd", "epsilon": 0.5, "clip": [-1, 3]}}'))->'options'->'adversarial' AS pgd_recorded;
-- more robust to the attack it trained on than the plain model
SELECT (r->>'robust_accuracy')::float8 > (p->>'robust_accuracy')::float8 AS more_robust
FROM (SELECT nn_evaluate((SELECT m FROM adv_models WHERE name = 'robust'), 'adv', NULL, '{"adversarial": {"epsilon": 0.3}}') AS r,
             nn_evaluate((SELECT m FROM adv_models WHERE name = 'class'), 'adv', NULL, '{"adversarial": {"epsilon": 0.3}}') AS p) s;
-- nn_continue keeps the record's setting, or takes a new one
SELECT nn_info(nn_continue(m, 'adv', '{"epochs": 1}'))->'options'->'adversarial' AS kept,
       nn_info(nn_continue(m, 'adv', '{"epochs": 1, "adversarial": {"epsilon": 0.1}}'))->'options'->'adversarial' AS replaced,
       nn_info(nn_continue((SELECT m FROM adv_models WHERE name = 'class'), 'adv',
                           '{"epochs": 1, "adversarial": {"epsilon": 0.1}}'))->'options'->'adversarial' AS added
FROM adv_models WHERE name = 'robust';
-- nn_continue of a plain model with the option is not plain training
SELECT md5(nn_continue(m, 'adv', '{"epochs": 1, "adversarial": {"epsilon": 0.1}}')) <> md5(nn_continue(m, 'adv', '{"epochs": 1}')) AS differs
FROM adv_models WHERE name = 'class';
-- the nn_fit aggregate follows the record: the model with its record's
-- adversarial setting blanked out (spaces: still a JSON object, the same
-- weights) trains plainly, the model as recorded on attacks
CREATE TEMP TABLE adv_fit AS
SELECT r, overlay(r PLACING convert_to(repeat(' ', length(k)), 'UTF8') FROM position(convert_to(k, 'UTF8') IN r)) AS p
FROM (SELECT nn_continue(m, 'adv', '{"epochs": 1, "adversarial": {"epsilon": 0.5, "ratio": 1}}') AS r,
             '"adversarial":{"method":"fgsm","epsilon":0.5,"ratio":1},' AS k
      FROM adv_models WHERE name = 'class') s;
SELECT nn_info(p)->'options' ? 'adversarial' AS blanked_has_it, nn_info(r)->'options' ? 'adversarial' AS recorded_has_it
FROM adv_fit;
SELECT md5(nn_fit(r, x, (label = 'pos')::int::real ORDER BY i)) <> md5(nn_fit(p, x, (label = 'pos')::int::real ORDER BY i)) AS attacked,
       md5(nn_fit(r, x, (label = 'pos')::int::real ORDER BY i)) = md5(nn_fit(r, x, (label = 'pos')::int::real ORDER BY i)) AS deterministic
FROM adv_x, adv_fit;

-- ---------------------------------------------------------------- errors
-- nn_adversarial
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '[]') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "eps": 1}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": "0.1"}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 1e39}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": "cw"}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": 1}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "steps": 5}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "step_size": 0.01}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": "pgd", "steps": 0}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": "pgd", "steps": 2.5}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": "pgd", "steps": 10001}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": "pgd", "step_size": -1}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "method": "pgd", "seed": -1}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "clip": 1}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "clip": [0]}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "clip": [1, 0]}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "clip": [0, "1"]}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "label": "maybe"}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5, 1, 0}', '{"epsilon": 0.1, "label": true}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial(m, '{0.5, 0.5}', '{"epsilon": 0.1}') FROM adv_models WHERE name = 'value';
SELECT nn_adversarial(m, '{0.5, 0.5}', '{"epsilon": 0.1, "label": "high"}') FROM adv_models WHERE name = 'value';
SELECT nn_adversarial(m, '{0.5, 0.5, 1}', '{"epsilon": 0.1}') FROM adv_models WHERE name = 'class';
SELECT nn_adversarial('no_such_model', '{0.5, 0.5}', '{"epsilon": 0.1}');
-- nn_evaluate
SELECT nn_evaluate(m, 'adv', NULL, '[]') FROM adv_models WHERE name = 'class';
SELECT nn_evaluate(m, 'adv', NULL, '{"attack": {}}') FROM adv_models WHERE name = 'class';
SELECT nn_evaluate(m, 'adv', NULL, '{"adversarial": "fgsm"}') FROM adv_models WHERE name = 'class';
SELECT nn_evaluate(m, 'adv', NULL, '{"adversarial": {}}') FROM adv_models WHERE name = 'class';
SELECT nn_evaluate(m, 'adv', NULL, '{"adversarial": {"epsilon": 0.1, "label": "pos"}}') FROM adv_models WHERE name = 'class';
SELECT nn_evaluate(m, 'adv', NULL, '{"adversarial": {"epsilon": 0.1, "method": "pgd", "steps": -2}}') FROM adv_models WHERE name = 'class';
-- training
SELECT nn_train('adv', 'label', '{a,b}', '{4}', '{"adversarial": true}');
SELECT nn_train('adv', 'label', '{a,b}', '{4}', '{"adversarial": {}}');
SELECT nn_train('adv', 'label', '{a,b}', '{4}', '{"adversarial": {"epsilon": 0.1, "ratio": 0}}');
SELECT nn_train('adv', 'label', '{a,b}', '{4}', '{"adversarial": {"epsilon": 0.1, "ratio": 1.5}}');
SELECT nn_train('adv', 'label', '{a,b}', '{4}', '{"adversarial": {"epsilon": 0.1, "seed": 1}}');
SELECT nn_train('adv', 'label', '{a,b}', '{4}', '{"adversarial": {"epsilon": 0.1, "steps": 3}}');
SELECT nn_continue(m, 'adv', '{"adversarial": {"epsilon": -1}}') FROM adv_models WHERE name = 'class';
SELECT nn_init(2, '{4}', 2, '{"adversarial": {"epsilon": 0.1}}');
-- memory: the input gradient's workspace within nn.score_memory (the clean
-- evaluation of this model fits in 3 MB, its attacks do not)
SET nn.score_memory = '1MB';
SELECT nn_adversarial(nn_init(784, '{1024,1024}', 10), array_fill(0.5::real, ARRAY[784]), '{"epsilon": 0.1}');
SET nn.score_memory = '3MB';
CREATE TEMP TABLE adv_wide AS SELECT nn_train('adv', 'label', '{a,b}', '{1024,1024}', '{"epochs": 1}') AS m;
SELECT nn_evaluate(m, 'adv') IS NOT NULL AS clean_fits FROM adv_wide;
SELECT nn_evaluate(m, 'adv', NULL, '{"adversarial": {"epsilon": 0.1}}') FROM adv_wide;
RESET nn.score_memory;
