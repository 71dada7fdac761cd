-- The batch path as window functions: nn_predict_window,
-- nn_predict_class_window and nn_predict_proba_window give each row what
-- nn_predict, nn_predict_class and nn_predict_proba give it, scoring the
-- partition's rows 256 at a time.  Chunk boundaries, partitions, frames,
-- NULLs, imputation, a model change inside a partition, and the errors.

CREATE TABLE wgrid AS
SELECT row_number() OVER (ORDER BY i, j) AS id, i::real AS x1, j::real AS x2,
       CASE WHEN i < 10 AND j < 10 THEN 'sw' WHEN i >= 10 AND j < 10 THEN 'se'
            WHEN i < 10 THEN 'nw' ELSE 'ne' END AS quadrant,
       (i * 0.5 - j * 0.25)::float8 AS t
FROM generate_series(0, 19) i, generate_series(0, 29) j;   -- 600 rows: 3 chunks

CREATE TABLE wmodels (name text PRIMARY KEY, m bytea);
INSERT INTO wmodels
SELECT 'softmax', nn_train('wgrid', 'quadrant', ARRAY['x1', 'x2'], '{16}',
                           '{"epochs": 30, "learning_rate": 0.02, "seed": 5}');
INSERT INTO wmodels
SELECT 'bce', nn_train('SELECT x1, x2, x1 > x2 AS above FROM wgrid', 'above', ARRAY['x1', 'x2'], '{8}',
                       '{"epochs": 30, "learning_rate": 0.02, "seed": 5, "loss": "binary_cross_entropy"}');
INSERT INTO wmodels
SELECT 'regressor', nn_train('wgrid', 't', ARRAY['x1', 'x2'], '{8}',
                             '{"epochs": 30, "learning_rate": 0.02, "seed": 5}');
INSERT INTO wmodels
SELECT 'unstandardized', nn_train('wgrid', 't', ARRAY['x1', 'x2'], '{8}',
                                  '{"epochs": 5, "seed": 5, "standardize": false}');

-- every row gets what the per-row functions give it (to float rounding:
-- a matrix product may sum in another order than a matrix-vector one)
SELECT count(*) AS rows,
       sum((abs(w_value - r_value) <= 1e-5 * (1 + abs(r_value)))::int) AS same_value,
       sum((w_class = r_class)::int) AS same_class,
       sum(((SELECT max(abs(a - b)) FROM unnest(w_proba, r_proba) u(a, b)) <= 1e-5)::int) AS same_proba
FROM (SELECT nn_predict_window(m, ARRAY[x1, x2]) OVER () AS w_value,
             nn_predict(m, ARRAY[x1, x2]) AS r_value,
             nn_predict_class_window(m, ARRAY[x1, x2]) OVER () AS w_class,
             nn_predict_class(m, ARRAY[x1, x2]) AS r_class,
             nn_predict_proba_window(m, ARRAY[x1, x2]) OVER () AS w_proba,
             nn_predict_proba(m, ARRAY[x1, x2]) AS r_proba
      FROM wgrid, wmodels WHERE name = 'softmax') s;

-- one partition per model: each partition is scored with its own model
SELECT name, count(*) AS rows,
       bool_and(abs(w - nn_predict(m, ARRAY[x1, x2])) <= 1e-5 * (1 + abs(w))) AS same_as_per_row
FROM (SELECT name, m, x1, x2, nn_predict_window(m, ARRAY[x1, x2]) OVER (PARTITION BY name) AS w
      FROM wgrid, wmodels) s
GROUP BY name ORDER BY name;

-- the models change inside one partition (OVER ()): a chunk ends where
-- the model changes, so every row is still scored with its own model
SELECT count(*) AS rows,
       bool_and(abs(w - nn_predict(m, ARRAY[x1, x2])) <= 1e-5 * (1 + abs(w))) AS same_as_per_row
FROM (SELECT m, x1, x2, nn_predict_window(m, ARRAY[x1, x2]) OVER () AS w
      FROM (SELECT * FROM wgrid, wmodels ORDER BY id % 7, name) u) s;
-- ... and where it changes at every row
SELECT count(*) AS rows,
       bool_and(abs(w - nn_predict(m, ARRAY[x1, x2])) <= 1e-5 * (1 + abs(w))) AS same_as_per_row
FROM (SELECT m, x1, x2, nn_predict_window(m, ARRAY[x1, x2]) OVER (ORDER BY id, name) AS w
      FROM wgrid, wmodels WHERE id <= 100) s;

-- rows in the window's order, and the frame clause does not matter
SELECT id, nn_predict_class_window(m, ARRAY[x1, x2]) OVER (ORDER BY id DESC) AS by_window,
       nn_predict_class(m, ARRAY[x1, x2]) AS per_row,
       nn_predict_class_window(m, ARRAY[x1, x2])
           OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS framed
FROM wgrid, wmodels WHERE name = 'softmax' AND id IN (1, 256, 257, 512, 513, 600)
ORDER BY id;

-- ... as the rows the window sees, after WHERE
SELECT count(*) AS rows, bool_and(w = nn_predict_class(m, ARRAY[x1, x2])) AS same_class
FROM (SELECT m, x1, x2, nn_predict_class_window(m, ARRAY[x1, x2]) OVER () AS w
      FROM wgrid, wmodels WHERE name = 'softmax' AND id % 3 = 0) s;

-- binary cross-entropy: two probabilities, the class from them
SELECT count(*) AS rows,
       bool_and(array_length(p, 1) = 2 AND abs(p[1] + p[2] - 1) < 1e-5) AS two_probabilities,
       bool_and(c = nn_predict_class(m, ARRAY[x1, x2])) AS same_class
FROM (SELECT m, x1, x2, nn_predict_proba_window(m, ARRAY[x1, x2]) OVER () AS p,
             nn_predict_class_window(m, ARRAY[x1, x2]) OVER () AS c
      FROM wgrid, wmodels WHERE name = 'bce') s;

-- NULL model or NULL features: NULL for that row, the others scored
SELECT id, round(nn_predict_window(CASE WHEN id <> 2 THEN m END,
                                   CASE WHEN id <> 4 THEN ARRAY[x1, x2] END) OVER (ORDER BY id)::numeric, 3)
           IS NULL AS is_null
FROM wgrid, wmodels WHERE name = 'regressor' AND id <= 5
ORDER BY id;

-- NULL elements: an error unless the model imputes
SELECT nn_predict_window(m, ARRAY[x1, NULL]) OVER () FROM wgrid, wmodels
WHERE name = 'regressor' AND id = 1;
CREATE TABLE wholes AS SELECT x1, CASE WHEN id % 5 = 0 THEN NULL ELSE x2 END AS x2, t FROM wgrid;
SELECT count(*) AS rows,
       bool_and(abs(w - nn_predict(m, ARRAY[x1, x2])) <= 1e-5 * (1 + abs(w))) AS same_as_per_row,
       count(*) FILTER (WHERE x2 IS NULL) AS imputed
FROM (SELECT m, x1, x2, nn_predict_window(m, ARRAY[x1, x2]) OVER () AS w
      FROM wholes, (SELECT nn_train('wholes', 't', ARRAY['x1', 'x2'], '{4}',
                                    '{"epochs": 3, "seed": 5, "impute": "mean"}') AS m) mm) s;

-- an empty partition returns no rows
SELECT count(*) FROM (SELECT nn_predict_window(m, ARRAY[x1, x2]) OVER () FROM wgrid, wmodels WHERE false) s;

-- errors: the features' count, a damaged model, a class of a regressor
SELECT nn_predict_window(m, ARRAY[x1]) OVER () FROM wgrid, wmodels WHERE name = 'softmax' AND id = 1;
SELECT nn_predict_window('\x00'::bytea, ARRAY[x1, x2]) OVER () FROM wgrid WHERE id = 1;
SELECT nn_predict_class_window(m, ARRAY[x1, x2]) OVER () FROM wgrid, wmodels
WHERE name = 'regressor' AND id = 1;
SELECT nn_predict_proba_window(m, ARRAY[x1, x2]) OVER () FROM wgrid, wmodels
WHERE name = 'regressor' AND id = 1;
SELECT nn_predict_window(m, ARRAY[x1, 'infinity']) OVER () FROM wgrid, wmodels
WHERE name = 'softmax' AND id = 1;
-- a window function needs OVER
SELECT nn_predict_window(m, ARRAY[x1, x2]) FROM wgrid, wmodels WHERE name = 'softmax' AND id = 1;

-- by name: the deployed model of nn_models
SELECT nn_register('wsoft', m) AS version FROM wmodels WHERE name = 'softmax';
SELECT nn_register('wreg', m) AS version FROM wmodels WHERE name = 'regressor';
SELECT count(*) AS rows,
       bool_and(c = nn_predict_class('wsoft', ARRAY[x1, x2])) AS same_class,
       bool_and(abs(v - nn_predict('wsoft', ARRAY[x1, x2])) <= 1e-5 * (1 + abs(v))) AS same_value,
       bool_and((SELECT max(abs(a - b)) FROM unnest(p, nn_predict_proba('wsoft', ARRAY[x1, x2])) u(a, b))
                <= 1e-5) AS same_proba
FROM (SELECT x1, x2, nn_predict_class_window('wsoft', ARRAY[x1, x2]) OVER () AS c,
             nn_predict_window('wsoft', ARRAY[x1, x2]) OVER () AS v,
             nn_predict_proba_window('wsoft', ARRAY[x1, x2]) OVER () AS p
      FROM wgrid) s;
-- two window functions of one query on the same name but other features:
-- each keeps its own outputs (the catalog's scorer and its batch are shared)
SELECT count(*) AS rows,
       bool_and(abs(a - nn_predict('wreg', ARRAY[x1, x2])) <= 1e-5 * (1 + abs(a))) AS first_right,
       bool_and(abs(b - nn_predict('wreg', ARRAY[x2, x1])) <= 1e-5 * (1 + abs(b))) AS second_right,
       bool_or(abs(a - b) > 0.1) AS they_differ
FROM (SELECT x1, x2, nn_predict_window('wreg', ARRAY[x1, x2]) OVER () AS a,
             nn_predict_window('wreg', ARRAY[x2, x1]) OVER () AS b
      FROM wgrid) s;
-- the name changes at every row: each row is scored with its own model
SELECT count(*) AS rows,
       bool_and(abs(w - nn_predict(n, ARRAY[x1, x2])) <= 1e-5 * (1 + abs(w))) AS same_as_per_row
FROM (SELECT n, x1, x2, nn_predict_window(n, ARRAY[x1, x2]) OVER (ORDER BY id, n) AS w
      FROM wgrid, (VALUES ('wreg'), ('wsoft')) v(n) WHERE id <= 300) s;
-- a new deployment inside one transaction: the next statement scores with it
BEGIN;
SELECT nn_register('wsoft', m) AS version FROM wmodels WHERE name = 'bce';
SELECT nn_deploy('wsoft', 2);
SELECT count(*) AS rows, bool_and(array_length(p, 1) = 2) AS two_classes
FROM (SELECT nn_predict_proba_window('wsoft', ARRAY[x1, x2]) OVER () AS p FROM wgrid) s;
SELECT nn_deploy('wsoft', 1);
SELECT count(*) AS rows, bool_and(array_length(p, 1) = 4) AS four_classes
FROM (SELECT nn_predict_proba_window('wsoft', ARRAY[x1, x2]) OVER () AS p FROM wgrid) s;
COMMIT;
-- NULL names give NULL; an unknown name is an error
SELECT nn_predict_window(NULL::text, ARRAY[x1, x2]) OVER () IS NULL AS is_null FROM wgrid WHERE id = 1;
SELECT nn_predict_window('no such model', ARRAY[x1, x2]) OVER () FROM wgrid WHERE id = 1;
SELECT nn_predict_class_window('wreg', ARRAY[x1, x2]) OVER () FROM wgrid WHERE id = 1;
