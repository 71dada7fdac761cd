-- bytes_shapes.sql - md5 of models trained at shapes whose matrix products
-- are large enough to be computed in blocks (src/kernels/dense.c), and of
-- batch scores through them.  Run by test/reliability/bytes.sh: its output
-- must not change when the kernels' blocking or the interrupt hook change.
\pset tuples_only on
\pset format unaligned
SET extra_float_digits = 3;
SELECT setseed(0.5);
-- features from sin(), so every run builds the same floats
CREATE TEMP TABLE g300 AS
SELECT (i % 7) AS y, (i % 5)::real AS yr,
       ARRAY(SELECT sin(i * 0.37 + j * 1.3)::real FROM generate_series(1, 300) j) AS f
FROM generate_series(1, 2100) i;
CREATE TEMP TABLE g64 AS
SELECT y, yr, f[1:64] AS f FROM g300;
CREATE TEMP TABLE g2049 AS
SELECT (i % 3) AS y,
       ARRAY(SELECT cos(i * 0.11 + j * 0.7)::real FROM generate_series(1, 2049) j) AS f
FROM generate_series(1, 300) i;

CREATE TEMP TABLE shapes (name text, source text, target text, hidden int[], opts jsonb);
INSERT INTO shapes VALUES
 ('w1024 b1024',          'g300', 'y', '{1024}',       '{"epochs": 2, "batch_size": 1024}'),
 ('w1000,777 b1000 bn dropout adam', 'g300', 'y', '{1000,777}',
  '{"epochs": 2, "batch_size": 1000, "batch_norm": true, "dropout": 0.2}'),
 ('w4096 b256 in64',      'g64',  'y', '{4096}',       '{"epochs": 1, "batch_size": 256}'),
 ('w2048,2048 b64 in64',  'g64',  'y', '{2048,2048}',  '{"epochs": 1, "batch_size": 64, "optimizer": "sgd"}'),
 ('w1500,1500 b777 regr', 'g300', 'yr','{1500,1500}',  '{"epochs": 1, "batch_size": 777, "optimizer": "adamw", "l2": 0.001}'),
 ('w3000 b100 in2049',    'g2049','y', '{3000}',       '{"epochs": 1, "batch_size": 100}'),
 ('w16 b32 small',        'g64',  'y', '{16}',         '{"epochs": 3, "batch_size": 32}');

CREATE TEMP TABLE models AS
SELECT name, nn_train(source, target, ARRAY['f'], hidden, opts) AS m FROM shapes;

SELECT 'train ' || name || ' ' || md5(m) FROM models ORDER BY name;
-- scoring: the batch path over every row, and per row over the first 50
SELECT 'batch ' || s.name || ' ' ||
       md5(coalesce(nn_predict_batch(m.m, (SELECT array_agg(f) FROM g300 WHERE s.source = 'g300'))::text, '') ||
           coalesce(nn_predict_batch(m.m, (SELECT array_agg(f) FROM g64 WHERE s.source = 'g64'))::text, '') ||
           coalesce(nn_predict_batch(m.m, (SELECT array_agg(f) FROM g2049 WHERE s.source = 'g2049'))::text, ''))
FROM models m JOIN shapes s USING (name) ORDER BY s.name;
SELECT 'row ' || s.name || ' ' || md5(string_agg(p::text, ',' ORDER BY i))
FROM models m JOIN shapes s USING (name),
     LATERAL (SELECT i, nn_predict(m.m, f) AS p
              FROM (SELECT row_number() OVER () AS i, f FROM g300 WHERE s.source = 'g300'
                    UNION ALL SELECT row_number() OVER (), f FROM g64 WHERE s.source = 'g64'
                    UNION ALL SELECT row_number() OVER (), f FROM g2049 WHERE s.source = 'g2049') r
              WHERE i <= 50) p
GROUP BY s.name ORDER BY s.name;
-- the aggregate and two BLAS threads
SELECT 'fit w1024 b512 ' || md5(nn_fit(nn_init(300, '{1024}', 7, '{"batch_size": 512}'), f, y::real)) FROM g300;
SELECT 'threads1 w1000,777 ' || md5(nn_train('g300', 'y', ARRAY['f'], '{1000,777}', '{"epochs": 1, "batch_size": 1000}'));
SET nn.blas_threads = 2;
SELECT 'threads2 w1000,777 ' || md5(nn_train('g300', 'y', ARRAY['f'], '{1000,777}', '{"epochs": 1, "batch_size": 1000}'));
