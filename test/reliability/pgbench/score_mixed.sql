-- 40 consecutive rows whose model changes from row to row (model_id is
-- id % 4 + 1): the per-call-site model cache is replaced on every row, for
-- models stored in line and out of line (TOAST).  Compared with the scores
-- one client computed before the run; a mismatch, or a row missing, divides
-- by zero.
\set lo random(1, :rows - 40)
SELECT 1 / (count(*) = 40 AND count(*) FILTER (WHERE
           nn_predict(m.m, s.features) IS DISTINCT FROM s.expected
        OR CASE WHEN m.is_classifier
                THEN nn_predict_class(m.m, s.features) IS DISTINCT FROM s.expected_label
                ELSE false END) = 0)::int AS ok
FROM conc_score_rows s JOIN conc_models m ON m.id = s.model_id
WHERE s.id BETWEEN :lo AND :lo + 39;
