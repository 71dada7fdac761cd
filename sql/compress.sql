-- Compressed models (format version 4): nn_strip and nn_quantize over a
-- dense, a convolutional (batch norm, separable) and a recurrent
-- (bidirectional lstm, gru) model trained here: sizes, nn_info, every
-- scoring path on the quantized models (by name through the catalog too),
-- stripped models scoring bit for bit as the originals, quantized ones
-- close to them, one encoding per model, and every error.

-- two classes of 4 features
CREATE TABLE cq_pts AS
SELECT id, CASE WHEN sin(id) + cos(3 * id) > 0 THEN 'pos' ELSE 'neg' END AS label,
       ARRAY[sin(id), cos(3 * id), (id % 7) / 7.0, (id % 5) / 5.0]::real[] AS x,
       (sin(id) + 2 * cos(3 * id))::real AS y
FROM generate_series(1, 200) id;

-- 8x8 images: a bright 3x3 square near the top left or the bottom right
CREATE TABLE cq_img AS
SELECT id, CASE WHEN id % 2 = 0 THEN 'top_left' ELSE 'bottom_right' END AS corner,
       ARRAY(SELECT CASE WHEN (id % 2 = 0 AND i / 8 BETWEEN o AND o + 2 AND i % 8 BETWEEN o AND o + 2)
                           OR (id % 2 = 1 AND i / 8 BETWEEN 5 - o AND 7 - o AND i % 8 BETWEEN 5 - o AND 7 - o)
                         THEN 1.0 ELSE ((id * 37 + i * 11) % 10) / 30.0 END::real
             FROM generate_series(0, 63) i ORDER BY i) AS px
FROM (SELECT id, (id / 2) % 2 AS o FROM generate_series(1, 120) id) s;

-- sequences of 6 steps of 2 features: feature 0 rises (up) or falls (down)
CREATE TABLE cq_seq AS
WITH v AS (
    SELECT id, s, ((CASE WHEN id % 2 = 0 THEN s ELSE 5 - s END) / 5.0 +
                   ((id * 13 + s * 7) % 10) / 50.0)::real AS f0,
           (((id * 7 + s * 3) % 10) / 10.0)::real AS f1
    FROM generate_series(1, 120) id, generate_series(0, 5) s)
SELECT id, CASE WHEN id % 2 = 0 THEN 'up' ELSE 'down' END AS dir,
       (SELECT array_agg(x ORDER BY v.s, p.k) FROM v, LATERAL (VALUES (0, f0), (1, f1)) p(k, x)
        WHERE v.id = o.id) AS seq
FROM generate_series(1, 120) o(id);

CREATE TABLE cq_float (name text PRIMARY KEY, src text, x text, y text, m bytea);
INSERT INTO cq_float VALUES
('dense', 'cq_pts', 'x', 'label',
 nn_train('cq_pts', 'label', '{x}', '{16, 8}',
          '{"seed": 1, "epochs": 30, "optimizer": "adam", "batch_norm": true}')),
('cnn', 'cq_img', 'px', 'corner',
 nn_train('cq_img', 'corner', '{px}', '{}',
    '{"seed": 1, "epochs": 4, "input_shape": [1, 8, 8],
      "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "batch_norm": true},
                 {"type": "separable_conv2d", "filters": 4, "kernel": 3},
                 {"type": "max_pool2d", "size": 2}, {"units": 8}]}')),
('lstm', 'cq_seq', 'seq', 'dir',
 nn_train('cq_seq', 'dir', '{seq}', '{}',
    '{"seed": 1, "epochs": 8, "learning_rate": 0.01, "input_shape": [6, 2],
      "layers": [{"type": "lstm", "units": 4, "bidirectional": true, "return_sequences": true},
                 {"type": "gru", "units": 4}]}'));

CREATE TABLE cq_models AS SELECT name, nn_quantize(m) AS m FROM cq_float;
CREATE TABLE cq_stripped AS SELECT name, nn_strip(m) AS m FROM cq_float;

-- format version 4; the quantized model at most 30% of the stripped one
-- for the dense model (its weights dominate), smaller for every model
SELECT f.name, nn_info(f.m)->'format_version' AS float_format,
       nn_info(s.m)->'format_version' AS stripped_format,
       nn_info(q.m)->'format_version' AS quantized_format,
       length(s.m) < length(f.m) AS stripped_smaller,
       length(q.m) < length(s.m) AS quantized_smaller,
       round(length(q.m)::numeric / length(s.m), 2) AS ratio
FROM cq_float f JOIN cq_stripped s USING (name) JOIN cq_models q USING (name) ORDER BY name;

-- nn_info: the storage and both sizes, for compressed models only
SELECT name, nn_info(m)->'storage' AS storage,
       (nn_info(m)->'storage'->>'bytes')::int = length(m) AS bytes_are_length
FROM cq_models ORDER BY name;
SELECT s.name, nn_info(s.m)->'storage'->>'kind' AS kind,
       (nn_info(s.m)->'storage'->>'bytes')::int = length(s.m) AS bytes_are_length,
       (nn_info(q.m)->'storage'->>'float_bytes')::int = length(s.m) AS quantized_float_bytes
FROM cq_stripped s JOIN cq_models q USING (name) ORDER BY name;
SELECT name, nn_info(m) ? 'storage' AS float_has_storage FROM cq_float ORDER BY name;
-- everything else nn_info shows is the float model's
SELECT f.name, nn_info(f.m) - 'storage' - 'format_version' =
               nn_info(q.m) - 'storage' - 'format_version' AS same_info
FROM cq_float f JOIN cq_models q USING (name) ORDER BY name;

-- one encoding per model: a model and its stripped copy quantize to the
-- same bytes; stripping a stripped or quantized model changes nothing;
-- quantizing is deterministic
SELECT f.name, nn_quantize(f.m) = nn_quantize(s.m) AS same_from_stripped,
       nn_strip(s.m) = s.m AS strip_stripped, nn_strip(q.m) = q.m AS strip_quantized,
       nn_quantize(f.m) = q.m AS deterministic
FROM cq_float f JOIN cq_stripped s USING (name) JOIN cq_models q USING (name) ORDER BY name;

-- the stripped model scores bit for bit as the original; the quantized one
-- picks the same class on (almost) every row, with close probabilities
CREATE FUNCTION pg_temp.cq_x(src text, col text) RETURNS SETOF real[]
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT %I FROM %I ORDER BY id', col, src);
END $$;
SELECT f.name, count(*) AS rows,
       count(*) FILTER (WHERE nn_predict_proba(f.m, v) = nn_predict_proba(s.m, v)
                        AND nn_predict(f.m, v) = nn_predict(s.m, v)) AS stripped_same,
       count(*) FILTER (WHERE nn_predict_class(f.m, v) = nn_predict_class(q.m, v))
           >= 0.95 * count(*) AS quantized_same_class,
       max(abs((nn_predict_proba(f.m, v))[1] - (nn_predict_proba(q.m, v))[1])) < 0.05
           AS quantized_proba_close
FROM cq_float f JOIN cq_stripped s USING (name) JOIN cq_models q USING (name),
     LATERAL pg_temp.cq_x(f.src, f.x) v
GROUP BY f.name ORDER BY f.name;

-- nn_evaluate: the quantized models' accuracy within a point of the float
-- models'
SELECT f.name,
       abs((nn_evaluate(f.m, f.src, f.y)->>'accuracy')::float8 -
           (nn_evaluate(q.m, f.src, f.y)->>'accuracy')::float8) <= 0.01 AS accuracy_close
FROM cq_float f JOIN cq_models q USING (name) ORDER BY f.name;

-- every scoring path agrees on each row of a quantized model: per row
-- (value, class, probabilities), whole-row, window, batch, by catalog name
-- (a quantized model registered), and nn_evaluate
SELECT nn_register('cq_' || name, m) FROM cq_models ORDER BY name;
SELECT name, nn_model('cq_' || name) = m AS catalog_keeps_bytes FROM cq_models ORDER BY name;
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/test/scoring_paths.sql
CREATE TABLE cq_dense AS SELECT name, m FROM cq_models WHERE name = 'dense';
CREATE TABLE cq_cnn AS SELECT name, m FROM cq_models WHERE name = 'cnn';
CREATE TABLE cq_lstm AS SELECT name, m FROM cq_models WHERE name = 'lstm';
SELECT * FROM pg_temp.scoring_paths('cq_dense', 'cq_pts', 'x', 'label', 'id', 'dense', 'cq_dense');
SELECT * FROM pg_temp.scoring_paths('cq_cnn', 'cq_img', 'px', 'corner', 'id', 'cnn', 'cq_cnn');
SELECT * FROM pg_temp.scoring_paths('cq_lstm', 'cq_seq', 'seq', 'dir', 'id', 'lstm', 'cq_lstm');

-- a regression model quantizes too: predictions within 5% of the spread
SELECT max(abs(nn_predict(m, x) - nn_predict(q, x))) < 0.05 * (max(y) - min(y)) AS regression_close,
       bool_and(nn_predict(m, x) = nn_predict(nn_strip(m), x)) AS stripped_same
FROM (SELECT nn_train('cq_pts', 'y', '{x}', '{8}', '{"seed": 1, "epochs": 20}') AS m) t,
     LATERAL (SELECT nn_quantize(m) AS q) u, cq_pts;

-- an nn_init model quantizes like any other, and scores close to itself
SELECT nn_info(q)->'storage'->>'kind' AS kind, nn_info(q)->'format_version' AS format,
       q = nn_quantize(nn_strip(i)) AS same_from_stripped,
       abs((nn_predict_proba(i, '{1, 2}'))[1] - (nn_predict_proba(q, '{1, 2}'))[1]) < 0.02 AS close
FROM (SELECT i, nn_quantize(i) AS q FROM (SELECT nn_init(2, '{4}', 3, '{"seed": 3}') AS i) s) t;

-- errors: training a compressed model (nn_continue, the nn_fit aggregate),
-- quantizing twice, unknown options, options that are not an object, a
-- damaged model
SELECT nn_continue(m, 'cq_pts') FROM cq_stripped WHERE name = 'dense';
SELECT nn_continue(m, 'cq_pts') FROM cq_models WHERE name = 'dense';
SELECT nn_fit(nn_quantize(nn_init(4, '{4}', 2)), x, 1) FROM cq_pts;
SELECT nn_fit(nn_strip(nn_init(4, '{4}', 2)), x, 1) FROM cq_pts;
SELECT nn_quantize(m) FROM cq_models WHERE name = 'dense';
SELECT nn_quantize(m, '{"bits": 4}') FROM cq_float WHERE name = 'dense';
SELECT nn_quantize(m, '[]') FROM cq_float WHERE name = 'dense';
SELECT nn_quantize('\x00010203'::bytea);
SELECT nn_strip('\x00010203'::bytea);
-- both work within nn.score_memory: a model of 2.8 MB (784-256-128-10 with
-- Adam's state) needs three times that
SET nn.score_memory = 4;
SELECT length(nn_quantize(nn_init(784, '{256,128}', 10))) AS too_big;
SELECT length(nn_strip(nn_init(784, '{256,128}', 10))) AS too_big;
SET nn.score_memory = 16;
SELECT length(nn_strip(nn_init(784, '{256,128}', 10))) AS stripped,
       length(nn_quantize(nn_init(784, '{256,128}', 10))) AS quantized;
RESET nn.score_memory;
-- STRICT: NULL in, NULL out
SELECT nn_strip(NULL) IS NULL AS strip_null, nn_quantize(NULL) IS NULL AS quantize_null;
