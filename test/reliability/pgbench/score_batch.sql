-- nn_predict_batch over one block of 100 rows (one model per block),
-- compared with the array one client computed for the same block before the
-- run; a mismatch divides by zero.
\set b random(0, :blocks - 1)
SELECT 1 / (nn_predict_batch(m.m, (SELECT array_agg(s.features ORDER BY s.id)
                                   FROM score_rows s WHERE s.block = :b))
            IS NOT DISTINCT FROM e.expected)::int AS ok
FROM batch_expected e JOIN nn_models m ON m.id = e.model_id
WHERE e.block = :b;
