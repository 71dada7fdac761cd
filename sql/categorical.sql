-- Categorical (text) features, one-hot with the categories stored in the
-- model, and options.impute for NULL features.
SET client_min_messages = notice;
CREATE TABLE shop AS
SELECT i,
       (ARRAY['red', 'green', 'blue'])[1 + i % 3] AS color,
       (ARRAY['S', 'M', 'L', 'XL'])[1 + (i / 3) % 4]::varchar(4) AS size,
       (CASE WHEN i % 5 = 0 THEN 'x' ELSE 'y' END)::char(3) AS code,
       (i % 7)::real AS qty,
       (i % 2 = 0) AS member,
       CASE WHEN i % 3 = 0 THEN 'buy' ELSE 'skip' END AS outcome
FROM generate_series(1, 240) i;

CREATE TABLE cat_models (name text PRIMARY KEY, m bytea);
INSERT INTO cat_models
SELECT 'shop', nn_train('shop', 'outcome', '{color,size,code,qty,member}', '{8}',
                        '{"epochs": 40, "seed": 1, "learning_rate": 0.05}');

-- categories sorted in byte order (char(n) without its padding), one input each
SELECT nn_info(m)->'categories' AS categories,
       nn_info(m)->'feature_widths' AS widths,
       nn_info(m)->'inputs' AS inputs,
       nn_info(m)->'format_version' AS format_version,
       nn_info(m)->'impute' AS impute
FROM cat_models WHERE name = 'shop';

-- the colour decides the outcome, and the model learned it
SELECT avg((nn_predict_class_row(m, s) = outcome)::int) AS accuracy
FROM shop s, cat_models WHERE name = 'shop';

-- a real[] for such a model holds the encoded inputs: the same scores
SELECT count(*) AS rows,
       count(*) FILTER (WHERE nn_predict_proba(m, ARRAY[(color = 'blue')::int, (color = 'green')::int,
                                                      (color = 'red')::int,
                                                      (size = 'L')::int, (size = 'M')::int,
                                                      (size = 'S')::int, (size = 'XL')::int,
                                                      (code = 'x')::int, (code = 'y')::int,
                                                      qty, member::int]::real[])
                             = nn_predict_proba_row(m, s)) AS same_scores
FROM shop s, cat_models WHERE name = 'shop';

-- a category the model never saw encodes as all zeros
SELECT nn_predict_proba_row(m, r) = nn_predict_proba(m, '{0,0,0, 0,1,0,0, 0,1, 3,1}') AS unseen_is_zeros
FROM cat_models, (SELECT 'purple'::text AS color, 'M'::text AS size, 'y' AS code,
                         3 AS qty, true AS member) r
WHERE name = 'shop';

-- a model that uses neither categories nor imputation keeps format version 1
SELECT nn_info(nn_train('shop', 'outcome', '{qty,member}', '{4}', '{"epochs": 1}'))->'format_version'
    AS numeric_only_version;

-- warm start keeps the categories; a text column must stay text
SELECT nn_info(nn_continue(m, 'shop', '{"epochs": 2}'))->'categories' =
       nn_info(m)->'categories' AS same_categories
FROM cat_models WHERE name = 'shop';
SELECT nn_continue(m, 'SELECT i AS color, size, code, qty, member, outcome FROM shop')
FROM cat_models WHERE name = 'shop';
-- new values in the source are unseen categories, not an error
SELECT nn_info(nn_continue(m, 'SELECT ''purple'' AS color, size, code, qty, member, outcome FROM shop',
                           '{"epochs": 1}'))->'epochs' AS epochs
FROM cat_models WHERE name = 'shop';

-- errors
SELECT nn_train('SELECT NULL::text AS c, outcome FROM shop', 'outcome', '{c}');
SELECT nn_train('SELECT i::text AS c, outcome FROM generate_series(1, 10001) i, (VALUES (''a''), (''b'')) v(outcome)',
                'outcome', '{c}');

-- ---------------------------------------------------------------- impute
CREATE TABLE gaps AS
SELECT i,
       CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 10)::real END AS a,
       ARRAY[(i % 3)::real, CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 7)::real END] AS arr,
       CASE WHEN i % 9 = 0 THEN NULL ELSE (ARRAY['p', 'q'])[1 + i % 2] END AS c,
       (i % 10 >= 5) AS y
FROM generate_series(1, 200) i;

-- skip (the default): rows with a NULL feature are left out
SELECT nn_info(nn_train('gaps', 'y', '{a,arr,c}', '{4}', '{"epochs": 1}'))->'rows_trained' AS skip_rows;
-- error
SELECT nn_train('gaps', 'y', '{a,arr,c}', '{4}', '{"epochs": 1, "impute": "error"}');
-- zero and mean keep every row
INSERT INTO cat_models
SELECT 'zero', nn_train('gaps', 'y', '{a,arr,c}', '{4}', '{"epochs": 20, "impute": "zero", "seed": 2}')
UNION ALL
SELECT 'mean', nn_train('gaps', 'y', '{a,arr,c}', '{4}', '{"epochs": 20, "impute": "mean", "seed": 2}')
UNION ALL
SELECT 'skip', nn_train('gaps', 'y', '{a,arr,c}', '{4}', '{"epochs": 20, "seed": 2}')
UNION ALL
SELECT 'error', nn_train('SELECT * FROM gaps WHERE a IS NOT NULL AND c IS NOT NULL AND arr[2] IS NOT NULL',
                         'y', '{a,arr,c}', '{4}', '{"epochs": 20, "impute": "error", "seed": 2}');
SELECT name, nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'impute' AS impute,
       nn_info(m)->'options'->'impute' AS recorded, nn_info(m)->'format_version' AS version
FROM cat_models WHERE name IN ('zero', 'mean', 'skip', 'error') ORDER BY name;

-- mean: the non-NULL values' means, per input (categories impute as zeros)
SELECT nn_info(m)->'impute_values' AS zero_values FROM cat_models WHERE name = 'zero';
SELECT round((nn_info(m)->'impute_values'->>0)::numeric, 4) = round(avg(a)::numeric, 4) AS a_mean,
       round((nn_info(m)->'impute_values'->>1)::numeric, 4) = round(avg(arr[1])::numeric, 4) AS arr1_mean,
       round((nn_info(m)->'impute_values'->>2)::numeric, 4) = round(avg(arr[2])::numeric, 4) AS arr2_mean
FROM gaps, cat_models WHERE name = 'mean' GROUP BY m;

-- scoring fills NULLs the same way, in arrays and in rows
SELECT nn_predict_proba(m, ARRAY[NULL, 1, NULL, 0, 1]::real[]) =
       nn_predict_proba(m, ARRAY[(nn_info(m)->'impute_values'->>0)::real, 1,
                                 (nn_info(m)->'impute_values'->>2)::real, 0, 1]) AS array_filled,
       nn_predict_proba_row(m, r) = nn_predict_proba(m, ARRAY[(nn_info(m)->'impute_values'->>0)::real, 1,
                                 (nn_info(m)->'impute_values'->>2)::real, 0, 0]) AS row_filled
FROM cat_models, (SELECT NULL::real AS a, ARRAY[1, NULL]::real[] AS arr, NULL::text AS c) r
WHERE name = 'mean';
-- skip: a row with a NULL feature has no prediction; an array with a NULL is an error
SELECT nn_predict_row(m, r) IS NULL AS no_prediction
FROM cat_models, (SELECT NULL::real AS a, ARRAY[1, 2]::real[] AS arr, 'p'::text AS c) r
WHERE name = 'skip';
SELECT nn_predict(m, ARRAY[NULL, 1, 2, 1, 0]::real[]) FROM cat_models WHERE name = 'skip';
-- error: an error at scoring too
SELECT nn_predict_row(m, r)
FROM cat_models, (SELECT 1::real AS a, ARRAY[1, NULL]::real[] AS arr, 'p'::text AS c) r
WHERE name = 'error';

-- streamed rows (beyond nn.train_memory) impute the same means
CREATE TABLE wide_gaps AS
SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 10)::real END AS a,
       array_fill((i % 3)::real, ARRAY[60]) AS pad, (i % 10 >= 5) AS y
FROM generate_series(1, 6000) i;
CREATE TABLE mean_models AS
SELECT 'memory' AS how, nn_train('wide_gaps', 'y', '{a,pad}', '{4}', '{"epochs": 1, "impute": "mean"}') AS m;
SET nn.train_memory = '1MB';
INSERT INTO mean_models
SELECT 'streamed', nn_train('wide_gaps', 'y', '{a,pad}', '{4}', '{"epochs": 1, "impute": "mean"}');
RESET nn.train_memory;
SELECT how, round((nn_info(m)->'impute_values'->>0)::numeric, 4) AS a_mean,
       nn_info(m)->'rows_trained' AS rows_trained
FROM mean_models ORDER BY how;

-- every truncation of a version 2 model is an error, never a crash
DO $$
DECLARE
    model bytea := (SELECT m FROM cat_models WHERE name = 'mean');
    failures int := 0;
BEGIN
    FOR n IN 0 .. length(model) - 1 LOOP
        BEGIN
            PERFORM nn_info(substr(model, 1, n));
        EXCEPTION WHEN data_corrupted OR program_limit_exceeded THEN
            failures := failures + 1;
        END;
    END LOOP;
    RAISE NOTICE 'truncations rejected: % of %', failures, length(model);
END
$$;
-- categories out of order are rejected: swap "p" and "q" in the stored bytes
SELECT nn_info(overlay(m PLACING '\x71'::bytea FROM position('\x0100000070'::bytea IN m) + 4 FOR 1))
FROM cat_models WHERE name = 'mean';
