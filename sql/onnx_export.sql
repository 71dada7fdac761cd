-- nn_export_onnx: an ONNX file of the model.  What the file computes is
-- checked by test/onnx/check.sh (onnx.checker and a numpy evaluation
-- against nn_predict_proba); here: the declaration, errors, and facts of
-- the bytes that do not depend on the machine's floating point.

SELECT provolatile, proisstrict, proparallel, prorettype::regtype
FROM pg_proc WHERE proname = 'nn_export_onnx';

CREATE TABLE oe_data AS
SELECT i::real AS x1, (i % 7)::real AS x2,
       CASE WHEN i % 3 = 0 THEN 'fizz' WHEN i % 3 = 1 THEN 'caf' || chr(233) ELSE 'say "hi"' END AS label,
       i % 2 = 0 AS even, (i * 0.5)::float8 AS y
FROM generate_series(1, 60) i;

CREATE TABLE oe_models (name text PRIMARY KEY, m bytea);
INSERT INTO oe_models VALUES
    ('softmax', nn_train('oe_data', 'label', ARRAY['x1', 'x2'], '{6}', '{"epochs": 2, "seed": 1}')),
    ('softmax_bn', nn_train('oe_data', 'label', ARRAY['x1', 'x2'], '{6}',
                            '{"epochs": 2, "seed": 1, "batch_norm": true, "dropout": 0.5}')),
    ('binary', nn_train('oe_data', 'even', ARRAY['x1', 'x2'], '{4}',
                        '{"epochs": 2, "seed": 1, "loss": "binary_cross_entropy"}')),
    ('regression', nn_train('oe_data', 'y', ARRAY['x1'], '{}', '{"epochs": 2, "seed": 1}')),
    ('regression_raw', nn_train('oe_data', 'y', ARRAY['x1'], '{}',
                                '{"epochs": 2, "seed": 1, "standardize": false}')),
    ('init', nn_init(3, '{5}', 2, '{"seed": 1}')),
    -- x1, x2 read as a sequence of two steps of one feature
    ('lstm_gru', nn_train('oe_data', 'label', ARRAY['x1', 'x2'], '{}',
                          '{"epochs": 2, "seed": 1, "input_shape": [2, 1],
                            "layers": [{"type": "lstm", "units": 3, "return_sequences": true},
                                       {"type": "gru", "units": 2, "bidirectional": true}]}')),
    ('rnn', nn_train('oe_data', 'y', ARRAY['x1', 'x2'], '{}',
                     '{"epochs": 2, "seed": 1, "input_shape": [2, 1],
                       "layers": [{"type": "rnn", "units": 2, "return_sequences": true}]}'));

-- The file is a protobuf ModelProto: field 1 (ir_version) = 7 first, so
-- it starts with the bytes 08 07.  Its length depends only on the network's
-- shape and the model's names (weights are raw float32 bytes): a parameter
-- is four bytes, the rest is the graph and metadata.  The same model
-- always gives the same bytes.
SELECT name, substr(o, 1, 2) AS head, length(o) AS length,
       length(o) - 4 * (nn_info(m)->>'parameters')::int AS overhead,
       nn_export_onnx(m) = o AS deterministic
FROM (SELECT name, m, nn_export_onnx(m) AS o FROM oe_models) t
ORDER BY name;

-- The same data, options and seed give the same model, and the same file.
SELECT nn_export_onnx(nn_train('oe_data', 'label', ARRAY['x1', 'x2'], '{6}', '{"epochs": 2, "seed": 1}'))
       = nn_export_onnx(m) AS same_file
FROM oe_models WHERE name = 'softmax';

-- What each kind of model's graph holds: the operators and output names,
-- as they appear in the bytes (labels as JSON in UTF-8 in the metadata).
SELECT name,
       array_to_string(ARRAY(SELECT op FROM unnest(ARRAY['Sub', 'Div', 'Gemm', 'BatchNormalization', 'Relu',
                                                         'Softmax', 'Sigmoid', 'Concat', 'ArgMax',
                                                         'GreaterOrEqual', 'Cast', 'Mul', 'Add',
                                                         'Reshape', 'Transpose', 'RNN', 'LSTM',
                                                         'GRU', 'Flatten']) op
                             WHERE position(convert_to(op, 'UTF8') IN nn_export_onnx(m)) > 0), ' ') AS ops,
       array_to_string(ARRAY(SELECT o FROM unnest(ARRAY['probabilities', 'label', 'value']) o
                             WHERE position(convert_to(o, 'UTF8') IN nn_export_onnx(m)) > 0), ' ') AS outputs
FROM oe_models ORDER BY name;
SELECT position(convert_to('["caf' || chr(233) || '","fizz","say \"hi\""]', 'UTF8') IN nn_export_onnx(m)) > 0
       AS classes_json
FROM oe_models WHERE name = 'softmax';

-- NULL in, NULL out
SELECT nn_export_onnx(NULL) IS NULL AS is_null;

-- damaged models are refused by the model reader
SELECT nn_export_onnx(''::bytea);
SELECT nn_export_onnx(convert_to('not a model at all', 'UTF8'));
SELECT nn_export_onnx(substr(m, 1, length(m) - 1)) FROM oe_models WHERE name = 'softmax';
SELECT nn_export_onnx(m || '\x00'::bytea) FROM oe_models WHERE name = 'softmax';
