-- The nn_fit aggregate called directly: custom training loops from
-- nn_init, continued training of an nn_train model, and a parallel plan.

CREATE TABLE fit_xor AS
SELECT a::real AS a, b::real AS b, (a # b)::real AS y
FROM generate_series(0, 1) a, generate_series(0, 1) b, generate_series(1, 25) r;

-- one pass from nn_init
CREATE TABLE one_pass AS
SELECT nn_fit(nn_init(2, '{8}', 2, '{"seed": 1}'), ARRAY[a, b]::real[], y) AS m FROM fit_xor;

SELECT nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'epochs' AS epochs,
       jsonb_array_length(nn_info(m)->'history') AS history_length,
       nn_info(m)->'optimizer_steps' AS optimizer_steps,
       nn_info(m)->'history'->0 ? 'train_loss' AS has_train_loss
FROM one_pass;

-- no rows: the aggregate returns NULL
SELECT nn_fit(nn_init(2, '{8}', 2), ARRAY[a, b]::real[], y) IS NULL AS is_null
FROM fit_xor WHERE false;

-- rows with a NULL features array or target are skipped
SELECT nn_info(nn_fit(nn_init(2, '{8}', 2), CASE WHEN a = 0 THEN ARRAY[a, b]::real[] END,
                      CASE WHEN b = 0 THEN y END))->'rows_trained' AS rows_trained
FROM fit_xor;

-- many passes in a PL/pgSQL loop, keeping every model in a table
CREATE TABLE fit_models (pass int PRIMARY KEY, m bytea);
INSERT INTO fit_models
VALUES (0, nn_init(2, '{8}', 2, '{"seed": 1, "activation": "tanh", "learning_rate": 0.05}'));
DO $$
BEGIN
    FOR i IN 1..150 LOOP
        INSERT INTO fit_models
        SELECT i, nn_fit((SELECT m FROM fit_models WHERE pass = i - 1), ARRAY[a, b]::real[], y)
        FROM fit_xor;
    END LOOP;
END
$$;

SELECT pass, nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'epochs' AS epochs,
       jsonb_array_length(nn_info(m)->'history') AS history_length
FROM fit_models WHERE pass IN (0, 1, 2, 150) ORDER BY pass;

-- the last model solves XOR, and its history is one element per pass
SELECT a, b, nn_predict_class(m, ARRAY[a, b]) AS class, nn_predict(m, ARRAY[a, b]) = y AS correct
FROM (SELECT DISTINCT a, b, y FROM fit_xor) x, fit_models
WHERE pass = 150
ORDER BY a, b;

SELECT (h->-1->>'train_loss')::float8 < (h->0->>'train_loss')::float8 AS loss_decreased,
       (SELECT bool_and(e ? 'train_loss') FROM jsonb_array_elements(h) e) AS every_epoch_has_loss
FROM (SELECT nn_info(m)->'history' AS h FROM fit_models WHERE pass = 150) t;

-- the same loop as a recursive CTE gives the same models
WITH RECURSIVE loop(pass, m) AS (
    SELECT 0, nn_init(2, '{8}', 2, '{"seed": 1, "activation": "tanh", "learning_rate": 0.05}')
    UNION ALL
    SELECT pass + 1, (SELECT nn_fit(loop.m, ARRAY[a, b]::real[], y) FROM fit_xor)
    FROM loop WHERE pass < 20
)
SELECT loop.m = fit_models.m AS same_as_loop
FROM loop JOIN fit_models USING (pass)
WHERE pass = 20;

-- continue training a model made by nn_train: features stay raw (the
-- stored standardization applies inside), rows and epochs add up
CREATE TABLE fit_three AS
SELECT i::real AS x1, j::real AS x2,
       CASE WHEN i + j < 20 THEN 0 WHEN i > j THEN 1 ELSE 2 END AS y
FROM generate_series(0, 29) i, generate_series(0, 29) j;

CREATE TABLE trained AS
SELECT nn_train('fit_three', 'y', NULL, '{16}', '{"epochs": 3, "learning_rate": 0.01, "seed": 7}') AS m;

CREATE TABLE continued AS
SELECT nn_fit(m, ARRAY[x1, x2], y::real) AS m FROM fit_three, trained GROUP BY m;

SELECT nn_info(t.m)->'rows_trained' AS before_rows, nn_info(c.m)->'rows_trained' AS after_rows,
       nn_info(t.m)->'epochs' AS before_epochs, nn_info(c.m)->'epochs' AS after_epochs,
       jsonb_array_length(nn_info(c.m)->'history') AS history_length,
       nn_info(c.m)->'features' AS features, nn_info(c.m)->'classes' AS classes,
       nn_info(c.m)->'options'->'standardize' AS standardize
FROM trained t, continued c;

-- 40 more passes over it with nn_fit reach a good accuracy
DO $$
BEGIN
    FOR i IN 1..40 LOOP
        UPDATE continued SET m = (SELECT nn_fit(continued.m, ARRAY[x1, x2], y::real) FROM fit_three);
    END LOOP;
END
$$;

SELECT nn_info(m)->'epochs' AS epochs, nn_info(m)->'rows_trained' AS rows_trained,
       avg((nn_predict(m, ARRAY[x1, x2]) = y)::int) >= 0.95 AS accuracy_ok
FROM fit_three, continued GROUP BY m;

-- a regressor from nn_init: target values, no standardization; it learns
-- y = 3x - 1
CREATE TABLE fit_line AS
SELECT (i / 10.0)::real AS x, (3 * i / 10.0 - 1)::real AS y FROM generate_series(-10, 10) i;

WITH RECURSIVE loop(pass, m) AS (
    SELECT 0, nn_init(1, '{}', 1, '{"learning_rate": 0.1, "batch_size": 4}')
    UNION ALL
    SELECT pass + 1, (SELECT nn_fit(loop.m, ARRAY[x], y) FROM fit_line)
    FROM loop WHERE pass < 100
)
SELECT nn_info(m)->'task' AS task, nn_info(m)->'epochs' AS epochs,
       round(nn_predict(m, ARRAY[0.5]::real[])::numeric, 2) AS at_half,
       round(nn_predict(m, ARRAY[-1]::real[])::numeric, 2) AS at_minus_one
FROM loop WHERE pass = 100;

-- a parallel plan: partial aggregates in workers, combined by averaging
CREATE TABLE fit_par AS
SELECT i, (((i * 7919) % 1000) / 100.0 - 5)::real AS a, (((i * 104729) % 997) / 100.0 - 5)::real AS b
FROM generate_series(1, 20000) i;
ALTER TABLE fit_par ADD COLUMN y real;
UPDATE fit_par SET y = (a + 2 * b > 0)::int;
ALTER TABLE fit_par SET (parallel_workers = 2);
VACUUM ANALYZE fit_par;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

EXPLAIN (COSTS OFF)
SELECT nn_fit(nn_init(2, '{}', 2, '{"seed": 1, "learning_rate": 0.05}'), ARRAY[a, b], y) FROM fit_par;

CREATE TABLE par_model AS
SELECT nn_fit(nn_init(2, '{}', 2, '{"seed": 1, "learning_rate": 0.05}'), ARRAY[a, b], y) AS m
FROM fit_par;

SELECT nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'epochs' AS epochs,
       jsonb_array_length(nn_info(m)->'history') AS history_length
FROM par_model;

SELECT avg((nn_predict(m, ARRAY[a, b]) = y)::int) >= 0.9 AS accuracy_ok
FROM fit_par, par_model;

-- a second parallel pass, starting from the first model
CREATE TABLE par_model2 AS
SELECT nn_fit((SELECT m FROM par_model), ARRAY[a, b], y) AS m FROM fit_par;

SELECT nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'epochs' AS epochs,
       jsonb_array_length(nn_info(m)->'history') AS history_length,
       avg((nn_predict(m, ARRAY[a, b]) = y)::int) >= 0.9 AS accuracy_ok
FROM fit_par, par_model2 GROUP BY m;

-- a hidden layer under the parallel plan
CREATE TABLE par_hidden AS
SELECT nn_fit(nn_init(2, '{8}', 2, '{"seed": 2, "learning_rate": 0.01}'), ARRAY[a, b], y) AS m
FROM fit_par;

SELECT nn_info(m)->'rows_trained' AS rows_trained,
       avg((nn_predict(m, ARRAY[a, b]) = y)::int) >= 0.9 AS accuracy_ok
FROM fit_par, par_hidden GROUP BY m;

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- nn_fit per group: one model per group of rows
SELECT g, nn_info(m)->'rows_trained' AS rows_trained
FROM (SELECT i % 3 AS g, nn_fit(nn_init(2, '{}', 2), ARRAY[a, b], y) AS m
      FROM fit_par GROUP BY i % 3) t
ORDER BY g;

DROP TABLE fit_xor, one_pass, fit_models, fit_three, trained, continued, fit_line,
           fit_par, par_model, par_model2, par_hidden;
