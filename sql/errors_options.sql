-- Errors in options, hidden and nn_init's arguments: each names the key
-- and what it accepts.

CREATE TABLE eo AS
SELECT i::real AS x, (i % 2) AS y FROM generate_series(1, 20) i;

-- unknown keys (nn_train and nn_init list what they accept)
SELECT nn_train('eo', 'y', NULL, '{4}', '{"bogus": 1}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"Epochs": 1}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": 1, "lr": 0.1}');
SELECT nn_init(2, '{4}', 2, '{"epochs": 3}');
SELECT nn_init(2, '{4}', 2, '{"standardize": false}');
SELECT nn_init(2, '{4}', 2, '{"verbose": true}');

-- options must be an object
SELECT nn_train('eo', 'y', NULL, '{4}', '[1, 2]');
SELECT nn_train('eo', 'y', NULL, '{4}', '"epochs"');
SELECT nn_train('eo', 'y', NULL, '{4}', '3');
SELECT nn_train('eo', 'y', NULL, '{4}', 'null');
SELECT nn_init(2, '{4}', 2, '[]');

-- epochs: an integer from 1 to 1000000
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": 0}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": -3}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": 1.5}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": 1000001}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": 99999999999999999999999}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": "10"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": true}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": null}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"epochs": [1]}');

-- batch_size: an integer from 1 to 65536
SELECT nn_train('eo', 'y', NULL, '{4}', '{"batch_size": 0}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"batch_size": 65537}');
SELECT nn_init(2, '{4}', 2, '{"batch_size": 2.5}');

-- learning_rate: a positive number
SELECT nn_train('eo', 'y', NULL, '{4}', '{"learning_rate": 0}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"learning_rate": -0.1}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"learning_rate": "fast"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"learning_rate": 1e400}');
SELECT nn_init(2, '{4}', 2, '{"learning_rate": {}}');

-- optimizer, activation, loss, task: one of the names
SELECT nn_train('eo', 'y', NULL, '{4}', '{"optimizer": "lbfgs"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"optimizer": "Adam"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"optimizer": 1}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"activation": "gelu"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"activation": "softmax"}');
SELECT nn_init(2, '{4}', 2, '{"activation": ""}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"loss": "hinge"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"loss": null}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"task": "clustering"}');
SELECT nn_init(2, '{4}', 2, '{"task": true}');

-- seed: an integer from 0 to 2^63 - 1
SELECT nn_train('eo', 'y', NULL, '{4}', '{"seed": -1}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"seed": 9223372036854775808}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"seed": 0.5}');
SELECT nn_init(2, '{4}', 2, '{"seed": "42"}');

-- standardize, verbose: booleans
SELECT nn_train('eo', 'y', NULL, '{4}', '{"standardize": "yes"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"standardize": 1}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"verbose": "true"}');

-- a loss that does not fit the task
SELECT nn_train('eo', 'y', NULL, '{4}', '{"loss": "mse"}');
SELECT nn_train('SELECT x, x::float8 * 2 AS t FROM eo', 't', NULL, '{4}', '{"loss": "cross_entropy"}');
SELECT nn_train('SELECT x, x::float8 * 2 AS t FROM eo', 't', NULL, '{4}', '{"loss": "binary_cross_entropy"}');
SELECT nn_train('SELECT x, (x::int % 3) AS t FROM eo', 't', NULL, '{4}', '{"loss": "binary_cross_entropy"}');
SELECT nn_train('eo', 'y', NULL, '{4}', '{"task": "regression", "loss": "cross_entropy"}');
SELECT nn_init(2, '{4}', 3, '{"loss": "mse"}');
SELECT nn_init(2, '{4}', 3, '{"loss": "binary_cross_entropy"}');
SELECT nn_init(2, '{4}', 1, '{"loss": "cross_entropy"}');
SELECT nn_init(2, '{4}', 2, '{"task": "regression"}');
-- a text target cannot be a regression target
SELECT nn_train('SELECT x, y::text AS t FROM eo', 't', NULL, '{4}', '{"task": "regression"}');

-- hidden
SELECT nn_train('eo', 'y', NULL, '{0}');
SELECT nn_train('eo', 'y', NULL, '{8, -1}');
SELECT nn_train('eo', 'y', NULL, '{65537}');
SELECT nn_train('eo', 'y', NULL, '{{4, 4}}');
SELECT nn_train('eo', 'y', NULL, '{4, NULL}');
SELECT nn_train('eo', 'y', NULL, array_fill(2, ARRAY[64]));
SELECT nn_init(2, '{0}', 2);
SELECT nn_init(2, array_fill(2, ARRAY[64]), 2);

-- NULL source, target or hidden
SELECT nn_train(NULL, 'y');
SELECT nn_train('eo', NULL);
SELECT nn_train('eo', 'y', NULL, NULL);

-- nn_init sizes
SELECT nn_init(0, '{4}', 2);
SELECT nn_init(-1, '{4}', 2);
SELECT nn_init(65537, '{4}', 2);
SELECT nn_init(2, '{4}', 0);
SELECT nn_init(2, '{4}', 10001);
-- nn_init is STRICT
SELECT nn_init(2, '{4}', 2, NULL) IS NULL AS null_options;

-- the session goes on after the errors
SELECT nn_info(nn_train('eo', 'y', NULL, '{4}', '{"epochs": 2}'))->'epochs' AS epochs;

-- The SQLSTATE of each error class (README, Errors): each statement runs in
-- a subtransaction that catches its error and returns the code and message.
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/test/error_of.sql
\set ECHO all
SET nn.max_memory = '64MB';
SELECT c.what, e.code, e.message
FROM (VALUES
    (1, 'unknown option', $$SELECT nn_train('eo', 'y', NULL, '{4}', '{"bogus": 1}')$$),
    (2, 'option out of range', $$SELECT nn_init(2, '{4}', 2, '{"batch_size": 0}')$$),
    (3, 'options not an object', $$SELECT nn_init(2, '{4}', 2, '[]')$$),
    (4, 'loss for the other task', $$SELECT nn_init(2, '{4}', 3, '{"loss": "mse"}')$$),
    (5, 'hidden width 0', $$SELECT nn_train('eo', 'y', NULL, '{0}')$$),
    (6, 'n_inputs 0', $$SELECT nn_init(0, '{4}', 2)$$),
    (7, 'hidden 2-D', $$SELECT nn_train('eo', 'y', NULL, '{{4, 4}}')$$),
    (8, 'hidden NULL width', $$SELECT nn_train('eo', 'y', NULL, '{4, NULL}')$$),
    (9, 'hidden NULL', $$SELECT nn_train('eo', 'y', NULL, NULL)$$),
    (10, 'hidden width too large', $$SELECT nn_init(2, '{65537}', 2)$$),
    (11, 'too many layers', $$SELECT nn_init(2, array_fill(2, ARRAY[64]), 2)$$),
    (12, 'n_inputs too large', $$SELECT nn_init(65537, '{4}', 2)$$),
    (13, 'n_outputs too large', $$SELECT nn_init(2, '{4}', 10001)$$),
    (14, 'setting above its ceiling', $$SET nn.train_memory = '128MB'$$)
) c(n, what, query), LATERAL pg_temp.error_of(c.query) e
ORDER BY c.n;
RESET nn.max_memory;

DROP TABLE eo;
