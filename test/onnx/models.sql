-- Models for test/onnx/check.sh and runtime.sh: one of each kind of dense
-- network the ONNX export must reproduce, in ox_models, and the rows to
-- score them on, in ox_rows (cases.sql writes them out).

-- four features on different scales, so standardization matters
CREATE TABLE ox_data AS
SELECT i AS id,
       (3 * sin(i * 0.37))::real AS x1,
       (2 * cos(i * 0.11) + 1)::real AS x2,
       ((i % 17) * 40)::real AS x3,
       ((hashint4(i) % 1000) / 1000.0)::real AS x4
FROM generate_series(1, 400) i;
ALTER TABLE ox_data
    ADD COLUMN kind text, ADD COLUMN positive boolean, ADD COLUMN y float8;
UPDATE ox_data SET
    kind = CASE WHEN x1 + x2 > 1 THEN 'up' WHEN x3 > 300 THEN 'far' ELSE 'near "other"' END,
    positive = x1 * x2 + x4 > 0,
    y = 3 * x1 - x2 + x3 / 100 + 50;

-- every tenth row, and a few beyond the training range
CREATE TABLE ox_rows AS
SELECT id, ARRAY[x1, x2, x3, x4] AS x FROM ox_data WHERE id % 10 = 0
UNION ALL
SELECT 1000 + i, ARRAY[4 * i, -3 * i, 800 + 300 * i, 2 * i]::real[]
FROM generate_series(-2, 2) i;

CREATE TABLE ox_models (name text PRIMARY KEY, m bytea);
INSERT INTO ox_models
SELECT name, nn_train('ox_data', target, ARRAY['x1', 'x2', 'x3', 'x4'], hidden,
                      '{"epochs": 30, "seed": 5, "learning_rate": 0.01}'::jsonb || opts)
FROM (VALUES
    ('softmax_relu', 'kind', '{16,8}'::int[], '{}'::jsonb),
    ('softmax_raw_tanh', 'kind', '{12}', '{"standardize": false, "activation": "tanh"}'),
    ('softmax_no_hidden', 'kind', '{}', '{}'),
    ('softmax_bn_dropout_leaky', 'kind', '{16,16}',
     '{"batch_norm": true, "dropout": 0.2, "activation": "leaky_relu"}'),
    ('softmax_layers_mixed', 'kind', '{}',
     '{"layers": [{"units": 10, "activation": "sigmoid", "batch_norm": true},
                  {"units": 6, "activation": "tanh", "dropout": 0.1},
                  {"units": 5, "activation": "leaky_relu"}]}'),
    ('binary_sigmoid', 'positive', '{8}', '{"loss": "binary_cross_entropy"}'),
    ('binary_sigmoid_bn_raw', 'positive', '{8}',
     '{"loss": "binary_cross_entropy", "batch_norm": true, "standardize": false,
       "activation": "sigmoid"}'),
    ('binary_softmax', 'positive', '{8}', '{}'),
    ('regression', 'y', '{16}', '{}'),
    ('regression_raw', 'y', '{8}', '{"standardize": false, "learning_rate": 0.0001}'),
    ('regression_bn_tanh', 'y', '{8,4}', '{"batch_norm": true, "activation": "tanh"}'),
    ('regression_huber', 'y', '{}', '{"loss": "huber"}')
) AS t(name, target, hidden, opts);

-- a text feature (one-hot: 3 inputs) and a number: 4 inputs like the others;
-- its categories travel in the file's metadata
INSERT INTO ox_models
SELECT 'categorical_text', nn_train('ox_data', 'positive', ARRAY['kind', 'x4'], '{8}',
                                    '{"epochs": 30, "seed": 5, "learning_rate": 0.01, "impute": "mean"}');

-- untrained models from nn_init: no feature names, no standardization
INSERT INTO ox_models VALUES
    ('init_softmax', nn_init(4, '{5}', 3, '{"seed": 2, "batch_norm": true}')),
    ('init_sigmoid', nn_init(4, '{3}', 1, '{"seed": 2, "task": "classification"}')),
    ('init_regressor', nn_init(4, '{}', 1, '{"seed": 2}'));

-- two-class models that decide by a threshold (options.threshold and
-- nn_with_threshold): the file's label must follow it, for a sigmoid and a
-- softmax output, the positive class the second (true) or the first (false)
INSERT INTO ox_models
SELECT name || '_threshold', nn_with_threshold(m, 0.1) FROM ox_models
WHERE name IN ('binary_sigmoid', 'binary_softmax')
UNION ALL
SELECT name, nn_train('ox_data', 'positive', ARRAY['x1', 'x2', 'x3', 'x4'], '{8}',
                      '{"epochs": 30, "seed": 5, "learning_rate": 0.01, "positive_class": false,
                        "threshold": 0.9}'::jsonb || opts)
FROM (VALUES ('binary_sigmoid_threshold_first', '{"loss": "binary_cross_entropy"}'::jsonb),
             ('binary_softmax_threshold_first', '{}')) AS t(name, opts);

-- each decides otherwise than by the larger probability on some test rows,
-- or a label that ignored the threshold would pass
DO $$
DECLARE
    alike text;
BEGIN
    SELECT string_agg(name, ', ') INTO alike FROM ox_models
    WHERE name LIKE '%threshold%' AND NOT EXISTS (
        SELECT FROM ox_rows r, LATERAL nn_predict_proba(m, r.x) p
        WHERE cardinality(r.x) = 4 AND nn_predict(m, r.x) <> CASE WHEN p[2] > p[1] THEN 1 ELSE 0 END);
    IF alike IS NOT NULL THEN
        RAISE EXCEPTION 'threshold models deciding as the larger probability on every test row: %', alike;
    END IF;
END $$;
