-- nn_train errors from the source, the columns and the data.

CREATE TABLE et AS
SELECT i::real AS x, (i * 2)::real AS "X", (i % 2) AS y, (i % 3)::text AS "Label",
       now() AS ts, 'x'::text AS txt, ARRAY[i, i]::int[] AS iarr, ARRAY[i, 1]::real[] AS rarr
FROM generate_series(1, 20) i;
CREATE TABLE keep_me (id int);
INSERT INTO keep_me VALUES (1), (2);

-- missing relation; a name in SQL syntax
SELECT nn_train('no_such_table', 'y');
SELECT nn_train('no_such_schema.et', 'y');
SELECT nn_train('public.no_such_table', 'y');
SELECT nn_train('"ET"', 'y');
SELECT nn_train('et et', 'y');
SELECT nn_train('', 'y');

-- missing columns: names are exact and case-sensitive
SELECT nn_train('et', 'Y');
SELECT nn_train('et', 'label');
SELECT nn_train('et', '"Label"');
SELECT nn_train('et', 'y', ARRAY['x', 'nope']);
SELECT nn_train('et', 'y', ARRAY['x', 'x ']);
SELECT nn_train('et', 'y', ARRAY['"X"']);
-- but the right case works
SELECT nn_info(nn_train('et', 'Label', ARRAY['X', 'x'], '{}', '{"epochs": 1}'))->'features' AS features;

-- target listed as a feature; a feature listed twice; NULL names; none
SELECT nn_train('et', 'y', ARRAY['x', 'y']);
SELECT nn_train('et', 'y', ARRAY['x', 'X', 'x']);
SELECT nn_train('et', 'y', ARRAY['x', NULL]);
SELECT nn_train('et', 'y', ARRAY[]::text[]);
SELECT nn_train('SELECT 1 AS y', 'y');
-- a column name that the source has twice
SELECT nn_train('SELECT 1 AS y, x, x FROM et', 'y', ARRAY['x']);
SELECT nn_train('SELECT y, y, x FROM et', 'y', ARRAY['x']);

-- unsupported types
SELECT nn_train('et', 'y', ARRAY['ts']);
-- text columns are categorical features (one-hot)
SELECT length(nn_train('et', 'y', ARRAY['txt'], '{}', '{"epochs": 1}')) > 0 AS text_is_categorical;
SELECT nn_train('et', 'y', ARRAY['iarr']);
SELECT nn_train('et', 'y');
SELECT nn_train('et', 'ts', ARRAY['x']);
SELECT nn_train('et', 'rarr', ARRAY['x']);
SELECT nn_train('SELECT x, x::money AS y FROM et', 'y');

-- a source cannot run a second statement: the query ends up inside a
-- subquery, so a ';' is a syntax error and keep_me survives
SELECT nn_train('SELECT 1 AS y, 2 AS x; DROP TABLE keep_me', 'y');
SELECT nn_train('SELECT 1 AS y, 2 AS x; DELETE FROM keep_me', 'y');
SELECT nn_train('SELECT 1 AS y, 2 AS x;; SELECT 1', 'y');
SELECT count(*) AS keep_me_rows FROM keep_me;
-- nor modify data through WITH
SELECT nn_train('WITH d AS (DELETE FROM keep_me RETURNING id AS y, id AS x) SELECT * FROM d', 'y');
SELECT nn_train('WITH d AS (INSERT INTO keep_me VALUES (3) RETURNING id AS y, id AS x) SELECT * FROM d', 'y');
SELECT nn_train('WITH d AS (UPDATE keep_me SET id = id + 10 RETURNING id AS y, id AS x) SELECT * FROM d', 'y');
SELECT count(*) AS keep_me_rows, sum(id) AS keep_me_sum FROM keep_me;
-- breaking out of the subquery does not help: the source runs read-only
SELECT nn_train('SELECT 1 AS y, 2 AS x) s; DROP TABLE keep_me; SELECT (1', 'y');
SELECT nn_train('SELECT 1 AS y, 2 AS x) s; DELETE FROM keep_me; SELECT (1', 'y');
SELECT count(*) AS keep_me_rows FROM keep_me;
-- a query starts with SELECT, WITH, TABLE or VALUES; anything else is a name
SELECT nn_info(nn_train('VALUES (1::real, 0), (2, 1), (3, 0)', 'column2', NULL, '{}',
                        '{"epochs": 1}'))->'features' AS values_source;
SELECT nn_info(nn_train('TABLE et', 'y', '{x}', '{}', '{"epochs": 1}'))->'rows_trained' AS table_source;
SELECT nn_train('DELETE FROM keep_me', 'y');
SELECT nn_train('TABLE et; DELETE FROM keep_me', 'y');
SELECT count(*) AS keep_me_rows FROM keep_me;
-- an error inside the query
SELECT nn_train('SELECT x, y FROM et WHERE', 'y');
SELECT nn_train('SELECT x, 1 / (y - y) AS y FROM et', 'y');

-- NULLs: rows with a NULL target or feature are skipped, with a NOTICE
SELECT nn_info(nn_train('SELECT x, CASE WHEN x > 5 THEN y END AS y FROM et', 'y', NULL, '{}',
                        '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SELECT nn_info(nn_train('SELECT CASE WHEN x::int % 4 <> 0 THEN x END AS x, "X", y FROM et', 'y', NULL, '{}',
                        '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SELECT nn_info(nn_train('SELECT CASE WHEN x = 3 THEN ARRAY[x, NULL] ELSE ARRAY[x, x] END AS a, y FROM et',
                        'y', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SELECT nn_info(nn_train('SELECT CASE WHEN x = 3 THEN NULL ELSE ARRAY[x, x] END AS a, y FROM et',
                        'y', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
-- the array length comes from the first row kept: a skipped row with a
-- NULL element does not set it
SELECT nn_info(nn_train('SELECT CASE WHEN x = 1 THEN ARRAY[x, NULL, x] ELSE ARRAY[x, x] END AS a, y FROM et',
                        'y', NULL, '{}', '{"epochs": 1}'))->'feature_widths' AS widths;
-- a NULL in a column that is not used does not skip the row
SELECT nn_info(nn_train('SELECT x, y, NULL::text AS unused FROM et', 'y', ARRAY['x'], '{}',
                        '{"epochs": 1}'))->'rows_trained' AS rows_trained;
-- no rows left, or none at all
SELECT nn_train('SELECT x, NULL::int AS y FROM et', 'y');
SELECT nn_train('SELECT NULL::real AS x, y FROM et', 'y');
SELECT nn_train('SELECT x, y FROM et WHERE false', 'y');
-- one class only
SELECT nn_train('SELECT x, 1 AS y FROM et', 'y');
SELECT nn_train('SELECT x, CASE WHEN x > 10 THEN y END AS y FROM et WHERE x > 10 AND y = 1', 'y');

-- NaN and infinity in features and targets
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ''NaN''::real ELSE x END AS x, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ''Infinity''::float8 ELSE x END AS x, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ''-Infinity''::float8 ELSE x END AS x, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ''NaN''::numeric ELSE x::numeric END AS x, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN 1e300::float8 ELSE x END AS x, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[1, ''NaN'']::real[] ELSE ARRAY[x, x] END AS a, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[1, ''Infinity'']::float8[] ELSE ARRAY[x, x] END AS a, y FROM et', 'y');
SELECT nn_train('SELECT x, CASE WHEN x = 7 THEN ''NaN''::float8 ELSE x END AS t FROM et', 't');
SELECT nn_train('SELECT x, CASE WHEN x = 7 THEN ''Infinity''::real ELSE x END AS t FROM et', 't');
SELECT nn_train('SELECT x, CASE WHEN x = 7 THEN ''NaN''::numeric ELSE x::numeric END AS t FROM et', 't');

-- arrays of the wrong length, 2-D and empty arrays
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[x, x, x] ELSE ARRAY[x, x] END AS a, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[x] ELSE ARRAY[x, x] END::float8[] AS feats, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ''{}''::real[] ELSE ARRAY[x, x] END AS a, y FROM et', 'y');
SELECT nn_train('SELECT ARRAY[[x, x], [x, x]] AS a, y FROM et', 'y');
SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[[x, x]] ELSE ARRAY[x, x] END AS a, y FROM et', 'y');
SELECT nn_train('SELECT ''{}''::real[] AS a, y FROM et', 'y');

-- rows beyond nn.train_memory: 3000 rows of 100 inputs (408 bytes each)
-- need more than 1 MB, 2000 rows fit; the rest stream through in chunks
SET nn.train_memory = '1MB';
SELECT nn_info(nn_train('SELECT array_fill(i::real, ARRAY[100]) AS a, i % 2 AS y FROM generate_series(1, 3000) i',
                        'y', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained_streamed;
SELECT nn_info(nn_train('SELECT array_fill(i::real, ARRAY[100]) AS a, i % 2 AS y FROM generate_series(1, 2000) i',
                        'y', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SET nn.train_memory = 0;
RESET nn.train_memory;

-- a diverging run is an error, not a model full of NaN
SELECT nn_train('SELECT x * 1e30 AS x, y FROM et', 'y', NULL, '{}',
                '{"standardize": false, "optimizer": "sgd", "learning_rate": 1e30, "batch_size": 1}');

-- the session goes on, and keep_me is intact
SELECT nn_info(nn_train('et', 'y', ARRAY['x'], '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained;
SELECT count(*) AS keep_me_rows, sum(id) AS keep_me_sum FROM keep_me;

-- The SQLSTATE of each error class (README, Errors): each statement runs in
-- a subtransaction that catches its error and returns the code and message.
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/test/error_of.sql
\set ECHO all
CREATE TABLE et_models AS
SELECT nn_train('SELECT ARRAY[x, x] AS a, y FROM et', 'y', NULL, '{}', '{"epochs": 1}') AS m;
SET nn.train_memory = '1MB';
SELECT c.what, e.code, e.message
FROM (VALUES
    (1, 'no such table', $$SELECT nn_train('no_such_table', 'y')$$),
    (2, 'neither a name nor a query', $$SELECT nn_train('et et', 'y')$$),
    (3, 'no such column', $$SELECT nn_train('et', 'Y')$$),
    (4, 'a column twice in the source', $$SELECT nn_train('SELECT 1 AS y, x, x FROM et', 'y', ARRAY['x'])$$),
    (5, 'a feature listed twice', $$SELECT nn_train('et', 'y', ARRAY['x', 'X', 'x'])$$),
    (6, 'a feature of the wrong type', $$SELECT nn_train('et', 'y', ARRAY['ts'])$$),
    (7, 'the target as a feature', $$SELECT nn_train('et', 'y', ARRAY['x', 'y'])$$),
    (8, 'a NULL source', $$SELECT nn_train(NULL, 'y')$$),
    (9, 'a NULL feature under impute error', $$SELECT nn_train('SELECT CASE WHEN x > 5 THEN x END AS x, y FROM et', 'y', NULL, '{}', '{"impute": "error"}')$$),
    (10, 'a NaN feature', $$SELECT nn_train('SELECT CASE WHEN x = 7 THEN ''NaN''::real ELSE x END AS x, y FROM et', 'y')$$),
    (11, 'a feature beyond real', $$SELECT nn_train('SELECT CASE WHEN x = 7 THEN 1e300::float8 ELSE x END AS x, y FROM et', 'y')$$),
    (12, 'an infinite array element', $$SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[1, ''Infinity'']::float8[] ELSE ARRAY[x, x] END AS a, y FROM et', 'y')$$),
    (13, 'an infinite target', $$SELECT nn_train('SELECT x, CASE WHEN x = 7 THEN ''Infinity''::real ELSE x END AS t FROM et', 't')$$),
    (14, 'a diverging run', $$SELECT nn_train('SELECT x * 1e30 AS x, y FROM et', 'y', NULL, '{}', '{"standardize": false, "optimizer": "sgd", "learning_rate": 1e30, "batch_size": 1}')$$),
    (15, 'arrays of different lengths', $$SELECT nn_train('SELECT CASE WHEN x = 7 THEN ARRAY[x, x, x] ELSE ARRAY[x, x] END AS a, y FROM et', 'y')$$),
    (16, 'a 2-D array', $$SELECT nn_train('SELECT ARRAY[[x, x], [x, x]] AS a, y FROM et', 'y')$$),
    (17, 'an empty array', $$SELECT nn_train('SELECT ''{}''::real[] AS a, y FROM et', 'y')$$),
    (18, 'nn_continue: an array of another length', $$SELECT nn_continue(m, 'SELECT ARRAY[x, x, x] AS a, y FROM et') FROM et_models$$),
    (19, 'no training rows', $$SELECT nn_train('SELECT x, y FROM et WHERE false', 'y')$$),
    (20, 'one class only', $$SELECT nn_train('SELECT x, 1 AS y FROM et', 'y')$$),
    (21, 'a minibatch beyond nn.train_memory', $$SELECT nn_fit(nn_init(1, '{2048}', 1, '{"batch_size": 65536}'), ARRAY[i::real], i::real) FROM generate_series(1, 10) i$$)
) c(n, what, query), LATERAL pg_temp.error_of(c.query) e
ORDER BY c.n;
RESET nn.train_memory;
DROP TABLE et_models;

DROP TABLE et, keep_me;

-- a minibatch's workspace counts against nn.train_memory before allocating
SET nn.train_memory = '1MB';
SELECT nn_fit(nn_init(1, '{2048}', 1, '{"batch_size": 65536}'), ARRAY[i::real], i::real) FROM generate_series(1, 10) i;
RESET nn.train_memory;
