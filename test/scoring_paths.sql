-- pg_temp.scoring_paths(models, source, x, y, id, named, catalog_name):
-- whether every scoring path gives each row of source the same class, for
-- each model of table models (columns name, m): per row on the real[]
-- column x (value, class, probabilities), whole-row, window, batch (over
-- the rows in id order; ids run from 1), and, for the model called named,
-- by its catalog name; and whether nn_evaluate counts the rows whose class
-- is y as the per-row scores do.  One row per model: its rows, the rows
-- on which all paths agree, evaluate_agrees, and same_proba (the per-row
-- and whole-row probabilities within 1e-6).  Two classes.  Included by
-- sql/cnn.sql and sql/rnn.sql (\i :abs_srcdir/test/scoring_paths.sql
-- after \getenv abs_srcdir PG_ABS_SRCDIR).
CREATE FUNCTION pg_temp.scoring_paths(models text, source text, x text, y text, id text,
                                      named text, catalog_name text)
RETURNS TABLE (name text, rows bigint, agree bigint, evaluate_agrees boolean, same_proba boolean)
LANGUAGE plpgsql AS $fn$
BEGIN
    RETURN QUERY EXECUTE format($q$
WITH k AS (SELECT name, m, ARRAY(SELECT jsonb_array_elements_text(nn_info(m)->'classes')) AS labels,
                  nn_predict_batch(m, ARRAY(SELECT %3$I FROM %2$I ORDER BY %5$I)) AS batch,
                  (nn_evaluate(m, %2$L)->>'accuracy')::float8 AS accuracy
           FROM %1$I),
s AS (SELECT k.name, t.%4$I AS label, k.labels, k.accuracy, k.batch[t.%5$I] AS batch_idx,
             nn_predict_class(m, t.%3$I) AS cls, nn_predict(m, t.%3$I) AS idx,
             nn_predict_proba(m, t.%3$I) AS proba,
             nn_predict_class_row(m, t) AS row_cls,
             nn_predict_proba_row(m, t) AS row_proba,
             nn_predict_class_window(m, t.%3$I) OVER (PARTITION BY k.name) AS win_cls,
             CASE WHEN k.name = %6$L THEN nn_predict_class(%7$L, t.%3$I) END AS named_cls
      FROM %2$I t, k)
SELECT name, count(*) AS rows,
       count(*) FILTER (WHERE cls = labels[idx::int + 1] AND cls = labels[batch_idx::int + 1]
                        AND cls = labels[CASE WHEN proba[1] >= proba[2] THEN 1 ELSE 2 END]
                        AND cls = row_cls AND cls = win_cls AND cls = coalesce(named_cls, cls)) AS agree,
       count(*) FILTER (WHERE cls = label) = round(min(accuracy) * count(*)) AS evaluate_agrees,
       max(greatest(abs(proba[1] - row_proba[1]), abs(proba[2] - row_proba[2]))) < 1e-6 AS same_proba
FROM s GROUP BY name$q$, models, source, x, y, id, named, catalog_name);
END
$fn$;
