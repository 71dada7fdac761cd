-- nn_predict_batch over one block of 100 rows (one model per block),
-- compared with the array one client computed for the same block before the
-- run; a mismatch, or no block found, divides by zero.
\set b random(0, :blocks - 1)
SELECT 1 / (count(*) FILTER (WHERE
           nn_predict_batch(m.m, (SELECT array_agg(s.features ORDER BY s.id)
                                  FROM conc_score_rows s WHERE s.block = :b))
           IS NOT DISTINCT FROM e.expected) = 1)::int AS ok
FROM conc_batch_expected e JOIN conc_models m ON m.id = e.model_id
WHERE e.block = :b;
