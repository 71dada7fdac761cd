-- Compressed copies of models already in ox_models, for test/onnx/check.sh
-- and runtime.sh (after the scripts that train them): int8 models, whose
-- weights the export writes as int8 initializers with a scale per row into
-- DequantizeLinear (axis 0, then Reshape where a weight is not 2-D), and a
-- stripped one, which exports as float.  Dense (batch norm, sigmoid,
-- regression, nn_init), convolutional (batch norm, depthwise, separable;
-- runtime.sh only) and recurrent (every kind, bidirectional, stacked).
INSERT INTO ox_models
SELECT name || '_int8', nn_quantize(m) FROM ox_models
WHERE name IN ('softmax_relu', 'softmax_bn_dropout_leaky', 'binary_sigmoid', 'regression_bn_tanh',
               'init_softmax', 'cnn_trained_softmax', 'cnn_trained_bn_global',
               'cnn_trained_depthwise', 'cnn_trained_separable', 'rnn_trained_bidirectional',
               'lstm_trained_bidirectional', 'gru_trained_bidirectional',
               'gru_lstm_trained_bidirectional_stacked')
UNION ALL
SELECT name || '_stripped', nn_strip(m) FROM ox_models
WHERE name IN ('softmax_relu', 'lstm_gru_trained_stacked');
