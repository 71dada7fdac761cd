-- Damaged models: every reader (nn_predict*, nn_info, nn_fit) validates
-- the bytes and raises "invalid nn model: ..." without crashing, and the
-- session goes on.
--
-- Layout of the header (little-endian): magic "NNMD" at bytes 0-3, format
-- version 4-7, task 8, loss 9, optimizer 10, init 11, standardized 12,
-- reserved 13-15, layer count 16-19, then the layer widths (layers + 1
-- of them, 4 bytes each), per layer an activation byte, a batch_norm byte
-- and a float32 dropout rate, then the batch size, 13 float32 settings
-- (learning_rate, beta1, beta2, epsilon, momentum, rho, weight_decay,
-- delta, l1, l2, clip_value, clip_norm, clip_global_norm), ...  For the
-- 2 -> 3 -> 2 model below: widths at 20-31, layer 1 at 32-37, the output
-- layer at 38-43, batch size 44-47, the settings 48-99 (l2 at 84), seed
-- 100-107, RNG state 108-139, optimizer steps 140-147, rows trained
-- 148-155, epochs run 156-159, best epoch 160-163; the options record is
-- JSON text further on.

CREATE TABLE cm_data AS
SELECT a::real AS a, b::real AS b, (a::int # b::int) AS y
FROM generate_series(0, 1) a, generate_series(0, 1) b;

CREATE TABLE good AS
SELECT nn_train('cm_data', 'y', NULL, '{3}', '{"epochs": 2, "seed": 1}') AS m;

-- the model as trained is fine; its first bytes are the magic and version
SELECT nn_predict(m, ARRAY[0, 1]::real[]) IN (0, 1) AS ok, substr(m, 1, 8) AS head,
       length(m) AS length
FROM good;

CREATE TABLE bad (name text, m bytea);
INSERT INTO bad
SELECT 'random bytes', decode(repeat('5a17c3e1', 50), 'hex') FROM good UNION ALL
SELECT 'empty', ''::bytea FROM good UNION ALL
SELECT 'magic only', 'NNMD'::bytea FROM good UNION ALL
SELECT 'text', convert_to('not a model at all', 'UTF8') FROM good UNION ALL
SELECT 'truncated to 20', substr(m, 1, 20) FROM good UNION ALL
SELECT 'truncated by 1', substr(m, 1, length(m) - 1) FROM good UNION ALL
SELECT 'truncated by half', substr(m, 1, length(m) / 2) FROM good UNION ALL
SELECT 'one trailing byte', m || '\x00'::bytea FROM good UNION ALL
SELECT 'trailing bytes', m || m FROM good UNION ALL
SELECT 'bad magic', overlay(m PLACING 'XXXX'::bytea FROM 1 FOR 4) FROM good UNION ALL
SELECT 'lower-case magic', overlay(m PLACING 'nnmd'::bytea FROM 1 FOR 4) FROM good UNION ALL
SELECT 'version 1 read as 3', set_byte(m, 4, 3) FROM good UNION ALL
-- version 4 is that of compressed models (storage byte 13 of 1 or 2): a
-- float model with its optimizer state in it is refused
SELECT 'version 4', set_byte(m, 4, 4) FROM good UNION ALL
SELECT 'version 4, storage 1', set_byte(set_byte(m, 4, 4), 13, 1) FROM good UNION ALL
SELECT 'version 5', set_byte(m, 4, 5) FROM good UNION ALL
SELECT 'version 1, storage 2', set_byte(m, 13, 2) FROM good UNION ALL
SELECT 'version 1 read as 2', set_byte(m, 4, 2) FROM good UNION ALL
SELECT 'version 0', set_byte(m, 4, 0) FROM good UNION ALL
SELECT 'version 2^32-1', overlay(m PLACING '\xffffffff'::bytea FROM 5 FOR 4) FROM good UNION ALL
SELECT 'task 7', set_byte(m, 8, 7) FROM good UNION ALL
SELECT 'task regression', set_byte(m, 8, 1) FROM good UNION ALL
SELECT 'loss 9', set_byte(m, 9, 9) FROM good UNION ALL
SELECT 'optimizer 9', set_byte(m, 10, 9) FROM good UNION ALL
SELECT 'init 9', set_byte(m, 11, 9) FROM good UNION ALL
SELECT 'not standardized', set_byte(m, 12, 0) FROM good UNION ALL
SELECT '0 layers', overlay(m PLACING '\x00000000'::bytea FROM 17 FOR 4) FROM good UNION ALL
SELECT '65 layers', set_byte(m, 16, 65) FROM good UNION ALL
SELECT '3 layers', set_byte(m, 16, 3) FROM good UNION ALL
SELECT 'huge layer count', overlay(m PLACING '\xffffffff'::bytea FROM 17 FOR 4) FROM good UNION ALL
SELECT 'input width 0', overlay(m PLACING '\x00000000'::bytea FROM 21 FOR 4) FROM good UNION ALL
SELECT 'input width 3', set_byte(m, 20, 3) FROM good UNION ALL
SELECT 'huge hidden width', overlay(m PLACING '\xffffff7f'::bytea FROM 25 FOR 4) FROM good UNION ALL
SELECT 'output width 5', set_byte(m, 28, 5) FROM good UNION ALL
SELECT 'hidden activation 99', set_byte(m, 32, 99) FROM good UNION ALL
SELECT 'output activation identity', set_byte(m, 38, 0) FROM good UNION ALL
SELECT 'batch_norm flag 2', set_byte(m, 33, 2) FROM good UNION ALL
SELECT 'hidden dropout 1', overlay(m PLACING '\x0000803f'::bytea FROM 35 FOR 4) FROM good UNION ALL
SELECT 'output dropout 0.5', overlay(m PLACING '\x0000003f'::bytea FROM 41 FOR 4) FROM good UNION ALL
SELECT 'batch size 0', overlay(m PLACING '\x00000000'::bytea FROM 45 FOR 4) FROM good UNION ALL
SELECT 'l2 -1', overlay(m PLACING '\x000080bf'::bytea FROM 85 FOR 4) FROM good UNION ALL
SELECT 'best epoch 3 of 2', set_byte(m, 160, 3) FROM good UNION ALL
SELECT 'options record an array', set_byte(m, position('\x7b2261637469'::bytea IN m) - 1, 91) FROM good UNION ALL
SELECT 'all header bits flipped',
       (SELECT string_agg(set_byte('\x00'::bytea, 0, get_byte(m, i) # 255), ''::bytea ORDER BY i)
        FROM generate_series(0, 39) i) || substr(m, 41) FROM good UNION ALL
SELECT 'zeros', decode(repeat('00', length(m)), 'hex') FROM good;

SELECT count(*) FROM bad;

-- every damaged model is an ERROR, whichever function reads it; the
-- messages are collected in a PL/pgSQL loop so the session goes on
CREATE TABLE outcomes (name text, fn text, sqlstate text, message text);
DO $$
DECLARE
    r record;
    fn text;
BEGIN
    FOR r IN SELECT name, m FROM bad LOOP
        FOREACH fn IN ARRAY ARRAY['nn_predict', 'nn_predict_class', 'nn_predict_proba', 'nn_info', 'nn_fit'] LOOP
            BEGIN
                CASE fn
                    WHEN 'nn_predict' THEN PERFORM nn_predict(r.m, ARRAY[0, 1]::real[]);
                    WHEN 'nn_predict_class' THEN PERFORM nn_predict_class(r.m, ARRAY[0, 1]::real[]);
                    WHEN 'nn_predict_proba' THEN PERFORM nn_predict_proba(r.m, ARRAY[0, 1]::real[]);
                    WHEN 'nn_info' THEN PERFORM nn_info(r.m);
                    WHEN 'nn_fit' THEN PERFORM nn_fit(r.m, ARRAY[a, b], y) FROM cm_data;
                END CASE;
                INSERT INTO outcomes VALUES (r.name, fn, NULL, 'no error');
            EXCEPTION WHEN OTHERS THEN
                INSERT INTO outcomes VALUES (r.name, fn, SQLSTATE, SQLERRM);
            END;
        END LOOP;
    END LOOP;
END
$$;

-- the same message from every function
SELECT name, count(DISTINCT message) AS messages, min(message) AS message
FROM outcomes GROUP BY name ORDER BY name COLLATE "C";
-- the error codes used: data_corrupted, and program_limit_exceeded for
-- sizes beyond the documented limits
SELECT sqlstate, count(*) FROM outcomes GROUP BY sqlstate ORDER BY sqlstate;

-- the errors shown directly (default verbosity)
SELECT nn_predict(m, ARRAY[0, 1]::real[]) FROM bad WHERE name = 'random bytes';
SELECT nn_predict_class(m, ARRAY[0, 1]::real[]) FROM bad WHERE name = 'truncated by 1';
SELECT nn_predict_proba(m, ARRAY[0, 1]::real[]) FROM bad WHERE name = 'one trailing byte';
SELECT nn_info(m) FROM bad WHERE name = 'bad magic';
SELECT nn_info(m) FROM bad WHERE name = 'version 4';
SELECT nn_fit(m, ARRAY[a, b], y) FROM bad, cm_data WHERE name = 'truncated by half' GROUP BY m;
SELECT nn_fit((SELECT m FROM bad WHERE name = 'task 7'), ARRAY[a, b], y) FROM cm_data;
-- nn_fit reads the model of its first row: a damaged one later is not read
SELECT nn_info(nn_fit(CASE WHEN a = 0 AND b = 0 THEN g.m ELSE '\x00'::bytea END, ARRAY[a, b], y))->'rows_trained'
       AS rows_trained
FROM cm_data, good g;

-- the session goes on, and the good model still works
SELECT nn_predict(m, ARRAY[0, 1]::real[]) IN (0, 1) AS ok FROM good;

-- every truncation of a small model is an error, and every single-byte
-- change is either an error or still a usable model; never a crash.  (A
-- changed optimizer state may make nn_fit diverge, which is an error too.)
CREATE TABLE small AS SELECT nn_init(2, '{3}', 2, '{"seed": 5}') AS m;
CREATE TABLE sweep (kind text, pos int, sqlstate text, message text);
DO $$
DECLARE
    m bytea := (SELECT small.m FROM small);
    v bytea;
BEGIN
    FOR i IN 0 .. length(m) - 1 LOOP
        FOR k IN 1 .. 3 LOOP
            v := CASE k WHEN 1 THEN substr(m, 1, i)
                        WHEN 2 THEN set_byte(m, i, get_byte(m, i) # 255)
                        ELSE set_byte(m, i, get_byte(m, i) # 1) END;
            BEGIN
                PERFORM nn_info(v);
                PERFORM nn_predict(v, ARRAY[1, 2]::real[]);
                PERFORM nn_info(nn_fit(v, ARRAY[a, b], y)) FROM cm_data;
                INSERT INTO sweep VALUES (k, i, NULL, 'no error');
            EXCEPTION WHEN OTHERS THEN
                INSERT INTO sweep VALUES (k, i, SQLSTATE, SQLERRM);
            END;
        END LOOP;
    END LOOP;
END
$$;

SELECT CASE kind WHEN '1' THEN 'truncated' WHEN '2' THEN 'byte inverted' ELSE 'low bit flipped' END AS kind,
       count(*) AS cases,
       count(*) FILTER (WHERE message = 'no error') > 0 AS some_still_readable,
       bool_and(message = 'no error' OR message LIKE 'invalid nn model: %' OR
                message LIKE 'training diverged: %') AS all_clean
FROM sweep GROUP BY kind ORDER BY kind;
SELECT count(*) = length((SELECT m FROM small)) AS every_truncation_fails
FROM sweep WHERE kind = '1' AND message LIKE 'invalid nn model: %';
-- the header bytes that are checked (byte 12, the standardization flag,
-- fails later, with a message that depends on the weights; 13-15 are
-- reserved)
SELECT pos, message FROM sweep WHERE kind = '2' AND pos < 20 AND pos NOT BETWEEN 12 AND 15 ORDER BY pos;
SELECT message LIKE 'invalid nn model: %' AS flag_flip_fails FROM sweep WHERE kind = '2' AND pos = 12;

-- Scoring reads a model without its optimizer state (Adam's: the last
-- 2 x n_params floats), and out of line fetches only the bytes before it.
-- Stored out of line, a model scores as its in-memory copy does; damage
-- confined to the state does not stop scoring (nn_info still reports it);
-- damage elsewhere gives the message every reader gives.
CREATE TABLE stored (name text, m bytea);
ALTER TABLE stored ALTER COLUMN m SET STORAGE EXTERNAL;
INSERT INTO stored
SELECT 'intact', nn_init(64, '{64}', 2, '{"seed": 3}') UNION ALL
SELECT 'state NaN', overlay(m PLACING '\xffff'::bytea FROM length(m) - 1 FOR 2) FROM (SELECT nn_init(64, '{64}', 2, '{"seed": 3}') AS m) s UNION ALL
SELECT 'weight NaN', overlay(m PLACING '\xffff'::bytea FROM length(m) - 2 * 4290 * 4 - 1 FOR 2) FROM (SELECT nn_init(64, '{64}', 2, '{"seed": 3}') AS m) s UNION ALL
SELECT 'bad magic', overlay(m PLACING 'XXXX'::bytea FROM 1 FOR 4) FROM (SELECT nn_init(64, '{64}', 2, '{"seed": 3}') AS m) s UNION ALL
SELECT 'truncated by 1', substr(m, 1, length(m) - 1) FROM (SELECT nn_init(64, '{64}', 2, '{"seed": 3}') AS m) s;
SELECT (nn_info(m)->>'parameters')::int AS n_params, length(m) AS bytes,
       pg_column_size(m) = length(m) AS stored_uncompressed
FROM stored WHERE name = 'intact';
SELECT nn_predict_proba(s.m, f) = nn_predict_proba(nn_init(64, '{64}', 2, '{"seed": 3}'), f) AS same_scores
FROM stored s, (SELECT array_agg((i / 10.0)::real) AS f FROM generate_series(1, 64) i) r
WHERE s.name = 'intact';
-- compressed out of line (a fresh model's zero Adam state compresses), the
-- slices are decompressed from the start: the same scores again
CREATE TABLE stored_compressed AS SELECT nn_init(512, '{512}', 3, '{"seed": 4}') AS m;
SELECT pg_column_compression(m) IS NOT NULL AS compressed, pg_column_size(m) > 2048 AS out_of_line,
       nn_predict_proba(m, array_fill(0.3::real, ARRAY[512])) =
       nn_predict_proba(nn_init(512, '{512}', 3, '{"seed": 4}'), array_fill(0.3::real, ARRAY[512])) AS same_scores
FROM stored_compressed;
CREATE TABLE stored_outcomes (name text, fn text, message text);
DO $$
DECLARE
    r record;
    fn text;
BEGIN
    FOR r IN SELECT name FROM stored LOOP
        FOREACH fn IN ARRAY ARRAY['nn_predict', 'nn_info'] LOOP
            BEGIN
                IF fn = 'nn_predict' THEN
                    PERFORM nn_predict(m, array_fill(0.5::real, ARRAY[64])) FROM stored WHERE name = r.name;
                ELSE
                    PERFORM nn_info(m) FROM stored WHERE name = r.name;
                END IF;
                INSERT INTO stored_outcomes VALUES (r.name, fn, 'no error');
            EXCEPTION WHEN OTHERS THEN
                INSERT INTO stored_outcomes VALUES (r.name, fn, SQLERRM);
            END;
        END LOOP;
    END LOOP;
END
$$;
SELECT name, fn, message FROM stored_outcomes ORDER BY name COLLATE "C", fn COLLATE "C";

DROP TABLE cm_data, good, bad, outcomes, small, sweep, stored, stored_compressed, stored_outcomes;
