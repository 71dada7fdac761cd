-- Target types (text, boolean, integer -> classification; real, double
-- precision, numeric -> regression), feature column types (scalars and
-- real[] / double precision[] arrays), and the kinds of source (table,
-- schema-qualified table, quoted mixed-case name, view, query).

-- One data set in many shapes: two inputs i, j on a grid and a label that
-- depends on which side of the diagonal i = j the point is.
CREATE TABLE pts AS
SELECT i, j,
       CASE WHEN i > j THEN 'upper' ELSE 'Lower' END AS txt,
       i > j AS flag,
       CASE WHEN i > j THEN 10 ELSE -5 END AS num,
       (i - j)::real AS diff
FROM generate_series(0, 11) i, generate_series(0, 11) j
WHERE i <> j;

SELECT count(*) FROM pts;

-- text target: classes in sorted (byte) order, 'Lower' before 'upper'
CREATE TABLE tf_models (name text PRIMARY KEY, m bytea);
INSERT INTO tf_models
SELECT 'text', nn_train('SELECT i::real AS i, j::real AS j, txt FROM pts', 'txt', NULL, '{8}',
                        '{"epochs": 60, "learning_rate": 0.05, "seed": 1}');
-- boolean target
INSERT INTO tf_models
SELECT 'bool', nn_train('SELECT i::real AS i, j::real AS j, flag FROM pts', 'flag', NULL, '{8}',
                        '{"epochs": 60, "learning_rate": 0.05, "seed": 1}');
-- integer target: classes sorted numerically (-5 before 10)
INSERT INTO tf_models
SELECT 'int', nn_train('SELECT i::real AS i, j::real AS j, num FROM pts', 'num', NULL, '{8}',
                       '{"epochs": 60, "learning_rate": 0.05, "seed": 1}');
INSERT INTO tf_models
SELECT 'smallint', nn_train('SELECT i::real AS i, j::real AS j, num::int2 AS num FROM pts', 'num',
                            NULL, '{8}', '{"epochs": 60, "learning_rate": 0.05, "seed": 1}');
INSERT INTO tf_models
SELECT 'bigint', nn_train('SELECT i::real AS i, j::real AS j, num::int8 * 1000000000 AS num FROM pts',
                          'num', NULL, '{8}', '{"epochs": 60, "learning_rate": 0.05, "seed": 1}');
INSERT INTO tf_models
SELECT 'varchar', nn_train('SELECT i::real AS i, j::real AS j, txt::varchar(10) AS txt FROM pts',
                           'txt', NULL, '{8}', '{"epochs": 60, "learning_rate": 0.05, "seed": 1}');

SELECT name, nn_info(m)->'task' AS task, nn_info(m)->'classes' AS classes,
       nn_info(m)->'features' AS features
FROM tf_models ORDER BY name COLLATE "C";

-- every classifier learned the rule; nn_predict_class returns the label
SELECT name,
       avg((nn_predict_class(m, ARRAY[i, j]::real[]) =
            CASE name WHEN 'text' THEN txt WHEN 'varchar' THEN txt
                      WHEN 'bool' THEN flag::text
                      WHEN 'bigint' THEN (num::int8 * 1000000000)::text
                      ELSE num::text END)::int) >= 0.95 AS accuracy_ok
FROM tf_models, pts
GROUP BY name ORDER BY name COLLATE "C";

SELECT name, nn_predict_class(m, ARRAY[11, 0]::real[]) AS at_11_0,
       nn_predict_class(m, ARRAY[0, 11]::real[]) AS at_0_11
FROM tf_models ORDER BY name COLLATE "C";

-- more than two integer classes, with gaps and negatives, sort numerically
SELECT nn_info(nn_train('SELECT i::real AS x, (ARRAY[100, -3, 20, 7])[i % 4 + 1] AS y
                         FROM generate_series(1, 40) i',
                        'y', NULL, '{}', '{"epochs": 1}'))->'classes' AS classes;

-- text classes sort by bytes (C order), not by the order they appear
SELECT nn_info(nn_train('SELECT i::real AS x, (ARRAY[''b'', ''a'', ''C'', ''aa''])[i % 4 + 1] AS y
                         FROM generate_series(1, 40) i',
                        'y', NULL, '{}', '{"epochs": 1}'))->'classes' AS classes;

-- a real target with task 'classification': labels sort numerically
SELECT nn_info(nn_train('SELECT i::real AS x, (ARRAY[10.5, 9.5, -1])[i % 3 + 1]::real AS y
                         FROM generate_series(1, 30) i',
                        'y', NULL, '{}', '{"epochs": 1, "task": "classification"}'))->'classes'
       AS classes;

-- an integer target with task 'regression'
SELECT nn_info(m)->'task' AS task, nn_info(m)->'classes' AS classes,
       abs(nn_predict(m, ARRAY[5]::real[]) - 10) < 1 AS close
FROM (SELECT nn_train('SELECT i::real AS x, 2 * i AS y FROM generate_series(1, 10) i',
                      'y', NULL, '{}', '{"epochs": 300, "learning_rate": 0.05, "task": "regression"}') AS m) t;

-- regression targets: real, double precision, numeric
SELECT t AS target_type, nn_info(m)->'task' AS task,
       abs(nn_predict(m, ARRAY[3, 4]::real[]) - 10) < 0.5 AS close
FROM (SELECT t, nn_train(format('SELECT a::real AS a, b::real AS b, (2 * a + b)::%s AS y
                                 FROM generate_series(0, 9) a, generate_series(0, 9) b', t),
                         'y', NULL, '{}', '{"epochs": 100, "learning_rate": 0.05, "seed": 4}') AS m
      FROM unnest(ARRAY['real', 'double precision', 'numeric']) t) s
ORDER BY t;

-- scalar feature types: smallint, integer, bigint, real, double precision,
-- numeric, boolean; all in one model, named in the order given
CREATE TABLE scalars AS
SELECT i::int2 AS f_int2, j::int4 AS f_int4, (i + j)::int8 AS f_int8,
       (i * 0.5)::real AS f_real, (j * 0.25)::float8 AS f_float8,
       (i - j)::numeric(6, 2) AS f_numeric, (i > j) AS f_bool,
       i > j AS y
FROM generate_series(0, 9) i, generate_series(0, 9) j;

CREATE TABLE scalars_model AS
SELECT nn_train('scalars', 'y', NULL, '{8}', '{"epochs": 50, "learning_rate": 0.05, "seed": 5}') AS m;

SELECT nn_info(m)->'features' AS features, nn_info(m)->'feature_widths' AS widths,
       nn_info(m)->'inputs' AS inputs
FROM scalars_model;

SELECT avg((nn_predict_class(m, ARRAY[f_int2, f_int4, f_int8, f_real, f_float8, f_numeric,
                                      f_bool::int]::real[]) = y::text)::int) >= 0.95 AS accuracy_ok
FROM scalars, scalars_model;

-- an explicit feature list picks and orders columns
SELECT nn_info(nn_train('scalars', 'y', ARRAY['f_bool', 'f_int2'], '{}', '{"epochs": 1}'))->'features'
       AS features;

-- array features: real[] and double precision[] columns are flattened in
-- order, next to scalars
CREATE TABLE arrays AS
SELECT ARRAY[i, j]::real[] AS r2, ARRAY[i * 0.5, j * 0.5, 1]::float8[] AS d3, (i + j)::int4 AS s,
       i > j AS y
FROM generate_series(0, 9) i, generate_series(0, 9) j;

CREATE TABLE arrays_model AS
SELECT nn_train('arrays', 'y', ARRAY['r2', 's', 'd3'], '{8}',
                '{"epochs": 50, "learning_rate": 0.05, "seed": 6}') AS m;

SELECT nn_info(m)->'features' AS features, nn_info(m)->'feature_widths' AS widths,
       nn_info(m)->'inputs' AS inputs
FROM arrays_model;

SELECT avg((nn_predict_class(m, r2 || s::real || d3::real[]) = y::text)::int) >= 0.95 AS accuracy_ok
FROM arrays, arrays_model;

-- a model on the array column alone
SELECT avg((nn_predict_class(m, r2) = y::text)::int) >= 0.95 AS accuracy_ok,
       nn_info(m)->'inputs' AS inputs
FROM arrays,
     (SELECT nn_train('arrays', 'y', ARRAY['r2'], '{8}',
                      '{"epochs": 50, "learning_rate": 0.05, "seed": 6}') AS m) t
GROUP BY m;

-- sources.  The same rows reach nn_train from a table, a schema-qualified
-- table, a quoted mixed-case name with a space, a view and queries; with
-- the same seed and row order the models are byte-identical.
CREATE SCHEMA nn_src;
CREATE TABLE nn_src.pts AS SELECT i::real AS i, j::real AS j, txt FROM pts ORDER BY i, j;
CREATE TABLE "My Points" AS SELECT i::real AS i, j::real AS j, txt AS "Label Col" FROM nn_src.pts;
CREATE VIEW pts_view AS SELECT i, j, txt FROM nn_src.pts;

CREATE TABLE src_models (source text, m bytea);
INSERT INTO src_models
SELECT s, nn_train(s, 'txt', NULL, '{4}', '{"epochs": 5, "seed": 9}')
FROM unnest(ARRAY['nn_src.pts', 'pts_view', 'NN_SRC.PTS', '"nn_src"."pts"',
                  'SELECT * FROM nn_src.pts',
                  '  select i, j, txt from nn_src.pts;',
                  '(SELECT i, j, txt FROM nn_src.pts)',
                  'WITH w AS (SELECT * FROM nn_src.pts) SELECT * FROM w',
                  E'SELECT\n  i, j, txt FROM nn_src.pts']) s;

SELECT source, md5(m) = (SELECT md5(m) FROM src_models WHERE source = 'nn_src.pts') AS same_model,
       nn_info(m)->'features' AS features, nn_info(m)->'rows_trained' AS rows_trained
FROM src_models ORDER BY source COLLATE "C";

-- an unqualified name follows search_path
SET search_path = nn_src, public;
SELECT md5(nn_train('pts', 'txt', NULL, '{4}', '{"epochs": 5, "seed": 9}')) =
       (SELECT md5(m) FROM public.src_models WHERE source = 'nn_src.pts') AS same_model;
RESET search_path;

-- quoted names keep case and spaces; target and feature names are exact
-- column names, not SQL.  The same rows give the same weights (the model's
-- bytes differ only in the target name it records)
SELECT nn_info(m)->'features' AS features, nn_info(m)->'classes' AS classes,
       nn_info(m)->'target' AS target,
       (SELECT bool_and(nn_predict_proba(m, ARRAY[i, j]) = nn_predict_proba(s.m, ARRAY[i, j]))
        FROM nn_src.pts, src_models s WHERE s.source = 'nn_src.pts') AS same_weights
FROM (SELECT nn_train('"My Points"', 'Label Col', ARRAY['i', 'j'], '{4}',
                      '{"epochs": 5, "seed": 9}') AS m) t;

SELECT avg((nn_predict_class(m, ARRAY[i, j]) = "Label Col")::int) >= 0.9 AS accuracy_ok
FROM "My Points",
     (SELECT nn_train('public."My Points"', 'Label Col', NULL, '{8}',
                      '{"epochs": 60, "learning_rate": 0.05, "seed": 1}') AS m) t;

-- a query source may join and compute columns
SELECT nn_info(nn_train('WITH a AS (SELECT i, j FROM nn_src.pts), b AS (SELECT i, j, txt FROM pts_view)
                         SELECT a.i + 0 AS "I", b.j, b.txt AS "Target" FROM a JOIN b USING (i, j)',
                        'Target', NULL, '{4}', '{"epochs": 1}'))->'features' AS features;

DROP TABLE pts, tf_models, scalars, scalars_model, arrays, arrays_model, src_models, "My Points";
DROP VIEW pts_view;
DROP SCHEMA nn_src CASCADE;
