-- nn_progress: training progress visible from other sessions.  pg_regress
-- runs one session, so this checks the view's shape and that a finished
-- training leaves nothing behind; test/progress.sh watches a live one.
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'nn_progress'::regclass AND attnum > 0 ORDER BY attnum;
SELECT count(*) AS running FROM nn_progress;
SELECT length(nn_train('SELECT i::real AS x, i % 2 AS y FROM generate_series(1, 50) i', 'y', NULL, '{2}',
                       '{"epochs": 2}')) > 0 AS trained;
-- the query text is restored once training ends
SELECT query LIKE '/* nn progress:%' AS still_annotated FROM pg_stat_activity WHERE pid = pg_backend_pid();
SELECT count(*) AS running FROM nn_progress;
-- nn.progress_interval: the least time between two reports of rows within
-- an epoch (test/progress.sh sets 0 to see every 1,024 rows on any CPU)
SHOW nn.progress_interval;
SET nn.progress_interval = 0;
SHOW nn.progress_interval;
SET nn.progress_interval = '2s';
SHOW nn.progress_interval;
SET nn.progress_interval = -1;
SET nn.progress_interval = '2h';
RESET nn.progress_interval;
