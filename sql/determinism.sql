-- Same data, options and seed give a byte-identical model; another seed
-- gives another model.  Nothing time-dependent is stored in the model.

CREATE TABLE det AS
SELECT i::real AS x1, ((i * 37) % 101)::real AS x2, (i % 3)::int AS y
FROM generate_series(1, 300) i;

CREATE TABLE det_models (name text, m bytea);
INSERT INTO det_models
SELECT 'seed 1 a', nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5, "seed": 1}');
INSERT INTO det_models
SELECT 'seed 1 b', nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5, "seed": 1}');
INSERT INTO det_models
SELECT 'seed 2', nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5, "seed": 2}');
INSERT INTO det_models
SELECT 'default seed', nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5}');
INSERT INTO det_models
SELECT 'seed 0', nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5, "seed": 0}');
INSERT INTO det_models
SELECT 'seed 1 sgd', nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5, "seed": 1, "optimizer": "sgd"}');

SELECT a.name, b.name, md5(a.m) = md5(b.m) AS same_md5, a.m = b.m AS same_bytes
FROM det_models a JOIN det_models b ON a.name < b.name
ORDER BY a.name COLLATE "C", b.name COLLATE "C";

-- the option stored in the model is the seed asked for
SELECT name, nn_info(m)->'options'->'seed' AS seed FROM det_models ORDER BY name COLLATE "C";

-- training twice in one statement also gives the same model
SELECT md5(nn_train('det', 'y', NULL, '{8}', '{"epochs": 3, "seed": 42}')) =
       md5(nn_train('det', 'y', NULL, '{8}', '{"epochs": 3, "seed": 42}')) AS same_in_one_query;

-- a large seed (the whole int64 range is allowed)
SELECT md5(nn_train('det', 'y', NULL, '{4}', '{"epochs": 1, "seed": 9223372036854775807}')) <>
       md5(nn_train('det', 'y', NULL, '{4}', '{"epochs": 1, "seed": 9223372036854775806}'))
       AS large_seeds_differ,
       nn_info(nn_train('det', 'y', NULL, '{4}', '{"epochs": 1, "seed": 9223372036854775807}'))
       ->'options'->'seed' AS seed;

-- nn_fit trains on rows in the order it receives them: from the same
-- nn_init weights, the same order gives the same bytes and another order
-- another model
SELECT md5(f1) = md5(f2) AS same_order_same_model, md5(f1) <> md5(f3) AS other_order_other_model
FROM (SELECT nn_fit(nn_init(2, '{8}', 3, '{"seed": 1}'), ARRAY[x1, x2], y ORDER BY x1) AS f1,
             nn_fit(nn_init(2, '{8}', 3, '{"seed": 1}'), ARRAY[x1, x2], y ORDER BY x1) AS f2,
             nn_fit(nn_init(2, '{8}', 3, '{"seed": 1}'), ARRAY[x1, x2], y ORDER BY x1 DESC) AS f3
      FROM det) t;

-- nn_init is IMMUTABLE: its bytes depend only on its arguments
SELECT nn_init(3, '{5}', 2, '{"seed": 7}') = nn_init(3, '{5}', 2, '{"seed": 7}') AS same_args_same_bytes,
       nn_init(3, '{5}', 2, '{"seed": 7}') <> nn_init(3, '{5}', 2, '{"seed": 8}') AS other_seed_other_bytes,
       nn_init(3, '{5}', 2) = nn_init(3, '{5}', 2, '{"seed": 0}') AS default_seed_is_0,
       nn_init(3, '{5}', 2, '{"seed": 7}') <> nn_init(3, '{5}', 2, '{"seed": 7, "activation": "tanh"}')
       AS options_matter;

-- a new session (nothing cached, another backend) trains the same bytes
\c -
SELECT md5(nn_train('det', 'y', NULL, '{16, 8}', '{"epochs": 5, "seed": 1}')) =
       (SELECT md5(m) FROM det_models WHERE name = 'seed 1 a') AS still_same;

DROP TABLE det, det_models;
