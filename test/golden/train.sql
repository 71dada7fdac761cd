-- train.sql - the golden models: small networks covering the layer kinds,
-- trained with fixed seeds on data made here (no random()).  Run by
-- make_golden.sh in a scratch database with the nn extension; leaves the
-- models in table golden(name, model) and the fixed input rows in
-- golden_inputs(name, ord, x).
SET client_min_messages = warning;

-- 3 classes from 4 features
CREATE TABLE g_cls AS
SELECT i AS id,
       round(sin(i * 0.7)::numeric, 4)::real AS a,
       round(cos(i * 1.3)::numeric, 4)::real AS b,
       ((i % 9) - 4)::real AS c,
       round((i * 0.37 % 5)::numeric, 3)::real AS d,
       CASE WHEN sin(i * 0.7) + 0.2 * ((i % 9) - 4) > 0.5 THEN 'high'
            WHEN cos(i * 1.3) > 0 THEN 'mid' ELSE 'low' END AS label
FROM generate_series(1, 120) i;

-- a boolean target from 3 features
CREATE TABLE g_bin AS
SELECT i AS id,
       round(sin(i * 0.31)::numeric, 4)::real AS a,
       round(cos(i * 0.53)::numeric, 4)::real AS b,
       (i % 5)::real AS c,
       sin(i * 0.31) * 2 + (i % 5) * 0.3 > 0.6 AS y
FROM generate_series(1, 100) i;

-- a real target from a scalar and a real[3] feature
CREATE TABLE g_reg AS
SELECT i AS id,
       round((i * 0.05)::numeric, 3)::real AS t,
       ARRAY[round(sin(i * 0.2)::numeric, 4), round(cos(i * 0.45)::numeric, 4), (i % 4)]::real[] AS v,
       round((3 * sin(i * 0.2) - 2 * cos(i * 0.45) + 0.5 * (i % 4) + 0.02 * i + 10)::numeric, 4)::real AS y
FROM generate_series(1, 100) i;

CREATE TABLE golden (name text PRIMARY KEY, model bytea NOT NULL);

INSERT INTO golden VALUES
 -- plain ReLU classifier, adam, standardized features
 ('relu_classifier',
  nn_train('g_cls', 'label', '{a,b,c,d}', '{8,4}', '{"epochs": 5, "seed": 101, "batch_size": 16}')),
 -- tanh with batch normalization and dropout, momentum
 ('tanh_bn_dropout_classifier',
  nn_train('g_cls', 'label', '{a,b,c,d}', '{6,5}',
           '{"epochs": 5, "seed": 102, "batch_size": 16, "activation": "tanh", "batch_norm": true,
             "dropout": 0.2, "optimizer": "momentum", "learning_rate": 0.05}')),
 -- one sigmoid output with binary cross-entropy; leaky ReLU, rmsprop
 ('binary_sigmoid',
  nn_train('g_bin', 'y', '{a,b,c}', '{5}',
           '{"epochs": 5, "seed": 103, "batch_size": 10, "loss": "binary_cross_entropy",
             "activation": "leaky_relu", "optimizer": "rmsprop"}')),
 -- regression with standardized features and target, an array feature,
 -- mixed layers (sigmoid with batch norm, identity), adamw, huber loss
 ('regression_standardized',
  nn_train('g_reg', 'y', '{t,v}', '{}',
           '{"epochs": 6, "seed": 104, "batch_size": 8, "loss": "huber", "delta": 1.5, "optimizer": "adamw",
             "layers": [{"units": 6, "activation": "sigmoid", "batch_norm": true},
                        {"units": 3, "activation": "identity"}]}')),
 -- regression without standardization, mse, no hidden layer (linear), sgd
 ('regression_linear_raw',
  nn_train('g_reg', 'y', '{t,v}', '{}',
           '{"epochs": 4, "seed": 105, "batch_size": 4, "standardize": false, "optimizer": "sgd",
             "learning_rate": 0.001, "init": "uniform"}')),
 -- untrained; the two nn_fit passes below train it
 ('init_fit_classifier', nn_init(4, '{5}', 3, '{"seed": 106, "batch_size": 8, "optimizer": "adadelta"}'));

-- nn_init + two ordered (so serial) nn_fit passes: no feature names,
-- default labels "0".."2", no standardization, adadelta
UPDATE golden SET model = (SELECT nn_fit(golden.model, ARRAY[a, b, c, d],
                                         (CASE label WHEN 'low' THEN 0 WHEN 'mid' THEN 1 ELSE 2 END)::real
                                         ORDER BY id) FROM g_cls)
WHERE name = 'init_fit_classifier';
UPDATE golden SET model = (SELECT nn_fit(golden.model, ARRAY[a, b, c, d],
                                         (CASE label WHEN 'low' THEN 0 WHEN 'mid' THEN 1 ELSE 2 END)::real
                                         ORDER BY id DESC) FROM g_cls)
WHERE name = 'init_fit_classifier';

-- fixed input rows for each model (raw features, as the scoring functions take them)
CREATE TABLE golden_inputs (name text, ord int, x real[], PRIMARY KEY (name, ord));
INSERT INTO golden_inputs
SELECT n, o, x::real[]
FROM unnest(ARRAY['relu_classifier', 'tanh_bn_dropout_classifier', 'init_fit_classifier']) n,
     (VALUES (1, '{0,0,0,0}'), (2, '{0.5,-0.25,3,1.5}'), (3, '{-0.9,0.8,-4,0.37}'),
             (4, '{0.99,-1,4,4.8}'), (5, '{12.5,-7,30,-2}')) v(o, x);
INSERT INTO golden_inputs
SELECT 'binary_sigmoid', o, x::real[]
FROM (VALUES (1, '{0,0,0}'), (2, '{0.5,-0.25,3}'), (3, '{-0.9,0.8,1}'),
             (4, '{0.99,-1,4}'), (5, '{-6,9,-3}')) v(o, x);
INSERT INTO golden_inputs
SELECT n, o, x::real[]
FROM unnest(ARRAY['regression_standardized', 'regression_linear_raw']) n,
     (VALUES (1, '{0,0,0,0}'), (2, '{2.5,0.5,-0.5,1}'), (3, '{5,-0.99,0.3,3}'),
             (4, '{0.05,1,1,0}'), (5, '{-3,2,-2,7}')) v(o, x);

-- format version 2 (nn 1.1): a text feature one-hot encoded with the model's
-- categories, and NULLs replaced by training means (impute 'mean').  The
-- inputs are the encoded vectors: blue, green, red, a, b; NULL elements are
-- filled from the model.
CREATE TABLE g_cat AS
SELECT i AS id, (ARRAY['red', 'green', 'blue'])[1 + i % 3] AS color,
       CASE WHEN i % 5 = 0 THEN NULL ELSE ((i * 37) % 100) / 25.0 - 2 END::real AS a,
       ((i * 53) % 100 / 50.0 - 1)::real AS b,
       CASE WHEN i % 3 = 0 OR (i * 37) % 100 > 70 THEN 'yes' ELSE 'no' END AS label
FROM generate_series(1, 240) i;
INSERT INTO golden
SELECT 'v2_categorical_mean', nn_train('g_cat', 'label', '{color,a,b}', '{6}',
                                       '{"epochs": 20, "seed": 11, "impute": "mean", "learning_rate": 0.02}');
INSERT INTO golden_inputs
SELECT 'v2_categorical_mean', o, x::real[]
FROM (VALUES (1, '{0,0,1,0,0}'), (2, '{1,0,0,1.5,-0.5}'), (3, '{0,1,0,NULL,0.25}'),
             (4, '{0,0,0,-2,1}'), (5, '{0,0,1,NULL,NULL}')) v(o, x);

-- format version 3 (convolutional networks): a network over 1x6x6
-- images, standardized per channel: conv2d with batch normalization,
-- max pooling, a depthwise-separable convolution, global average pooling.
-- Inputs are the 36 pixels of an image, row by row.
CREATE TABLE g_img AS
SELECT i AS id,
       ARRAY(SELECT (CASE WHEN (i % 2 = 0 AND r < 3 AND c < 3) OR (i % 2 = 1 AND r >= 3 AND c >= 3)
                          THEN 0.8 ELSE 0.1 END + ((i * 7 + r * 5 + c * 3) % 10) / 40.0)::real
             FROM generate_series(0, 5) r, generate_series(0, 5) c) AS px,
       CASE WHEN i % 2 = 0 THEN 'top_left' ELSE 'bottom_right' END AS label
FROM generate_series(1, 120) i;
INSERT INTO golden
SELECT 'v3_cnn', nn_train('g_img', 'label', '{px}', '{}',
    '{"epochs": 6, "seed": 15, "batch_size": 16, "input_shape": [1, 6, 6], "layers": [
       {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "batch_norm": true},
       {"type": "max_pool2d", "size": 2},
       {"type": "separable_conv2d", "filters": 4, "kernel": 2, "activation": "tanh"},
       {"type": "global_avg_pool2d"}]}');
INSERT INTO golden_inputs
SELECT 'v3_cnn', o, x
FROM (SELECT row_number() OVER (ORDER BY id) AS o, px AS x FROM g_img WHERE id <= 4) t
UNION ALL
SELECT 'v3_cnn', 5, array_fill(0.5::real, ARRAY[36]);

-- format version 3 (recurrent networks): 5 steps of 3 features, read
-- step-major and standardized per feature; a bidirectional LSTM returning
-- every step into a GRU, with dropout, then a dense layer.  The label: does
-- feature 0 peak in the first steps or the last ones.
CREATE TABLE g_seq AS
SELECT i AS id,
       ARRAY(SELECT (CASE f WHEN 0 THEN CASE WHEN (i % 2 = 0) = (s < 2) THEN 1.0 ELSE 0.2 END
                            WHEN 1 THEN s / 4.0 ELSE 0 END + ((i * 7 + s * 5 + f * 3) % 10) / 40.0)::real
             FROM generate_series(0, 4) s, generate_series(0, 2) f ORDER BY s, f) AS x,
       CASE WHEN i % 2 = 0 THEN 'early' ELSE 'late' END AS label
FROM generate_series(1, 120) i;
INSERT INTO golden
SELECT 'v3_lstm', nn_train('g_seq', 'label', '{x}', '{}',
    '{"epochs": 6, "seed": 16, "batch_size": 16, "learning_rate": 0.01, "input_shape": [5, 3],
      "layers": [
       {"type": "lstm", "units": 4, "return_sequences": true, "bidirectional": true},
       {"type": "gru", "units": 3, "dropout": 0.1},
       {"units": 4, "activation": "tanh"}]}');
INSERT INTO golden_inputs
SELECT 'v3_lstm', o, x
FROM (SELECT row_number() OVER (ORDER BY id) AS o, x FROM g_seq WHERE id <= 4) t
UNION ALL
SELECT 'v3_lstm', 5, array_fill(0.5::real, ARRAY[15]);

-- format version 4 (compressed models, nn 1.5): the CNN and the LSTM above
-- quantized to int8 (a scale per output channel: conv2d filters, separable
-- depthwise channels and pointwise filters, each recurrent gate row of each
-- direction, dense units; batch norm kept in float), and the relu
-- classifier stripped of its Adam state.  The same inputs as their float
-- models.
INSERT INTO golden
SELECT 'v4_int8_cnn', nn_quantize(model) FROM golden WHERE name = 'v3_cnn'
UNION ALL
SELECT 'v4_int8_lstm', nn_quantize(model) FROM golden WHERE name = 'v3_lstm'
UNION ALL
SELECT 'v4_stripped_relu', nn_strip(model) FROM golden WHERE name = 'relu_classifier';
INSERT INTO golden_inputs
SELECT 'v4_int8_cnn', ord, x FROM golden_inputs WHERE name = 'v3_cnn'
UNION ALL
SELECT 'v4_int8_lstm', ord, x FROM golden_inputs WHERE name = 'v3_lstm'
UNION ALL
SELECT 'v4_stripped_relu', ord, x FROM golden_inputs WHERE name = 'relu_classifier';
