-- reliability_limits.sql - the scoring workspace budget (nn.score_memory)
-- and the ceilings only a superuser can set: nn.max_memory over
-- nn.train_memory and nn.score_memory, nn.max_blas_threads over
-- nn.blas_threads.
SELECT length(nn_init(2, '{2}', 2)) > 0 AS loaded;
SHOW nn.score_memory;
SHOW nn.max_blas_threads;
SELECT current_setting('nn.max_memory') = '1073741823MB' AS memory_unlimited;

-- scoring: 256 rows x (2048 + 2 units + 4 inputs) of workspace is 2 MB,
-- one row is 8 kB
CREATE TEMP TABLE wide AS SELECT nn_init(4, '{2048}', 2) AS m;
SET nn.score_memory = '1MB';
SELECT nn_predict_batch(m, ARRAY[[1, 2, 3, 4], [4, 3, 2, 1]]::real[]) FROM wide;
SELECT nn_predict(m, '{1,2,3,4}') IN (0, 1) AS per_row_fits FROM wide;
-- six layers of 65,536 units: one row's workspace is 1.5 MB
SELECT nn_predict(nn_init(4, '{65536,1,65536,1,65536,1,65536,1,65536,1,65536}', 2), '{1,2,3,4}');
SET nn.score_memory = '4MB';
SELECT cardinality(nn_predict_batch(m, ARRAY[[1, 2, 3, 4], [4, 3, 2, 1]]::real[])) AS scored FROM wide;
RESET nn.score_memory;
SET nn.score_memory = 0;

-- ceilings: a setting above its ceiling is refused
SET nn.max_memory = '64MB';
SET nn.train_memory = '128MB';
SET nn.score_memory = '65MB';
SET nn.train_memory = '64MB';
SET nn.score_memory = '2MB';
SHOW nn.train_memory;
-- a ceiling lowered afterwards still holds: nn uses the smaller value
SET nn.max_memory = '1MB';
SHOW nn.train_memory;
SELECT nn_fit(nn_init(1, '{2048}', 1, '{"batch_size": 65536}'), ARRAY[i::real], i::real)
FROM generate_series(1, 10) i;
SELECT nn_predict_batch(m, ARRAY[[1, 2, 3, 4]]::real[]) FROM wide;
SELECT nn_info(nn_train('SELECT array_fill(i::real, ARRAY[100]) AS a, i % 2 AS y FROM generate_series(1, 3000) i',
                        'y', NULL, '{}', '{"epochs": 1}'))->'rows_trained' AS rows_trained_streamed;
RESET nn.max_memory;
RESET nn.train_memory;
RESET nn.score_memory;

SET nn.max_blas_threads = 2;
SET nn.blas_threads = 3;
SET nn.blas_threads = 2;
-- lowering the ceiling leaves the setting as it is, and OpenBLAS at 1 thread
SET nn.max_blas_threads = 1;
SHOW nn.blas_threads;
RESET nn.blas_threads;
RESET nn.max_blas_threads;
SET nn.max_blas_threads = 65;

-- OpenBLAS runs on one thread, so it starts no pool of its own; training
-- on 2 threads starts one worker of nn's, which sleeps when idle and
-- stays.  The products' parts are fixed by their shapes (kernels/dense.h),
-- so 1 and 2 threads, and the default (0: 1 + max_parallel_workers_per_gather,
-- at most the CPUs), give the same bytes.
SELECT count(*) AS backend_threads FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
SHOW nn.blas_threads;
SET nn.blas_threads = 2;
CREATE TEMP TABLE threaded AS
SELECT nn_train('SELECT array_fill((i % 7)::real, ARRAY[256]) AS a, i % 2 AS y FROM generate_series(1, 2048) i',
                'y', NULL, '{256}', '{"epochs": 2, "batch_size": 512, "seed": 3}') AS m;
SELECT count(*) AS backend_threads FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
-- an idle worker sleeps (state S) within a millisecond
SELECT pg_sleep(0.05);
SELECT count(*) FILTER (WHERE substring(pg_read_file(format('/proc/%s/task/%s/stat', pg_backend_pid(), t))
                                        FROM '\) (\w)') = 'S') AS sleeping_threads
FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task') t;
SET nn.blas_threads = 1;
SELECT nn_train('SELECT array_fill((i % 7)::real, ARRAY[256]) AS a, i % 2 AS y FROM generate_series(1, 2048) i',
                'y', NULL, '{256}', '{"epochs": 2, "batch_size": 512, "seed": 3}') = m AS same_bytes_1_thread
FROM threaded;
RESET nn.blas_threads;
SELECT nn_train('SELECT array_fill((i % 7)::real, ARRAY[256]) AS a, i % 2 AS y FROM generate_series(1, 2048) i',
                'y', NULL, '{256}', '{"epochs": 2, "batch_size": 512, "seed": 3}') = m AS same_bytes_default
FROM threaded;

-- batch scoring (the window functions, nn_predict_batch, nn_evaluate) runs
-- on the same threads, with the same outputs at 1 and 2: a block of 256
-- rows through the 256 x 256 layer is a product of 16.8 M multiply-adds,
-- split in two parts
CREATE TEMP TABLE score_rows AS
SELECT i, ARRAY(SELECT (((i * j) % 13) / 4.0)::real FROM generate_series(1, 256) j) AS a, i % 2 AS y
FROM generate_series(1, 600) i;
CREATE TEMP TABLE scored AS
SELECT blas_threads, i, nn_predict_proba_window(m, a) OVER (ORDER BY i) AS p
FROM threaded, score_rows, (VALUES (1)) v(blas_threads) WHERE false;
CREATE FUNCTION pg_temp.score_at(threads int) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('nn.blas_threads', threads::text, true);
    INSERT INTO scored SELECT threads, i, nn_predict_proba_window(m, a) OVER (ORDER BY i)
    FROM threaded, score_rows;
    RETURN jsonb_build_object(
        'batch', (SELECT nn_predict_batch(m, (SELECT array_agg(a ORDER BY i) FROM score_rows)) FROM threaded),
        'evaluate', (SELECT nn_evaluate(m, 'score_rows', 'y') FROM threaded));
END $$;
SELECT pg_temp.score_at(1) = pg_temp.score_at(2) AS same_batch_and_evaluate_1_2_threads;
SELECT count(*) AS rows_compared, bool_and(a.p = b.p) AS same_window_1_2_threads
FROM scored a JOIN scored b USING (i) WHERE a.blas_threads = 1 AND b.blas_threads = 2;

-- only a superuser sets a ceiling, and ALTER ROLE SET is checked too
CREATE ROLE nn_limits_user;
SET nn.max_memory = '64MB';
ALTER ROLE nn_limits_user SET nn.train_memory = '128MB';
ALTER ROLE nn_limits_user SET nn.train_memory = '32MB';
RESET nn.max_memory;
SET ROLE nn_limits_user;
SET nn.max_memory = '100GB';
SET nn.max_blas_threads = 64;
SET nn.train_memory = '2GB';
SHOW nn.train_memory;
RESET nn.train_memory;
RESET ROLE;
DROP ROLE nn_limits_user;
