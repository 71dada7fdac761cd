-- Training on more rows than nn.train_memory holds: the rows stream through
-- in chunks, each epoch re-reading the source.
SET client_min_messages = warning;
SELECT setseed(0.5);
CREATE TABLE st_pts AS
  SELECT i, (i % 3) AS label,
         ARRAY[(i % 3) * 2 + random() - 0.5, (i % 3) - 1 + random() - 0.5]::real[] || array_fill(0::real, ARRAY[60]) AS x
  FROM generate_series(1, 6000) i;

-- 6000 rows x 64 floats = 1.5 MB: in memory by default, streamed at 1 MB
CREATE TABLE st_models AS
  SELECT 'memory' AS how, nn_train('st_pts', 'label', '{x}', '{16}', '{"epochs": 5, "seed": 1, "validation_fraction": 0.2}') AS model;
SET nn.train_memory = '1MB';
INSERT INTO st_models
  SELECT 'streamed', nn_train('st_pts', 'label', '{x}', '{16}', '{"epochs": 5, "seed": 1, "validation_fraction": 0.2}');

-- both learn; the hold-out is the same rows, so the same count is trained on
SELECT how,
       (SELECT avg((nn_predict(model, x) = label)::int) FROM st_pts) >= 0.95 AS accurate,
       nn_info(model)->'rows_trained' AS rows_trained,
       jsonb_array_length(nn_info(model)->'history') AS epochs,
       (nn_info(model)->'history'->-1->>'val_accuracy')::float8 >= 0.95 AS val_accurate,
       round((nn_info(model)->'history'->-1->>'train_loss')::numeric, 1) < 0.2 AS low_loss
FROM st_models ORDER BY how;

-- the same classes and scaling as the in-memory run
SELECT (SELECT nn_info(model)->'classes' FROM st_models WHERE how = 'memory') =
       (SELECT nn_info(model)->'classes' FROM st_models WHERE how = 'streamed') AS same_classes;

-- warm start streams too, and regression, class weights and early stopping work streamed
SELECT nn_info(nn_continue(model, 'st_pts', '{"epochs": 2}'))->'epochs' AS continued
FROM st_models WHERE how = 'streamed';
SELECT round((nn_info(m)->'history'->-1->>'val_r2')::numeric, 1) >= 0.9 AS fits
FROM (SELECT nn_train('SELECT x, x[1] * 2 + x[2] AS t FROM st_pts', 't', '{x}', '{8}',
                      '{"epochs": 5, "seed": 2, "validation_fraction": 0.1}') AS m) s;
SELECT jsonb_array_length(nn_info(m)->'history') BETWEEN 1 AND 50 AS stopped,
       (nn_info(m)->'options'->>'class_weight') AS class_weight
FROM (SELECT nn_train('st_pts', 'label', '{x}', '{8}',
                      '{"epochs": 50, "seed": 3, "patience": 2, "validation_fraction": 0.2, "class_weight": "balanced"}') AS m) s;

RESET nn.train_memory;
DROP TABLE st_pts, st_models;
