-- Explanations (issue 17): nn_explain and nn_explain_row (integrated
-- gradients, by value and by catalog name), nn_importance over a source,
-- and nn_plot's heat map of an image model's attributions.  Numbers are
-- compared with tolerances or by sign and rank, never printed raw.

-- transactions: amount and hour, a text channel (one-hot), an array of two
-- history values; fraud is a large amount on the web
CREATE TABLE ex_tx AS
SELECT i AS id, (i % 97)::real / 10 AS amount, (i % 13)::int AS hour,
       CASE i % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'pos' ELSE 'atm' END AS channel,
       ARRAY[(i % 7)::real / 7, (i % 5)::real / 5] AS hist,
       CASE WHEN (i % 97) > 60 AND i % 3 = 0 THEN 'fraud' ELSE 'ok' END AS label,
       ((i % 97)::real / 10 * 2 + (i % 13) / 4.0)::float8 AS spend
FROM generate_series(1, 600) i;

CREATE TABLE ex_models (name text PRIMARY KEY, m bytea);
INSERT INTO ex_models VALUES
  ('fraud', nn_train('ex_tx', 'label', '{amount,hour,channel,hist}', '{16}',
                     '{"seed": 1, "epochs": 60, "learning_rate": 0.01}')),
  ('fraud_raw', nn_train('ex_tx', 'label', '{amount,hour,channel,hist}', '{8}',
                         '{"seed": 2, "epochs": 5, "standardize": false}')),
  ('spend', nn_train('ex_tx', 'spend', '{amount,hour}', '{8}', '{"seed": 3, "epochs": 40}')),
  ('binary', nn_train('ex_tx', 'label', '{amount,hour,channel}', '{8}',
                      '{"seed": 4, "epochs": 30, "loss": "binary_cross_entropy"}')),
  ('init', nn_init(3, '{4}', 2, '{"seed": 5, "task": "classification"}'));

-- the fraud model flags row 66 (amount 6.6 on the web)
SELECT nn_predict_class_row(m, t) AS predicted FROM ex_models, ex_tx t
WHERE name = 'fraud' AND id = 66;

-- 1. an explanation of the flagged row: its keys, the class predicted, the
--    default baseline and steps; a number per scalar and text column, an
--    array per array column; completeness within 1% of |s - b|; the column
--    totals add up to score - baseline_score; the score is the class's
--    probability; the amount pushes towards fraud
CREATE TABLE ex_e AS
SELECT nn_explain_row(m, t) AS e FROM ex_models, ex_tx t WHERE name = 'fraud' AND id = 66;
SELECT array(SELECT jsonb_object_keys(e) ORDER BY 1) AS keys, e->'class' AS class,
       e->'baseline' AS baseline, e->'steps' AS steps FROM ex_e;
SELECT k, jsonb_typeof(e->'attributions'->k) AS attribution, jsonb_typeof(e->'column_totals'->k) AS total
FROM ex_e, unnest('{amount,hour,channel,hist}'::text[]) k ORDER BY k;
SELECT jsonb_array_length(e->'attributions'->'hist') AS hist_inputs,
       abs((e->'column_totals'->>'hist')::float8 - (e->'attributions'->'hist'->>0)::float8
           - (e->'attributions'->'hist'->>1)::float8) < 1e-12 AS hist_total,
       (e->>'completeness_error')::float8 <=
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) + 1e-6 AS complete,
       abs((SELECT sum(value::text::float8) FROM jsonb_each(e->'column_totals'))
           - ((e->>'score')::float8 - (e->>'baseline_score')::float8))
         <= (e->>'completeness_error')::float8 + 1e-9 AS totals_add_up,
       (e->'attributions'->>'amount')::float8 > 0 AS amount_raises_fraud,
       abs((e->>'score')::float8 - (SELECT (nn_predict_proba_row(m, t))[1] FROM ex_models, ex_tx t
                                    WHERE name = 'fraud' AND id = 66)) < 1e-5 AS score_is_proba
FROM ex_e;

-- the same row as a real[] (amount, hour, channel one-hot atm/pos/web,
-- hist) explains the same; explaining twice gives the same bytes
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 3.0/7, 0.2]::real[]) = e AS same_as_row,
       nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 3.0/7, 0.2]::real[]) =
       nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 3.0/7, 0.2]::real[]) AS deterministic
FROM ex_models, ex_e WHERE name = 'fraud';

-- 2. options: another class, by label; the "ok" probability falls as
--    fraud's rises: the two explanations are opposite
SELECT e1->'class' AS class,
       abs((e1->>'score')::float8 + (e0->>'score')::float8 - 1) < 1e-5 AS probabilities,
       (SELECT bool_and(abs((e1->'column_totals'->>k)::float8 + (e0->'column_totals'->>k)::float8) < 1e-3)
        FROM unnest('{amount,hour,channel,hist}'::text[]) k) AS opposite
FROM (SELECT nn_explain_row(m, t, '{"class": "ok"}') AS e1, nn_explain_row(m, t) AS e0
      FROM ex_models, ex_tx t WHERE name = 'fraud' AND id = 66) s;

-- baselines: zero, the training means (default), the features themselves
-- (nothing to attribute), an array; a model without means falls back to
-- zero and says so
SELECT b, e->'baseline' AS used,
       (e->>'completeness_error')::float8 <=
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) + 1e-6 AS complete
FROM ex_models, ex_tx t,
     LATERAL (VALUES ('{"baseline": "zero"}'), ('{"baseline": "mean"}'), ('{}')) o(b),
     LATERAL (SELECT nn_explain_row(m, t, b::jsonb) AS e) x
WHERE name = 'fraud' AND id = 66 ORDER BY b;
SELECT e->'baseline' AS used, e->'steps' AS steps,
       abs((e->>'score')::float8 - (e->>'baseline_score')::float8) < 1e-6 AS same_scores,
       (SELECT bool_and(value::text::float8 = 0) FROM jsonb_each(e->'column_totals')) AS all_zero
FROM ex_models, LATERAL (SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[],
    '{"baseline": [6.6, 1, 0, 0, 1, 0.4, 0.2]}') AS e) x WHERE name = 'fraud';
SELECT nn_explain_row(m, t)->'baseline' AS no_means FROM ex_models, ex_tx t
WHERE name = 'fraud_raw' AND id = 66;
SELECT nn_explain_row(m, t)->'baseline_score' = nn_explain_row(m, t, '{"baseline": "zero"}')->'baseline_score'
       AS mean_is_zero
FROM ex_models, ex_tx t WHERE name = 'fraud_raw' AND id = 66;

-- steps: one interval, no doubling, is far from complete; the default
-- doubles when it must and says how many it used; a larger steps raises
-- the default ceiling
SELECT (e->>'steps')::int AS steps,
       (e->>'completeness_error')::float8 >
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) AS incomplete
FROM ex_models, ex_tx t, LATERAL (SELECT nn_explain_row(m, t, '{"steps": 1, "max_steps": 1}') AS e) x
WHERE name = 'fraud' AND id = 66;
SELECT (e->>'steps')::int IN (2, 4, 8, 16, 32, 64, 128) AS doubled,
       (e->>'completeness_error')::float8 <=
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) + 1e-6 AS complete
FROM ex_models, ex_tx t, LATERAL (SELECT nn_explain_row(m, t, '{"steps": 1}') AS e) x
WHERE name = 'fraud' AND id = 66;
SELECT nn_explain_row(m, t, '{"steps": 2048}')->'steps' AS steps FROM ex_models, ex_tx t
WHERE name = 'fraud' AND id = 66;

-- 3. regression: the prediction in target units, "class" null
SELECT e->'class' AS class, jsonb_typeof(e->'class') AS class_type,
       abs((e->>'score')::float8 - nn_predict(m, ARRAY[9, 12]::real[])) < 1e-3 AS score_is_prediction,
       (e->>'completeness_error')::float8 <=
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) + 1e-6 AS complete,
       (e->'attributions'->>'amount')::float8 > 0 AS more_amount_more_spend
FROM ex_models, LATERAL (SELECT nn_explain(m, ARRAY[9, 12]::real[]) AS e) x WHERE name = 'spend';

-- a one-sigmoid classifier: class 0's score is 1 - class 1's, its
-- attributions opposite
SELECT abs((a->>'score')::float8 + (b->>'score')::float8 - 1) < 1e-6 AS complementary,
       abs((a->'attributions'->>'amount')::float8 + (b->'attributions'->>'amount')::float8) < 1e-6 AS opposite
FROM (SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1]::real[], '{"class": "fraud"}') AS a,
             nn_explain(m, ARRAY[6.6, 1, 0, 0, 1]::real[], '{"class": "ok"}') AS b
      FROM ex_models WHERE name = 'binary') s;

-- a model from nn_init names no columns: one key "input", baseline zero
SELECT array(SELECT jsonb_object_keys(e->'attributions')) AS keys,
       jsonb_array_length(e->'attributions'->'input') AS inputs, e->'baseline' AS baseline,
       e->'class' AS class
FROM ex_models, LATERAL (SELECT nn_explain(m, ARRAY[1, 2, 3]::real[]) AS e) x WHERE name = 'init';

-- class labels that are numbers: 3 names class "3"
CREATE TABLE ex_digits AS
SELECT i, (i % 3)::real AS a, ((i * 7) % 5)::real AS b, (i % 3) + 2 AS digit
FROM generate_series(1, 150) i;
SELECT nn_explain(nn_train('ex_digits', 'digit', '{a,b}', '{4}', '{"seed": 6, "epochs": 3}'),
                  ARRAY[1, 2]::real[], '{"class": 3}')->'class' AS class;

-- 4. NULLs: a NULL argument gives NULL (STRICT); a row with a NULL feature
--    has no explanation under impute "skip", as it has no prediction
SELECT nn_explain(m, NULL::real[]) IS NULL AS null_features,
       nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], NULL) IS NULL AS null_options
FROM ex_models WHERE name = 'fraud';
SELECT nn_explain_row(m, t) IS NULL AS skipped, nn_predict_row(m, t) IS NULL AS no_prediction
FROM ex_models, (SELECT 6.6::real AS amount, NULL::int AS hour, 'web'::text AS channel,
                        ARRAY[0.4, 0.2]::real[] AS hist) t
WHERE name = 'fraud';

-- 5. errors
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"clas": "ok"}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '[1]') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"class": "maybe"}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"class": true}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1]::real[], '{"class": "ok"}') FROM ex_models WHERE name = 'spend';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"baseline": [1, 2]}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"baseline": "median"}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"baseline": 0}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"baseline": [1, 2, 3, 4, 5, 6, "x"]}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"steps": 0}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"steps": 65537}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"steps": 2.5}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"steps": "64"}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"steps": 128, "max_steps": 64}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], '{"max_steps": 100000}') FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1]::real[]) FROM ex_models WHERE name = 'fraud';
SELECT nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 'NaN']::real[]) FROM ex_models WHERE name = 'fraud';
-- a model whose output overflows on the path
SELECT nn_explain(nn_init(2, '{}', 1, '{"seed": 1}'), ARRAY[3.4e38, 3.4e38]::real[]);
SELECT nn_explain_row(m, t) FROM ex_models, (SELECT 1::real AS amount) t WHERE name = 'fraud';
SELECT nn_explain_row(m, t) FROM ex_models, (SELECT 1::real AS a) t WHERE name = 'init';

-- memory: with less nn.score_memory the points go through in fewer rows per
-- pass, to the same attributions (float rounding aside); an error when not
-- even one row fits (the workspace of a 1000-1000-2 network's input
-- gradient: about 4 MB for one row, 5.5 MB for 65)
CREATE TABLE ex_wide AS
SELECT nn_init(1000, '{1000}', 2, '{"seed": 1, "task": "classification"}') AS m,
       ARRAY(SELECT ((i % 17) / 17.0)::real FROM generate_series(1, 1000) i) AS f;
CREATE TABLE ex_wide_e AS SELECT nn_explain(m, f) AS e FROM ex_wide;
SET nn.score_memory = 5;
SELECT (SELECT max(abs(a.v::text::float8 - b.v::text::float8))
        FROM jsonb_array_elements(e->'attributions'->'input') WITH ORDINALITY a(v, i)
        JOIN jsonb_array_elements(nn_explain(m, f)->'attributions'->'input') WITH ORDINALITY b(v, i)
        USING (i)) < 1e-7 AS same_attributions
FROM ex_wide, ex_wide_e;
SET nn.score_memory = 3;
SELECT nn_explain(m, f) FROM ex_wide;
RESET nn.score_memory;

-- 6. by name through the catalog: the same explanation as the model's bytes
SELECT nn_register('ex_fraud', m) FROM ex_models WHERE name = 'fraud';
SELECT nn_explain('ex_fraud', ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[]) =
       nn_explain(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[]) AS same_by_name,
       nn_explain_row('ex_fraud', t, '{"class": "ok"}') = nn_explain_row(m, t, '{"class": "ok"}') AS same_row
FROM ex_models, ex_tx t WHERE name = 'fraud' AND id = 66;
SELECT nn_explain('ex_nobody', ARRAY[1]::real[]);

-- 7. a convolutional model on 8x8 images (a bright square at the top left
--    or the bottom right): completeness, an attribution per pixel; the
--    square's pixels carry the most; the heat map draws each pixel
CREATE TABLE ex_img AS
SELECT id, CASE WHEN id % 2 = 0 THEN 'top_left' ELSE 'bottom_right' END AS corner,
       ARRAY(SELECT CASE WHEN (id % 2 = 0 AND i / 8 BETWEEN 0 AND 2 AND i % 8 BETWEEN 0 AND 2)
                           OR (id % 2 = 1 AND i / 8 BETWEEN 5 AND 7 AND i % 8 BETWEEN 5 AND 7)
                         THEN 1.0 ELSE ((id * 37 + i * 11) % 10) / 30.0 END::real
             FROM generate_series(0, 63) i ORDER BY i) AS px
FROM generate_series(1, 120) id;
INSERT INTO ex_models
SELECT 'cnn', nn_train('ex_img', 'corner', '{px}', '{}',
    '{"seed": 1, "epochs": 6, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                 {"type": "max_pool2d", "size": 2}, {"units": 8}]}');
CREATE TABLE ex_cnn AS
SELECT px, nn_explain(m, px) AS e FROM ex_models, ex_img WHERE name = 'cnn' AND id = 2;
SELECT e->'class' AS class, jsonb_array_length(e->'attributions'->'px') AS pixels,
       (e->>'completeness_error')::float8 <=
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) + 1e-6 AS complete,
       (SELECT avg(abs(v::text::float8)) FROM jsonb_array_elements(e->'attributions'->'px')
          WITH ORDINALITY a(v, i) WHERE (i - 1) / 8 <= 2 AND (i - 1) % 8 <= 2) >
       (SELECT avg(abs(v::text::float8)) FROM jsonb_array_elements(e->'attributions'->'px')
          WITH ORDINALITY a(v, i) WHERE NOT ((i - 1) / 8 <= 2 AND (i - 1) % 8 <= 2)) AS square_matters
FROM ex_cnn;
SELECT left(svg, 5) AS starts, (length(svg) - length(replace(svg, 'class="pixel"', ''))) / 13 AS pixels,
       svg LIKE '%class="heat"%' AS heat, svg LIKE '%attributions to class top_left%' AS title,
       svg LIKE '%data-height="8" data-width="8"%' AS shape
FROM ex_models, ex_cnn, LATERAL (SELECT nn_plot(m, px, e) AS svg) p WHERE name = 'cnn';
-- heat map errors: a model without an image input, an explanation that is
-- not one of this model, features of the wrong length
SELECT nn_plot(m, ARRAY[6.6, 1, 0, 0, 1, 0.4, 0.2]::real[], e) FROM ex_models, ex_e WHERE name = 'fraud';
SELECT nn_plot(m, px, '{"class": "top_left"}') FROM ex_models, ex_cnn WHERE name = 'cnn';
SELECT nn_plot(m, px, '{"attributions": {"pixels": []}}') FROM ex_models, ex_cnn WHERE name = 'cnn';
SELECT nn_plot(m, px, '{"attributions": {"px": [1, 2]}}') FROM ex_models, ex_cnn WHERE name = 'cnn';
SELECT nn_plot(m, px, '{"attributions": {"px": "x"}}') FROM ex_models, ex_cnn WHERE name = 'cnn';
SELECT nn_plot(m, ARRAY[1, 2]::real[], e) FROM ex_models, ex_cnn WHERE name = 'cnn';

-- 8. a recurrent model (lstm over 6 steps of 2 features): completeness
CREATE TABLE ex_seq AS
SELECT id, CASE WHEN id % 2 = 0 THEN 'up' ELSE 'down' END AS dir,
       ARRAY(SELECT v FROM generate_series(0, 5) s,
             LATERAL (VALUES (0, ((CASE WHEN id % 2 = 0 THEN s ELSE 5 - s END) / 5.0 +
                                  ((id * 13 + s * 7) % 10) / 50.0)::real),
                             (1, (((id * 7 + s * 3) % 10) / 10.0)::real)) p(k, v)
             ORDER BY s, k) AS seq
FROM generate_series(1, 120) id;
INSERT INTO ex_models
SELECT 'lstm', nn_train('ex_seq', 'dir', '{seq}', '{}',
    '{"seed": 1, "epochs": 8, "learning_rate": 0.01, "input_shape": [6, 2],
      "layers": [{"type": "lstm", "units": 8, "bidirectional": true}]}');
SELECT e->'class' AS class, jsonb_array_length(e->'attributions'->'seq') AS inputs,
       (e->>'completeness_error')::float8 <=
         0.01 * abs((e->>'score')::float8 - (e->>'baseline_score')::float8) + 1e-6 AS complete
FROM ex_models, ex_seq, LATERAL (SELECT nn_explain_row(m, ex_seq) AS e) x
WHERE name = 'lstm' AND id IN (3, 4) ORDER BY id;

-- 9. nn_importance: the mean absolute attribution of each column over a
--    source's rows; the amount and the channel matter most to fraud; the
--    limit caps the rows; a query source; a source without the target
SELECT i->'rows' AS rows, i->'class' AS class, i->'baseline' AS baseline,
       array(SELECT jsonb_object_keys(i->'importance') ORDER BY 1) AS columns,
       jsonb_array_length(i->'importance'->'hist') AS hist_inputs,
       (SELECT array_agg(key ORDER BY value::text::float8 DESC) FROM jsonb_each(i->'column_totals')) AS ranked
FROM ex_models, LATERAL (SELECT nn_importance(m, 'ex_tx', '{"limit": 200}') AS i) x WHERE name = 'fraud';
SELECT nn_importance(m, 'SELECT amount, hour, channel, hist FROM ex_tx WHERE id <= 200')->'importance' =
       nn_importance(m, 'ex_tx', '{"limit": 200}')->'importance' AS same_rows,
       (nn_importance(m, 'ex_tx', '{"limit": 5, "class": "fraud", "baseline": "zero", "steps": 16}')
        - 'importance' - 'column_totals' - 'max_steps_used') AS small
FROM ex_models WHERE name = 'fraud';
-- the mean of |attribution| by hand over three rows
SELECT abs((nn_importance(m, 'SELECT * FROM ex_tx WHERE id IN (64, 65, 66)')->'importance'->>'amount')::float8
           - (SELECT avg(abs((nn_explain_row(m, t)->'attributions'->>'amount')::float8))
              FROM ex_tx t WHERE id IN (64, 65, 66))) < 1e-9 AS mean_abs
FROM ex_models WHERE name = 'fraud';
-- rows with a NULL feature are skipped and counted
SELECT i - 'importance' - 'column_totals' - 'max_steps_used' AS skipping,
       (i->>'max_steps_used')::int IN (64, 128, 256, 512, 1024) AS steps_used
FROM ex_models, LATERAL (SELECT nn_importance(m, 'SELECT amount, CASE WHEN id % 2 = 0 THEN hour END AS hour,
                                                        channel, hist FROM ex_tx WHERE id <= 10') AS i) x
WHERE name = 'fraud';
-- errors
SELECT nn_importance(m, 'ex_tx', '{"limit": 0}') FROM ex_models WHERE name = 'fraud';
SELECT nn_importance(m, 'ex_tx', '{"rows": 10}') FROM ex_models WHERE name = 'fraud';
SELECT nn_importance(m, 'ex_tx', '{"class": "maybe"}') FROM ex_models WHERE name = 'fraud';
SELECT nn_importance(m, 'ex_tx') FROM ex_models WHERE name = 'init';
SELECT nn_importance(NULL, 'ex_tx');
SELECT nn_importance(m, 'SELECT * FROM ex_tx WHERE false') FROM ex_models WHERE name = 'fraud';
SELECT nn_importance(m, 'ex_nothing') FROM ex_models WHERE name = 'fraud';
SELECT nn_importance(m, 'SELECT amount FROM ex_tx') FROM ex_models WHERE name = 'fraud';

SELECT nn_drop_model('ex_fraud');
