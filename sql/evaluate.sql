-- nn_evaluate(model, source, target): metrics as jsonb.
CREATE TABLE ev AS
SELECT i, ((i % 3) + (i % 5) / 10.0)::real AS a, ((i * 7) % 11)::real AS b,
       CASE WHEN i % 3 = 0 THEN 'x' WHEN i % 3 = 1 THEN 'y' ELSE 'z' END AS label,
       (2 * (i % 3) + (i % 5) / 10.0)::float8 AS value
FROM generate_series(1, 300) i;
CREATE TABLE ev_models AS
SELECT 'class' AS name, nn_train('ev', 'label', '{a,b}', '{8}', '{"epochs": 15, "seed": 5}') AS m
UNION ALL
SELECT 'weak', nn_train('ev', 'label', '{b}', '{2}', '{"epochs": 1, "seed": 5}')
UNION ALL
SELECT 'value', nn_train('ev', 'value', '{a,b}', '{8}', '{"epochs": 30, "seed": 5, "learning_rate": 0.02}');

-- classification: the keys, and each metric against the same thing computed in SQL
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(nn_evaluate(m, 'ev')) k) AS keys
FROM ev_models WHERE name = 'class';
WITH e AS (SELECT name, m, nn_evaluate(m, 'ev') AS r FROM ev_models WHERE name IN ('class', 'weak')),
     p AS (SELECT name, label, nn_predict_class(m, x) AS pred, nn_predict_proba(m, x) AS proba
           FROM (SELECT name, m, label, CASE name WHEN 'weak' THEN ARRAY[b] ELSE ARRAY[a, b] END AS x
                 FROM ev_models, ev WHERE name IN ('class', 'weak')) s)
SELECT e.name,
       (r->>'rows')::int AS rows,
       round((r->>'accuracy')::numeric, 6) = round((SELECT avg((pred = label)::int) FROM p WHERE p.name = e.name), 6) AS accuracy_ok,
       round((r->>'log_loss')::numeric, 4) =
         round((SELECT avg(-ln(greatest(proba[CASE label WHEN 'x' THEN 1 WHEN 'y' THEN 2 ELSE 3 END], 1e-15)))
                FROM p WHERE p.name = e.name)::numeric, 4) AS log_loss_ok,
       r->'confusion_matrix' = (SELECT jsonb_agg(row_counts ORDER BY actual) FROM
                                 (SELECT actual, jsonb_agg(c ORDER BY predicted) AS row_counts FROM
                                   (SELECT a.l AS actual, q.l AS predicted,
                                           (SELECT count(*) FROM p WHERE p.name = e.name AND p.label = a.l AND p.pred = q.l) AS c
                                    FROM unnest('{x,y,z}'::text[]) a(l), unnest('{x,y,z}'::text[]) q(l)) t
                                  GROUP BY actual) u) AS confusion_ok,
       r->'classes' AS classes
FROM e ORDER BY e.name;
-- per-class precision, recall, f1 and support agree with the confusion matrix
-- (rows: actual class, columns: predicted, in the order of "classes")
WITH e AS (SELECT nn_evaluate(m, 'ev') AS r FROM ev_models WHERE name = 'weak'),
     c AS (SELECT k, (i - 1)::int AS i, r->'per_class'->k AS pc, r->'confusion_matrix' AS cm
           FROM e, jsonb_array_elements_text(r->'classes') WITH ORDINALITY AS t(k, i)),
     s AS (SELECT k, pc, (cm->i->>i)::numeric AS tp,
                  (SELECT sum(v::numeric) FROM jsonb_array_elements_text(cm->i) v) AS actual,
                  (SELECT sum((row->>i)::numeric) FROM jsonb_array_elements(cm) row) AS predicted
           FROM c)
SELECT k, (pc->>'support')::numeric = actual AS support_ok,
       round((pc->>'recall')::numeric, 6) = round(tp / actual, 6) AS recall_ok,
       round((pc->>'precision')::numeric, 6) = round(CASE WHEN predicted > 0 THEN tp / predicted ELSE 0 END, 6) AS precision_ok,
       round((pc->>'f1')::numeric, 6) = round(CASE WHEN tp > 0 THEN 2 * tp / (actual + predicted) ELSE 0 END, 6) AS f1_ok
FROM s ORDER BY k;
SELECT round((r->>'macro_f1')::numeric, 6) =
       round((SELECT avg((r->'per_class'->k->>'f1')::numeric) FROM jsonb_object_keys(r->'per_class') k), 6) AS macro_ok
FROM (SELECT nn_evaluate(m, 'ev') AS r FROM ev_models WHERE name = 'weak') e;

-- regression
WITH e AS (SELECT m, nn_evaluate(m, 'ev') AS r FROM ev_models WHERE name = 'value'),
     p AS (SELECT value AS y, nn_predict(m, ARRAY[a, b]) AS yhat FROM ev_models, ev WHERE name = 'value')
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(r) k) AS keys,
       round((r->>'mse')::numeric, 5) = round((SELECT avg((y - yhat) ^ 2) FROM p)::numeric, 5) AS mse_ok,
       round((r->>'rmse')::numeric, 5) = round((SELECT sqrt(avg((y - yhat) ^ 2)) FROM p)::numeric, 5) AS rmse_ok,
       round((r->>'mae')::numeric, 5) = round((SELECT avg(abs(y - yhat)) FROM p)::numeric, 5) AS mae_ok,
       round((r->>'r2')::numeric, 5) = round((SELECT 1 - sum((y - yhat) ^ 2) / sum((y - (SELECT avg(y) FROM p)) ^ 2) FROM p)::numeric, 5) AS r2_ok,
       (r->>'r2')::float8 > 0.9 AS fits
FROM e;

-- another target column, a query source, NULL rows counted as skipped
SELECT nn_evaluate(m, 'SELECT a, b, label AS truth FROM ev WHERE i <= 30', 'truth')->'rows' AS rows
FROM ev_models WHERE name = 'class';
SELECT r->'rows' AS rows, r->'skipped_rows' AS skipped
FROM (SELECT nn_evaluate(m, 'SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE a END AS a, b, label FROM ev') AS r
      FROM ev_models WHERE name = 'class') e;
-- more rows than one chunk: the same accuracy as scoring them directly
CREATE TABLE ev_big AS SELECT e.* FROM ev e, generate_series(1, 40) g;
SELECT (nn_evaluate(m, 'ev_big')->>'accuracy')::numeric = (nn_evaluate(m, 'ev')->>'accuracy')::numeric AS same,
       nn_evaluate(m, 'ev_big')->'rows' AS rows
FROM ev_models WHERE name = 'class';

-- errors
SELECT nn_evaluate(m, 'SELECT a, b, ''w'' AS label FROM ev') FROM ev_models WHERE name = 'class';
SELECT nn_evaluate(m, 'SELECT a, b, label FROM ev WHERE false') FROM ev_models WHERE name = 'class';
SELECT nn_evaluate(m, 'ev', 'missing') FROM ev_models WHERE name = 'class';
SELECT nn_evaluate(m, 'SELECT a, label FROM ev') FROM ev_models WHERE name = 'class';
SELECT nn_evaluate(m, 'no_such_table') FROM ev_models WHERE name = 'class';
SELECT nn_evaluate(m, 'ev', 'label') FROM ev_models WHERE name = 'value';
SELECT nn_evaluate(nn_init(2, '{4}', 3), 'ev');
SELECT nn_evaluate('\xdeadbeef', 'ev');
SELECT nn_evaluate(NULL, 'ev');
SELECT nn_evaluate(m, 'SELECT a, b, label FROM ev; DROP TABLE ev') FROM ev_models WHERE name = 'class';
