-- Convolutional networks through the SQL functions: options.input_shape and
-- layers[].type, training, every scoring path agreeing on each row,
-- nn_continue, the nn_fit aggregate, determinism, nn_info, per-channel
-- standardization, and every error of the options and of the shapes.

-- 8x8 one-channel images, 200 rows: a bright 3x3 square near the top left
-- corner or near the bottom right one (shifted by 0 or 1), over low noise
CREATE TABLE cnn_img AS
SELECT id, CASE WHEN id % 2 = 0 THEN 'top_left' ELSE 'bottom_right' END AS corner,
       ARRAY(SELECT CASE WHEN (id % 2 = 0 AND i / 8 BETWEEN o AND o + 2 AND i % 8 BETWEEN o AND o + 2)
                           OR (id % 2 = 1 AND i / 8 BETWEEN 5 - o AND 7 - o AND i % 8 BETWEEN 5 - o AND 7 - o)
                         THEN 1.0 ELSE ((id * 37 + i * 11) % 10) / 30.0 END::real
             FROM generate_series(0, 63) i ORDER BY i) AS px
FROM (SELECT id, (id / 2) % 2 AS o FROM generate_series(1, 200) id) s;

CREATE TABLE cnn_models (name text PRIMARY KEY, m bytea);
INSERT INTO cnn_models
SELECT 'conv', nn_train('cnn_img', 'corner', '{px}', '{}',
    '{"seed": 1, "epochs": 4, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                 {"type": "max_pool2d", "size": 2}, {"units": 8}]}');
-- avg_pool2d with explicit padding and a non-square stride, a [h, w]
-- kernel, valid padding
INSERT INTO cnn_models
SELECT 'avg', nn_train('cnn_img', 'corner', '{px}', '{}',
    '{"seed": 2, "epochs": 8, "learning_rate": 0.01, "input_shape": [1, 8, 8], "activation": "tanh",
      "layers": [{"type": "conv2d", "filters": 3, "kernel": [3, 2], "stride": [1, 2]},
                 {"type": "avg_pool2d", "size": 2, "stride": 1, "padding": [1, 0, 0, 1]},
                 {"type": "flatten"}, {"units": 4, "activation": "relu"}]}');

-- the convolutional model learns the task
SELECT name, (nn_evaluate(m, 'cnn_img')->>'accuracy')::float8 >= 0.95 AS accurate
FROM cnn_models ORDER BY name;

-- nn_info: each layer with its type, settings, output shape and parameters;
-- the layers' parameters sum to the total
SELECT name, nn_info(m)->'input_shape' AS input_shape, nn_info(m)->'format_version' AS format,
       nn_info(m)->'parameters' AS parameters,
       (SELECT sum((l->>'parameters')::int) FROM jsonb_array_elements(nn_info(m)->'layers') l)
       AS layer_sum
FROM cnn_models ORDER BY name;
SELECT name, l.ord, l.layer
FROM cnn_models, jsonb_array_elements(nn_info(m)->'layers') WITH ORDINALITY l(layer, ord)
ORDER BY name, l.ord;
-- the record keeps each layer's type and keys, stride resolved
SELECT jsonb_pretty(nn_info(m)->'options'->'layers') FROM cnn_models WHERE name = 'avg';

-- every scoring path gives each row the same class: per row on a real[]
-- (value, class, probabilities), whole-row, window, batch, by catalog name,
-- and nn_evaluate counts the same correct rows
SELECT nn_register('cnn_conv', m) FROM cnn_models WHERE name = 'conv';
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/test/scoring_paths.sql
CREATE TEMP VIEW cnn_paths AS
SELECT * FROM pg_temp.scoring_paths('cnn_models', 'cnn_img', 'px', 'corner', 'id', 'conv', 'cnn_conv');
SELECT * FROM cnn_paths ORDER BY name;

-- the catalog name scores as the bytes in a batch too
SELECT nn_predict_batch('cnn_conv', ARRAY(SELECT px FROM cnn_img WHERE id <= 4 ORDER BY id)) =
       nn_predict_batch(m, ARRAY(SELECT px FROM cnn_img WHERE id <= 4 ORDER BY id)) AS batch_by_name
FROM cnn_models WHERE name = 'conv';

-- nn_continue: more epochs of the same network, from where it stopped
SELECT nn_info(c)->'epochs' AS epochs, nn_info(c)->'layers' = nn_info(m)->'layers' AS same_layers,
       (nn_evaluate(c, 'cnn_img')->>'accuracy')::float8 >= 0.95 AS accurate
FROM (SELECT m, nn_continue(m, 'cnn_img', '{"epochs": 2}') AS c FROM cnn_models WHERE name = 'conv') t;

-- determinism: the same inputs and settings give the same bytes, at one and
-- at two OpenBLAS threads
SELECT md5(nn_train('cnn_img', 'corner', '{px}', '{}', o)) = md5(nn_train('cnn_img', 'corner', '{px}', '{}', o))
       AS same_bytes,
       nn_train('cnn_img', 'corner', '{px}', '{}', o) = (SELECT m FROM cnn_models WHERE name = 'conv')
       AS same_as_stored
FROM (SELECT '{"seed": 1, "epochs": 4, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                 {"type": "max_pool2d", "size": 2}, {"units": 8}]}'::jsonb AS o) t;
SET nn.max_blas_threads = 2;
SET nn.blas_threads = 2;
SELECT md5(nn_train('cnn_img', 'corner', '{px}', '{}', o)) = md5(nn_train('cnn_img', 'corner', '{px}', '{}', o))
       AS same_bytes_2_threads
FROM (SELECT '{"seed": 1, "epochs": 2, "batch_size": 64, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                 {"type": "max_pool2d", "size": 2}, {"units": 8}]}'::jsonb AS o) t;
RESET nn.blas_threads;
RESET nn.max_blas_threads;

-- flatten makes no layer: the same network, the same scores
SELECT nn_info(a)->'layers' = nn_info(b)->'layers' AS same_layers,
       nn_predict_proba(a, px) = nn_predict_proba(b, px) AS same_scores
FROM (SELECT nn_train('cnn_img', 'corner', '{px}', '{}', o) AS a,
             nn_train('cnn_img', 'corner', '{px}', '{}',
                      jsonb_set(o, '{layers}', (o->'layers') || '[{"type": "flatten"}]')) AS b
      FROM (SELECT '{"seed": 3, "epochs": 1, "input_shape": [1, 8, 8],
            "layers": [{"type": "max_pool2d", "size": 2}]}'::jsonb AS o) t) m,
     cnn_img WHERE id = 1;

-- the nn_fit aggregate trains a CNN from nn_init, which takes input_shape
-- (n_inputs must be its product)
SELECT nn_info(f)->'rows_trained' AS rows_trained, nn_info(f)->'input_shape' AS input_shape,
       (SELECT count(*) FILTER (WHERE nn_predict(f, px)::int = (corner = 'top_left')::int)
        FROM cnn_img) >= 190 AS accurate
FROM (SELECT nn_fit(i, px, (corner = 'top_left')::int::real ORDER BY id) AS f
      FROM cnn_img, generate_series(1, 4) e,
           (SELECT nn_init(64, '{}', 2, '{"seed": 1, "input_shape": [1, 8, 8], "batch_size": 16,
                   "learning_rate": 0.01,
                   "layers": [{"type": "conv2d", "filters": 2, "kernel": 3},
                              {"type": "max_pool2d", "size": 2}]}') AS i) n) t;

-- and under a parallel plan: partial aggregates in workers, merged by the
-- combine function
CREATE TABLE cnn_par AS SELECT c.* FROM cnn_img c, generate_series(1, 4) e ORDER BY e, id;
ALTER TABLE cnn_par SET (parallel_workers = 2);
VACUUM ANALYZE cnn_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP VIEW cnn_par_fit AS
SELECT nn_fit(nn_init(64, '{}', 2, '{"seed": 1, "input_shape": [1, 8, 8], "batch_size": 16,
              "learning_rate": 0.01,
              "layers": [{"type": "conv2d", "filters": 2, "kernel": 3},
                         {"type": "max_pool2d", "size": 2}]}'),
              px, (corner = 'top_left')::int::real) AS f
FROM cnn_par;
EXPLAIN (COSTS OFF) SELECT * FROM cnn_par_fit;
SELECT nn_info(f)->'rows_trained' AS rows_trained,
       (SELECT count(*) FILTER (WHERE nn_predict(f, px)::int = (corner = 'top_left')::int)
        FROM cnn_img) >= 190 AS accurate
FROM cnn_par_fit;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- standardize: a shaped input's mean and deviation are its channel's, over
-- all positions and rows, stored for each input.  Channel 0 alternates 0
-- and 10 along its 256 positions (mean 5, deviation 5), channel 1 1 and 3
-- (mean 2, deviation 1): the model holds x_mean 256 x 5, 256 x 2, then
-- x_std 256 x 5, 256 x 1 as float32, whether the rows are in memory or
-- stream through (1000 rows of 2 KB are more than nn.train_memory = 1MB).
-- Without input_shape each input has its own mean: 0, 10, 0, 10, ...
CREATE TABLE cnn_chan AS
SELECT ARRAY(SELECT CASE WHEN p < 256 THEN (p % 2) * 10 ELSE 1 + (p % 2) * 2 END
             FROM generate_series(0, 511) p ORDER BY p)::real[] AS x,
       (i % 2)::text AS y
FROM generate_series(1, 1000) i;
CREATE FUNCTION pg_temp.floats(hex text, n int) RETURNS bytea LANGUAGE sql AS
$$ SELECT decode(repeat(hex, n), 'hex') $$;
CREATE TABLE cnn_chan_models AS
SELECT 'memory' AS how, nn_train('cnn_chan', 'y', '{x}', '{}', '{"epochs": 1, "input_shape": [2, 1, 256],
       "layers": [{"type": "conv2d", "filters": 1, "kernel": 1}]}') AS m;
SET nn.train_memory = '1MB';
INSERT INTO cnn_chan_models
SELECT 'streamed', nn_train('cnn_chan', 'y', '{x}', '{}', '{"epochs": 1, "input_shape": [2, 1, 256],
       "layers": [{"type": "conv2d", "filters": 1, "kernel": 1}]}');
INSERT INTO cnn_chan_models
SELECT 'dense', nn_train('cnn_chan', 'y', '{x}', '{}', '{"epochs": 1}');
RESET nn.train_memory;
SELECT how,
       position(pg_temp.floats('0000a040', 256) || pg_temp.floats('00000040', 256) ||
                pg_temp.floats('0000a040', 256) || pg_temp.floats('0000803f', 256) IN m) > 0
       AS per_channel,
       position(pg_temp.floats('00000000' || '00002041', 128) IN m) > 0 AS per_input
FROM cnn_chan_models ORDER BY how;
-- the streamed run took the other path (its shuffle is per chunk)
SELECT count(DISTINCT md5(m)) AS distinct_models FROM cnn_chan_models WHERE how <> 'dense';

-- Every error of the options and of the shapes, each query run as it is
-- (message, detail and hint below) and then once more to check that each
-- is invalid_parameter_value (22023).  The shape errors come before any
-- allocation: the network is never laid out.
CREATE TABLE cnn_errors (n serial, q text);
INSERT INTO cnn_errors (q) VALUES
    -- errors: input_shape
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 0, 64]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": "1x8x8"}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 7]}')$$),
    ($$SELECT nn_init(63, '{}', 2, '{"input_shape": [1, 8, 8]}')$$),
    -- errors: layer types and their keys
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv3d"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "units": 4}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "dilation": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "max_pool2d", "size": 2, "kernel": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "avg_pool2d", "size": 2, "activation": "relu"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "global_avg_pool2d", "size": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "flatten", "units": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "depthwise_conv2d", "kernel": 3, "filters": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "separable_conv2d", "filters": 2, "kernel": 3, "depth_multiplier": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "separable_conv2d", "filters": 2, "kernel": 3, "dropout": 0.1}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "dense", "units": 4, "kernel": 3}]}')$$),
    -- keys a type must have
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "kernel": 3}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "depthwise_conv2d"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "separable_conv2d", "kernel": 3}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "max_pool2d"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "dense"}]}')$$),
    -- values out of range or of the wrong type
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 0, "kernel": 3}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 65536, "kernel": 3}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 0}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 256}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": [3]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": [3, 3, 3]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": "3"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": [3, 2.5]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "stride": 0}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": "full"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": [1, 1]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": -1}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": [3, 2], "padding": [0, 2, 0, 0]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "max_pool2d", "size": 2, "padding": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "activation": "softmax"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "dropout": 1}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "batch_norm": "yes"}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 0}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "avg_pool2d", "size": [2, 0]}]}')$$),
    -- errors: shapes, before anything is allocated
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"layers": [{"type": "conv2d", "filters": 2, "kernel": 3}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"units": 4}, {"type": "max_pool2d", "size": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": 9}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "conv2d", "filters": 2, "kernel": [3, 9], "padding": [0, 0, 0, 0]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "max_pool2d", "size": 4}, {"type": "max_pool2d", "size": 2}, {"type": "avg_pool2d", "size": 2}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "depthwise_conv2d", "kernel": [2, 9]}]}')$$),
    ($$SELECT nn_train('cnn_img', 'corner', '{px}', '{}', '{"input_shape": [1, 8, 8], "layers": [{"type": "max_pool2d", "size": 2}, {"type": "separable_conv2d", "filters": 2, "kernel": 5}]}')$$),
    ($$SELECT nn_init(64, '{}', 2, '{"layers": [{"type": "avg_pool2d", "size": 2}]}')$$);
SELECT q FROM cnn_errors ORDER BY n \gexec
\i :abs_srcdir/test/error_of.sql
SELECT e.code, count(*) FROM cnn_errors, pg_temp.error_of(q) e GROUP BY e.code;

-- depthwise_conv2d, separable_conv2d and global_avg_pool2d in one trained
-- network, after a batch-normalized conv2d with dropout: it learns, nn_info
-- describes every kind, every scoring path agrees, nn_continue goes on
INSERT INTO cnn_models
SELECT 'separable', nn_train('cnn_img', 'corner', '{px}', '{}',
    '{"seed": 4, "epochs": 8, "learning_rate": 0.01, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same",
                  "batch_norm": true, "dropout": 0.1},
                 {"type": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 2, "stride": 2,
                  "padding": "same"},
                 {"type": "separable_conv2d", "filters": 6, "kernel": [2, 3], "padding": 1},
                 {"type": "global_avg_pool2d"}, {"units": 4}]}');
SELECT (nn_evaluate(m, 'cnn_img')->>'accuracy')::float8 >= 0.95 AS accurate,
       nn_info(m)->'parameters' AS parameters,
       (SELECT sum((l->>'parameters')::int) FROM jsonb_array_elements(nn_info(m)->'layers') l)
       AS layer_sum
FROM cnn_models WHERE name = 'separable';
SELECT l.ord, l.layer
FROM cnn_models, jsonb_array_elements(nn_info(m)->'layers') WITH ORDINALITY l(layer, ord)
WHERE name = 'separable' ORDER BY l.ord;
SELECT * FROM cnn_paths WHERE name = 'separable';
SELECT nn_info(nn_continue(m, 'cnn_img', '{"epochs": 1}'))->'epochs' AS epochs
FROM cnn_models WHERE name = 'separable';
