-- Whole-row scoring: nn_predict_row, nn_predict_class_row and
-- nn_predict_proba_row find the model's feature columns in a record by name.
CREATE TABLE flowers AS
SELECT i, ((i % 3) + (i % 7) / 10.0)::real AS "Petal Length", ((i / 3) % 5)::real AS width,
       ARRAY[(i % 2)::real, (i % 5)::real] AS extra, (i % 11)::numeric AS n,
       CASE i % 3 WHEN 0 THEN 'setosa' WHEN 1 THEN 'versicolor' ELSE 'virginica' END AS species,
       ((i % 3) * 2 + (i % 7) / 10.0)::float8 AS size
FROM generate_series(1, 150) i;
CREATE TABLE row_models AS
SELECT 'class' AS name,
       nn_train('flowers', 'species', '{Petal Length,width,extra,n}', '{8}', '{"epochs": 30, "seed": 3, "learning_rate": 0.03}') AS m
UNION ALL
SELECT 'binary', nn_train('SELECT *, i % 3 = 0 AS first FROM flowers', 'first',
                          '{Petal Length,width,extra,n}', '{8}', '{"epochs": 30, "seed": 3, "learning_rate": 0.03}')
UNION ALL
SELECT 'value', nn_train('flowers', 'size', '{Petal Length,width}', '{8}', '{"epochs": 30, "seed": 3, "learning_rate": 0.03}');

-- the same results as the array functions, for every row and every kind of model
SELECT name,
       count(*) FILTER (WHERE nn_predict_row(m, f) = nn_predict(m, ARRAY["Petal Length", width] ||
                        CASE WHEN name = 'value' THEN '{}'::real[] ELSE extra || n::real END)) AS same_value,
       count(*) FILTER (WHERE name = 'value' OR nn_predict_class_row(m, f) = nn_predict_class(m, ARRAY["Petal Length", width] || extra || n::real)) AS same_class,
       count(*) FILTER (WHERE name = 'value' OR nn_predict_proba_row(m, f) = nn_predict_proba(m, ARRAY["Petal Length", width] || extra || n::real)) AS same_proba
FROM flowers f, row_models GROUP BY name ORDER BY name;

-- columns are matched by name, in any order, with extra columns ignored
SELECT nn_predict_class_row(m, r) AS predicted
FROM row_models, (SELECT 'ignored' AS note, 2::bigint AS n, '{1,2}'::float8[] AS extra, 3 AS width,
                         2.5::float4 AS "Petal Length") r
WHERE name = 'class';
-- anonymous records work too, when their columns have names
SELECT nn_predict_class_row(m, r) = nn_predict_class(m, '{2.5,3,1,2,2}') AS same
FROM row_models, LATERAL (SELECT 2.5 AS "Petal Length", 3 AS width, ARRAY[1, 2]::real[] AS extra, 2 AS n) r
WHERE name = 'class';

-- in a join with a model table: scoring a table's rows by name
SELECT species, count(*) AS n, count(*) FILTER (WHERE nn_predict_class_row(m.m, f) = species) AS correct
FROM flowers f, row_models m WHERE m.name = 'class' GROUP BY species ORDER BY species;

-- errors
SELECT nn_predict_row(m, r) FROM row_models, (SELECT 1 AS width, 2 AS n) r WHERE name = 'class';
SELECT nn_predict_row(m, r) FROM row_models, (SELECT 1 AS "petal length", 1 AS width) r WHERE name = 'value';
SELECT nn_predict_row(m, r) FROM row_models,
       (SELECT 'x'::text AS "Petal Length", 1 AS width) r WHERE name = 'value';
SELECT nn_predict_row(m, r) FROM row_models,
       (SELECT 1 AS "Petal Length", 1 AS width, ARRAY[1, 2, 3]::real[] AS extra, 1 AS n) r WHERE name = 'class';
SELECT nn_predict_row(m, r) FROM row_models,
       (SELECT 1 AS "Petal Length", 1 AS width, ARRAY[1, 2]::int[] AS extra, 1 AS n) r WHERE name = 'class';
SELECT nn_predict_row(m, r) FROM row_models,
       (SELECT 'NaN'::float8 AS "Petal Length", 1 AS width) r WHERE name = 'value';
SELECT nn_predict_class_row(m, r) FROM row_models,
       (SELECT 1 AS "Petal Length", 1 AS width) r WHERE name = 'value';
SELECT nn_predict_row(nn_init(2, '{4}', 1), r) FROM (SELECT 1 AS a, 2 AS b) r;
SELECT nn_predict_row('\x00'::bytea, r) FROM (SELECT 1 AS a) r;
-- a NULL row gives NULL (the functions are strict); a NULL feature, NULL too
SELECT nn_predict_row(m, NULL::flowers) IS NULL AS null_row,
       nn_predict_row(m, r) IS NULL AS null_feature
FROM row_models, (SELECT NULL::real AS "Petal Length", 1 AS width) r WHERE name = 'value';

-- by name, through the catalog (the deployed version); an untyped literal is a name
SELECT nn_register('flowers', m) AS version FROM row_models WHERE name = 'class';
SELECT count(*) FILTER (WHERE nn_predict_class_row('flowers', f) = nn_predict_class_row(m, f)) AS same_class,
       count(*) FILTER (WHERE nn_predict_proba_row('flowers', f) = nn_predict_proba_row(m, f)) AS same_proba,
       count(*) FILTER (WHERE nn_predict_row('flowers', f) = nn_predict_row(m, f)) AS same_value
FROM flowers f, row_models WHERE name = 'class';
SELECT nn_predict_row('no such model', f) FROM flowers f LIMIT 1;
SELECT nn_drop_model('flowers');
