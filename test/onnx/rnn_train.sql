-- Recurrent models trained through SQL for test/onnx/check.sh and
-- runtime.sh (after models.sql): sequences of 6 steps of 2 features, stored
-- step-major in a real[] (options input_shape [6, 2] and layers[].type rnn,
-- lstm, gru); every kind one way and bidirectional, stacked layers, every
-- step's output into a dense layer, standardized and raw inputs.  Their rows
-- (12 values) join ox_rows.
CREATE TABLE ox_seq AS
SELECT i AS id,
       ARRAY(SELECT v FROM (
                 SELECT s, 1 AS f, (sin(i * 0.7 + s * 1.1) + 0.3 * s)::real AS v
                 FROM generate_series(0, 5) s
                 UNION ALL
                 SELECT s, 2, (10 * cos(i * 0.3 * s) + 5)::real
                 FROM generate_series(0, 5) s) steps
             ORDER BY s, f) AS seq
FROM generate_series(1, 240) i;
ALTER TABLE ox_seq
    ADD COLUMN trend text, ADD COLUMN rising boolean, ADD COLUMN y float8;
-- labels that depend on the order of the steps
UPDATE ox_seq SET
    trend = CASE WHEN seq[11] > seq[1] + 1 THEN 'up' WHEN seq[11] < seq[1] THEN 'down'
                 ELSE 'flat' END,
    rising = seq[12] > seq[6],
    y = 2 * seq[11] - seq[3] + 0.1 * seq[8] + 20;

-- every eighth sequence, and a few beyond the training range
INSERT INTO ox_rows
SELECT 20000 + id, seq FROM ox_seq WHERE id % 8 = 0
UNION ALL
SELECT 20500 + i, ARRAY(SELECT (3 * i * sin(k) + 20 * (k % 2))::real
                        FROM generate_series(1, 12) k)
FROM generate_series(-2, 2) i;

INSERT INTO ox_models
SELECT name, nn_train('ox_seq', target, ARRAY['seq'], '{}',
                      '{"epochs": 4, "seed": 6, "learning_rate": 0.01,
                        "input_shape": [6, 2]}'::jsonb || opts)
FROM (VALUES
    ('rnn_trained_bidirectional', 'trend',
     '{"layers": [{"type": "rnn", "units": 5, "bidirectional": true}]}'::jsonb),
    ('lstm_trained_bidirectional', 'rising',
     '{"loss": "binary_cross_entropy",
       "layers": [{"type": "lstm", "units": 4, "bidirectional": true, "dropout": 0.1}]}'),
    ('gru_trained_bidirectional', 'y',
     '{"layers": [{"type": "gru", "units": 3, "bidirectional": true}]}'),
    ('rnn_trained_raw', 'y',
     '{"standardize": false, "learning_rate": 0.001,
       "layers": [{"type": "rnn", "units": 4}]}'),
    ('lstm_gru_trained_stacked', 'trend',
     '{"layers": [{"type": "lstm", "units": 4, "return_sequences": true},
                  {"type": "gru", "units": 3, "bidirectional": true}]}'),
    ('gru_lstm_trained_bidirectional_stacked', 'rising',
     '{"layers": [{"type": "gru", "units": 3, "bidirectional": true,
                   "return_sequences": true},
                  {"type": "lstm", "units": 2, "bidirectional": true,
                   "return_sequences": true},
                  {"type": "dense", "units": 4}]}'),
    ('lstm_trained_sequences_dense', 'trend',
     '{"layers": [{"type": "lstm", "units": 3, "return_sequences": true, "dropout": 0.2},
                  {"type": "dense", "units": 5, "activation": "tanh"}]}'),
    ('rnn_trained_bidirectional_sequences', 'y',
     '{"layers": [{"type": "rnn", "units": 2, "bidirectional": true,
                   "return_sequences": true}]}')
) AS t(name, target, opts);
