-- nn_train learns three small problems well: XOR, a 3-class problem and a
-- smooth regression.  Scores are printed as booleans against thresholds so
-- the output does not depend on the last digits of floating point.

-- XOR, repeated so that every epoch has several minibatches
CREATE TABLE xor AS
SELECT a::real AS a, b::real AS b, (a # b) AS y
FROM generate_series(0, 1) a, generate_series(0, 1) b;
CREATE TABLE xor_train AS SELECT x.* FROM xor x, generate_series(1, 25) r;

CREATE TABLE xor_model AS
SELECT nn_train('xor_train', 'y', NULL, '{8}',
                '{"activation": "tanh", "epochs": 200, "learning_rate": 0.05, "seed": 1}') AS m;

SELECT a, b, y,
       nn_predict(m, ARRAY[a, b]) AS predicted,
       nn_predict_class(m, ARRAY[a, b]) AS class,
       nn_predict_class(m, ARRAY[a, b]) = y::text AS correct
FROM xor, xor_model
ORDER BY a, b;

SELECT nn_info(m)->'layers' AS layers,
       nn_info(m)->'classes' AS classes,
       nn_info(m)->'features' AS features,
       nn_info(m)->'rows_trained' AS rows_trained,
       nn_info(m)->'epochs' AS epochs
FROM xor_model;

-- the training loss went down
SELECT (nn_info(m)->'history'->-1->>'train_loss')::float8 <
       (nn_info(m)->'history'->0->>'train_loss')::float8 AS loss_decreased,
       (nn_info(m)->'history'->-1->>'train_loss')::float8 < 0.05 AS final_loss_small
FROM xor_model;

-- three classes on a 30 x 30 grid: a corner triangle, and the rest split
-- by the diagonal
CREATE TABLE three AS
SELECT i::real AS x1, j::real AS x2,
       CASE WHEN i + j < 20 THEN 'low' WHEN i > j THEN 'right' ELSE 'top' END AS label
FROM generate_series(0, 29) i, generate_series(0, 29) j;

SELECT label, count(*) FROM three GROUP BY label ORDER BY label;

CREATE TABLE three_model AS
SELECT nn_train('three', 'label', ARRAY['x1', 'x2'], '{16}',
                '{"epochs": 100, "learning_rate": 0.01, "seed": 7}') AS m;

SELECT nn_info(m)->'classes' AS classes, nn_info(m)->'task' AS task FROM three_model;

SELECT avg((nn_predict_class(m, ARRAY[x1, x2]) = label)::int) >= 0.95 AS accuracy_ok
FROM three, three_model;

-- nn_predict gives the class index in the sorted class list
SELECT bool_and(nn_predict(m, ARRAY[x1, x2]) =
                CASE nn_predict_class(m, ARRAY[x1, x2])
                     WHEN 'low' THEN 0 WHEN 'right' THEN 1 WHEN 'top' THEN 2 END)
       AS index_matches_class
FROM three, three_model;

-- regression: y = sin(x1) + x2^2 on a 31 x 21 grid
CREATE TABLE smooth AS
SELECT x1::real AS x1, x2::real AS x2, sin(x1) + x2 * x2 AS y
FROM generate_series(-3.0, 3.0, 0.2) x1, generate_series(-1.0, 1.0, 0.1) x2;

SELECT count(*), pg_typeof(min(y)) FROM smooth;

CREATE TABLE smooth_model AS
SELECT nn_train('smooth', 'y', NULL, '{32}',
                '{"epochs": 200, "learning_rate": 0.01, "seed": 3}') AS m;

SELECT nn_info(m)->'task' AS task, nn_info(m)->'loss' AS loss,
       nn_info(m)->'classes' AS classes
FROM smooth_model;

-- the variance of y is about 0.61; a good fit is far below it
SELECT avg((nn_predict(m, ARRAY[x1, x2]) - y) ^ 2) < 0.01 AS mse_ok
FROM smooth, smooth_model;

-- predictions are in the original units (the target is standardized
-- inside the model, with mean 0.37 and sd 0.78): at (-1.6, 0) the truth
-- is sin(-1.6) = -1.0, the standardized value would be -1.7
SELECT abs(nn_predict(m, ARRAY[-1.6, 0]::real[]) - sin(-1.6)) < 0.15 AS close_to_truth
FROM smooth_model;

-- no hidden layer: logistic regression on a linearly separable problem
CREATE TABLE halfplane AS
SELECT i::real AS x1, j::real AS x2, i > j AS above
FROM generate_series(0, 19) i, generate_series(0, 19) j
WHERE i <> j;

CREATE TABLE halfplane_model AS
SELECT nn_train('halfplane', 'above', NULL, '{}',
                '{"epochs": 100, "learning_rate": 0.05, "seed": 2}') AS m;

SELECT nn_info(m)->'layers' AS layers, nn_info(m)->'parameters' AS parameters,
       nn_info(m)->'classes' AS classes
FROM halfplane_model;

SELECT avg((nn_predict_class(m, ARRAY[x1, x2]) = above::text)::int) >= 0.95 AS accuracy_ok
FROM halfplane, halfplane_model;

-- plain SGD learns the 3-class problem too
CREATE TABLE three_sgd AS
SELECT nn_train('three', 'label', NULL, '{16}',
                '{"optimizer": "sgd", "learning_rate": 0.1, "epochs": 100, "seed": 7}') AS m;

SELECT nn_info(m)->'optimizer' AS optimizer,
       nn_info(m)->'options'->'learning_rate' AS learning_rate,
       avg((nn_predict_class(m, ARRAY[x1, x2]) = label)::int) >= 0.9 AS accuracy_ok
FROM three, three_sgd
GROUP BY m;

DROP TABLE xor, xor_train, xor_model, three, three_model, three_sgd,
           smooth, smooth_model, halfplane, halfplane_model;
