-- Train one of four configurations on conc_src and store the model; it must
-- be byte-identical to the model one client trained before the run (else,
-- NULL included, the RETURNING divides by zero and the transaction fails).
\set k random(1, 4)
INSERT INTO conc_trained (k, m, ok)
SELECT r.k, t.m, coalesce(t.m = r.m, false)
FROM conc_train_refs r,
     LATERAL (SELECT nn_train(r.source, r.target, r.features, r.hidden, r.options) AS m) t
WHERE r.k = :k
RETURNING 1 / ok::int AS ok;
