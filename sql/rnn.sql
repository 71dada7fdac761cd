-- Recurrent networks (rnn, lstm, gru) through the SQL functions:
-- options.input_shape [steps, features] and the recurrent layer types,
-- training, every scoring path agreeing on each row, a sequence given as
-- one real[] or as a column per step, nn_continue, the nn_fit aggregate
-- (serial and under a parallel plan), determinism at 1 and 2 threads,
-- nn_info, nn_plot, per-feature standardization, nn.train_memory, and
-- every error of the options and of the shapes.

-- 200 sequences of 6 steps of 2 features, step-major: feature 0 rises
-- (label up) or falls (down) over the steps, with a little noise; feature
-- 1 is noise.  seq holds the 12 values; t0 .. t5 each step's 2.
CREATE TABLE rnn_seq AS
WITH v AS (
    SELECT id, s, ((CASE WHEN id % 2 = 0 THEN s ELSE 5 - s END) / 5.0 +
                   ((id * 13 + s * 7) % 10) / 50.0)::real AS f0,
           (((id * 7 + s * 3) % 10) / 10.0)::real AS f1
    FROM generate_series(1, 200) id, generate_series(0, 5) s)
SELECT id, CASE WHEN id % 2 = 0 THEN 'up' ELSE 'down' END AS dir,
       (SELECT array_agg(x ORDER BY v.s, p.k) FROM v, LATERAL (VALUES (0, f0), (1, f1)) p(k, x)
        WHERE v.id = o.id) AS seq,
       (SELECT ARRAY[f0, f1] FROM v WHERE v.id = o.id AND s = 0) AS t0,
       (SELECT ARRAY[f0, f1] FROM v WHERE v.id = o.id AND s = 1) AS t1,
       (SELECT ARRAY[f0, f1] FROM v WHERE v.id = o.id AND s = 2) AS t2,
       (SELECT ARRAY[f0, f1] FROM v WHERE v.id = o.id AND s = 3) AS t3,
       (SELECT ARRAY[f0, f1] FROM v WHERE v.id = o.id AND s = 4) AS t4,
       (SELECT ARRAY[f0, f1] FROM v WHERE v.id = o.id AND s = 5) AS t5
FROM generate_series(1, 200) o(id);

CREATE TABLE rnn_models (name text PRIMARY KEY, m bytea);
INSERT INTO rnn_models
SELECT name, nn_train('rnn_seq', 'dir', '{seq}', '{}',
    ('{"seed": 1, "epochs": 8, "learning_rate": 0.01, "input_shape": [6, 2], "layers": ' ||
     layers || '}')::jsonb)
FROM (VALUES
    ('rnn', '[{"type": "rnn", "units": 8}]'),
    ('lstm', '[{"type": "lstm", "units": 8}]'),
    ('gru', '[{"type": "gru", "units": 8}]'),
    ('bidirectional', '[{"type": "lstm", "units": 4, "bidirectional": true, "dropout": 0.1}]'),
    -- stacked: every step of the lstm into the gru, its last step into a
    -- dense layer; and a dense layer reading every step of a gru, flat
    ('stacked', '[{"type": "lstm", "units": 6, "return_sequences": true},
                  {"type": "gru", "units": 4}, {"units": 4}]'),
    ('sequence_dense', '[{"type": "gru", "units": 3, "return_sequences": true, "bidirectional": true},
                         {"units": 4, "activation": "tanh"}]')) l(name, layers);

-- each learns the task
SELECT name, (nn_evaluate(m, 'rnn_seq')->>'accuracy')::float8 >= 0.95 AS accurate
FROM rnn_models ORDER BY name;

-- nn_info: the input shape, each layer's type, settings, output shape and
-- parameters (rnn 8 units over 2 features: W 8x2, R 8x8, b 8 = 88; lstm
-- 4 times that; gru 3 times W and R, 4 biases per unit), summing to the
-- total
SELECT name, nn_info(m)->'input_shape' AS input_shape, nn_info(m)->'format_version' AS format,
       nn_info(m)->'parameters' AS parameters,
       (SELECT sum((l->>'parameters')::int) FROM jsonb_array_elements(nn_info(m)->'layers') l)
       AS layer_sum
FROM rnn_models ORDER BY name;
SELECT name, l.ord, l.layer
FROM rnn_models, jsonb_array_elements(nn_info(m)->'layers') WITH ORDINALITY l(layer, ord)
ORDER BY name, l.ord;
-- the record keeps each layer's type and keys
SELECT jsonb_pretty(nn_info(m)->'options'->'layers') FROM rnn_models WHERE name = 'stacked';
SELECT nn_info(m)->'options'->'input_shape' AS recorded_shape FROM rnn_models WHERE name = 'rnn';
-- a recurrent layer's dropout defaults to the top-level one, as a dense
-- layer's does; nn_init takes [steps, features]
SELECT nn_info(i)->'input_shape' AS input_shape, nn_info(i)->'layers'->0 AS layer,
       nn_info(i)->'options'->'layers' AS recorded
FROM (SELECT nn_init(12, '{}', 2, '{"dropout": 0.25, "input_shape": [6, 2],
              "layers": [{"type": "gru", "units": 2, "bidirectional": true}]}') AS i) t;

-- every scoring path gives each row the same class: per row on a real[]
-- (value, class, probabilities), whole-row, window, batch, by catalog name,
-- and nn_evaluate counts the same correct rows
SELECT nn_register('rnn_lstm', m) FROM rnn_models WHERE name = 'lstm';
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/test/scoring_paths.sql
CREATE TEMP VIEW rnn_paths AS
SELECT * FROM pg_temp.scoring_paths('rnn_models', 'rnn_seq', 'seq', 'dir', 'id', 'lstm', 'rnn_lstm');
SELECT * FROM rnn_paths ORDER BY name;

-- the catalog name scores as the bytes in a batch too
SELECT nn_predict_batch('rnn_lstm', ARRAY(SELECT seq FROM rnn_seq WHERE id <= 4 ORDER BY id)) =
       nn_predict_batch(m, ARRAY(SELECT seq FROM rnn_seq WHERE id <= 4 ORDER BY id)) AS batch_by_name
FROM rnn_models WHERE name = 'lstm';

-- a column per step, in step order, is the same input as the one array:
-- the same network, the same probabilities on every row, by array and by
-- whole row
SELECT count(*) AS rows,
       count(*) FILTER (WHERE nn_predict_proba(c, t.seq) = nn_predict_proba(m, t.seq)
                        AND nn_predict_proba_row(c, t) = nn_predict_proba(m, t.seq)) AS same,
       min(nn_info(c)->>'features') AS features
FROM rnn_seq t,
     (SELECT m, nn_train('rnn_seq', 'dir', '{t0,t1,t2,t3,t4,t5}', '{}',
                         '{"seed": 1, "epochs": 8, "learning_rate": 0.01, "input_shape": [6, 2],
                           "layers": [{"type": "lstm", "units": 8}]}') AS c
      FROM rnn_models WHERE name = 'lstm') k;

-- nn_continue: more epochs of the same network, from where it stopped
SELECT name, nn_info(c)->'epochs' AS epochs, nn_info(c)->'layers' = nn_info(m)->'layers' AS same_layers,
       (nn_evaluate(c, 'rnn_seq')->>'accuracy')::float8 >= 0.95 AS accurate
FROM (SELECT name, m, nn_continue(m, 'rnn_seq', '{"epochs": 2}') AS c FROM rnn_models
      WHERE name IN ('gru', 'stacked')) t ORDER BY name;

-- nn_plot draws a recurrent model's learning curve
SELECT name, xml_is_well_formed_document(nn_plot(m)) AS well_formed FROM rnn_models ORDER BY name;

-- determinism: the same inputs and settings give the same bytes, at one
-- and at two threads: a stacked network through every recurrent path,
-- its recurrent products (100 rows x 128 gate values x 32 units) large
-- enough for OpenBLAS to split them between two threads
CREATE TEMP TABLE rnn_md5 (threads int, a text, b text);
CREATE TEMP VIEW rnn_det AS
SELECT md5(nn_train('rnn_seq', 'dir', '{seq}', '{}', o)) AS h
FROM (SELECT '{"seed": 5, "epochs": 2, "batch_size": 100, "input_shape": [6, 2],
      "layers": [{"type": "lstm", "units": 32, "return_sequences": true, "bidirectional": true,
                  "dropout": 0.2},
                 {"type": "gru", "units": 32, "return_sequences": true},
                 {"type": "rnn", "units": 32}]}'::jsonb AS o) t;
INSERT INTO rnn_md5 SELECT 1, (SELECT h FROM rnn_det), (SELECT h FROM rnn_det);
SET nn.max_blas_threads = 2;
SET nn.blas_threads = 2;
INSERT INTO rnn_md5 SELECT 2, (SELECT h FROM rnn_det), (SELECT h FROM rnn_det);
RESET nn.blas_threads;
RESET nn.max_blas_threads;
SELECT threads, a = b AS same_bytes FROM rnn_md5 ORDER BY threads;

-- the nn_fit aggregate trains a recurrent network from nn_init, which
-- takes input_shape [steps, features] (n_inputs must be its product)
SELECT nn_info(f)->'rows_trained' AS rows_trained, nn_info(f)->'input_shape' AS input_shape,
       (SELECT count(*) FILTER (WHERE nn_predict(f, seq)::int = (dir = 'up')::int)
        FROM rnn_seq) >= 190 AS accurate
FROM (SELECT nn_fit(i, seq, (dir = 'up')::int::real ORDER BY e, id) AS f
      FROM rnn_seq, generate_series(1, 6) e,
           (SELECT nn_init(12, '{}', 2, '{"seed": 1, "input_shape": [6, 2], "batch_size": 16,
                   "learning_rate": 0.01, "layers": [{"type": "gru", "units": 8}]}') AS i) n) t;

-- and under a parallel plan: partial aggregates in workers, merged by the
-- combine function
CREATE TABLE rnn_par AS SELECT r.* FROM rnn_seq r, generate_series(1, 6) e ORDER BY e, id;
ALTER TABLE rnn_par SET (parallel_workers = 2);
VACUUM ANALYZE rnn_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP VIEW rnn_par_fit AS
SELECT nn_fit(nn_init(12, '{}', 2, '{"seed": 1, "input_shape": [6, 2], "batch_size": 16,
              "learning_rate": 0.01, "layers": [{"type": "gru", "units": 8}]}'),
              seq, (dir = 'up')::int::real) AS f
FROM rnn_par;
EXPLAIN (COSTS OFF) SELECT * FROM rnn_par_fit;
SELECT nn_info(f)->'rows_trained' AS rows_trained,
       (SELECT count(*) FILTER (WHERE nn_predict(f, seq)::int = (dir = 'up')::int)
        FROM rnn_seq) >= 190 AS accurate
FROM rnn_par_fit;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- standardize: each feature's mean and deviation over all its steps and
-- rows, stored at each step.  256 steps of 2 features: feature 0
-- alternates 0 and 10 along the steps (mean 5, deviation 5), feature 1 1
-- and 3 (mean 2, deviation 1): the model holds x_mean 5, 2, 5, 2, ...
-- (256 times) then x_std 5, 1, 5, 1, ... as float32, whether the rows are
-- in memory or stream through (1000 rows of 2 KB are more than
-- nn.train_memory = 1MB).  Without input_shape each input has its own
-- mean: 0, 1, 10, 3, 0, 1, ...
CREATE TABLE rnn_feat AS
SELECT ARRAY(SELECT CASE WHEN p % 2 = 0 THEN ((p / 2) % 2) * 10 ELSE 1 + ((p / 2) % 2) * 2 END
             FROM generate_series(0, 511) p ORDER BY p)::real[] AS x,
       (i % 2)::text AS y
FROM generate_series(1, 1000) i;
CREATE FUNCTION pg_temp.floats(hex text, n int) RETURNS bytea LANGUAGE sql AS
$$ SELECT decode(repeat(hex, n), 'hex') $$;
CREATE TABLE rnn_feat_models AS
SELECT 'memory' AS how, nn_train('rnn_feat', 'y', '{x}', '{}', '{"epochs": 1, "input_shape": [256, 2],
       "layers": [{"type": "rnn", "units": 1}]}') AS m;
SET nn.train_memory = '1MB';
INSERT INTO rnn_feat_models
SELECT 'streamed', nn_train('rnn_feat', 'y', '{x}', '{}', '{"epochs": 1, "input_shape": [256, 2],
       "layers": [{"type": "rnn", "units": 1}]}');
INSERT INTO rnn_feat_models
SELECT 'dense', nn_train('rnn_feat', 'y', '{x}', '{}', '{"epochs": 1}');
RESET nn.train_memory;
SELECT how,
       position(pg_temp.floats('0000a040' || '00000040', 256) ||
                pg_temp.floats('0000a040' || '0000803f', 256) IN m) > 0 AS per_feature,
       position(pg_temp.floats('00000000' || '0000803f' || '00002041' || '00004040', 128) IN m) > 0
       AS per_input
FROM rnn_feat_models ORDER BY how;
-- the streamed run took the other path (its shuffle is per chunk)
SELECT count(DISTINCT md5(m)) AS distinct_models FROM rnn_feat_models WHERE how <> 'dense';

-- nn.train_memory bounds the minibatch's workspace, which for a recurrent
-- layer holds every step's activations (backpropagation through time):
-- refused before it is allocated, saying how much it needs
SET nn.train_memory = '1MB';
SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"epochs": 1, "batch_size": 200,
       "input_shape": [6, 2], "layers": [{"type": "lstm", "units": 256}]}');
RESET nn.train_memory;

-- Every error of the options and of the shapes, each query run as it is
-- (message, detail and hint below) and then once more to check that each
-- is invalid_parameter_value (22023).  The shape errors come before any
-- allocation: the network is never laid out.
CREATE TABLE rnn_errors (n serial, q text);
INSERT INTO rnn_errors (q) VALUES
    -- errors: input_shape
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [12]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2, 1, 1]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 0]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2.5]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [5, 2], "layers": [{"type": "lstm", "units": 2}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{t0,t1,t2}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2}]}')$$),
    ($$SELECT nn_init(11, '{}', 2, '{"input_shape": [6, 2], "layers": [{"type": "gru", "units": 2}]}')$$),
    -- errors: the recurrent types' keys
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm"}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "rnn", "units": 0}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "gru", "units": 4097}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": "8"}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2.5}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2, "return_sequences": "yes"}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "gru", "units": 2, "bidirectional": 1}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "rnn", "units": 2, "dropout": 1}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "rnn", "units": 2, "dropout": -0.1}]}')$$),
    -- keys of other types refused, and the recurrent keys on other types
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2, "activation": "relu"}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2, "batch_norm": true}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "gru", "units": 2, "kernel": 3}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "rnn", "units": 2, "filters": 3}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2, "recurrent_dropout": 0.1}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"layers": [{"units": 2, "return_sequences": true}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [1, 6, 2], "layers": [{"type": "conv2d", "filters": 2, "kernel": 1, "bidirectional": true}]}')$$),
    -- errors: shapes, before anything is allocated
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"layers": [{"type": "lstm", "units": 2}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [1, 6, 2], "layers": [{"type": "gru", "units": 2}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "conv2d", "filters": 2, "kernel": 1}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2}, {"type": "gru", "units": 2}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2, "return_sequences": true}, {"type": "rnn", "units": 2}, {"type": "flatten"}, {"type": "gru", "units": 2}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"units": 4}, {"type": "lstm", "units": 2}]}')$$),
    ($$SELECT nn_train('rnn_seq', 'dir', '{seq}', '{}', '{"input_shape": [6, 2], "layers": [{"type": "lstm", "units": 2, "return_sequences": true}, {"type": "max_pool2d", "size": 2}]}')$$),
    ($$SELECT nn_init(12, '{}', 2, '{"layers": [{"type": "rnn", "units": 2}]}')$$);
SELECT q FROM rnn_errors ORDER BY n \gexec
\i :abs_srcdir/test/error_of.sql
SELECT e.code, count(*) FROM rnn_errors, pg_temp.error_of(q) e GROUP BY e.code;
