-- check.sql - the golden models of test/golden must score exactly as when
-- they were made (make_golden.sh).  Plain psql, usable as a pg_regress
-- test (copy to sql/; psql runs from the repository root there) or through
-- check.sh.  Loads every NAME.model.hex and NAME.expected of the directory
-- in psql variable golden_dir (default test/golden, relative to the
-- current directory) via backquoted shell commands, then compares each
-- recorded result with what this build returns: numbers to float32
-- rounding (relative 1e-5), labels and class indexes exactly.
--
-- Output: one row per model with its number of checks and mismatches, a
-- total line, then every mismatch (none when the build is compatible).
\if :{?golden_dir}
\else
\set golden_dir test/golden
\endif
\set golden_models `cd :golden_dir && for f in *.model.hex; do printf '%s\t' "${f%.model.hex}"; cat "$f"; done`
\set golden_expected `cat :golden_dir/*.expected`

SET extra_float_digits = 3;

-- Values agree to float32 rounding: OpenBLAS picks its kernels by CPU (or by
-- OPENBLAS_CORETYPE), and kernels sum in different orders.  Class labels and
-- indexes must match exactly.
CREATE FUNCTION pg_temp.golden_close(a float8[], b float8[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT cardinality(a) = cardinality(b) AND
         bool_and(abs(x - y) <= 1e-5 * greatest(1, abs(y)))
  FROM unnest(a, b) AS u(x, y)
$$;

CREATE TEMP TABLE golden_model AS
SELECT split_part(l, E'\t', 1) AS name, decode(split_part(l, E'\t', 2), 'hex') AS model
FROM regexp_split_to_table(:'golden_models', E'\n') AS l
WHERE l <> '';

CREATE TEMP TABLE golden_expected AS
SELECT n AS line, split_part(l, E'\t', 1) AS name, split_part(l, E'\t', 2) AS fn,
       split_part(l, E'\t', 3) AS input, split_part(l, E'\t', 4) AS expected
FROM regexp_split_to_table(:'golden_expected', E'\n') WITH ORDINALITY AS t(l, n)
WHERE l <> '';

CREATE TEMP TABLE golden_result AS
SELECT e.*, r.actual, r.same
FROM golden_expected e
LEFT JOIN golden_model g USING (name)
CROSS JOIN LATERAL (
    SELECT CASE e.fn
        WHEN 'predict' THEN nn_predict(g.model, e.input::real[])::text
        WHEN 'proba'   THEN nn_predict_proba(g.model, e.input::real[])::text
        WHEN 'class'   THEN nn_predict_class(g.model, e.input::real[])
        WHEN 'batch'   THEN nn_predict_batch(g.model, e.input::real[])::text
        END AS actual,
        CASE e.fn
        WHEN 'predict' THEN pg_temp.golden_close(ARRAY[nn_predict(g.model, e.input::real[])], ARRAY[e.expected::float8])
        WHEN 'proba'   THEN pg_temp.golden_close(nn_predict_proba(g.model, e.input::real[])::float8[], e.expected::float8[])
        WHEN 'class'   THEN nn_predict_class(g.model, e.input::real[]) = e.expected
        WHEN 'batch'   THEN pg_temp.golden_close(nn_predict_batch(g.model, e.input::real[]), e.expected::float8[])
        END AS same
) r;

SELECT name AS model, count(*) AS checks, count(*) FILTER (WHERE same IS NOT TRUE) AS mismatches
FROM golden_result GROUP BY name ORDER BY name;

SELECT 'golden: ' || count(DISTINCT name) || ' models, ' || count(*) || ' checks, '
       || count(*) FILTER (WHERE same IS NOT TRUE) || ' mismatches' AS summary
FROM golden_result;

SELECT name AS model, fn, input, expected, actual
FROM golden_result WHERE same IS NOT TRUE ORDER BY line;
