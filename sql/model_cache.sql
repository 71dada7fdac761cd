-- The backend's cache of parsed stored models across queries (nn 1.3):
-- a model stored out of line is parsed once per backend, not once per
-- query; nn_model_cache_stats() counts what happened.  Every query here
-- runs in this backend (no parallel workers, which keep caches of their own).
SET max_parallel_workers_per_gather = 0;
SELECT length(nn_init(2, '{2}', 2)) > 0 AS loaded;
SHOW nn.model_cache_memory;
SELECT nn_model_cache_stats() - 'budget_bytes' AS empty;

-- models stored out of line (EXTERNAL: no compression), 17 kB each
CREATE TABLE mc_models (name text PRIMARY KEY, m bytea);
ALTER TABLE mc_models ALTER COLUMN m SET STORAGE EXTERNAL;
INSERT INTO mc_models VALUES
    ('a', nn_init(64, '{64}', 3, '{"seed": 1}')),
    ('b', nn_init(64, '{64}', 3, '{"seed": 2}'));
CREATE TABLE mc_rows AS
SELECT i, array_fill(((i % 7) / 7.0)::real, ARRAY[64]) AS x FROM generate_series(1, 20) i;
CREATE FUNCTION mc_stat(key text) RETURNS bigint LANGUAGE sql
AS $$ SELECT (nn_model_cache_stats() ->> key)::bigint $$;

-- first query parses (a miss), later queries find it (hits)
SELECT round(sum((nn_predict_proba(m, x))[1])::numeric, 4) AS a_sum FROM mc_rows, mc_models WHERE name = 'a';
SELECT mc_stat('models') AS models, mc_stat('misses') AS misses, mc_stat('hits') AS hits;
SELECT round(sum((nn_predict_proba(m, x))[1])::numeric, 4) AS a_sum FROM mc_rows, mc_models WHERE name = 'a';
SELECT mc_stat('misses') AS misses, mc_stat('hits') AS hits, mc_stat('in_use') AS in_use;
-- every kind of per-row function, the batch path and the window path borrow it
SELECT count(*) FILTER (WHERE nn_predict_class(m, x) IS NOT NULL) AS classes,
       count(*) FILTER (WHERE nn_predict(m, x) >= 0) AS values
FROM mc_rows, mc_models WHERE name = 'a';
SELECT cardinality(nn_predict_batch(m, (SELECT array_agg(x ORDER BY i) FROM mc_rows))) AS batch
FROM mc_models WHERE name = 'a';
SELECT count(*) FILTER (WHERE w = nn_predict(m, x)) AS window_same
FROM (SELECT m, x, nn_predict_window(m, x) OVER () AS w FROM mc_rows, mc_models WHERE name = 'a') s;
SELECT mc_stat('models') AS models, mc_stat('misses') AS misses, mc_stat('in_use') AS in_use;

-- a model held in memory is not kept across queries; within one, a constant
-- or a bound parameter is the same model on every row (custom and generic
-- plans), and any other expression is compared on every row
PREPARE mc_score(bytea) AS SELECT round(sum((nn_predict_proba($1, x))[1])::numeric, 4) AS s FROM mc_rows;
EXECUTE mc_score(nn_init(64, '{64}', 3, '{"seed": 1}'));
EXECUTE mc_score(nn_init(64, '{64}', 3, '{"seed": 2}'));
SET plan_cache_mode = force_generic_plan;
EXECUTE mc_score(nn_init(64, '{64}', 3, '{"seed": 1}'));
EXECUTE mc_score(nn_init(64, '{64}', 3, '{"seed": 2}'));
PREPARE mc_window(bytea) AS
SELECT round(sum(w[1])::numeric, 4) AS s FROM (SELECT nn_predict_proba_window($1, x) OVER () AS w FROM mc_rows) t;
EXECUTE mc_window(nn_init(64, '{64}', 3, '{"seed": 1}'));
EXECUTE mc_window(nn_init(64, '{64}', 3, '{"seed": 2}'));
RESET plan_cache_mode;
EXECUTE mc_window(nn_init(64, '{64}', 3, '{"seed": 1}'));
DEALLOCATE mc_score;
DEALLOCATE mc_window;
WITH mm AS MATERIALIZED (SELECT nn_init(64, '{64}', 3, '{"seed": 1}') AS m1, nn_init(64, '{64}', 3, '{"seed": 2}') AS m2)
SELECT round(sum((nn_predict_proba(CASE WHEN i % 2 = 0 THEN m1 ELSE m2 END, x))[1])::numeric, 4) AS alternating,
       round(sum((nn_predict_proba(m1, x))[1]) FILTER (WHERE i % 2 = 0)::numeric
             + sum((nn_predict_proba(m2, x))[1]) FILTER (WHERE i % 2 = 1)::numeric, 4) AS expected
FROM mc_rows, mm;
WITH mm AS MATERIALIZED (SELECT nn_init(64, '{64}', 3, '{"seed": 1}') AS m1, nn_init(64, '{64}', 3, '{"seed": 2}') AS m2)
SELECT count(*) FILTER (WHERE abs(w[1] - (nn_predict_proba(CASE WHEN i % 2 = 0 THEN m1 ELSE m2 END, x))[1]) < 1e-5)
         AS window_alternating_same
FROM (SELECT i, x, m1, m2, nn_predict_proba_window(CASE WHEN i % 2 = 0 THEN m1 ELSE m2 END, x) OVER (ORDER BY i) AS w
      FROM mc_rows, mm) t;
SELECT mc_stat('models') AS models, mc_stat('misses') AS misses;

-- a new value (UPDATE writes a new TOAST value) is another entry, with its own results
SELECT round(sum((nn_predict_proba(m, x))[1])::numeric, 4) AS b_sum FROM mc_rows, mc_models WHERE name = 'b';
UPDATE mc_models SET m = (SELECT m FROM mc_models WHERE name = 'b') WHERE name = 'a';
SELECT round(sum((nn_predict_proba(m, x))[1])::numeric, 4) AS a_now_b_sum FROM mc_rows, mc_models WHERE name = 'a';
SELECT mc_stat('models') AS models, mc_stat('misses') AS misses;

-- an error while a model is borrowed, and a rolled-back transaction, give it back
SELECT nn_predict(m, '{1,2}') FROM mc_models WHERE name = 'b';
BEGIN;
SELECT nn_predict(m, x) >= 0 AS scored FROM mc_rows, mc_models WHERE name = 'b' AND i = 1;
ROLLBACK;
SELECT mc_stat('in_use') AS in_use;

-- the memory bound: least recently used first; a model above it is not kept
-- but still scored; results do not depend on the cache
INSERT INTO mc_models
SELECT 'big' || k, nn_init(256, '{256}', 3, jsonb_build_object('seed', k)) FROM generate_series(1, 4) k;
SELECT name, round((nn_predict_proba(m, array_fill(0.5::real, ARRAY[256])))[1]::numeric, 6) AS p
INTO TEMP mc_uncached FROM mc_models WHERE name LIKE 'big%';
SET nn.model_cache_memory = '1MB';
SELECT mc_stat('budget_bytes') AS budget, mc_stat('bytes') <= 1048576 AS within;
CREATE TEMP TABLE mc_cached (name text, p numeric);
DO $$
BEGIN
  FOR round IN 1..3 LOOP
    INSERT INTO mc_cached
    SELECT name, round((nn_predict_proba(m, array_fill(0.5::real, ARRAY[256])))[1]::numeric, 6)
    FROM mc_models WHERE name LIKE 'big%';
  END LOOP;
END $$;
SELECT count(*) AS scored, count(*) FILTER (WHERE c.p = u.p) AS same
FROM mc_cached c JOIN mc_uncached u USING (name);
SELECT mc_stat('evictions') > 0 AS evicted, mc_stat('bytes') <= 1048576 AS within,
       mc_stat('in_use') AS in_use;
INSERT INTO mc_models VALUES ('huge', nn_init(512, '{512}', 3, '{"seed": 1}'));
SELECT nn_predict(m, array_fill(0.5::real, ARRAY[512])) >= 0 AS scored FROM mc_models WHERE name = 'huge';
SELECT mc_stat('not_kept') AS not_kept, mc_stat('bytes') <= 1048576 AS within;
-- a model not kept is scored with the parse made for the cache: the same
-- probabilities as with the cache off
CREATE TEMP TABLE mc_huge AS
SELECT nn_predict_proba(m, array_fill(0.25::real, ARRAY[512])) AS p FROM mc_models WHERE name = 'huge';
SET nn.model_cache_memory = 0;
SELECT nn_predict_proba(m, array_fill(0.25::real, ARRAY[512])) = (SELECT p FROM mc_huge) AS same_as_uncached
FROM mc_models WHERE name = 'huge';
SET nn.model_cache_memory = '1MB';
SELECT mc_stat('not_kept') AS not_kept;
-- a model that fits the budget only without the transposed weights of the
-- level-1 row product (528 kB each) stays cached, and each query's call
-- site makes its own copy of the weights: one miss, then hits
SET nn.row_product = level1;
INSERT INTO mc_models VALUES ('fits_bare', nn_init(512, '{256}', 3, '{"seed": 2}'));
SELECT mc_stat('misses') AS m0, mc_stat('hits') AS h0 \gset
SELECT round((nn_predict_proba(m, array_fill(0.25::real, ARRAY[512])))[1]::numeric, 6) AS p1
FROM mc_models WHERE name = 'fits_bare';
SELECT round((nn_predict_proba(m, array_fill(0.25::real, ARRAY[512])))[1]::numeric, 6) AS p2
FROM mc_models WHERE name = 'fits_bare';
SELECT round((nn_predict_proba(m, array_fill(0.25::real, ARRAY[512])))[1]::numeric, 6) AS p3
FROM mc_models WHERE name = 'fits_bare';
SELECT mc_stat('misses') - :m0 AS misses, mc_stat('hits') - :h0 AS hits,
       mc_stat('bytes') BETWEEN 528000 AND 1048576 AS bare_model_within;
RESET nn.row_product;

-- at most 64 models: a query whose 65 call sites each borrow another one
-- scores the 65th without keeping it
RESET nn.model_cache_memory;
CREATE TABLE mc_many (k int PRIMARY KEY, m bytea);
ALTER TABLE mc_many ALTER COLUMN m SET STORAGE EXTERNAL;
INSERT INTO mc_many SELECT k, nn_init(64, '{64}', 3, jsonb_build_object('seed', k)) FROM generate_series(1, 65) k;
CREATE FUNCTION mc_sum_65() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
  q text := 'SELECT round((' ||
            (SELECT string_agg(format('nn_predict((SELECT m FROM mc_many WHERE k = %s), x)', k), ' + ')
             FROM generate_series(1, 65) k) ||
            ')::numeric, 4) FROM mc_rows WHERE i = 3';
  r numeric;
BEGIN
  EXECUTE q INTO r;
  RETURN r;
END $$;
SELECT mc_sum_65() AS cached_sum;
SELECT mc_stat('models') AS models, mc_stat('not_kept') AS not_kept, mc_stat('in_use') AS in_use;
SET nn.model_cache_memory = 0;
SELECT mc_sum_65() AS uncached_sum;
DROP FUNCTION mc_sum_65();
DROP TABLE mc_many;

-- 0 keeps nothing
SET nn.model_cache_memory = 0;
SELECT nn_predict(m, x) >= 0 AS scored FROM mc_rows, mc_models WHERE name = 'b' AND i = 1;
SELECT mc_stat('models') AS models, mc_stat('bytes') AS bytes;
RESET nn.model_cache_memory;

-- nn.max_memory caps it like the other memory settings
SET nn.max_memory = '32MB';
SET nn.model_cache_memory = '64MB';
RESET nn.max_memory;
SET nn.model_cache_memory = '-1';

DROP FUNCTION mc_stat(text);
DROP TABLE mc_models, mc_rows;
