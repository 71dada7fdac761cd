-- The README tutorial, run by test/tutorial.sh on Fashion-MNIST
-- (tables fm_train and fm_test: label int, pixels real[784]).
\set ECHO queries
\pset null '(null)'

-- 1. Name the classes: a view over each table, the label as the item's name.
CREATE VIEW fashion_train AS
SELECT (ARRAY['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
              'Sneaker', 'Bag', 'Ankle boot'])[label + 1] AS item, pixels
FROM fm_train;
CREATE VIEW fashion_test AS
SELECT (ARRAY['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
              'Sneaker', 'Bag', 'Ankle boot'])[label + 1] AS item, pixels
FROM fm_test;

-- 2. Train: 784-128-10, 10% held out for validation, early stopping, and
--    register the result in the catalog as "fashion".
SELECT length(nn_train('fashion_train', 'item', '{pixels}', '{128}',
                       '{"epochs": 12, "validation_fraction": 0.1, "patience": 3,
                         "seed": 1, "name": "fashion"}')) AS model_bytes;

-- 3. The learning curve, epoch by epoch.
SELECT (h->>'epoch')::int AS epoch, round((h->>'train_loss')::numeric, 4) AS train_loss,
       round((h->>'val_loss')::numeric, 4) AS val_loss,
       round((h->>'val_accuracy')::numeric, 4) AS val_accuracy
FROM jsonb_array_elements(nn_info(nn_model('fashion'))->'history') h;

-- 4. Evaluate on the 10,000 test rows.
SELECT e->'rows' AS rows, round((e->>'accuracy')::numeric, 4) AS accuracy,
       round((e->>'macro_f1')::numeric, 4) AS macro_f1, round((e->>'log_loss')::numeric, 4) AS log_loss
FROM (SELECT nn_evaluate(nn_model('fashion'), 'fashion_test') AS e) s;
SELECT k AS item, round((e->'per_class'->k->>'precision')::numeric, 3) AS precision,
       round((e->'per_class'->k->>'recall')::numeric, 3) AS recall,
       round((e->'per_class'->k->>'f1')::numeric, 3) AS f1
FROM (SELECT nn_evaluate(nn_model('fashion'), 'fashion_test') AS e) s,
     jsonb_array_elements_text(e->'classes') k
ORDER BY f1;

-- 5. Score in an ordinary query, by name, whole rows.
SELECT item AS actual, nn_predict_class_row('fashion', t) AS predicted,
       round(max(p)::numeric, 3) AS confidence
FROM (SELECT * FROM fashion_test LIMIT 6) t, unnest(nn_predict_proba_row('fashion', t)) p
GROUP BY 1, 2, t.pixels ORDER BY confidence DESC;
-- which items it mixes up most
SELECT item AS actual, predicted, count(*)
FROM (SELECT item, nn_predict_class_row('fashion', t) AS predicted FROM fashion_test t) s
WHERE item <> predicted GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5;
-- the whole table, 256 rows per matrix product: the window functions
SELECT count(*) AS rows, round(avg((predicted = item)::int), 4) AS accuracy
FROM (SELECT item, nn_predict_class_window('fashion', pixels) OVER () AS predicted
      FROM fashion_test) s;

-- 6. The catalog.
SELECT name, version, deployed, task, n_inputs, bytes, metrics->>'on' AS split,
       metrics->'rows' AS rows, round((metrics->>'accuracy')::numeric, 4) AS accuracy
FROM nn_list_models();

-- 7. The learning curve as an SVG, and the model as ONNX (test/tutorial.sh
--    writes both to files with psql; see the README).
SELECT length(nn_plot(nn_model('fashion'))) AS svg_chars,
       length(nn_export_onnx(nn_model('fashion'))) AS onnx_bytes;

-- 8. A convolutional network over the same rows: the 784 pixels read as one
--    28x28 channel (input_shape), two convolutions with max pooling, then
--    the dense layer with dropout; pixels in [0, 1], so no standardization.
--    Three epochs here (ten reach 0.91 and more: test/bench/RESULTS.md).
SELECT length(nn_train('fashion_train', 'item', '{pixels}', '{}',
                       '{"epochs": 3, "seed": 1, "optimizer": "adam", "learning_rate": 0.001,
                         "batch_size": 128, "standardize": false, "input_shape": [1, 28, 28],
                         "layers": [
                           {"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same", "activation": "relu"},
                           {"type": "max_pool2d", "size": 2},
                           {"type": "conv2d", "filters": 64, "kernel": 3, "padding": "same", "activation": "relu"},
                           {"type": "max_pool2d", "size": 2},
                           {"type": "dense", "units": 128, "activation": "relu", "dropout": 0.3}],
                         "name": "fashion_cnn"}')) AS model_bytes;
-- its layers
SELECT l->>'type' AS type, l->'output_shape' AS output_shape, l->'parameters' AS parameters
FROM jsonb_array_elements(nn_info(nn_model('fashion_cnn'))->'layers') l;
SELECT (h->>'epoch')::int AS epoch, round((h->>'train_loss')::numeric, 4) AS train_loss
FROM jsonb_array_elements(nn_info(nn_model('fashion_cnn'))->'history') h;
SELECT e->'rows' AS rows, round((e->>'accuracy')::numeric, 4) AS accuracy,
       round((e->>'macro_f1')::numeric, 4) AS macro_f1
FROM (SELECT nn_evaluate(nn_model('fashion_cnn'), 'fashion_test') AS e) s;
-- scored like any model: the two models side by side on a few rows
SELECT item AS actual, nn_predict_class('fashion', pixels) AS dense,
       nn_predict_class('fashion_cnn', pixels) AS cnn
FROM fashion_test LIMIT 5;

-- 9. Sequences: an LSTM over each pump's last readings.  Two days of
--    readings from 100 pumps, one every 10 minutes; before a pump fails,
--    its pressure and temperature climb for 100 minutes, while single
--    pressure spikes come and go without a failure.
SELECT setseed(0.16);
CREATE TABLE pump_failures AS
SELECT pump, timestamptz '2026-11-30 00:00' + t * interval '10 minutes' AS failed_at
FROM generate_series(1, 100) pump, generate_series(20, 287) t WHERE random() < 0.02;
CREATE TABLE readings AS
SELECT p.pump, r.at,
       round((5 + 0.2 * random() + c.clog + CASE WHEN random() < 0.03 THEN 0.6 ELSE 0 END)::numeric, 2)::real
           AS pressure,
       round((60 + 2 * random() + 6 * c.clog)::numeric, 1)::real AS temperature
FROM generate_series(1, 100) p(pump),
     generate_series(timestamptz '2026-11-30 00:00', '2026-12-01 23:50', '10 minutes') r(at),
     LATERAL (SELECT coalesce(max(0.08 * (10 - extract(epoch FROM f.failed_at - r.at) / 600)), 0) AS clog
              FROM pump_failures f
              WHERE f.pump = p.pump AND r.at BETWEEN f.failed_at - interval '100 minutes' AND f.failed_at) c;
-- every reading with the pump's last 12 readings (two hours, oldest first)
-- as 12 steps of [pressure, temperature], flattened step-major, and whether
-- the pump fails within the next hour
CREATE VIEW pump_windows AS
SELECT pump, at, ARRAY(SELECT unnest(last12)) AS last12,
       CASE WHEN EXISTS (SELECT FROM pump_failures f WHERE f.pump = w.pump
                         AND f.failed_at > w.at AND f.failed_at <= w.at + interval '1 hour')
            THEN 'fails' ELSE 'runs' END AS next_hour
FROM (SELECT pump, at, count(*) OVER w AS steps,
             array_agg(ARRAY[pressure, temperature]) OVER w AS last12
      FROM readings
      WINDOW w AS (PARTITION BY pump ORDER BY at ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)) w
WHERE steps = 12;
SELECT pump, at, next_hour, last12[1:6] AS first_3_steps FROM pump_windows ORDER BY pump, at LIMIT 3;
SELECT next_hour, count(*) FROM pump_windows GROUP BY 1 ORDER BY 1;
-- train on pumps 1-80: input_shape [steps, features], one LSTM layer of 32
-- units, then the output; each feature is standardized over all steps
SELECT length(nn_train('SELECT last12, next_hour FROM pump_windows WHERE pump <= 80',
                       'next_hour', '{last12}', '{}',
                       '{"epochs": 10, "seed": 1, "input_shape": [12, 2],
                         "layers": [{"type": "lstm", "units": 32}], "name": "pumps"}')) AS model_bytes;
SELECT l->>'type' AS type, l->'output_shape' AS output_shape, l->'parameters' AS parameters
FROM jsonb_array_elements(nn_info(nn_model('pumps'))->'layers') l;
-- evaluated on the 20 pumps it has not seen
SELECT e->'rows' AS rows, round((e->>'accuracy')::numeric, 4) AS accuracy,
       round((e->'per_class'->'fails'->>'precision')::numeric, 3) AS fails_precision,
       round((e->'per_class'->'fails'->>'recall')::numeric, 3) AS fails_recall
FROM (SELECT nn_evaluate(nn_model('pumps'), 'SELECT last12, next_hour FROM pump_windows WHERE pump > 80')
      AS e) s;
-- scored in a query: at 15:10 on the second day, the unseen pumps most
-- likely to fail within the hour, beside what happened
SELECT pump, nn_predict_class('pumps', last12) AS predicted,
       round((nn_predict_proba('pumps', last12))[1]::numeric, 3) AS p_fails, next_hour AS actual
FROM pump_windows WHERE pump > 80 AND at = '2026-12-01 15:10'
ORDER BY p_fails DESC LIMIT 7;
