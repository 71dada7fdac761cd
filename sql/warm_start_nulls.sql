-- nn_continue with a NULL model or source: handled (an error or a NULL
-- result), never a crash.  This file sorts last on purpose: a backend
-- crash here (it happened) puts the server into recovery, which would fail
-- the connections of the tests that follow.

CREATE TABLE wn_rows AS SELECT i::real AS x, (i % 2) AS y FROM generate_series(1, 20) i;
CREATE TABLE wn_model AS SELECT nn_train('wn_rows', 'y', NULL, '{4}', '{"epochs": 1}') AS m;

CREATE FUNCTION wn_outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r bytea;
BEGIN
    EXECUTE q INTO r;
    RETURN CASE WHEN r IS NULL THEN 'handled' ELSE 'returned a model' END;
EXCEPTION WHEN OTHERS THEN
    RETURN 'handled';
END
$$;
SELECT wn_outcome('SELECT nn_continue(NULL, ''wn_rows'')') AS null_model;
SELECT wn_outcome('SELECT nn_continue(m, NULL) FROM wn_model') AS null_source;
SELECT wn_outcome('SELECT nn_continue(NULL, NULL, NULL)') AS all_null;

-- the session goes on
SELECT nn_info(nn_continue(m, 'wn_rows', '{"epochs": 1}'))->'epochs' AS epochs FROM wn_model;

DROP FUNCTION wn_outcome(text);
DROP TABLE wn_rows, wn_model;
