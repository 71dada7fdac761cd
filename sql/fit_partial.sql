-- nn_fit in two phases, as Citus runs it on a distributed table: partial
-- states over disjoint slices of the rows (on the workers), passed as
-- values through the type's text and binary forms (the network), combined
-- and finalized (on the coordinator).  Each path must give the bytes of the
-- same combination done in one process.  Then PostgreSQL's own parallel
-- plan over the same type, and the errors of every reader of a state.

CREATE TABLE fp AS
SELECT i, (((i * 7919) % 1000) / 100.0 - 5)::real AS a, (((i * 104729) % 997) / 100.0 - 5)::real AS b
FROM generate_series(1, 2000) i;
ALTER TABLE fp ADD COLUMN y real;
UPDATE fp SET y = (a + 2 * b > 0)::int;

CREATE TABLE fp_model AS
SELECT nn_init(2, '{8}', 2, '{"seed": 3, "learning_rate": 0.05, "batch_size": 32}') AS m;

-- four "shards": each slice trains its own partial state (500 rows: 15
-- minibatches and 20 rows still pending in each)
CREATE TABLE fp_parts AS
SELECT i % 4 AS shard, nn_fit_partial(m, ARRAY[a, b], y ORDER BY i) AS st
FROM fp, fp_model GROUP BY i % 4;

-- in one process: the partial states combined and finalized in the query
-- that makes them
CREATE TABLE fp_inprocess AS
SELECT nn_fit_final(nn_fit_merge(st ORDER BY shard)) AS m
FROM (SELECT i % 4 AS shard, nn_fit_partial(m, ARRAY[a, b], y ORDER BY i) AS st
      FROM fp, fp_model GROUP BY i % 4) p;

SELECT nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'epochs' AS epochs,
       jsonb_array_length(nn_info(m)->'history') AS history_length
FROM fp_inprocess;

-- through the text form: output, then input
CREATE TABLE fp_text AS SELECT shard, st::text AS t FROM fp_parts;
SELECT count(*) AS states, bool_and(t LIKE 'Tk5GU%') AS base64_of_magic,
       bool_and(t::nn_fit_state::text = t) AS text_reads_back_the_same
FROM fp_text;

SELECT md5(nn_fit_final(nn_fit_merge(t::nn_fit_state ORDER BY shard))) = md5(m) AS text_same_bytes
FROM fp_text, fp_inprocess GROUP BY m;

-- through the binary form: send (COPY TO, binary), receive (COPY FROM)
\copy fp_parts TO 'results/fit_partial_states.bin' WITH (FORMAT binary)
CREATE TABLE fp_binary (shard int, st nn_fit_state);
\copy fp_binary FROM 'results/fit_partial_states.bin' WITH (FORMAT binary)
SELECT count(*) AS states,
       bool_and(b.st::text = p.st::text) AS same_states,
       bool_and(nn_fit_state_send(b.st) = decode(p.st::text, 'base64')) AS send_is_the_bytes
FROM fp_binary b JOIN fp_parts p USING (shard);

SELECT md5(nn_fit_final(nn_fit_merge(st ORDER BY shard))) = md5(m) AS binary_same_bytes
FROM fp_binary, fp_inprocess GROUP BY m;

-- the combine function called pairwise, as a coordinator folds the
-- shards' states in the order they arrive: the same as nn_fit_merge
SELECT md5(nn_fit_final(nn_fit_combine(nn_fit_combine(nn_fit_combine(s0, s1), s2), s3))) = md5(m)
       AS pairwise_same_bytes
FROM (SELECT max(t) FILTER (WHERE shard = 0)::nn_fit_state AS s0,
             max(t) FILTER (WHERE shard = 1)::nn_fit_state AS s1,
             max(t) FILTER (WHERE shard = 2)::nn_fit_state AS s2,
             max(t) FILTER (WHERE shard = 3)::nn_fit_state AS s3
      FROM fp_text) s, fp_inprocess;

-- the combination is the rows-weighted average of the partial models: it
-- is not the serial pass over the same rows, and it scores well
SELECT md5(m) <> (SELECT md5(nn_fit(m0.m, ARRAY[a, b], y ORDER BY i)) FROM fp, fp_model m0)
       AS not_the_serial_model,
       (SELECT avg((nn_predict(m, ARRAY[a, b]) = y)::int) >= 0.9 FROM fp) AS accuracy_ok
FROM fp_inprocess;

-- one slice: the partial state finalized is nn_fit over the slice
SELECT md5(nn_fit_final(st)) = (SELECT md5(nn_fit(m, ARRAY[a, b], y ORDER BY i))
                                FROM fp, fp_model WHERE i % 4 = 1) AS partial_then_final_is_nn_fit
FROM fp_parts WHERE shard = 1;

-- NULLs: no rows make no state; a NULL state is skipped when combining
SELECT nn_fit_partial((SELECT m FROM fp_model), ARRAY[a, b], y) IS NULL AS no_rows_no_state
FROM fp WHERE false;
SELECT nn_fit_combine(NULL, st)::text = st::text AS null_first,
       nn_fit_combine(st, NULL)::text = st::text AS null_second,
       nn_fit_combine(NULL, NULL) IS NULL AS both_null,
       nn_fit_final(NULL) IS NULL AS final_null
FROM fp_parts WHERE shard = 0;
-- a state combined with itself: twice its rows, the same model
SELECT nn_info(nn_fit_final(nn_fit_combine(st, st)))->'rows_trained' AS rows_trained
FROM fp_parts WHERE shard = 0;

-- a final function may run more than once on one state: a rescan of a
-- hash aggregate whose parameters did not change reuses its hash table
-- and finalizes every group again.  Each group's model must be the same
-- every time (one epoch), by nn_fit and by the aggregate over an internal
-- state that installations before 1.6 still name (made here from its C
-- functions).
DO $$
DECLARE lib text := (SELECT probin FROM pg_proc WHERE proname = 'nn_fit_accum');
BEGIN
    EXECUTE format('CREATE FUNCTION fp_legacy_trans(internal, bytea, real[], real) RETURNS internal
                    LANGUAGE C AS %L, %L', lib, 'nn_fit_transfn');
    EXECUTE format('CREATE FUNCTION fp_legacy_final(internal) RETURNS bytea
                    LANGUAGE C AS %L, %L', lib, 'nn_fit_finalfn');
END $$;
CREATE AGGREGATE fp_legacy_fit(bytea, real[], real) (
    SFUNC = fp_legacy_trans, STYPE = internal, FINALFUNC = fp_legacy_final,
    FINALFUNC_MODIFY = READ_WRITE);
SET enable_material = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_sort = off;
CREATE VIEW fp_rescan AS
SELECT g, q.* FROM generate_series(1, 3) g
LEFT JOIN (SELECT i % 2 AS grp, nn_fit(m, ARRAY[a, b], y) AS m FROM fp, fp_model GROUP BY i % 2) q
ON g > 0;
CREATE VIEW fp_rescan_legacy AS
SELECT g, q.* FROM generate_series(1, 3) g
LEFT JOIN (SELECT i % 2 AS grp, fp_legacy_fit(m, ARRAY[a, b], y) AS m FROM fp, fp_model GROUP BY i % 2) q
ON g > 0;
EXPLAIN (COSTS OFF) SELECT * FROM fp_rescan;
SELECT grp, count(*) AS finalized, count(DISTINCT md5(m)) AS models,
       min(nn_info(m)->>'epochs') AS min_epochs, max(nn_info(m)->>'epochs') AS max_epochs,
       max(jsonb_array_length(nn_info(m)->'history')) AS history_length
FROM fp_rescan GROUP BY grp ORDER BY grp;
SELECT grp, count(*) AS finalized, count(DISTINCT md5(m)) AS models,
       min(nn_info(m)->>'epochs') AS min_epochs, max(nn_info(m)->>'epochs') AS max_epochs,
       max(jsonb_array_length(nn_info(m)->'history')) AS history_length
FROM fp_rescan_legacy GROUP BY grp ORDER BY grp;
RESET enable_material;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_sort;
DROP VIEW fp_rescan, fp_rescan_legacy;
DROP AGGREGATE fp_legacy_fit(bytea, real[], real);
DROP FUNCTION fp_legacy_trans(internal, bytea, real[], real), fp_legacy_final(internal);

-- PostgreSQL's parallel query over the same type: partial aggregates in
-- the workers, their states flattened through the tuple queues, combined
-- by the leader
ALTER TABLE fp SET (parallel_workers = 2);
VACUUM ANALYZE fp;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

-- (the model as a constant, as nn_train's aggregate strategy passes it)
EXPLAIN (COSTS OFF)
SELECT nn_fit(nn_init(2, '{8}', 2, '{"seed": 3, "learning_rate": 0.05, "batch_size": 32}'), ARRAY[a, b], y)
FROM fp;

CREATE TABLE fp_parallel AS
SELECT nn_fit(nn_init(2, '{8}', 2, '{"seed": 3, "learning_rate": 0.05, "batch_size": 32}'), ARRAY[a, b], y) AS m
FROM fp;
SELECT nn_info(m)->'rows_trained' AS rows_trained, nn_info(m)->'epochs' AS epochs,
       (SELECT avg((nn_predict(m, ARRAY[a, b]) = y)::int) >= 0.9 FROM fp) AS accuracy_ok
FROM fp_parallel;

-- nn_fit_partial under the same plan: a state, valid, of every row
EXPLAIN (COSTS OFF)
SELECT nn_fit_partial(nn_init(2, '{8}', 2, '{"seed": 3}'), ARRAY[a, b], y) FROM fp;
SELECT nn_info(nn_fit_final(st::text::nn_fit_state))->'rows_trained' AS rows_trained
FROM (SELECT nn_fit_partial(nn_init(2, '{8}', 2, '{"seed": 3}'), ARRAY[a, b], y) AS st FROM fp) s;

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ---------------------------------------------------------------- errors
-- a state made by hand from its fields (formats/fit_state.h): magic,
-- version, rows trained, their loss, pending rows, inputs per row, the
-- model's length and bytes, the pending rows
CREATE FUNCTION fp_state(magic bytea, version int, pass_rows bigint, pass_loss float8,
                         pending int, n_inputs int, model bytea, tail bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT magic || int4send(version) || int8send(pass_rows) || float8send(pass_loss)
           || int4send(pending) || int4send(n_inputs) || int4send(length(model)) || model || tail
$$;
CREATE FUNCTION fp_text(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT translate(encode(b, 'base64'), E'\n', '') $$;
CREATE FUNCTION fp_row(x1 real, x2 real, target real, weight real) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT float4send(x1) || float4send(x2) || float4send(target) || float4send(weight)
$$;
CREATE TABLE fp_small AS SELECT nn_init(2, '{}', 2, '{"batch_size": 4}') AS m;

-- well formed: no rows yet, and one pending row
SELECT nn_info(nn_fit_final(fp_text(fp_state('NNFS', 1, 0, 0, 0, 2, m, ''))::nn_fit_state))->'rows_trained'
       AS no_rows,
       nn_info(nn_fit_final(fp_text(fp_state('NNFS', 1, 8, 4.5, 1, 2, m, fp_row(1, 2, 1, 1)))::nn_fit_state))->'rows_trained'
       AS nine_rows
FROM fp_small;

-- the text: not base64, empty
SELECT 'not base64!'::nn_fit_state;
SELECT ''::nn_fit_state;
-- the header: wrong magic, version, truncated
SELECT fp_text(fp_state('NNMD', 1, 0, 0, 0, 2, m, ''))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 2, 0, 0, 0, 2, m, ''))::nn_fit_state FROM fp_small;
SELECT fp_text(substring(fp_state('NNFS', 1, 0, 0, 0, 2, m, '') FROM 1 FOR 30))::nn_fit_state FROM fp_small;
-- the counters: a loss that is negative, NaN, or without rows
SELECT fp_text(fp_state('NNFS', 1, 5, -1, 0, 2, m, ''))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 5, 'NaN', 0, 2, m, ''))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 2.5, 0, 2, m, ''))::nn_fit_state FROM fp_small;
-- the lengths: the model cut short, pending rows cut short, trailing bytes,
-- absurd sizes
SELECT fp_text(substring(fp_state('NNFS', 1, 0, 0, 0, 2, m, '') FROM 1 FOR 60))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 2, 2, m, fp_row(1, 2, 1, 1)))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 0, 2, m, '\x00'))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 1000000, m, ''))::nn_fit_state FROM fp_small;
-- the model: damaged (its reader's error, in the state's context),
-- compressed
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 0, 2, overlay(m PLACING 'X' FROM 1 FOR 1), ''))::nn_fit_state
FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 0, 2, nn_strip(m), ''))::nn_fit_state FROM fp_small;
-- the rows against the model: width, a full minibatch, a NaN feature, a
-- target that is no class, a negative or infinite weight
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 1, m, float4send(1) || float4send(0) || float4send(1)))::nn_fit_state
FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 4, 2, m, fp_row(1, 2, 1, 1) || fp_row(1, 2, 1, 1)
                                                 || fp_row(1, 2, 1, 1) || fp_row(1, 2, 1, 1)))::nn_fit_state
FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 2, m, fp_row('NaN', 2, 1, 1)))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 2, m, fp_row(1, 2, 2, 1)))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 2, m, fp_row(1, 2, 0.5, 1)))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 2, m, fp_row(1, 2, 1, -1)))::nn_fit_state FROM fp_small;
SELECT fp_text(fp_state('NNFS', 1, 0, 0, 1, 2, m, fp_row(1, 2, 1, 'Infinity')))::nn_fit_state FROM fp_small;

-- receive validates as input does: bytes sent as a bytea column (whose
-- binary form is its bytes) and received as nn_fit_state
CREATE TABLE fp_bad AS SELECT fp_state('NNFS', 3, 0, 0, 0, 2, m, '') AS b FROM fp_small;
\copy fp_bad TO 'results/fit_partial_bad.bin' WITH (FORMAT binary)
CREATE TABLE fp_bad_state (st nn_fit_state);
\copy fp_bad_state FROM 'results/fit_partial_bad.bin' WITH (FORMAT binary)
UPDATE fp_bad SET b = fp_state('NNFS', 1, 0, 0, 1, 2, m, fp_row(1, 2, 7, 1)) FROM fp_small;
\copy fp_bad TO 'results/fit_partial_bad.bin' WITH (FORMAT binary)
\copy fp_bad_state FROM 'results/fit_partial_bad.bin' WITH (FORMAT binary)
SELECT count(*) AS received FROM fp_bad_state;

-- states of different models cannot be combined
SELECT nn_fit_combine(st, (SELECT fp_text(fp_state('NNFS', 1, 0, 0, 0, 2, m, ''))::nn_fit_state FROM fp_small))
FROM fp_parts WHERE shard = 0;
SELECT nn_fit_final(nn_fit_merge(st))
FROM (SELECT st FROM fp_parts
      UNION ALL
      SELECT nn_fit_partial(nn_init(2, '{4}', 2), ARRAY[a, b], y) FROM fp) s;

-- models alike in layers and options but not in what their rows were
-- scaled by, their classes, their decision or their seed are different
-- models: a state's pending rows (a regressor's targets standardized with
-- its model's y_mean and y_std) would join the other's wrongly, and the
-- error names what differs
CREATE FUNCTION fp_state_of(m bytea) RETURNS nn_fit_state
LANGUAGE sql AS $$ SELECT nn_fit_partial(m, ARRAY[a, b], y ORDER BY i) FROM fp WHERE i <= 100 $$;
CREATE TABLE fp_scales AS
SELECT s, nn_train(format('SELECT a * %s AS a, b * %s AS b, a + 2 * b AS t FROM fp', s, s), 't',
                   '{a, b}', '{4}', '{"epochs": 1, "seed": 3, "batch_size": 32}') AS inputs,
          nn_train(format('SELECT a, b, (a + 2 * b) * %s AS t FROM fp', s), 't',
                   '{a, b}', '{4}', '{"epochs": 1, "seed": 3, "batch_size": 32}') AS target,
          nn_train(format('SELECT a, b, (y + %s)::int AS y FROM fp', s), 'y',
                   '{a, b}', '{4}', '{"epochs": 1, "seed": 3, "batch_size": 32}') AS labels
FROM unnest('{1, 10}'::int[]) s;
SELECT s, nn_info(inputs)->'task' AS inputs_task, nn_info(labels)->'task' AS labels_task,
       nn_info(labels)->'classes' AS classes
FROM fp_scales ORDER BY s;
SELECT nn_fit_combine(fp_state_of(x.inputs), fp_state_of(y.inputs))
FROM fp_scales x, fp_scales y WHERE x.s = 1 AND y.s = 10;
SELECT nn_fit_combine(fp_state_of(x.target), fp_state_of(y.target))
FROM fp_scales x, fp_scales y WHERE x.s = 1 AND y.s = 10;
SELECT nn_fit_combine(fp_state_of(x.labels), fp_state_of(y.labels))
FROM fp_scales x, fp_scales y WHERE x.s = 1 AND y.s = 10;
SELECT nn_fit_combine(fp_state_of(labels), fp_state_of(nn_with_threshold(labels, 0.3)))
FROM fp_scales WHERE s = 1;
SELECT nn_fit_combine(fp_state_of(m), fp_state_of(nn_init(2, '{8}', 2, '{"seed": 4, "learning_rate": 0.05, "batch_size": 32}')))
FROM fp_model;
-- each with a state of its own model: combined
SELECT s, nn_info(nn_fit_final(nn_fit_combine(fp_state_of(inputs), fp_state_of(inputs))))->'rows_trained'
       AS inputs_rows,
       nn_info(nn_fit_final(nn_fit_combine(fp_state_of(target), fp_state_of(target))))->'rows_trained'
       AS target_rows
FROM fp_scales ORDER BY s;

-- the transition function belongs to the aggregate
SELECT nn_fit_accum(NULL, m, '{1, 2}', 1) FROM fp_small;

DROP TABLE fp, fp_model, fp_parts, fp_inprocess, fp_text, fp_binary, fp_parallel, fp_small,
           fp_bad, fp_bad_state, fp_scales;
DROP FUNCTION fp_state(bytea, int, bigint, float8, int, int, bytea, bytea), fp_text(bytea),
              fp_state_of(bytea),
              fp_row(real, real, real, real);
