-- One JSON line per model of ox_models into :outfile, for check_onnx.py
-- and run_onnxruntime.js: its ONNX bytes (hex), what nn_info says of it,
-- and for each row of ox_rows with as many values as the model has inputs
-- the features with nn_predict, nn_predict_proba and nn_predict_class.
\pset format unaligned
\pset tuples_only on
\o :outfile
SELECT json_build_object(
    'name', name,
    'extversion', (SELECT extversion FROM pg_extension WHERE extname = 'nn'),
    'info', nn_info(m) - '{history, options}'::text[],
    'onnx', encode(nn_export_onnx(m), 'hex'),
    'rows', (SELECT json_agg(json_build_object(
                 'x', x,
                 'predict', nn_predict(m, x),
                 'proba', CASE WHEN nn_info(m)->>'task' = 'classification'
                               THEN nn_predict_proba(m, x) END,
                 'class', CASE WHEN nn_info(m)->>'task' = 'classification'
                               THEN nn_predict_class(m, x) END) ORDER BY id)
             FROM ox_rows WHERE cardinality(x) = (nn_info(m)->>'inputs')::int))
FROM ox_models ORDER BY name;
\o
