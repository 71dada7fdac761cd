-- Issue 20, items 4-7: NULLs and unseen values said plainly, features chosen
-- with care, errors that teach, honest introspection.  Each friction point
-- the issue lists has its case here, with the message or behaviour it gets.
SET extra_float_digits = 0;

-- A small everyday table: an identity key, numbers with NULLs, a text
-- column, a timestamp, a boolean target.
CREATE TABLE ee_tx (
    id int GENERATED ALWAYS AS IDENTITY,
    amount numeric,
    age int,
    channel text,
    at timestamptz DEFAULT '2026-01-01 00:00:00+00',
    fraud boolean
);
INSERT INTO ee_tx (amount, age, channel, fraud)
SELECT (i % 97) * 3.5, CASE WHEN i % 10 = 0 THEN NULL ELSE 20 + i % 50 END,
       (ARRAY['web', 'shop', 'phone'])[1 + i % 3],
       CASE WHEN i = 7 THEN NULL ELSE i % 13 = 0 END
FROM generate_series(1, 200) i;
UPDATE ee_tx SET amount = NULL WHERE id IN (5, 10, 15);

-- ---------------------------------------------------------- item 4: NULLs
-- the skipped rows' NOTICE names the columns that held NULLs, with counts,
-- and points at impute (a row counts under each of its NULL columns)
CREATE TABLE ee_models (name text, m bytea);
INSERT INTO ee_models
SELECT 'skip', nn_train('ee_tx', 'fraud', '{amount, age, channel}', '{4}', '{"epochs": 2}');
-- a NULL weight is named too, and no impute hint without NULL features
SELECT nn_info(nn_train('SELECT amount, fraud, CASE WHEN age IS NULL THEN NULL ELSE 1 END AS w FROM ee_tx WHERE amount IS NOT NULL',
                        'fraud', '{amount}', '{}', '{"epochs": 1, "weight_column": "w"}'))->'rows_trained' AS rows;

-- whole-row scoring: a NULL feature gives NULL, and a NOTICE says why, once
SELECT count(*) AS scored, count(p) AS with_prediction
FROM (SELECT nn_predict_class_row(m.m, t) AS p FROM ee_models m, ee_tx t WHERE m.name = 'skip') s;

-- array and window scoring name the NULL element (1-based, as SQL arrays)
SELECT nn_predict(m, ARRAY[1, 2, NULL, 0, 0]::real[]) FROM ee_models WHERE name = 'skip';
SELECT nn_predict_window(m, ARRAY[1, NULL, 1, 0, 0]::real[]) OVER () FROM ee_models WHERE name = 'skip';
SELECT nn_predict_batch(m, ARRAY[[1, 2, 1, 0, 0], [1, 2, 1, 0, NULL]]::real[]) FROM ee_models WHERE name = 'skip';

-- unseen category values: one NOTICE per column and call site, not per row
-- (two unseen values, 'crypto' and 'atm', three rows), encoded as all zeros
SELECT v.channel, nn_predict_proba_row(m.m, v) = nn_predict_proba(m.m, ARRAY[v.amount, v.age, 0, 0, 0]::real[])
       AS all_zeros
FROM ee_models m,
     (VALUES (10.0, 30, 'crypto'), (20.0, 40, 'atm'), (30.0, 50, 'crypto')) v(amount, age, channel)
WHERE m.name = 'skip' ORDER BY v.amount;
-- nn_evaluate counts them per column
CREATE TABLE ee_new AS
SELECT amount, age, CASE WHEN id % 4 = 0 THEN 'crypto' WHEN id % 4 = 1 THEN 'ng' ELSE channel END AS channel,
       fraud
FROM ee_tx WHERE amount IS NOT NULL AND age IS NOT NULL AND fraud IS NOT NULL;
SELECT e->'unseen_categories' AS unseen, e->'rows' AS rows,
       (SELECT count(*) FROM ee_new WHERE channel IN ('crypto', 'ng')) AS expected
FROM ee_models, nn_evaluate(m, 'ee_new') e WHERE name = 'skip';

-- ------------------------------------------------ item 5: feature choice
-- with features NULL, an identity column and a one-column primary key are
-- left out, each with a NOTICE; a timestamp is an error with a hint
SELECT nn_train('ee_tx', 'fraud');
CREATE TABLE ee_keyed (k int PRIMARY KEY, x real, y boolean);
INSERT INTO ee_keyed SELECT i, i % 7, i % 2 = 0 FROM generate_series(1, 40) i;
SELECT nn_info(nn_train('ee_keyed', 'y', NULL, '{}', '{"epochs": 1}'))->'features' AS features;
-- a query or a view has no key in the catalog: every column is a feature
SELECT nn_info(nn_train('SELECT * FROM ee_keyed', 'y', NULL, '{}', '{"epochs": 1}'))->'features' AS features;
CREATE VIEW ee_keyed_view AS SELECT * FROM ee_keyed;
SELECT nn_info(nn_train('ee_keyed_view', 'y', NULL, '{}', '{"epochs": 1}'))->'features' AS features;
-- a composite primary key's columns stay features (each alone identifies nothing)
CREATE TABLE ee_pair (store int, day int, x real, y boolean, PRIMARY KEY (store, day));
INSERT INTO ee_pair SELECT i % 4, i, i % 5, i % 3 = 0 FROM generate_series(1, 40) i;
SELECT nn_info(nn_train('ee_pair', 'y', NULL, '{}', '{"epochs": 1}'))->'features' AS features;
-- named, a key is a feature like any other
SELECT nn_info(nn_train('ee_keyed', 'y', '{k, x}', '{}', '{"epochs": 1}'))->'features' AS features;
-- date, time and interval columns: the hint shows the extract(...) to use
CREATE TABLE ee_times (d date, t time, i interval, y boolean);
INSERT INTO ee_times VALUES ('2026-01-01', '10:00', '1 day', true), ('2026-01-02', '11:00', '2 days', false);
SELECT nn_train('ee_times', 'y', '{d}');
SELECT nn_train('ee_times', 'y', '{t}');
SELECT nn_train('ee_times', 'y', '{i}');
-- and what the hints suggest trains
SELECT nn_info(nn_train('SELECT extract(epoch from d) AS d_epoch, extract(month from d) AS d_month,
                                extract(dow from d) AS d_dow, extract(epoch from t) AS t_epoch,
                                extract(epoch from i) AS i_epoch, y FROM ee_times',
                        'y', NULL, '{}', '{"epochs": 1}'))->'inputs' AS inputs;
SELECT nn_info(nn_train('SELECT extract(epoch from at) AS at_epoch, amount, fraud FROM ee_tx', 'fraud',
                        NULL, '{}', '{"epochs": 1}'))->'features' AS features;

-- ------------------------------------------------- item 6: errors that teach
-- a boolean target's classes are "true" and "false"; class_weight takes any
-- spelling PostgreSQL reads as a boolean, and a number equal to a class
SELECT nn_info(nn_train('ee_tx', 'fraud', '{amount}', '{}',
                        '{"epochs": 1, "class_weight": {"t": 30}}'))->'options'->'class_weight' AS recorded;
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"epochs": 1, "class_weight": {"maybe": 30}}');
CREATE TABLE ee_int AS SELECT i % 7 AS x, i % 3 AS y FROM generate_series(1, 60) i;
SELECT nn_info(nn_train('ee_int', 'y', '{x}', '{}', '{"epochs": 1, "class_weight": {"2.0": 3}}'))->'rows_trained' AS rows;
SELECT nn_train('ee_int', 'y', '{x}', '{}', '{"epochs": 1, "class_weight": {"2.5": 3}}');
-- evaluating a boolean model on a 0/1 target: the error lists the classes
CREATE TABLE ee_01 AS SELECT amount, age, channel, fraud::int AS fraud FROM ee_tx;
SELECT nn_evaluate(m, 'ee_01') FROM ee_models WHERE name = 'skip';
-- many classes: the first 20, then how many more
CREATE TABLE ee_many AS SELECT i % 25 AS x, 'c' || lpad((i % 25)::text, 2, '0') AS y FROM generate_series(1, 100) i;
SELECT nn_train('ee_many', 'y', '{x}', '{}', '{"epochs": 1, "class_weight": {"c99": 2}}');
SELECT nn_explain(nn_train('ee_many', 'y', '{x}', '{}', '{"epochs": 1}'), ARRAY[1]::real[], '{"class": "c99"}');
-- typos get the nearest valid name; nonsense gets none
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"epoch": 20}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"learningrate": 0.1}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"zzzzzzzz": 1}');
SELECT nn_init(2, '{3}', 2, '{"optimiser": "sgd"}');
SELECT nn_continue(m, 'ee_tx', '{"epoches": 1}') FROM ee_models WHERE name = 'skip';
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"layers": [{"unit": 4}]}');
SELECT nn_explain(m, ARRAY[1, 2, 1, 0, 0]::real[], '{"step": 8}') FROM ee_models WHERE name = 'skip';
SELECT nn_evaluate(m, 'ee_tx', NULL, '{"adversarial": {"epsilon": 0.1, "step": 3}}') FROM ee_models WHERE name = 'skip';
SELECT nn_train('ee_tx', 'fraud', '{Amount}', '{}', '{"epochs": 1}');
SELECT nn_train('ee_tx', 'Fraud', '{amount}', '{}', '{"epochs": 1}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"epochs": 1, "weight_column": "ag"}');
SELECT nn_predict_row(m, r) FROM ee_models, (SELECT 1.0 AS "Amount", 2 AS age, 'web' AS channel) r
WHERE name = 'skip';
-- a value of the wrong type says what it got
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"epochs": "20"}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"epochs": 2.5}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"standardize": "yes"}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"dropout": 1e100}');
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', jsonb_build_object('name', repeat('n', 200)));
SELECT nn_train('ee_tx', 'fraud', '{amount}', '{}', '{"layers": [{"units": [4]}]}');
SELECT nn_explain(m, ARRAY[1, 2, 1, 0, 0]::real[], '{"steps": "8"}') FROM ee_models WHERE name = 'skip';

-- --------------------------------------------- item 7: honest introspection
-- options in effect: a key that takes no part is left out, not shown as 0
SELECT o AS optimizer, (nn_info(nn_train('ee_int', 'y', '{x}', '{}',
                                         jsonb_build_object('epochs', 1, 'optimizer', o)))->'options')
       - '{activation, batch_norm, batch_size, dropout, epochs, l1, l2, loss, lr_schedule, optimizer, patience,
           seed, standardize, task, validation_fraction, warmup_epochs}'::text[] AS optimizer_keys
FROM unnest('{sgd, momentum, nesterov, rmsprop, adagrad, adadelta, adam, adamw}'::text[]) o;
SELECT s AS schedule, (nn_info(nn_train('ee_int', 'y', '{x}', '{}',
                                        jsonb_build_object('epochs', 1, 'optimizer', 'sgd', 'lr_schedule', s)))->'options')
       - '{activation, batch_norm, batch_size, dropout, epochs, l1, l2, learning_rate, loss, optimizer, patience,
           seed, standardize, task, validation_fraction, warmup_epochs}'::text[] AS schedule_keys
FROM unnest('{constant, step, exponential, cosine}'::text[]) s;
SELECT nn_info(nn_train('ee_int', 'y', '{x}', '{}', '{"epochs": 1, "patience": 2}'))->'options'->'restore_best'
       AS restore_best_with_patience;
CREATE TABLE ee_reg AS SELECT i % 10 AS x, (i % 10) * 2.0 + 100 AS y FROM generate_series(1, 100) i;
SELECT nn_info(nn_train('ee_reg', 'y', '{x}', '{}', '{"epochs": 1, "loss": "huber"}'))->'options'->'delta' AS huber_delta,
       nn_info(nn_train('ee_reg', 'y', '{x}', '{}', '{"epochs": 1}'))->'options' ? 'delta' AS mse_has_delta;
-- the stored standardization: per input, and the target's for regression
SELECT (s->'input_mean'->>0)::float8 = 4.5 AS x_mean,
       round((s->'input_std'->>0)::numeric, 4) AS x_std,
       round((s->'target_mean')::numeric, 2) AS y_mean,
       round((s->'target_std')::numeric, 4) AS y_std,
       round((SELECT stddev_pop(y) FROM ee_reg)::numeric, 4) AS y_std_sql
FROM (SELECT nn_info(nn_train('ee_reg', 'y', '{x}', '{}', '{"epochs": 1}'))->'standardization' AS s) t;
SELECT nn_info(nn_train('ee_int', 'y', '{x}', '{}', '{"epochs": 1}'))->'standardization' ? 'target_mean' AS classifier_has_target;
SELECT nn_info(nn_train('ee_int', 'y', '{x}', '{}', '{"epochs": 1, "standardize": false}')) ? 'standardization'
       AS unstandardized_shows_it;

-- registered metrics: the hold-out's, in target units, as nn_evaluate names them
DELETE FROM nn_models WHERE name LIKE 'ee_%';
SELECT nn_train('ee_reg', 'y', '{x}', '{8}',
                '{"epochs": 30, "seed": 3, "validation_fraction": 0.3, "learning_rate": 0.01, "name": "ee_reg"}')
       IS NOT NULL AS trained;
SELECT jsonb_object_keys(metrics) AS key FROM nn_models WHERE name = 'ee_reg' ORDER BY 1;
-- the same numbers nn_evaluate gives on the hold-out rows (the model's own
-- split: the registered row count), in the target's units (y spans 100-118)
SELECT metrics->>'on' AS split, (metrics->>'rows')::int < 100 AND (metrics->>'rows')::int > 0 AS holdout_rows,
       (metrics->>'rmse')::float8 < 10 AS rmse_in_target_units,
       abs((metrics->>'rmse')::float8 - sqrt((metrics->>'mse')::float8)) < 1e-9 AS rmse_is_root_mse,
       (metrics->>'mae')::float8 <= (metrics->>'rmse')::float8 AS mae_at_most_rmse,
       (metrics->>'r2')::float8 <= 1 AS r2
FROM nn_models WHERE name = 'ee_reg';
-- the whole table, evaluated: within the hold-out's error scale
SELECT abs((nn_evaluate(model, 'ee_reg')->>'rmse')::float8 - (metrics->>'rmse')::float8) < 2 AS same_scale
FROM nn_models WHERE name = 'ee_reg';
-- without a hold-out: the training rows, said so
SELECT nn_train('ee_int', 'y', '{x}', '{4}', '{"epochs": 2, "name": "ee_class"}') IS NOT NULL AS trained;
SELECT metrics->>'on' AS split, metrics->'rows' AS rows, (metrics->>'accuracy')::float8 BETWEEN 0 AND 1 AS accuracy,
       (metrics->>'log_loss')::float8 > 0 AS log_loss
FROM nn_models WHERE name = 'ee_class';
-- the accuracy and log loss nn_evaluate gives on the same rows
SELECT abs((e->>'accuracy')::float8 - (metrics->>'accuracy')::float8) < 1e-6 AS accuracy_equal,
       abs((e->>'log_loss')::float8 - (metrics->>'log_loss')::float8) < 1e-5 AS log_loss_equal
FROM nn_models, nn_evaluate(model, 'ee_int') e WHERE name = 'ee_class';
DELETE FROM nn_models WHERE name LIKE 'ee_%';
