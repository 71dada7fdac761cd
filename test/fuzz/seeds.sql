-- seeds.sql - valid models for the fuzz seed corpus: every layer kind,
-- activation, loss, optimizer, init and option that changes the bytes.
-- Run by make_seeds.sh in a scratch database with the nn extension; prints
-- "name|hex" lines.  Networks and data are tiny so each model is small.
\set QUIET on
SET client_min_messages = warning;

CREATE TABLE cls AS
SELECT i AS id,
       ((i % 7) / 3.0)::real AS a,
       (((i * 13) % 11) - 5)::real AS b,
       ARRAY[(i % 5)::real, ((i * 3) % 4)::real] AS f,
       (1 + i % 4)::real AS w,
       CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green label' ELSE 'blü "q"' END AS label
FROM generate_series(1, 36) i;

CREATE TABLE bin AS
SELECT i AS id, ((i % 7) / 3.0)::real AS a, (((i * 13) % 11) - 5)::real AS b,
       (i % 7) * 2 > ((i * 13) % 11) AS y
FROM generate_series(1, 36) i;

CREATE TABLE reg AS
SELECT i AS id, ((i % 7) / 3.0)::real AS a, (((i * 13) % 11) - 5)::real AS b,
       ARRAY[(i % 5)::real, ((i * 3) % 4)::real, (i % 2)::real] AS f,
       (2 * (i % 7) - ((i * 13) % 11) + 0.1 * (i % 3))::real AS y
FROM generate_series(1, 36) i;

CREATE TABLE seeds (name text PRIMARY KEY, model bytea NOT NULL);

-- classification, softmax + cross entropy ------------------------------------
INSERT INTO seeds VALUES
 ('cls_default',       nn_train('cls', 'label', '{a,b}', '{4}', '{"epochs": 2}')),
 ('cls_nohidden',      nn_train('cls', 'label', '{a,b}', '{}', '{"epochs": 1}')),
 ('cls_array_feature', nn_train('cls', 'label', '{a,f}', '{3}', '{"epochs": 2, "seed": 5}')),
 ('cls_unstandardized', nn_train('cls', 'label', '{a,b}', '{3}', '{"epochs": 2, "standardize": false}')),
 ('cls_bn_dropout_tanh', nn_train('cls', 'label', '{a,b}', '{4,3}',
     '{"epochs": 3, "activation": "tanh", "batch_norm": true, "dropout": 0.25, "batch_size": 8, "seed": 7}')),
 ('cls_layers_mixed',  nn_train('cls', 'label', '{a,b}', '{}',
     '{"epochs": 2, "layers": [{"units": 3, "activation": "sigmoid", "batch_norm": true},
                               {"units": 2, "activation": "leaky_relu", "dropout": 0.5},
                               {"units": 3, "activation": "identity"}], "init": "uniform"}')),
 ('cls_early_stop',    nn_train('cls', 'label', '{a,b}', '{3}',
     '{"epochs": 8, "validation_fraction": 0.25, "patience": 2, "restore_best": true,
       "learning_rate": 0.5, "optimizer": "sgd", "seed": 3}')),
 ('cls_weights',       nn_train('cls', 'label', '{a,b}', '{3}',
     '{"epochs": 2, "class_weight": "balanced", "weight_column": "w", "init": "xavier"}')),
 ('cls_class_weight_obj', nn_train('cls', 'label', '{a,b}', '{2}',
     '{"epochs": 1, "class_weight": {"red": 2.5}, "init": "he"}')),
 ('cls_schedule',      nn_train('cls', 'label', '{a,b}', '{3}',
     '{"epochs": 3, "lr_schedule": "step", "step_size": 1, "gamma": 0.5, "warmup_epochs": 1}')),
 ('cls_cosine_clip',   nn_train('cls', 'label', '{a,b}', '{3}',
     '{"epochs": 2, "lr_schedule": "cosine", "clip_value": 0.5, "clip_norm": 1.0,
       "clip_global_norm": 2.0, "l1": 0.001, "l2": 0.01}')),
 ('cls_exponential',   nn_train('cls', 'label', '{a,b}', '{3}',
     '{"epochs": 2, "lr_schedule": "exponential", "optimizer": "momentum"}'));

-- every optimizer: its state slots (0, 1 or 2 per parameter) differ -----------
INSERT INTO seeds
SELECT 'opt_' || o, nn_train('cls', 'label', '{a,b}', '{3}',
         jsonb_build_object('epochs', 2, 'optimizer', o, 'batch_size', 12, 'seed', 11))
FROM unnest(ARRAY['sgd','momentum','nesterov','rmsprop','adagrad','adadelta','adam','adamw']) o;

-- binary classification, one sigmoid output ----------------------------------
INSERT INTO seeds VALUES
 ('bin_sigmoid',   nn_train('bin', 'y', '{a,b}', '{3}', '{"epochs": 2, "loss": "binary_cross_entropy"}')),
 ('bin_softmax',   nn_train('bin', 'y', '{a,b}', '{2}', '{"epochs": 1, "optimizer": "rmsprop"}')),
 ('bin_sigmoid_bn', nn_train('bin', 'y', '{a,b}', '{3,2}',
     '{"epochs": 2, "loss": "binary_cross_entropy", "batch_norm": true, "optimizer": "adagrad",
       "validation_fraction": 0.3}'));

-- regression -----------------------------------------------------------------
INSERT INTO seeds VALUES
 ('reg_mse',       nn_train('reg', 'y', '{a,b}', '{4}', '{"epochs": 2}')),
 ('reg_mae',       nn_train('reg', 'y', '{a,b}', '{3}', '{"epochs": 2, "loss": "mae", "optimizer": "adadelta"}')),
 ('reg_huber',     nn_train('reg', 'y', '{a,b}', '{3}', '{"epochs": 2, "loss": "huber", "delta": 0.5}')),
 ('reg_linear',    nn_train('reg', 'y', '{a,b}', '{}', '{"epochs": 1, "optimizer": "sgd"}')),
 ('reg_unstandardized', nn_train('reg', 'y', '{a,b}', '{3}', '{"epochs": 2, "standardize": false, "learning_rate": 0.001}')),
 ('reg_array_bn',  nn_train('reg', 'y', '{f,a}', '{3,3}',
     '{"epochs": 3, "batch_norm": true, "dropout": 0.1, "activation": "leaky_relu", "optimizer": "adamw",
       "weight_decay": 0.05, "validation_fraction": 0.2, "patience": 1, "seed": 9}'));

-- nn_init (no features, no standardization, no history) and nn_fit / nn_continue
INSERT INTO seeds VALUES
 ('init_cls',      nn_init(2, '{3}', 3, '{"seed": 1}')),
 ('init_reg',      nn_init(3, '{}', 1, '{"optimizer": "nesterov"}')),
 ('init_bin',      nn_init(2, '{2}', 1, '{"task": "classification", "batch_norm": true, "activation": "sigmoid"}')),
 ('init_huber',    nn_init(1, '{2,2}', 1, '{"loss": "huber", "delta": 2.0, "dropout": 0.3, "optimizer": "adadelta"}')),
 -- a batch-normalized layer wider than the kernels' 256-column block (~7.7 KB)
 ('init_wide_bn',  nn_init(1, '{260}', 1, '{"batch_norm": true, "optimizer": "sgd", "activation": "tanh"}'));

INSERT INTO seeds
SELECT 'fit_cls', nn_fit((SELECT model FROM seeds WHERE name = 'init_cls'), ARRAY[a, b], (id % 3)::real)
FROM cls;
INSERT INTO seeds
SELECT 'fit_bin_bn', nn_fit((SELECT model FROM seeds WHERE name = 'init_bin'), ARRAY[a, b], y::int::real)
FROM bin;
INSERT INTO seeds
SELECT 'continue_cls', nn_continue(model, 'cls', '{"epochs": 1}') FROM seeds WHERE name = 'cls_bn_dropout_tanh';
INSERT INTO seeds
SELECT 'continue_reg', nn_continue(model, 'reg', '{"epochs": 2}') FROM seeds WHERE name = 'reg_huber';

-- format 2: text features (categories) and each impute mode
CREATE TEMP TABLE cat AS
SELECT i, (ARRAY['red', 'green', 'blue'])[1 + i % 3] AS color,
       CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 5)::real END AS a,
       ARRAY[(i % 2)::real, CASE WHEN i % 6 = 0 THEN NULL ELSE 1 END] AS arr,
       (i % 3 = 0) AS y
FROM generate_series(1, 60) i;
INSERT INTO seeds
SELECT 'v2_cat_skip', nn_train('cat', 'y', '{color,a,arr}', '{3}', '{"epochs": 1}') UNION ALL
SELECT 'v2_cat_mean', nn_train('cat', 'y', '{color,a,arr}', '{3}', '{"epochs": 1, "impute": "mean"}') UNION ALL
SELECT 'v2_zero', nn_train('cat', 'a', '{arr}', '{2}', '{"epochs": 1, "impute": "zero"}') UNION ALL
SELECT 'v2_error', nn_train('SELECT * FROM cat WHERE a IS NOT NULL AND arr[2] IS NOT NULL', 'y',
                            '{color,a}', '{2}', '{"epochs": 1, "impute": "error"}');

-- format 3: shaped inputs and every spatial kind (tiny 2-channel 6x5 images)
CREATE TEMP TABLE img AS
SELECT i, ARRAY(SELECT ((i * 7 + j * 3) % 11 / 10.0)::real FROM generate_series(1, 60) j) AS px,
       (i % 3)::text AS label
FROM generate_series(1, 24) i;
INSERT INTO seeds
SELECT 'v3_conv_pools', nn_train('img', 'label', '{px}', '{}',
    '{"epochs": 1, "batch_size": 8, "input_shape": [2, 6, 5], "layers": [
       {"type": "conv2d", "filters": 3, "kernel": [3, 2], "padding": "same", "activation": "relu"},
       {"type": "max_pool2d", "size": 2},
       {"type": "avg_pool2d", "size": [2, 1], "stride": 1, "padding": [1, 0, 0, 0]},
       {"type": "dense", "units": 3}]}') UNION ALL
SELECT 'v3_conv_bn_dropout', nn_train('img', 'label', '{px}', '{}',
    '{"epochs": 2, "batch_size": 8, "input_shape": [2, 6, 5], "optimizer": "momentum", "layers": [
       {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "padding": 1,
        "batch_norm": true, "dropout": 0.25, "activation": "tanh"},
       {"type": "global_avg_pool2d"}]}') UNION ALL
SELECT 'v3_depthwise_separable', nn_train('img', 'label', '{px}', '{}',
    '{"epochs": 1, "batch_size": 8, "input_shape": [2, 6, 5], "layers": [
       {"type": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 2, "padding": "same", "activation": "leaky_relu"},
       {"type": "separable_conv2d", "filters": 3, "kernel": [1, 3], "stride": [1, 2]},
       {"type": "flatten"}, {"type": "dense", "units": 2, "activation": "sigmoid"}]}') UNION ALL
SELECT 'v3_shaped_dense', nn_train('img', 'label', '{px}', '{4}',
    '{"epochs": 1, "input_shape": [2, 6, 5]}');

-- format 3: the recurrent kinds over [steps, features] (the same 60 values
-- as 10 steps of 6 features)
INSERT INTO seeds
SELECT 'v3_rnn', nn_train('img', 'label', '{px}', '{}',
    '{"epochs": 1, "batch_size": 8, "input_shape": [10, 6], "layers": [
       {"type": "rnn", "units": 3, "dropout": 0.2}]}') UNION ALL
SELECT 'v3_lstm_stacked', nn_train('img', 'label', '{px}', '{}',
    '{"epochs": 1, "batch_size": 8, "input_shape": [10, 6], "clip_norm": 1, "layers": [
       {"type": "lstm", "units": 3, "return_sequences": true, "bidirectional": true},
       {"type": "lstm", "units": 2}, {"type": "dense", "units": 2}]}') UNION ALL
SELECT 'v3_gru_sequences', nn_train('img', 'label', '{px}', '{}',
    '{"epochs": 1, "batch_size": 8, "input_shape": [10, 6], "optimizer": "rmsprop", "layers": [
       {"type": "gru", "units": 2, "return_sequences": true, "bidirectional": true}]}');

-- format 4 (nn 1.5): compressed copies of models above, stripped of their
-- optimizer state or quantized to int8 (dense, batch norm, convolutional,
-- depthwise and separable, recurrent bidirectional)
INSERT INTO seeds
SELECT 'v4_stripped_' || name, nn_strip(model) FROM seeds
WHERE name IN ('cls_default', 'v3_lstm_stacked') UNION ALL
SELECT 'v4_int8_' || name, nn_quantize(model) FROM seeds
WHERE name IN ('cls_bn_dropout_tanh', 'reg_array_bn', 'v3_depthwise_separable',
               'v3_lstm_stacked', 'v3_gru_sequences', 'v3_conv_bn_dropout');

-- nn_fit partial states (nn_fit_state, src/formats/fit_state.h): a
-- classifier's with pending rows, a regressor's with weights from its
-- first minibatch and pending rows, one with none pending
INSERT INTO seeds
SELECT 'state_cls_pending', decode(nn_fit_partial(nn_init(2, '{3}', 3, '{"seed": 1, "batch_size": 8}'),
                                                  ARRAY[a, b], (id % 3)::real ORDER BY id)::text, 'base64')
FROM cls WHERE id <= 13 UNION ALL
SELECT 'state_reg_pending', decode(nn_fit_partial(nn_init(2, '{}', 1, '{"seed": 2, "batch_size": 4}'),
                                                  ARRAY[a, b], (a - b)::real ORDER BY id)::text, 'base64')
FROM cls WHERE id <= 6 UNION ALL
SELECT 'state_none_pending', decode(nn_fit_partial(nn_init(2, '{2}', 2, '{"seed": 3, "batch_size": 4}'),
                                                   ARRAY[a, b], y::int::real ORDER BY id)::text, 'base64')
FROM bin WHERE id <= 8;

\pset tuples_only on
\pset format unaligned
SELECT name || '|' || encode(model, 'hex') FROM seeds ORDER BY name;
