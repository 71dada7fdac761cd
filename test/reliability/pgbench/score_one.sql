-- 50 consecutive rows scored with one model (by nn_predict, and for a
-- classifier nn_predict_class and nn_predict_proba too), compared with the
-- scores one client computed before the run.  A mismatch, or a row missing,
-- divides by zero, so the transaction fails and pgbench reports it.
\set m random(1, 4)
\set lo random(1, :rows - 200)
SELECT 1 / (count(*) = 50 AND count(*) FILTER (WHERE
           nn_predict(m.m, s.features) IS DISTINCT FROM s.expected
        OR CASE WHEN m.is_classifier
                THEN nn_predict_class(m.m, s.features) IS DISTINCT FROM s.expected_label
                  OR nn_predict_proba(m.m, s.features) IS DISTINCT FROM s.expected_proba
                ELSE false END) = 0)::int AS ok
FROM conc_score_rows s JOIN conc_models m ON m.id = s.model_id
WHERE s.model_id = :m AND s.id BETWEEN :lo AND :lo + 199;
