-- Training control: learning-rate schedules and warmup, the validation
-- hold-out and its history, early stopping with restore_best, class and
-- row weights, nn_continue (warm start) and verbose progress.  Results are
-- booleans (exact equalities between models, or thresholds).

-- 4 classes, 8 features (as in toolkit_optimizers), noise from a fixed hash
CREATE TABLE tc_data AS
SELECT i AS id, i % 4 AS label,
       ARRAY(SELECT ((CASE WHEN i % 4 = j % 4 THEN 2.0 ELSE 0.0 END)
                     + (hashint4(i * 100 + j) % 1000000) / 1000000.0 * 1.5)::real
             FROM generate_series(1, 8) j) AS x
FROM generate_series(1, 800) i;
CREATE VIEW tc_train AS SELECT label, x FROM tc_data WHERE id % 5 <> 0;
CREATE VIEW tc_test AS SELECT label, x FROM tc_data WHERE id % 5 = 0;

-- the same probabilities for every row of tc_data
CREATE FUNCTION tc_same(a bytea, b bytea) RETURNS boolean LANGUAGE sql AS $$
    SELECT bool_and(nn_predict_proba(a, x) = nn_predict_proba(b, x)) FROM tc_data
$$;

-- ---------------------------------------------------------------- schedules
CREATE TABLE tc_sched AS
SELECT k, nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 6, "seed": 1}' || o) AS m
FROM (VALUES ('default', '{}'::jsonb),
             ('constant', '{"lr_schedule": "constant"}'),
             ('step', '{"lr_schedule": "step", "step_size": 2}'),
             ('step gamma 0.5', '{"lr_schedule": "step", "step_size": 2, "gamma": 0.5}'),
             ('step beyond epochs', '{"lr_schedule": "step", "step_size": 100}'),
             ('exponential', '{"lr_schedule": "exponential"}'),
             ('exponential gamma 1', '{"lr_schedule": "exponential", "gamma": 1}'),
             ('cosine', '{"lr_schedule": "cosine"}'),
             ('warmup 0', '{"warmup_epochs": 0}'),
             ('warmup 3', '{"warmup_epochs": 3}'),
             ('cosine warmup 2', '{"lr_schedule": "cosine", "warmup_epochs": 2}')) v(k, o);

-- the options record (gamma defaults to 0.1 for step, 0.95 for
-- exponential); a schedule that never lowers the rate gives the constant
-- model's predictions, every other one its own model
SELECT s.k, s.m = d.m AS same_bytes_as_default, tc_same(s.m, d.m) AS same_predictions_as_default,
       nn_info(s.m)->'options'->'lr_schedule' AS lr_schedule, nn_info(s.m)->'options'->'gamma' AS gamma,
       nn_info(s.m)->'options'->'step_size' AS step_size, nn_info(s.m)->'options'->'warmup_epochs' AS warmup_epochs
FROM tc_sched s, tc_sched d WHERE d.k = 'default'
ORDER BY s.k COLLATE "C";
SELECT count(DISTINCT md5(m)) AS distinct_models,
       count(DISTINCT (SELECT array_agg(p) FROM unnest(nn_predict_proba(m, ARRAY[1, 0, 0, 0, 1, 0, 0, 0]::real[])) p))
           AS distinct_predictions
FROM tc_sched;

-- warmup scales the first epochs' rate by (e+1)/(n+1): one epoch of sgd at
-- 0.02 with warmup 1 is one epoch at 0.01, exactly (and at 0.04 with
-- warmup 3)
SELECT tc_same(nn_train('tc_train', 'label', NULL, '{16}', '{"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "seed": 1}'),
               nn_train('tc_train', 'label', NULL, '{16}', '{"optimizer": "sgd", "learning_rate": 0.02, "warmup_epochs": 1, "epochs": 1, "seed": 1}'))
           AS warmup_1_halves,
       tc_same(nn_train('tc_train', 'label', NULL, '{16}', '{"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "seed": 1}'),
               nn_train('tc_train', 'label', NULL, '{16}', '{"optimizer": "sgd", "learning_rate": 0.04, "warmup_epochs": 3, "epochs": 1, "seed": 1}'))
           AS warmup_3_quarters,
       NOT tc_same(nn_train('tc_train', 'label', NULL, '{16}', '{"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "seed": 1}'),
                   nn_train('tc_train', 'label', NULL, '{16}', '{"optimizer": "sgd", "learning_rate": 0.04, "warmup_epochs": 1, "epochs": 1, "seed": 1}'))
           AS other_factor_differs;

-- every schedule still learns the problem in 20 epochs
SELECT s AS lr_schedule,
       (SELECT avg((nn_predict(m, x) = label)::int) FROM tc_test) >= 0.9 AS accuracy_ok
FROM (SELECT s, nn_train('tc_train', 'label', NULL, '{16}',
                         jsonb_build_object('lr_schedule', s, 'epochs', 20, 'seed', 1, 'learning_rate', 0.01)) AS m
      FROM unnest(ARRAY['constant', 'step', 'exponential', 'cosine']) s) t
ORDER BY s COLLATE "C";

-- ---------------------------------------------------------------- validation
-- each history element gains val_loss and val_accuracy (classification) or
-- val_r2 (regression); one element per epoch
CREATE TABLE tc_val AS
SELECT nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 5, "seed": 1, "validation_fraction": 0.25}') AS m;
SELECT jsonb_array_length(nn_info(m)->'history') AS history_length,
       (SELECT array_agg(DISTINCT k ORDER BY k) FROM jsonb_array_elements(nn_info(m)->'history') h, jsonb_object_keys(h) k)
           AS keys,
       (SELECT bool_and((h->>'epoch')::int = n) FROM jsonb_array_elements(nn_info(m)->'history') WITH ORDINALITY e(h, n))
           AS epochs_numbered,
       (SELECT bool_and((h->>'val_loss')::float8 > 0 AND (h->>'val_accuracy')::float8 BETWEEN 0 AND 1)
        FROM jsonb_array_elements(nn_info(m)->'history') h) AS values_in_range,
       (nn_info(m)->'history'->-1->>'val_loss')::float8 < (nn_info(m)->'history'->0->>'val_loss')::float8
           AS val_loss_decreased,
       nn_info(m)->'options'->'validation_fraction' AS validation_fraction
FROM tc_val;
-- the hold-out is not trained on: about a quarter of the 640 rows, the same
-- rows every run (training is repeatable), and a different model from the
-- one trained on every row
SELECT (nn_info(m)->>'rows_trained')::int % 5 = 0 AS same_rows_each_epoch,
       (nn_info(m)->>'rows_trained')::int / 5 BETWEEN 640 * 0.65 AND 640 * 0.85 AS about_three_quarters_trained,
       md5(m) = md5(nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 5, "seed": 1, "validation_fraction": 0.25}'))
           AS repeatable,
       NOT tc_same(m, nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 5, "seed": 1}')) AS differs_from_all_rows
FROM tc_val;
-- validation_fraction 0: no validation keys
SELECT (SELECT array_agg(DISTINCT k ORDER BY k)
        FROM jsonb_array_elements(nn_info(nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 2}'))->'history') h,
             jsonb_object_keys(h) k) AS keys;
-- regression: val_r2
CREATE TABLE tc_reg AS
SELECT i, ((i % 41) / 4.0)::real AS a, ((i % 13) / 3.0)::real AS b,
       (2 * ((i % 41) / 4.0) - (i % 13) / 3.0 + 1 + (hashint4(i) % 1000) / 2000.0)::float8 AS y
FROM generate_series(1, 400) i;
SELECT jsonb_array_length(h) AS history_length,
       (SELECT array_agg(DISTINCT k ORDER BY k) FROM jsonb_array_elements(h) e, jsonb_object_keys(e) k) AS keys,
       (h->-1->>'val_r2')::float8 > 0.95 AS val_r2_high
FROM (SELECT nn_info(nn_train('tc_reg', 'y', '{a, b}', '{16}',
                              '{"epochs": 20, "seed": 1, "learning_rate": 0.01, "validation_fraction": 0.2}'))->'history' AS h) t;

-- ---------------------------------------------------------------- early stopping
-- an over-sized network on a small noisy set (30% of the labels moved to
-- another class): the validation loss soon rises, and patience 3 stops
-- training 3 epochs after its minimum
CREATE TABLE tc_noisy AS
SELECT id, CASE WHEN abs(hashint4(id * 7)) % 10 < 3 THEN (label + 1 + abs(hashint4(id)) % 3) % 4 ELSE label END AS label, x
FROM tc_data WHERE id <= 300;
CREATE TABLE tc_es AS
SELECT k, nn_train('tc_noisy', 'label', '{x}', '{128, 128}',
                   '{"epochs": 200, "patience": 3, "validation_fraction": 0.3, "seed": 2}' || o) AS m
FROM (VALUES ('restore_best', '{}'::jsonb), ('keep last', '{"restore_best": false}')) v(k, o);
CREATE VIEW tc_es_history AS
SELECT k, (h->>'epoch')::int AS epoch, (h->>'val_loss')::float8 AS val_loss
FROM tc_es, jsonb_array_elements(nn_info(m)->'history') h;

SELECT k, (nn_info(m)->>'epochs')::int < 200 AS stopped_early,
       jsonb_array_length(nn_info(m)->'history') = (nn_info(m)->>'epochs')::int AS one_element_per_epoch,
       last_epoch - best AS epochs_after_best,
       best > 1 AS best_after_epoch_1,
       nn_info(m) ? 'best_epoch' AS has_best_epoch,
       (nn_info(m)->>'best_epoch')::int = best AS best_epoch_is_argmin
FROM tc_es,
     LATERAL (SELECT epoch AS best FROM tc_es_history h WHERE h.k = tc_es.k ORDER BY val_loss, epoch LIMIT 1) b,
     LATERAL (SELECT max(epoch) AS last_epoch FROM tc_es_history h WHERE h.k = tc_es.k) l
ORDER BY k COLLATE "C";
-- restore_best: the weights of the best epoch, exactly those of a run
-- stopped there; restore_best false: those of the last epoch run
SELECT tc_same(m, nn_train('tc_noisy', 'label', '{x}', '{128, 128}',
                           jsonb_build_object('epochs', (nn_info(m)->>'best_epoch')::int,
                                              'validation_fraction', 0.3, 'seed', 2))) AS restored_best
FROM tc_es WHERE k = 'restore_best';
SELECT tc_same(m, nn_train('tc_noisy', 'label', '{x}', '{128, 128}',
                           jsonb_build_object('epochs', (nn_info(m)->>'epochs')::int,
                                              'validation_fraction', 0.3, 'seed', 2))) AS kept_last
FROM tc_es WHERE k = 'keep last';
-- without a hold-out, patience watches the training loss, which keeps
-- falling here: every epoch runs and the last is the best
SELECT nn_info(m)->'epochs' AS epochs, nn_info(m) ? 'best_epoch' AS has_best_epoch,
       nn_info(m)->'options'->'patience' AS patience
FROM (SELECT nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 8, "patience": 2, "seed": 1}') AS m) t;
-- a later run resets best_epoch: nn_continue on clean rows improves every
-- epoch, so the weights are the last ones, and best_epoch must not still
-- name the first run's epoch
SELECT (nn_info(c)->>'epochs')::int = (nn_info(m)->>'epochs')::int + 2 AS ran_two_more,
       (nn_info(c)->'history'->-1->>'val_loss')::float8 < (nn_info(c)->'history'->-2->>'val_loss')::float8
           AS last_epoch_best,
       NOT (nn_info(c) ? 'best_epoch') OR (nn_info(c)->>'best_epoch')::int > (nn_info(m)->>'epochs')::int
           AS best_epoch_not_stale
FROM (SELECT m, nn_continue(m, 'SELECT label, x FROM tc_data WHERE id > 300', '{"epochs": 2}') AS c
      FROM tc_es WHERE k = 'restore_best') t;

-- ---------------------------------------------------------------- class weights
-- two overlapping classes, 9 to 1: without weights the rare class is
-- mostly missed; 'balanced' (or the same ratio as an object) finds most of
-- it, at some cost to the common class
CREATE TABLE tc_imb AS
SELECT i AS id, CASE WHEN i % 10 = 0 THEN 'rare' ELSE 'common' END AS label,
       ((CASE WHEN i % 10 = 0 THEN 1.0 ELSE 0.0 END) + (hashint4(i) % 1000000) / 1000000.0 * 1.2)::real AS a,
       ((CASE WHEN i % 10 = 0 THEN 1.0 ELSE 0.0 END) + (hashint4(i * 3 + 1) % 1000000) / 1000000.0 * 1.2)::real AS b
FROM generate_series(1, 1000) i;
CREATE TABLE tc_cw AS
SELECT k, nn_train('SELECT label, a, b FROM tc_imb', 'label', NULL, '{8}', '{"epochs": 20, "seed": 1}' || o) AS m
FROM (VALUES ('none', '{}'::jsonb),
             ('balanced', '{"class_weight": "balanced"}'),
             ('rare 9', '{"class_weight": {"rare": 9}}'),
             ('all 1', '{"class_weight": {"rare": 1, "common": 1}}'),
             ('rare 1', '{"class_weight": {"rare": 1}}')) v(k, o);
CREATE VIEW tc_recall AS
SELECT k, m, avg((nn_predict_class(m, ARRAY[a, b]) = label)::int) FILTER (WHERE label = 'rare') AS rare_recall,
       avg((nn_predict_class(m, ARRAY[a, b]) = label)::int) FILTER (WHERE label = 'common') AS common_recall
FROM tc_cw, tc_imb GROUP BY k, m;
SELECT r.k, nn_info(r.m)->'options'->'class_weight' AS class_weight,
       r.rare_recall > n.rare_recall + 0.3 AS rare_recall_much_higher,
       r.rare_recall >= 0.7 AS rare_mostly_found,
       r.common_recall < n.common_recall AS common_recall_lower,
       (SELECT bool_and(nn_predict_proba(r.m, ARRAY[a, b]) = nn_predict_proba(n.m, ARRAY[a, b])) FROM tc_imb)
           AS same_as_none
FROM tc_recall r, tc_recall n WHERE n.k = 'none'
ORDER BY r.k COLLATE "C";
SELECT rare_recall < 0.5 AS unweighted_misses_rare FROM tc_recall WHERE k = 'none';

-- ---------------------------------------------------------------- row weights
-- weight_column: the training rows, each again with a wrong label and
-- weight 0.  The zero-weight rows teach nothing, so the model is as good
-- as one trained on the clean rows; without the weights it is confused.
CREATE VIEW tc_contra AS
SELECT label, x, 1.0::float8 AS w FROM tc_data WHERE id % 5 <> 0
UNION ALL
SELECT (label + 1) % 4, x, 0 FROM tc_data WHERE id % 5 <> 0;
-- (with features NULL, the weight column is not taken as a feature)
CREATE TABLE tc_wc AS
SELECT k, nn_train('tc_contra', 'label', f, '{16}', '{"epochs": 15, "seed": 1}' || o) AS m
FROM (VALUES ('weighted', NULL::text[], '{"weight_column": "w"}'::jsonb),
             ('unweighted', '{x}', '{}')) v(k, f, o);
SELECT k, nn_info(m)->'features' AS features, nn_info(m)->'options'->'weight_column' AS weight_column,
       (SELECT avg((nn_predict(m, x) = label)::int) FROM tc_test) >= 0.9 AS accuracy_ok,
       (SELECT avg((nn_predict(m, x) = label)::int) FROM tc_test) < 0.75 AS confused
FROM tc_wc ORDER BY k COLLATE "C";
-- weight 1 everywhere is no weighting: the same predictions; another
-- constant is not (the loss, and so sgd's steps, scale with the weights)
SELECT tc_same(nn_train('SELECT label, x, 1 AS w FROM tc_train', 'label', NULL, '{16}',
                        '{"epochs": 2, "seed": 1, "weight_column": "w"}'),
               nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 2, "seed": 1}')) AS ones_change_nothing,
       NOT tc_same(nn_train('SELECT label, x, 2.5 AS w FROM tc_train', 'label', NULL, '{16}',
                            '{"epochs": 2, "seed": 1, "weight_column": "w", "optimizer": "sgd"}'),
                   nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 2, "seed": 1, "optimizer": "sgd"}'))
           AS other_constant_scales_steps;
-- a NULL weight skips the row (with the NOTICE for skipped rows); weights
-- multiply class weights
SELECT nn_info(nn_train('SELECT label, x, CASE WHEN label = 0 THEN NULL ELSE 1 END AS w FROM tc_train', 'label', NULL, '{4}',
                        '{"epochs": 1, "weight_column": "w"}'))->'classes' AS classes_left;
SELECT NOT tc_same(nn_train('SELECT label, x, 1 + label AS w FROM tc_train', 'label', NULL, '{16}',
                            '{"epochs": 2, "seed": 1, "weight_column": "w"}'),
                   nn_train('SELECT label, x, 1 + label AS w FROM tc_train', 'label', NULL, '{16}',
                            '{"epochs": 2, "seed": 1, "weight_column": "w", "class_weight": {"1": 2}}'))
           AS class_weight_applies_too;

-- ---------------------------------------------------------------- nn_continue
-- warm start is exact: nn_train for 2 epochs, then nn_continue for 2,
-- gives the bytes of nn_train for 4, with dropout and batch
-- normalization (their streams and running statistics continue), a
-- validation hold-out, schedules counted over the model's life, and
-- weights.  (Cosine spans each run's epochs, so it is the exception.)
CREATE TABLE tc_warm AS
SELECT k, nn_continue(nn_train(src, 'label', NULL, '{16}', o || '{"epochs": 2}'), src, '{"epochs": 2}') AS continued,
       nn_train(src, 'label', NULL, '{16}', o || '{"epochs": 4}') AS straight
FROM (VALUES ('plain', 'tc_train', '{"seed": 3}'::jsonb),
             ('dropout', 'tc_train', '{"seed": 3, "dropout": 0.3}'),
             ('batch_norm', 'tc_train', '{"seed": 3, "batch_norm": true}'),
             ('dropout + batch_norm', 'tc_train', '{"seed": 3, "dropout": 0.2, "batch_norm": true}'),
             ('validation_fraction', 'tc_train', '{"seed": 3, "validation_fraction": 0.25}'),
             ('nesterov', 'tc_train', '{"seed": 3, "optimizer": "nesterov"}'),
             ('adadelta', 'tc_train', '{"seed": 3, "optimizer": "adadelta"}'),
             ('exponential', 'tc_train', '{"seed": 3, "lr_schedule": "exponential"}'),
             ('step', 'tc_train', '{"seed": 3, "lr_schedule": "step", "step_size": 1}'),
             ('warmup 3', 'tc_train', '{"seed": 3, "warmup_epochs": 3}'),
             ('class_weight', 'tc_train', '{"seed": 3, "class_weight": {"1": 3}}'),
             ('weight_column', 'SELECT label, x, 1 + label AS w FROM tc_train', '{"seed": 3, "weight_column": "w"}'),
             ('layers', 'tc_train', '{"seed": 3, "layers": [{"units": 8, "dropout": 0.1}, {"units": 6, "batch_norm": true}]}'),
             ('cosine', 'tc_train', '{"seed": 3, "lr_schedule": "cosine"}')) v(k, src, o);
SELECT k, md5(continued) = md5(straight) AS same_bytes,
       nn_info(continued)->'epochs' AS epochs, jsonb_array_length(nn_info(continued)->'history') AS history_length,
       nn_info(continued)->'options'->'epochs' AS options_epochs
FROM tc_warm ORDER BY k COLLATE "C";
-- in steps: 1 + 1 + 2 = 4, too
SELECT md5(nn_continue(nn_continue(nn_train('tc_train', 'label', NULL, '{16}', '{"seed": 3, "epochs": 1, "dropout": 0.3}'),
                                   'tc_train', '{"epochs": 1}'), 'tc_train', '{"epochs": 2}')) =
       md5(nn_train('tc_train', 'label', NULL, '{16}', '{"seed": 3, "epochs": 4, "dropout": 0.3}')) AS same_bytes;
-- the default is 10 more epochs; the rows may come from another source
-- with the same columns (extra columns are ignored, and a subset of the
-- classes is fine)
SELECT nn_info(nn_continue(m, 'tc_train'))->'epochs' AS default_more,
       nn_info(nn_continue(m, 'SELECT id, x, label, 0 AS extra FROM tc_data WHERE label IN (1, 2)', '{"epochs": 1}'))->'rows_trained'
           AS rows_trained,
       nn_info(nn_continue(m, 'tc_test', '{"epochs": 1}'))->'classes' AS classes
FROM (SELECT nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1}') AS m) t;
-- it continues training: more epochs on the same rows lower the loss
SELECT (nn_info(c)->'history'->-1->>'train_loss')::float8 < (nn_info(m)->'history'->-1->>'train_loss')::float8
           AS loss_lower
FROM (SELECT m, nn_continue(m, 'tc_train', '{"epochs": 3}') AS c
      FROM (SELECT nn_train('tc_train', 'label', NULL, '{16}', '{"epochs": 2, "seed": 1}') AS m) s) t;

-- errors: a model from nn_init names no columns (even after nn_fit); a
-- label the model does not know; a feature or weight column missing from
-- the source; an array of another width
SELECT nn_continue(nn_init(8, '{4}', 4), 'tc_train');
SELECT nn_continue((SELECT nn_fit(nn_init(8, '{4}', 4), x, label) FROM tc_train), 'tc_train');
SELECT nn_continue(nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1}'),
                   'SELECT x, label + 10 AS label FROM tc_train');
SELECT nn_continue(nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1}'),
                   'SELECT x AS features, label FROM tc_train');
SELECT nn_continue(nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1}'),
                   'SELECT x FROM tc_train');
SELECT nn_continue(nn_train('SELECT label, x, 1 AS w FROM tc_train', 'label', NULL, '{4}', '{"epochs": 1, "weight_column": "w"}'),
                   'tc_train');
SELECT nn_continue(nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1}'),
                   'SELECT label, x[1:4] AS x FROM tc_train');
-- a regression target must still be numeric
SELECT nn_continue(nn_train('tc_reg', 'y', '{a, b}', '{4}', '{"epochs": 1}'),
                   'SELECT a, b, y::text AS y FROM tc_reg');

-- nn_continue is VOLATILE and PARALLEL UNSAFE, like nn_train
SELECT p.proname, p.provolatile, p.proparallel, pg_get_function_arguments(p.oid) AS arguments
FROM pg_proc p WHERE p.proname = 'nn_continue';

-- ---------------------------------------------------------------- verbose
-- one NOTICE per epoch.  A problem whose loss cannot move (one constant
-- feature, no hidden layer, balanced labels: the gradient is exactly 0)
-- prints the same loss every run, and a run this small takes well under
-- 0.05 s, so the times print as 0.0.
CREATE TABLE tc_flat AS SELECT 1::real AS c, i % 2 AS y FROM generate_series(1, 8) i;
SELECT nn_info(nn_train('tc_flat', 'y', NULL, '{}', '{"epochs": 2, "verbose": true}'))->'epochs' AS epochs;
SELECT nn_info(nn_continue(nn_train('tc_flat', 'y', NULL, '{}', '{"epochs": 1}'), 'tc_flat',
                           '{"epochs": 2, "verbose": true}'))->'epochs' AS epochs;
-- verbose is not recorded in the model, and verbose models are the same
-- (NOTICEs hidden from here on: a larger run's times vary)
SET client_min_messages = warning;
SELECT nn_info(m)->'options' ? 'verbose' AS recorded,
       md5(m) = md5(nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1}')) AS same_bytes
FROM (SELECT nn_train('tc_train', 'label', NULL, '{4}', '{"epochs": 1, "verbose": true}') AS m) t;

DROP TABLE tc_sched, tc_val, tc_reg, tc_es, tc_cw, tc_wc, tc_warm, tc_flat CASCADE;
DROP VIEW tc_contra, tc_train, tc_test;
DROP TABLE tc_noisy, tc_imb;
DROP FUNCTION tc_same(bytea, bytea);
DROP TABLE tc_data;
RESET client_min_messages;
