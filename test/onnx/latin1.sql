-- For test/onnx/check.sh, in a LATIN1 database (client encoding UTF8):
-- labels and names outside ASCII must reach the ONNX file as UTF-8, as
-- protobuf strings are; check_onnx.py compares them with nn_info's.
CREATE TABLE ox_latin1 AS
SELECT i::real AS "température", (i % 5)::real AS y2,
       CASE WHEN i % 2 = 0 THEN 'café' ELSE 'naïve' END AS "résultat"
FROM generate_series(1, 40) i;
CREATE TABLE ox_rows AS SELECT i AS id, ARRAY[i, i % 3]::real[] AS x FROM generate_series(1, 5) i;

\pset format unaligned
\pset tuples_only on
\o :outfile
SELECT json_build_object(
    'name', 'latin1_labels',
    'extversion', (SELECT extversion FROM pg_extension WHERE extname = 'nn'),
    'info', nn_info(m) - '{history, options}'::text[],
    'onnx', encode(nn_export_onnx(m), 'hex'),
    'rows', (SELECT json_agg(json_build_object('x', x, 'predict', nn_predict(m, x),
                                               'proba', nn_predict_proba(m, x),
                                               'class', nn_predict_class(m, x)) ORDER BY id)
             FROM ox_rows))
FROM (SELECT nn_train('ox_latin1', 'résultat', NULL, '{4}', '{"epochs": 3, "seed": 1}') AS m) t;
\o
