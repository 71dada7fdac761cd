-- model_md5s.sql - a fixed matrix of trainings, one line per configuration:
--   name  md5(model bytes)  md5(scores)  md5(nn_info, nn_plot, nn_evaluate)
-- then "check" lines: true when the matrix exercised what its names say
-- (rows streamed, early stopping stopped, a parallel plan, ...).
-- Run by test/reliability/model_md5s.sh on two builds of the same machine:
-- a refactor that changes no behaviour leaves every line the same.
--
-- Every feature comes from sin()/cos() of the row number, so each run builds
-- the same floats; no random().  The tables are ordinary ones (not TEMP) so
-- that the parallel nn_fit below can run in a worker.
\pset tuples_only on
\pset format unaligned
SET client_min_messages = warning;
SET extra_float_digits = 3;
SET nn.blas_threads = 1;
SET max_parallel_workers_per_gather = 0;

DO $$ BEGIN PERFORM nn_init(1, '{}', 1); END $$;  -- loads nn, which defines nn.blas_core
SELECT 'header blas_core=' || current_setting('nn.blas_core') ||
       ' blas_threads=' || current_setting('nn.blas_threads') ||
       ' row_product=' || current_setting('nn.row_product') ||
       ' server=' || current_setting('server_version_num');

-- d: 600 rows, every kind of feature and target, three unbalanced classes
CREATE TABLE d AS
SELECT i AS id,
       ARRAY[sin(i * 0.37), cos(i * 0.21), sin(i * 0.11 + 1), cos(i * 0.53),
             sin(i * 0.07) * 3, (i % 10) / 10.0]::real[] AS x,
       ARRAY[cos(i * 0.29), sin(i * 0.41), 1.5]::float8[] AS xd,
       (sin(i * 0.7) * 3)::real AS a,
       (i % 13) / 13.0::float8 AS b,
       round((cos(i * 0.13) * 100)::numeric, 2) AS n,
       (i % 7)::smallint AS k,
       (i % 3 = 0) AS flag,
       (ARRAY['red', 'green', 'blue', 'amber'])[1 + i % 4] AS color,
       ('s' || (i * 7) % 5)::char(3) AS size,
       s.c AS y,
       (ARRAY['lo', 'mid', 'hi'])[1 + s.c] AS ylab,
       sin(i * 0.37) > cos(i * 0.21) AS yb,
       (2 * sin(i * 0.37) - cos(i * 0.21) + 0.1 * (i % 5))::real AS yr,
       (sin(i * 0.37) * cos(i * 0.53) * 10 + i % 3)::float8 AS yd,
       round((sin(i * 0.11 + 1) * 50 + cos(i * 0.21) * 20)::numeric, 3) AS ynum,
       CASE WHEN i % 17 = 0 THEN 0 ELSE 0.5 + (i % 4) * 0.5 END::real AS w
FROM generate_series(1, 600) i,
     LATERAL (SELECT CASE WHEN sin(i * 0.37) + 0.5 * cos(i * 0.21) > 0.9 THEN 2
                          WHEN sin(i * 0.37) + 0.5 * cos(i * 0.21) > -0.2 THEN 1
                          ELSE 0 END AS c) s;
-- dn: d with NULLs in an array element, a scalar and a text feature
CREATE TABLE dn AS
SELECT id,
       CASE WHEN id % 11 = 0 THEN x[1:2] || ARRAY[NULL::real] || x[4:6] ELSE x END AS x,
       CASE WHEN id % 13 = 0 THEN NULL ELSE a END AS a,
       CASE WHEN id % 7 = 0 THEN NULL ELSE color END AS color,
       size, y, ylab, yr
FROM d;
-- big: 6,000 rows of 64 inputs (264 bytes a row), beyond nn.train_memory = 1MB
CREATE TABLE big AS
SELECT i AS id, f AS x,
       CASE WHEN i % 9 = 0 THEN f[1:10] || ARRAY[NULL::real] || f[12:64] ELSE f END AS xn,
       CASE WHEN i % 10 = 0 THEN NULL ELSE (ARRAY['red', 'green', 'blue', 'amber'])[1 + i % 4] END AS color,
       CASE WHEN f[1] + f[2] > 0.5 THEN 2 WHEN f[1] + f[2] > -0.5 THEN 1 ELSE 0 END AS y
FROM generate_series(1, 6000) i,
     LATERAL (SELECT ARRAY(SELECT sin(i * 0.37 + j * 1.3)::real FROM generate_series(1, 64) j) AS f) g;
ANALYZE d, dn, big;

-- the "check" lines, printed last
CREATE TABLE checks (ord serial, name text, result text);

-- what each line scores: the source it names (a table or a SELECT); by_name,
-- the model's name in nn_models
CREATE TABLE models (ord serial, name text UNIQUE, m bytea, src text, target text, by_name text);

-- nn_train configurations: base options {"epochs": 3, "seed": 7} || opts
CREATE TABLE configs (ord serial, name text, src text, target text, features text[], hidden int[], opts jsonb);
INSERT INTO configs (name, src, target, features, hidden, opts) VALUES
 -- every optimizer
 ('opt_sgd',              'd', 'y', '{x}', '{16}', '{"optimizer": "sgd", "learning_rate": 0.05}'),
 ('opt_momentum',         'd', 'y', '{x}', '{16}', '{"optimizer": "momentum", "momentum": 0.8}'),
 ('opt_nesterov',         'd', 'y', '{x}', '{16}', '{"optimizer": "nesterov"}'),
 ('opt_rmsprop',          'd', 'y', '{x}', '{16}', '{"optimizer": "rmsprop", "rho": 0.8}'),
 ('opt_adagrad',          'd', 'y', '{x}', '{16}', '{"optimizer": "adagrad"}'),
 ('opt_adadelta',         'd', 'y', '{x}', '{16}', '{"optimizer": "adadelta", "epsilon": 1e-5}'),
 ('opt_adam',             'd', 'y', '{x}', '{16}', '{"optimizer": "adam", "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-7}'),
 ('opt_adamw',            'd', 'y', '{x}', '{16}', '{"optimizer": "adamw", "weight_decay": 0.05}'),
 -- every schedule
 ('sched_constant',       'd', 'y', '{x}', '{16}', '{"lr_schedule": "constant", "learning_rate": 0.01}'),
 ('sched_step',           'd', 'y', '{x}', '{16}', '{"lr_schedule": "step", "step_size": 1, "gamma": 0.5, "epochs": 4}'),
 ('sched_exponential',    'd', 'y', '{x}', '{16}', '{"lr_schedule": "exponential", "gamma": 0.8}'),
 ('sched_cosine_warmup',  'd', 'y', '{x}', '{16}', '{"lr_schedule": "cosine", "warmup_epochs": 2, "epochs": 5}'),
 -- network shape: activations, initializations, batch norm, dropout, layers
 ('act_sigmoid_xavier',   'd', 'y', '{x}', '{16,8}', '{"activation": "sigmoid", "init": "xavier"}'),
 ('act_tanh_uniform',     'd', 'y', '{x}', '{16}', '{"activation": "tanh", "init": "uniform"}'),
 ('act_leaky_relu_he',    'd', 'y', '{x}', '{16}', '{"activation": "leaky_relu", "init": "he"}'),
 ('act_identity',         'd', 'y', '{x}', '{16}', '{"activation": "identity"}'),
 ('no_hidden_layer',      'd', 'y', '{x}', '{}',   '{}'),
 ('batch_norm',           'd', 'y', '{x}', '{16,8}', '{"batch_norm": true, "batch_size": 20}'),
 ('dropout',              'd', 'y', '{x}', '{16,8}', '{"dropout": 0.3}'),
 ('layers_mixed',         'd', 'y', '{x}', '{4}',
  '{"activation": "sigmoid", "layers": [{"units": 12, "activation": "tanh", "batch_norm": true}, {"units": 6, "dropout": 0.2}]}'),
 ('batch_size_1',         'd', 'y', '{x}', '{8}',  '{"batch_size": 1, "optimizer": "sgd", "epochs": 1}'),
 ('batch_size_all_rows',  'd', 'y', '{x}', '{16}', '{"batch_size": 1000, "epochs": 5}'),
 ('seed_other',           'd', 'y', '{x}', '{16}', '{"seed": 9223372036854775807}'),
 ('verbose',              'd', 'y', '{x}', '{16}', '{"verbose": true}'),
 -- each clipping mode, L1 and L2
 ('clip_value',           'd', 'y', '{x}', '{16}', '{"clip_value": 0.01}'),
 ('clip_norm',            'd', 'y', '{x}', '{16}', '{"clip_norm": 0.1}'),
 ('clip_global_norm',     'd', 'y', '{x}', '{16}', '{"clip_global_norm": 0.1}'),
 ('reg_l1',               'd', 'y', '{x}', '{16}', '{"l1": 0.001}'),
 ('reg_l2',               'd', 'y', '{x}', '{16}', '{"l2": 0.01}'),
 ('reg_l1_l2_bn_momentum','d', 'y', '{x}', '{16}', '{"l1": 0.0005, "l2": 0.005, "batch_norm": true, "optimizer": "momentum"}'),
 -- class and row weights
 ('class_weight_balanced','d', 'y', '{x}', '{16}', '{"class_weight": "balanced"}'),
 ('class_weight_object',  'd', 'ylab', '{x}', '{16}', '{"class_weight": {"hi": 3, "lo": 0.5}}'),
 ('row_weights',          'd', 'y', '{x}', '{16}', '{"weight_column": "w"}'),
 ('row_and_class_weights','d', 'ylab', '{x}', '{16}', '{"weight_column": "w", "class_weight": "balanced"}'),
 -- every loss, and each kind of target
 ('loss_cross_entropy_text', 'd', 'ylab', '{x}', '{16}', '{"loss": "cross_entropy"}'),
 ('loss_bce_boolean',     'd', 'yb', '{x}', '{16}', '{"loss": "binary_cross_entropy"}'),
 ('boolean_softmax',      'd', 'yb', '{x}', '{16}', '{}'),
 ('loss_mse_real',        'd', 'yr', '{x,a,b}', '{16}', '{"loss": "mse"}'),
 ('loss_mae_float8',      'd', 'yd', '{x}', '{16}', '{"loss": "mae"}'),
 ('loss_huber_numeric',   'd', 'ynum', '{x}', '{16}', '{"loss": "huber", "delta": 0.5}'),
 ('regression_raw_units', 'd', 'yr', '{x}', '{16}', '{"standardize": false, "optimizer": "sgd"}'),
 ('task_regression_int',  'd', 'y', '{x}', '{16}', '{"task": "regression"}'),
 -- features: scalars of each type, a float8[] array, text (categorical)
 -- under each impute mode, every column of a query
 ('features_scalars',     'd', 'y', '{a,b,n,k,flag,xd}', '{16}', '{}'),
 ('categorical_impute_skip',  'dn', 'ylab', '{x,color,size,a}', '{16}', '{"impute": "skip"}'),
 ('categorical_impute_error', 'd',  'ylab', '{x,color,size,a}', '{16}', '{"impute": "error"}'),
 ('categorical_impute_mean',  'dn', 'ylab', '{x,color,size,a}', '{16}', '{"impute": "mean"}'),
 ('categorical_impute_zero',  'dn', 'ylab', '{x,color,size,a}', '{16}', '{"impute": "zero"}'),
 ('regression_impute_mean',   'dn', 'yr', '{x,color,a}', '{8}', '{"impute": "mean", "loss": "huber"}'),
 ('features_null_query',
  'SELECT id, x, a, flag, color, size, y FROM d WHERE id % 5 <> 0', 'y', NULL, '{16}', '{}'),
 -- validation and early stopping
 ('val_early_stop',       'd', 'y', '{x}', '{16}',
  '{"validation_fraction": 0.25, "patience": 2, "epochs": 40, "learning_rate": 0.05}'),
 ('val_early_stop_no_restore', 'd', 'y', '{x}', '{16}',
  '{"validation_fraction": 0.25, "patience": 2, "epochs": 40, "learning_rate": 0.05, "restore_best": false}'),
 ('val_regression',       'd', 'yr', '{x}', '{16}', '{"validation_fraction": 0.2, "epochs": 4}'),
 ('patience_train_loss',  'd', 'y', '{x}', '{16}', '{"patience": 1, "epochs": 30, "learning_rate": 0.5}'),
 -- the first half of continue_2_plus_2 below, and what it must equal
 ('continue_base',        'd', 'y', '{x}', '{16,8}',
  '{"epochs": 2, "dropout": 0.2, "lr_schedule": "step", "step_size": 1, "gamma": 0.7, "validation_fraction": 0.2}'),
 ('continue_whole_4',     'd', 'y', '{x}', '{16,8}',
  '{"epochs": 4, "dropout": 0.2, "lr_schedule": "step", "step_size": 1, "gamma": 0.7, "validation_fraction": 0.2}');
-- features_null_query's own source has no id: it is scored on d
INSERT INTO models (name, m, src, target)
SELECT name, nn_train(src, target, features, hidden, '{"epochs": 3, "seed": 7}'::jsonb || opts),
       CASE WHEN name = 'features_null_query' THEN 'd' ELSE src END, target
FROM configs ORDER BY ord;

-- nn_continue: 2 epochs on top of continue_base (nn_train, 2 epochs), the
-- same bytes as nn_train for 4 (README); and a cosine schedule with warmup,
-- which then spans the 7 epochs of both runs
INSERT INTO models (name, m, src, target)
SELECT 'continue_2_plus_2', nn_continue(m, 'd', '{"epochs": 2}'), 'd', 'y'
FROM models WHERE name = 'continue_base';
INSERT INTO models (name, m, src, target)
SELECT 'continue_cosine_warmup', nn_continue(m, 'd', '{"epochs": 2}'), 'd', 'y'
FROM models WHERE name = 'sched_cosine_warmup';

-- the nn_fit aggregate called directly, on nn_init models and a trained one
INSERT INTO models (name, m, src)
WITH p1 AS (SELECT nn_fit(nn_init(6, '{16}', 3, '{"seed": 3, "optimizer": "nesterov"}'),
                          x, y::real ORDER BY id) AS m FROM d)
SELECT 'fit_init_classifier_2_passes', nn_fit(p1.m, x, y::real ORDER BY id), 'd' FROM d, p1 GROUP BY p1.m;
INSERT INTO models (name, m, src)
SELECT 'fit_init_regressor_bn', nn_fit(nn_init(6, '{8,4}', 1, '{"seed": 4, "batch_norm": true, "loss": "huber", "batch_size": 16}'),
                                       x, yr ORDER BY id), 'd' FROM d;
INSERT INTO models (name, m, src)
SELECT 'fit_init_binary', nn_fit(nn_init(6, '{8}', 1, '{"task": "classification", "optimizer": "rmsprop", "clip_norm": 0.5}'),
                                 x, yb::int::real ORDER BY id), 'd' FROM d;
INSERT INTO models (name, m, src, target)
SELECT 'fit_after_nn_train', nn_fit(t.m, x, y::real ORDER BY id), 'd', 'y'
FROM d, models t WHERE t.name = 'opt_adam' GROUP BY t.m;
-- the aggregate through a parallel plan (serialize, deserialize, combine):
-- one worker at most and no leader rows, so one partial state takes every
-- row in table order and the bytes do not depend on timing
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
-- two workers planned (so the plan is cheaper than a serial one), one allowed
SET max_parallel_workers_per_gather = 2;
SET max_parallel_workers = 1;
-- RETURN QUERY may plan in parallel (a FOR loop over EXECUTE may not)
CREATE FUNCTION mm_plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;
\set fit_parallel 'SELECT nn_fit(nn_init(6, ''{16}'', 3, ''{"seed": 5}''), x, y::real) AS fitted FROM d'
INSERT INTO checks (name, result)
SELECT 'fit_parallel_plan_is_partial', bool_or(p ~ 'Partial Aggregate') FROM mm_plan(:'fit_parallel') p;
-- a top-level SELECT (an INSERT would not run in parallel)
:fit_parallel \gset mm_
INSERT INTO models (name, m, src) VALUES ('fit_parallel_one_worker', :'mm_fitted'::bytea, 'd');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET max_parallel_workers;
SET max_parallel_workers_per_gather = 0;

-- the catalog: nn_train's "name" registers the model, scored by name too
SELECT nn_train('d', 'y', '{x}', '{16}', '{"epochs": 3, "seed": 7, "name": "mm_catalog"}') AS trained \gset mm_
INSERT INTO models (name, m, src, target, by_name)
VALUES ('catalog_by_name', nn_model('mm_catalog'), 'd', 'y', 'mm_catalog');
INSERT INTO checks (name, result)
VALUES ('catalog_keeps_the_bytes', nn_model('mm_catalog') = :'mm_trained'::bytea);

-- rows streamed beyond nn.train_memory (6,000 rows, about 1.6 MB)
SET nn.train_memory = '1MB';
INSERT INTO models (name, m, src, target)
SELECT 'stream_basic', nn_train('big', 'y', '{x}', '{16}', '{"epochs": 2, "seed": 7}'), 'big', 'y';
INSERT INTO models (name, m, src, target)
SELECT 'stream_categorical_mean_val', nn_train('big', 'y', '{xn,color}', '{16}',
       '{"epochs": 20, "seed": 7, "impute": "mean", "validation_fraction": 0.2, "patience": 1,
         "learning_rate": 0.05, "class_weight": "balanced", "batch_norm": true}'), 'big', 'y';
INSERT INTO models (name, m, src, target)
SELECT 'stream_continue', nn_continue(m, 'big', '{"epochs": 1}'), 'big', 'y'
FROM models WHERE name = 'stream_basic';
RESET nn.train_memory;
-- the same as stream_basic in memory: must differ (the chunks shuffle apart)
INSERT INTO models (name, m, src, target)
SELECT 'stream_basic_in_memory', nn_train('big', 'y', '{x}', '{16}', '{"epochs": 2, "seed": 7}'), 'big', 'y';

-- The scores of model m on the rows of src, ordered by id, as one md5: the
-- whole-row functions (models that name their columns), the real[] functions
-- per row, as windows and as a batch (models whose only feature is x, and
-- nn_init ones), each per-row function under both nn.row_product ways; by
-- name too when by_name is given.
CREATE FUNCTION mm_score(m bytea, src text, by_name text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    info jsonb := nn_info(m);
    cls boolean := info->>'task' = 'classification';
    rel text := CASE WHEN src ~* '^\s*select' THEN '(' || src || ')' ELSE quote_ident(src) END;
    model text;
    mode text;
    e text[];
    part text;
    acc text := '';
BEGIN
    FOREACH model IN ARRAY ARRAY['$1', '$2'] LOOP
        CONTINUE WHEN model = '$2' AND by_name IS NULL;
        FOREACH mode IN ARRAY ARRAY['gemv', 'level1'] LOOP
            PERFORM set_config('nn.row_product', mode, true);
            e := '{}';
            IF info->'features' <> '[]' THEN
                e := e || format('nn_predict_row(%s, t)', model);
                IF cls THEN
                    e := e || format('nn_predict_proba_row(%s, t)', model)
                           || format('nn_predict_class_row(%s, t)', model);
                END IF;
            END IF;
            IF info->'features' IN ('[]', '["x"]') THEN
                e := e || format('nn_predict(%s, x)', model);
                IF cls THEN
                    e := e || format('nn_predict_proba(%s, x)', model)
                           || format('nn_predict_class(%s, x)', model);
                END IF;
            END IF;
            EXECUTE format('SELECT string_agg(format(%L, %s), E''\n'' ORDER BY id) FROM %s t',
                           repeat('%s|', cardinality(e)), array_to_string(e, ', '), rel)
                INTO part USING m, by_name;
            acc := acc || mode || E'\n' || part || E'\n';
        END LOOP;
        PERFORM set_config('nn.row_product', 'auto', true);
        IF info->'features' IN ('[]', '["x"]') THEN
            e := ARRAY[format('nn_predict_window(%s, x) OVER w', model)];
            IF cls THEN
                e := e || format('nn_predict_proba_window(%s, x) OVER w', model)
                       || format('nn_predict_class_window(%s, x) OVER w', model);
            END IF;
            EXECUTE format('SELECT string_agg(s, E''\n'' ORDER BY id) FROM'
                           ' (SELECT id, format(%L, %s) AS s FROM %s t WINDOW w AS (ORDER BY id)) q',
                           repeat('%s|', cardinality(e)), array_to_string(e, ', '), rel)
                INTO part USING m, by_name;
            acc := acc || 'window' || E'\n' || part || E'\n';
            EXECUTE format('SELECT nn_predict_batch(%s, array_agg(x ORDER BY id))::text FROM %s t', model, rel)
                INTO part USING m, by_name;
            acc := acc || 'batch' || E'\n' || part || E'\n';
        END IF;
    END LOOP;
    RETURN md5(acc);
END $$;

-- nn_info, the SVG plot and, for a model with a target, nn_evaluate on src
CREATE FUNCTION mm_inspect(m bytea, src text, target text) RETURNS text LANGUAGE sql AS $$
    SELECT md5(nn_info(m)::text || E'\n' || nn_plot(m) || E'\n' ||
               CASE WHEN target IS NULL THEN '' ELSE nn_evaluate(m, src, target)::text END)
$$;

SELECT name || ' ' || md5(m) || ' ' || mm_score(m, src, by_name) || ' ' || mm_inspect(m, src, target)
FROM models ORDER BY ord;

-- the configurations did what their names say
INSERT INTO checks (name, result) VALUES
 ('configurations', (SELECT count(*) FROM models)),
 ('stream_differs_from_in_memory',
  (SELECT m FROM models WHERE name = 'stream_basic') <> (SELECT m FROM models WHERE name = 'stream_basic_in_memory')),
 ('continue_2_plus_2_equals_4',
  (SELECT m FROM models WHERE name = 'continue_2_plus_2') = (SELECT m FROM models WHERE name = 'continue_whole_4')),
 ('stopped_early',
  (SELECT bool_and((nn_info(m)->>'epochs')::int < (nn_info(m)->'options'->>'epochs')::int) FROM models
   WHERE name IN ('val_early_stop', 'val_early_stop_no_restore', 'patience_train_loss', 'stream_categorical_mean_val'))),
 ('impute_skip_left_rows_out',
  (SELECT nn_info(m)->>'rows_trained' FROM models WHERE name = 'categorical_impute_skip') <>
  (SELECT nn_info(m)->>'rows_trained' FROM models WHERE name = 'categorical_impute_mean'));
SELECT 'check ' || name || ' ' || result FROM checks ORDER BY ord;
