-- Convolutional models for test/onnx/runtime.sh, after models.sql: the
-- models test/onnx/cnn_models.c builds (name, tab, model bytes in hex; on
-- psql's standard input) join ox_models, and ox_rows gets rows of their
-- sizes (image rows, [channels, height, width] flattened).
CREATE TABLE ox_cnn_hex (name text, hex text);
\copy ox_cnn_hex FROM pstdin
INSERT INTO ox_models SELECT name, decode(hex, 'hex') FROM ox_cnn_hex;

-- twelve rows of each size, values in about [-2.5, 2.5]
INSERT INTO ox_rows
SELECT 10000 + 100 * n + r,
       ARRAY(SELECT (2 * sin(r * 1.3 + i * 0.71) + 0.5 * cos(i * r))::real
             FROM generate_series(1, n) i)
FROM (SELECT DISTINCT (nn_info(m)->>'inputs')::int AS n FROM ox_models
      WHERE name LIKE 'cnn%') sizes, generate_series(1, 12) r
WHERE n <> 4;
