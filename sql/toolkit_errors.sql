-- Errors in the training toolkit's options: each names the key and what
-- it accepts.  Wrong types, values out of range, unknown names, malformed
-- layers and class weights, bad weight columns, keys a function does not
-- take.  (NULL arguments of nn_continue: warm_start_nulls.sql.)

CREATE TABLE te_rows AS
SELECT i::real AS x, (i % 2) AS y, (i * 0.5)::float8 AS r, (i % 3)::float8 AS w,
       'a'::text AS t, i - 10 AS signed
FROM generate_series(1, 20) i;

-- optimizer: one of eight names
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"optimizer": "lbfgs"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"optimizer": "AdamW"}');
SELECT nn_init(1, '{4}', 2, '{"optimizer": ["adam"]}');

-- momentum, rho, beta1, beta2: a number in [0, 1)
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"momentum": 1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"momentum": -0.1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"momentum": "0.9"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"rho": 1.5}');
SELECT nn_init(1, '{4}', 2, '{"rho": null}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"beta1": 1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"beta2": -0.5}');
SELECT nn_init(1, '{4}', 2, '{"beta2": true}');

-- epsilon: positive; weight_decay, l1, l2: >= 0
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"epsilon": 0}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"epsilon": -1e-8}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_decay": -0.01}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_decay": "none"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"l1": -1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"l2": "big"}');
SELECT nn_init(1, '{4}', 2, '{"l2": 1e400}');

-- lr_schedule: one of four names; step_size >= 1; gamma in (0, 1];
-- warmup_epochs >= 0
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"lr_schedule": "linear"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"lr_schedule": "Cosine"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"lr_schedule": 1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"step_size": 0}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"step_size": 2.5}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"gamma": 0}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"gamma": 1.5}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"gamma": -0.1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"warmup_epochs": -1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"warmup_epochs": "2"}');

-- dropout: [0, 1); batch_norm: a boolean
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"dropout": 1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"dropout": -0.2}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"batch_norm": 1}');
SELECT nn_init(1, '{4}', 2, '{"batch_norm": "true"}');

-- clip_value, clip_norm, clip_global_norm: positive numbers
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"clip_value": 0}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"clip_norm": -1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"clip_global_norm": null}');
SELECT nn_init(1, '{4}', 2, '{"clip_global_norm": "5"}');

-- init: one of three names ('auto' is the default, not a name to give)
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"init": "glorot"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"init": "auto"}');
SELECT nn_init(1, '{4}', 2, '{"init": 2}');

-- layers: an array of objects, each with units and only the four keys
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": {"units": 3}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": 3}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [3, 2]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3}, [2]]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3, "size": 2}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3}, {"units": 2, "Activation": "tanh"}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"activation": "tanh"}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3}, {}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 0}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 65537}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": "3"}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3, "activation": "softmax"}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3, "dropout": 1}]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"layers": [{"units": 3, "batch_norm": "yes"}]}');
SELECT nn_init(1, '{4}', 2, jsonb_build_object('layers', (SELECT jsonb_agg('{"units": 2}'::jsonb) FROM generate_series(1, 64))));

-- validation_fraction: [0, 1), and it must leave training rows; patience
-- >= 0; restore_best a boolean
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"validation_fraction": 1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"validation_fraction": -0.1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"validation_fraction": "10%"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"validation_fraction": 0.999}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"patience": -1}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"patience": 1.5}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"restore_best": "no"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"restore_best": 0}');

-- class_weight: 'balanced' or an object of positive weights, naming
-- classes of a classification target
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": "balance"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": "Balanced"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": [1, 2]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": 2}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": true}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": {"0": -1}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": {"0": 0}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": {"0": "2"}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": {"1": 2, "0": null}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": {"7": 2}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": {"1": 2, "one": 3}}');
SELECT nn_train('SELECT x, y::text AS y FROM te_rows', 'y', NULL, '{4}', '{"class_weight": {" 1": 2}}');
SELECT nn_train('te_rows', 'r', '{x}', '{4}', '{"class_weight": "balanced"}');
SELECT nn_train('te_rows', 'r', '{x}', '{4}', '{"class_weight": {"1": 2}}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"class_weight": "balanced", "task": "regression"}');

-- weight_column: a column name; an existing numeric column of the source,
-- not the target or a feature, without negative values
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": 3}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": ["w"]}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": "nope"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": "W"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": "t"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": "x"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": "y"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"weight_column": "signed"}');
SELECT nn_train('SELECT x, y, ''NaN''::float8 AS w FROM te_rows', 'y', '{x}', '{4}', '{"weight_column": "w"}');
SELECT nn_train('SELECT x, y, ''infinity''::float8 AS w FROM te_rows', 'y', '{x}', '{4}', '{"weight_column": "w"}');

-- loss: the regression losses are not for classification; delta positive
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"loss": "mae"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"loss": "huber"}');
SELECT nn_init(1, '{4}', 3, '{"loss": "huber"}');
SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"loss": "Huber"}');
SELECT nn_train('te_rows', 'r', '{x}', '{4}', '{"loss": "huber", "delta": 0}');
SELECT nn_train('te_rows', 'r', '{x}', '{4}', '{"delta": -1}');
SELECT nn_init(1, '{4}', 1, '{"delta": "1"}');

-- nn_init takes the network's and updates' options, not training's
SELECT nn_init(1, '{4}', 2, '{"epochs": 3}');
SELECT nn_init(1, '{4}', 2, '{"patience": 3}');
SELECT nn_init(1, '{4}', 2, '{"validation_fraction": 0.1}');
SELECT nn_init(1, '{4}', 2, '{"restore_best": true}');
SELECT nn_init(1, '{4}', 2, '{"lr_schedule": "step"}');
SELECT nn_init(1, '{4}', 2, '{"step_size": 2}');
SELECT nn_init(1, '{4}', 2, '{"gamma": 0.5}');
SELECT nn_init(1, '{4}', 2, '{"warmup_epochs": 1}');
SELECT nn_init(1, '{4}', 2, '{"class_weight": "balanced"}');
SELECT nn_init(1, '{4}', 2, '{"weight_column": "w"}');
-- ... and every one of those it does take, all at once
SELECT nn_info(nn_init(1, '{4}', 2,
    '{"activation": "tanh", "batch_norm": true, "batch_size": 8, "beta1": 0.8, "beta2": 0.99,
      "clip_global_norm": 5, "clip_norm": 2, "clip_value": 1, "delta": 2, "dropout": 0.1, "epsilon": 1e-7,
      "init": "xavier", "l1": 0.001, "l2": 0.01, "layers": [{"units": 3}], "learning_rate": 0.01,
      "loss": "cross_entropy", "momentum": 0.5, "optimizer": "adamw", "rho": 0.8, "seed": 5,
      "task": "classification", "weight_decay": 0.1}'))->'layers' AS layers;

-- nn_continue takes epochs and verbose only; the rest comes from the model
CREATE TABLE te_model AS SELECT nn_train('te_rows', 'y', '{x}', '{4}', '{"epochs": 1}') AS m;
SELECT nn_continue(m, 'te_rows', '{"learning_rate": 0.1}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"seed": 2}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"validation_fraction": 0.2}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"patience": 2}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"optimizer": "sgd"}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"weight_column": "w"}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"bogus": 1}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"epochs": 0}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"epochs": "2"}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '{"verbose": 1}') FROM te_model;
SELECT nn_continue(m, 'te_rows', '[2]') FROM te_model;
-- a damaged model is reported as such
SELECT nn_continue(substr(m, 1, 40), 'te_rows') FROM te_model;
SELECT nn_continue('\x00'::bytea, 'te_rows');
SELECT nn_continue(m, 'no_such_table') FROM te_model;

-- the session goes on after the errors
SELECT nn_info(nn_continue(m, 'te_rows', '{"epochs": 2}'))->'epochs' AS epochs FROM te_model;

DROP TABLE te_rows, te_model;
