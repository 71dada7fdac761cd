-- Data an installation of nn carries through ALTER EXTENSION nn UPDATE, for
-- test/reliability/upgrade.sh.  Run twice in one database, each time in a new
-- session (no backend cache survives from one step to the other):
--
--   psql -v step=before -v v=1.1 -f upgrade_data.sql   at the old version v
--   psql -v step=after -At -f upgrade_data.sql         after the update
--
-- before: trains models with the functions version v has (nn_train,
-- nn_continue, nn_fit over nn_init), stores them in a user table and, from
-- 1.1 on, registers them in nn_models (four names, seven versions, three
-- names with a deployed version, one with none: its deployed version was
-- dropped); then records every column of every nn_models row, the md5 of
-- every stored model, and the result of each scoring check (by value, and
-- from 1.1 on by name: each version's own functions) as text.  float8 and
-- real print the shortest text that reads back as the same bits, so equal
-- text is equal values.
-- after: records the same again and prints one line per check, "PASS ..." or
-- "FAIL ...", the FAIL lines naming the row and column or check and both
-- values.  Columns an update adds to nn_models are left to the comparison of
-- objects; every column there was before must keep its value.
\set ON_ERROR_STOP 1
SELECT :'step' = 'before' AS is_before,
       to_regclass('nn_models') IS NOT NULL AS has_catalog
\gset

\if :is_before
SELECT string_to_array(:'v', '.')::int[] >= '{1,1}' AS v11,
       string_to_array(:'v', '.')::int[] >= '{1,2}' AS v12
\gset

-- ------------------------------------------------------------ training data
CREATE TABLE up_points AS
SELECT i AS id,
       ARRAY[sin(i), cos(i * 0.7), (i % 7) / 7.0]::real[] AS x,
       (ARRAY['ant', 'bee', 'cat'])[1 + i % 3] AS label,
       (sin(i) * 2 + (i % 7) / 7.0)::real AS y,
       (ARRAY['red', 'green'])[1 + i % 2] AS colour
FROM generate_series(1, 120) i;

-- ------------------------------------------------------------ models in a user table
CREATE TABLE up_user_models (what text PRIMARY KEY, model bytea NOT NULL);
INSERT INTO up_user_models VALUES
    ('classifier', nn_train('SELECT x, label FROM up_points', 'label', '{x}', '{8}',
                            '{"epochs": 3, "seed": 1}')),
    ('classifier2', nn_train('SELECT x, label FROM up_points', 'label', '{x}', '{6,4}',
                             '{"epochs": 2, "seed": 2, "optimizer": "sgd"}')),
    ('regressor', nn_train('SELECT x, y FROM up_points', 'y', '{x}', '{8}',
                           '{"epochs": 4, "seed": 3, "validation_fraction": 0.25}')),
    ('untrained', nn_init(3, '{4}', 3, '{"seed": 7}'));
INSERT INTO up_user_models
SELECT 'continued', nn_continue(model, 'SELECT x, y FROM up_points', '{"epochs": 2}')
FROM up_user_models WHERE what = 'regressor';
INSERT INTO up_user_models
SELECT 'fit', nn_fit(nn_init(3, '{4}', 1, '{"seed": 5}'), x, y ORDER BY id) FROM up_points;
\if :v11
-- a text feature (model format 2), scored with the 1.1 whole-row functions
INSERT INTO up_user_models
VALUES ('mixed', nn_train('SELECT x, colour, label FROM up_points', 'label', '{x,colour}',
                          '{8}', '{"epochs": 3, "seed": 4}'));
\endif

-- ------------------------------------------------------------ the catalog (1.1)
\if :v11
SELECT nn_register('up_class', model) FROM up_user_models WHERE what = 'classifier';
SELECT nn_register('up_class', model, '{"auc": 0.91, "note": "set by hand"}', 'retrained')
FROM up_user_models WHERE what = 'classifier2';
SELECT nn_register('up_class', nn_continue(model, 'SELECT x, label FROM up_points', '{"epochs": 1}'),
                   description => '')
FROM up_user_models WHERE what = 'classifier';
SELECT nn_deploy('up_class', 2);
SELECT nn_register('up_reg', model, description => 'first') FROM up_user_models WHERE what = 'regressor';
SELECT nn_register('up_reg', model) FROM up_user_models WHERE what = 'continued';
SELECT nn_register('up_mixed', model) FROM up_user_models WHERE what = 'mixed';
-- none deployed: version 1 was, and is dropped
SELECT nn_register('up retired "ü"', model) FROM up_user_models WHERE what = 'fit';
SELECT nn_register('up retired "ü"', model) FROM up_user_models WHERE what = 'regressor';
SELECT nn_drop_model('up retired "ü"', 1);
DO $$
BEGIN
    IF (SELECT count(*) FROM nn_models) <> 7
       OR (SELECT count(*) FROM nn_models WHERE deployed) <> 3
       OR NOT (SELECT deployed FROM nn_models WHERE name = 'up_class' AND version = 2) THEN
        RAISE EXCEPTION 'the catalog is not as registered: %',
            (SELECT string_agg(format('%s v%s deployed=%s', name, version, deployed), ', ')
             FROM nn_models);
    END IF;
END
$$;
\endif

-- ------------------------------------------------------------ scoring checks
-- One query per check, each giving one text value; an error is recorded as
-- its SQLSTATE and message (so a check expected to fail must fail the same).
CREATE TABLE up_checks (check_name text PRIMARY KEY, kind text NOT NULL, query text NOT NULL,
                        expect_error boolean NOT NULL DEFAULT false);
CREATE FUNCTION up_eval(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE query INTO result;
    RETURN coalesce(result, 'NULL');
EXCEPTION WHEN OTHERS THEN
    RETURN format('ERROR %s: %s', SQLSTATE, SQLERRM);
END
$$;
CREATE FUNCTION up_short(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN length(value) > 70 THEN left(value, 50) || '... (md5 ' || md5(value) || ')'
                ELSE value END
$$;

-- by value, in every version: each function over 20 rows, on each model of
-- numeric features it applies to
INSERT INTO up_checks (check_name, kind, query)
SELECT format('%s(%s)', f.fn, m.what), 'value', format(f.query, m.what)
FROM up_user_models m,
     LATERAL (SELECT nn_info(m.model) ->> 'task' AS task) i,
     (VALUES
        ('nn_predict', 'any', $q$SELECT string_agg(nn_predict(m.model, p.x)::text, ' ' ORDER BY p.id)
            FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20$q$),
        ('nn_predict_class', 'classification', $q$SELECT string_agg(nn_predict_class(m.model, p.x), ' ' ORDER BY p.id)
            FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20$q$),
        ('nn_predict_proba', 'classification', $q$SELECT string_agg(nn_predict_proba(m.model, p.x)::text, ' ' ORDER BY p.id)
            FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20$q$),
        ('nn_predict_batch', 'any', $q$SELECT nn_predict_batch(m.model, (SELECT array_agg(x ORDER BY id) FROM up_points WHERE id <= 20))::text
            FROM up_user_models m WHERE m.what = %L$q$),
        ('nn_info', 'any', $q$SELECT nn_info(m.model)::text FROM up_user_models m WHERE m.what = %L$q$)
     ) f(fn, task, query)
WHERE m.what <> 'mixed' AND f.task IN ('any', i.task);

\if :v11
-- whole rows and evaluation by value (1.1)
INSERT INTO up_checks (check_name, kind, query)
SELECT format('%s(%s)', f.fn, m.what), 'value', format(f.query, m.what)
FROM up_user_models m,
     LATERAL (SELECT nn_info(m.model) ->> 'task' AS task,
                     nn_info(m.model) -> 'features' <> '[]' AS named) i,
     (VALUES
        ('nn_predict_row', 'any', $q$SELECT string_agg(nn_predict_row(m.model, p)::text, ' ' ORDER BY p.id)
            FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20$q$),
        ('nn_predict_class_row', 'classification', $q$SELECT string_agg(nn_predict_class_row(m.model, p), ' ' ORDER BY p.id)
            FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20$q$),
        ('nn_predict_proba_row', 'classification', $q$SELECT string_agg(nn_predict_proba_row(m.model, p)::text, ' ' ORDER BY p.id)
            FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20$q$),
        ('nn_evaluate', 'trained', $q$SELECT nn_evaluate(m.model, 'SELECT * FROM up_points')::text
            FROM up_user_models m WHERE m.what = %L$q$)
     ) f(fn, task, query)
-- a model from nn_init names no columns: whole rows need a trained one
WHERE i.named AND (f.task IN ('any', 'trained', i.task));

-- by name (1.1): each name's deployed version, and each version's bytes
INSERT INTO up_checks (check_name, kind, query, expect_error)
SELECT format('%s(%s)', f.fn, quote_literal(n.name)), 'name', format(f.query, n.name),
       NOT n.has_deployed
FROM (SELECT name, bool_or(deployed) AS has_deployed,
             nn_info((array_agg(model ORDER BY version))[1]) ->> 'task' AS task,
             jsonb_array_length(nn_info((array_agg(model ORDER BY version))[1]) -> 'features') AS n_features
      FROM nn_models GROUP BY name) n,
     (VALUES
        ('nn_predict', 'any', $q$SELECT string_agg(nn_predict(%L::text, x)::text, ' ' ORDER BY id) FROM up_points WHERE id <= 20$q$),
        ('nn_predict_class', 'classification', $q$SELECT string_agg(nn_predict_class(%L::text, x), ' ' ORDER BY id) FROM up_points WHERE id <= 20$q$),
        ('nn_predict_proba', 'classification', $q$SELECT string_agg(nn_predict_proba(%L::text, x)::text, ' ' ORDER BY id) FROM up_points WHERE id <= 20$q$),
        ('nn_predict_batch', 'any', $q$SELECT nn_predict_batch(%L::text, (SELECT array_agg(x ORDER BY id) FROM up_points WHERE id <= 20))::text$q$),
        ('nn_predict_row', 'row', $q$SELECT string_agg(nn_predict_row(%L::text, p)::text, ' ' ORDER BY id) FROM up_points p WHERE id <= 20$q$),
        ('nn_predict_class_row', 'classification row', $q$SELECT string_agg(nn_predict_class_row(%L::text, p), ' ' ORDER BY id) FROM up_points p WHERE id <= 20$q$),
        ('nn_predict_proba_row', 'classification row', $q$SELECT string_agg(nn_predict_proba_row(%L::text, p)::text, ' ' ORDER BY id) FROM up_points p WHERE id <= 20$q$),
        ('nn_model', 'row', $q$SELECT md5(nn_model(%L))$q$)
     ) f(fn, task, query)
-- real[] scoring needs a model of one array feature; rows take any
WHERE (f.task = 'any' AND n.n_features = 1) OR (f.task = 'row')
   OR (f.task = 'classification' AND n.task = 'classification' AND n.n_features = 1)
   OR (f.task = 'classification row' AND n.task = 'classification');
INSERT INTO up_checks (check_name, kind, query)
SELECT format('nn_model(%L, %s)', name, version), 'name',
       format($q$SELECT md5(nn_model(%L, %s))$q$, name, version)
FROM nn_models;
-- (created_at is left to the catalog check, which sees every column)
INSERT INTO up_checks (check_name, kind, query)
VALUES ('nn_list_models()', 'name',
        $q$SELECT string_agg(format('%s v%s deployed=%s task=%s n_inputs=%s bytes=%s metrics=%s by=%s description=%s',
                                    l.name, l.version, l.deployed, l.task, l.n_inputs, l.bytes, l.metrics,
                                    l.created_by, l.description), E'\n' ORDER BY l.name, l.version)
            FROM nn_list_models() l$q$);
\endif

\if :v12
-- the window functions (1.2), by value and by name
INSERT INTO up_checks (check_name, kind, query)
SELECT format('%s(%s)', f.fn, m.what), 'value', format(q.query, f.fn, m.what)
FROM up_user_models m,
     LATERAL (SELECT nn_info(m.model) ->> 'task' AS task) i,
     (VALUES ('nn_predict_window', 'any'), ('nn_predict_class_window', 'classification'),
             ('nn_predict_proba_window', 'classification')) f(fn, task),
     LATERAL (SELECT $q$SELECT string_agg(s, ' ' ORDER BY id) FROM (
                  SELECT p.id, (%s(m.model, p.x) OVER (ORDER BY p.id))::text AS s
                  FROM up_user_models m, up_points p WHERE m.what = %L AND p.id <= 20) w$q$ AS query) q
WHERE m.what <> 'mixed' AND f.task IN ('any', i.task);
INSERT INTO up_checks (check_name, kind, query, expect_error)
SELECT format('%s(%L)', f.fn, n.name), 'name', format(q.query, f.fn, n.name), NOT n.has_deployed
FROM (SELECT name, bool_or(deployed) AS has_deployed,
             nn_info((array_agg(model ORDER BY version))[1]) ->> 'task' AS task
      FROM nn_models WHERE name <> 'up_mixed' GROUP BY name) n,
     (VALUES ('nn_predict_window', 'any'), ('nn_predict_class_window', 'classification'),
             ('nn_predict_proba_window', 'classification')) f(fn, task),
     LATERAL (SELECT $q$SELECT string_agg(s, ' ' ORDER BY id) FROM (
                  SELECT id, (%s(%L::text, x) OVER (ORDER BY id))::text AS s
                  FROM up_points WHERE id <= 20) w$q$ AS query) q
WHERE f.task IN ('any', n.task);
\endif

-- what is recorded at each step
CREATE TABLE up_scores (step text, check_name text, value text, PRIMARY KEY (step, check_name));
CREATE TABLE up_bytes (step text, what text, md5 text, bytes int, PRIMARY KEY (step, what));
CREATE TABLE up_catalog (step text, key text, col text, value text, PRIMARY KEY (step, key, col));
\endif

-- ------------------------------------------------------------ record (both steps)
INSERT INTO up_scores SELECT :'step', check_name, up_eval(query) FROM up_checks;
INSERT INTO up_bytes SELECT :'step', what, md5(model), octet_length(model) FROM up_user_models;
\if :has_catalog
-- every column of every row, as the text of its JSON value (bytea in hex,
-- timestamptz to the microsecond)
INSERT INTO up_catalog
SELECT :'step', format('%s v%s', to_jsonb(m) ->> 'name', to_jsonb(m) ->> 'version'), j.key, j.value::text
FROM nn_models m, jsonb_each(to_jsonb(m)) j;
\endif

\if :is_before
\quit
\endif

-- ------------------------------------------------------------ compare (after)
-- a model scored before must score the same; errors only where expected
WITH b AS (SELECT * FROM up_scores WHERE step = 'before'),
     a AS (SELECT * FROM up_scores WHERE step = 'after'),
     failures AS (
        SELECT format('FAIL score %s: before the update %s, after %s', c.check_name,
                      up_short(b.value), up_short(a.value)) AS line
        FROM up_checks c JOIN b USING (check_name) JOIN a USING (check_name)
        WHERE a.value IS DISTINCT FROM b.value
        UNION ALL
        SELECT format('FAIL score %s: %s before the update', c.check_name,
                      CASE WHEN c.expect_error THEN 'expected an error, got ' || up_short(b.value)
                           ELSE 'failed: ' || up_short(b.value) END)
        FROM up_checks c JOIN b USING (check_name)
        WHERE (b.value LIKE 'ERROR %') <> c.expect_error)
(SELECT line FROM failures ORDER BY line)
UNION ALL
SELECT format('PASS scores: %s checks (%s by value, %s by name; %s errors as expected) give the values recorded before the update',
              count(*), count(*) FILTER (WHERE kind = 'value'), count(*) FILTER (WHERE kind = 'name'),
              count(*) FILTER (WHERE expect_error))
FROM up_checks
HAVING count(*) > 0 AND NOT EXISTS (SELECT FROM failures);

-- the models of the user table: the same bytes
WITH failures AS (
    SELECT format('FAIL user table: model %s was %s bytes md5 %s, now %s bytes md5 %s',
                  coalesce(b.what, a.what), b.bytes, b.md5, a.bytes, a.md5) AS line
    FROM (SELECT * FROM up_bytes WHERE step = 'before') b
    FULL JOIN (SELECT * FROM up_bytes WHERE step = 'after') a USING (what)
    WHERE (b.md5, b.bytes) IS DISTINCT FROM (a.md5, a.bytes))
(SELECT line FROM failures ORDER BY line)
UNION ALL
SELECT format('PASS user table: %s models byte-identical (md5)', count(*))
FROM up_bytes WHERE step = 'before'
HAVING count(*) > 0 AND NOT EXISTS (SELECT FROM failures);

-- nn_models: no row lost, none added, no column of a row changed
WITH b AS (SELECT * FROM up_catalog WHERE step = 'before'),
     a AS (SELECT * FROM up_catalog WHERE step = 'after'),
     failures AS (
        SELECT format('FAIL nn_models: row %s lost in the update (deployed=%s)', key,
                      (SELECT value FROM b b2 WHERE b2.key = b.key AND b2.col = 'deployed')) AS line
        FROM (SELECT DISTINCT key FROM b) b WHERE NOT EXISTS (SELECT FROM a WHERE a.key = b.key)
        UNION ALL
        SELECT format('FAIL nn_models: row %s appeared in the update', key)
        FROM (SELECT DISTINCT key FROM a) a WHERE NOT EXISTS (SELECT FROM b WHERE b.key = a.key)
        UNION ALL
        SELECT format('FAIL nn_models: row %s, column %s: before the update %s, after %s',
                      b.key, b.col, up_short(b.value), coalesce(up_short(a.value), '(no such column)'))
        FROM b LEFT JOIN a USING (key, col)
        WHERE EXISTS (SELECT FROM a a2 WHERE a2.key = b.key) AND a.value IS DISTINCT FROM b.value)
(SELECT line FROM failures ORDER BY line)
UNION ALL
SELECT CASE WHEN count(*) = 0 THEN 'PASS nn_models: empty before the update (no catalog before 1.1) and after'
            ELSE format('PASS nn_models: all %s rows (%s names, %s deployed) unchanged in each of %s columns',
                        count(DISTINCT key), count(DISTINCT value) FILTER (WHERE col = 'name'),
                        count(*) FILTER (WHERE col = 'deployed' AND value = 'true'),
                        count(DISTINCT col)) END
FROM b
HAVING NOT EXISTS (SELECT FROM failures);
