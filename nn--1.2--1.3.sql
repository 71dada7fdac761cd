-- nn 1.2 -> 1.3: the backend's cache of parsed stored models, across
-- queries (issue 4), and its statistics.
-- A fresh CREATE EXTENSION nn runs nn--1.0.sql, the 1.0--1.1, 1.1--1.2 and this script.

\echo Use "ALTER EXTENSION nn UPDATE TO '1.3'" to load this file. \quit

-- the calling backend's own cache: restricted to the leader, since a
-- parallel worker would report its own
CREATE FUNCTION @extschema@.nn_model_cache_stats()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_model_cache_stats'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.nn_model_cache_stats()
IS 'this backend''s cache of parsed stored models: models, bytes, budget_bytes, in_use, hits, misses, stale, not_kept, evictions';
