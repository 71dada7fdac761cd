-- Convolutional models trained through SQL for test/onnx/runtime.sh (after
-- cnn_models.sql): 8x8 one-channel images, options input_shape and
-- layers[].type.  Their rows (64 values) are cnn_models.sql's.
CREATE TABLE ox_img AS
SELECT i AS id,
       ARRAY(SELECT (CASE WHEN abs(p / 8 - (i % 8)) + abs(p % 8 - (i / 8) % 8) < 3
                          THEN 1.0 ELSE 0.0 END + 0.1 * sin(i * p))::real
             FROM generate_series(0, 63) p) AS pixels,
       CASE WHEN i % 8 < 3 THEN 'left' WHEN i % 8 < 5 THEN 'middle' ELSE 'right' END AS side,
       (i % 8 + 0.5 * ((i / 8) % 8))::float8 AS y
FROM generate_series(0, 199) i;

INSERT INTO ox_models
SELECT name, nn_train('ox_img', target, ARRAY['pixels'], '{}',
                      '{"epochs": 5, "seed": 3, "learning_rate": 0.01, "input_shape": [1, 8, 8],
                        "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same",
                                    "activation": "relu"},
                                   {"type": "max_pool2d", "size": 2},
                                   {"type": "avg_pool2d", "size": 2},
                                   {"type": "dense", "units": 8}]}'::jsonb || opts)
FROM (VALUES
    ('cnn_trained_softmax', 'side', '{}'::jsonb),
    ('cnn_trained_regression', 'y', '{}')
) AS t(name, target, opts);

-- the other spatial kinds, batch normalization and per-channel scaling
INSERT INTO ox_models
SELECT name, nn_train('ox_img', 'side', ARRAY['pixels'], '{}',
                      '{"epochs": 3, "seed": 4, "input_shape": [1, 8, 8]}'::jsonb || opts)
FROM (VALUES
    ('cnn_trained_bn_global', '{"layers": [
        {"type": "conv2d", "filters": 3, "kernel": [3, 2], "stride": [1, 2], "padding": "same",
         "batch_norm": true, "dropout": 0.2, "activation": "tanh"},
        {"type": "global_avg_pool2d"}]}'::jsonb),
    ('cnn_trained_depthwise', '{"standardize": false, "layers": [
        {"type": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 2, "padding": 1,
         "activation": "relu"},
        {"type": "max_pool2d", "size": 3, "stride": 2, "padding": "same"},
        {"type": "dense", "units": 5}]}'),
    ('cnn_trained_separable', '{"layers": [
        {"type": "conv2d", "filters": 2, "kernel": 1},
        {"type": "separable_conv2d", "filters": 4, "kernel": 3, "stride": 2,
         "activation": "sigmoid"},
        {"type": "flatten"}, {"type": "dense", "units": 4, "activation": "leaky_relu"}]}')
) AS t(name, opts);
