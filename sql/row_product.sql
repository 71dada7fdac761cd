-- nn.row_product: how a row scored on its own is multiplied (gemv: one
-- sgemv per layer; level1: one sdot per output, or one saxpy per nonzero
-- input).  The paths sum in different orders, so results agree to
-- rounding: every kind of per-row function, sparse and dense rows,
-- standardized and batch-normalized models, by model and by name.
SELECT length(nn_init(2, '{2}', 2)) > 0 AS loaded;
SHOW nn.row_product;
-- auto goes by the kernel OpenBLAS chose, shown read-only
SELECT length(current_setting('nn.blas_core')) > 0 AS blas_core_known;
SET nn.blas_core = 'Haswell';
-- the tests run with the slow-kernel warning off (Makefile's installcheck,
-- test/lib.sh's clusters), so their output is the same on every CPU; the
-- decision (kernel and CPU flags in, advice out) is test/unit/test_cpu.c
SHOW nn.blas_core_warning;
SET nn.blas_core_warning = sometimes;
SET nn.row_product = 'sparse';
SET nn.row_product = level1;
SHOW nn.row_product;
RESET nn.row_product;

-- rows with many zeros (ReLU hidden layers make more) and rows without
CREATE TABLE rp_rows AS
SELECT i, ARRAY(SELECT CASE WHEN (i * 7 + k * 13) % 5 < CASE WHEN i % 2 = 0 THEN 4 ELSE 0 END
                            THEN 0 ELSE ((i * k) % 11) / 10.0 END::real
                FROM generate_series(1, 40) k) AS x,
       i % 3 AS label, ((i % 7) / 3.0)::float8 AS value
FROM generate_series(1, 300) i;
SELECT round(avg((SELECT count(*) FROM unnest(x) v WHERE v = 0))::numeric, 1) AS zeros_per_row
FROM rp_rows;

CREATE TABLE rp_models AS
SELECT 'plain' AS name, nn_train('rp_rows', 'label', '{x}', '{64,32}',
                                 '{"epochs": 5, "seed": 2, "standardize": false}') AS m
UNION ALL
SELECT 'standardized', nn_train('rp_rows', 'label', '{x}', '{48}', '{"epochs": 5, "seed": 2}')
UNION ALL
SELECT 'batch_norm', nn_train('rp_rows', 'label', '{x}', '{64,32}',
                              '{"epochs": 5, "seed": 2, "standardize": false, "batch_norm": true}')
UNION ALL
SELECT 'regressor', nn_train('rp_rows', 'value', '{x}', '{64}', '{"epochs": 5, "seed": 2, "standardize": false}');

CREATE FUNCTION rp_scores(mode text)
RETURNS TABLE (name text, i int, value float8, class text, proba real[])
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('nn.row_product', mode, true);
  RETURN QUERY
  SELECT md.name, r.i, nn_predict(md.m, r.x),
         CASE WHEN md.name = 'regressor' THEN NULL ELSE nn_predict_class(md.m, r.x) END,
         CASE WHEN md.name = 'regressor' THEN NULL ELSE nn_predict_proba(md.m, r.x) END
  FROM rp_models md, rp_rows r;
END $$;

-- the largest difference between gemv and level1, per model: rounding only
SELECT g.name, count(*) AS rows,
       max(abs(g.value - l.value)) < 1e-4 AS values_agree,
       count(*) FILTER (WHERE g.class IS DISTINCT FROM l.class) AS classes_differ,
       max((SELECT max(abs(a - b)) FROM unnest(g.proba, l.proba) p(a, b))) < 1e-5 AS probas_agree
FROM rp_scores('gemv') g JOIN rp_scores('level1') l USING (name, i)
GROUP BY g.name ORDER BY g.name;
-- auto is one of the two
SELECT count(*) FILTER (WHERE a.value = g.value) = count(*)
       OR count(*) FILTER (WHERE a.value = l.value) = count(*) AS auto_is_gemv_or_level1
FROM rp_scores('auto') a JOIN rp_scores('gemv') g USING (name, i) JOIN rp_scores('level1') l USING (name, i);

-- a cached model switches paths when the setting changes within a session
SET nn.row_product = gemv;
SELECT round(nn_predict(m, (SELECT x FROM rp_rows WHERE i = 2))::numeric, 4) AS gemv
FROM rp_models WHERE name = 'regressor';
SET nn.row_product = level1;
SELECT round(nn_predict(m, (SELECT x FROM rp_rows WHERE i = 2))::numeric, 4) AS level1
FROM rp_models WHERE name = 'regressor';

-- whole-row and by-name scoring take the same path
SELECT nn_register('rp_plain', m) AS version FROM rp_models WHERE name = 'plain';
SELECT nn_deploy('rp_plain') IS NOT NULL AS deployed;
SELECT count(*) FILTER (WHERE nn_predict_class('rp_plain', x) = nn_predict_class(m, x)) AS same_by_name,
       count(*) FILTER (WHERE nn_predict_class_row(m, r) = nn_predict_class(m, x)) AS same_row
FROM rp_rows r, rp_models WHERE name = 'plain';

-- level1 keeps a transposed copy of the weights: it counts against
-- nn.score_memory (a 1024-512-2 model: 2 MB of weights, a few kB of workspace)
CREATE TEMP TABLE rp_big AS SELECT nn_init(1024, '{512}', 2, '{"seed": 1}') AS m;
SET nn.score_memory = '1MB';
SET nn.row_product = gemv;
SELECT nn_predict_class(m, array_fill(0.5::real, ARRAY[1024])) IS NOT NULL AS gemv_fits FROM rp_big;
SET nn.row_product = level1;
SELECT nn_predict_class(m, array_fill(0.5::real, ARRAY[1024])) FROM rp_big;
SET nn.score_memory = '4MB';
SELECT nn_predict_class(m, array_fill(0.5::real, ARRAY[1024])) IS NOT NULL AS level1_fits FROM rp_big;
RESET nn.score_memory;
RESET nn.row_product;
SELECT nn_drop_model('rp_plain') AS dropped;
DROP FUNCTION rp_scores(text);
DROP TABLE rp_rows, rp_models;
