-- The one options table (src/train/option_table.c) drives parsing, the
-- errors and hints, the defaults and the record a model keeps: every key
-- the hints list is taken by exactly the functions whose hint lists it and
-- refused by the others; each error names what the key expects; the record
-- lists the keys in table order at their defaults; nn_continue reads it
-- back; and the record is read as JSON only where it is needed.

CREATE TABLE ot_data AS
SELECT a::real AS a, a % 2 AS y FROM generate_series(1, 8) a;
CREATE TABLE ot_model AS
SELECT nn_train('ot_data', 'y', NULL, '{2}', '{"epochs": 1, "seed": 1}') AS m;

-- the outcome of calling fn with options opts: sqlstate, message, detail, hint
CREATE FUNCTION ot_try(fn text, opts jsonb)
RETURNS TABLE (sqlstate text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
DECLARE
    m bytea := (SELECT ot_model.m FROM ot_model);
    d text;
    h text;
BEGIN
    BEGIN
        CASE fn
            WHEN 'nn_train' THEN PERFORM nn_train('ot_data', 'y', NULL, '{2}', opts);
            WHEN 'nn_continue' THEN PERFORM nn_continue(m, 'ot_data', opts);
            WHEN 'nn_init' THEN PERFORM nn_init(1, '{2}', 2, opts);
        END CASE;
        RETURN QUERY SELECT NULL::text, 'no error'::text, NULL::text, NULL::text;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
        RETURN QUERY SELECT SQLSTATE::text, SQLERRM::text, d, h;
    END;
END
$$;

-- the keys each function lists for an unknown key
CREATE TABLE ot_hint AS
SELECT fn, k
FROM unnest(ARRAY['nn_train', 'nn_continue', 'nn_init']) fn,
     ot_try(fn, '{"no_such_key": 1}') t,
     regexp_split_to_table(substring(t.hint FROM '^Valid options are: (.*)\.$'), ', ') k;
SELECT fn, count(*) AS keys FROM ot_hint GROUP BY fn ORDER BY fn;

-- every key of every function's hint, given as null to each function
CREATE TABLE ot_matrix AS
SELECT k, fn, t.*,
       CASE WHEN t.message = format('invalid value for option "%s"', k) THEN 'takes'
            WHEN t.message = format('option "%s" is not accepted by %s', k, fn) THEN 'refuses'
            ELSE t.message END AS outcome
FROM (SELECT DISTINCT k FROM ot_hint) keys,
     unnest(ARRAY['nn_train', 'nn_continue', 'nn_init']) fn,
     ot_try(fn, jsonb_build_object(k, NULL)) t;
SELECT k AS key,
       max(outcome) FILTER (WHERE fn = 'nn_train') AS nn_train,
       max(outcome) FILTER (WHERE fn = 'nn_continue') AS nn_continue,
       max(outcome) FILTER (WHERE fn = 'nn_init') AS nn_init
FROM ot_matrix GROUP BY k ORDER BY k COLLATE "C";
-- one SQLSTATE, invalid_parameter_value, for all of them
SELECT sqlstate, count(*) FROM ot_matrix GROUP BY sqlstate;
-- a function takes exactly the keys its hints list: for an unknown key,
-- and for a key it refuses (nn_train refuses none)
SELECT fn,
       (SELECT array_agg(k ORDER BY k COLLATE "C") FROM ot_matrix x
        WHERE x.fn = f.fn AND outcome = 'takes') =
       (SELECT array_agg(k ORDER BY k COLLATE "C") FROM ot_hint h WHERE h.fn = f.fn) AS takes_its_hint,
       (SELECT bool_and(hint = format('%s accepts: %s.', fn,
                                      (SELECT string_agg(k, ', ') FROM ot_hint h WHERE h.fn = f.fn)))
        FROM ot_matrix x WHERE x.fn = f.fn AND outcome = 'refuses') AS refusals_hint_it
FROM (VALUES ('nn_train'), ('nn_continue'), ('nn_init')) f(fn) ORDER BY fn;
-- what each key expects, as its error says
SELECT k AS key, detail FROM ot_matrix WHERE fn = 'nn_train' ORDER BY k COLLATE "C";

-- options.layers: its own small table of keys
SELECT t.hint FROM ot_try('nn_init', '{"layers": [{"units": 1, "no_such_key": 1}]}') t;
SELECT k AS layer_key, t.message, t.detail
FROM regexp_split_to_table('units, activation, dropout, batch_norm', ', ') WITH ORDINALITY k(k, i),
     ot_try('nn_init', jsonb_build_object('layers', jsonb_build_array(jsonb_build_object(k, NULL)))) t
ORDER BY i;
SELECT t.message FROM ot_try('nn_init', '{"layers": [{"dropout": 0.5}]}') t;

-- the record a model keeps, as text in its bytes: the keys nn_init takes
-- in table order, then the training keys in table order; keys whose
-- default is "none" are left out at it
CREATE FUNCTION ot_record(m bytea) RETURNS text LANGUAGE sql AS $$
    SELECT convert_from(substr(m, p, get_byte(m, p - 5) + 256 * get_byte(m, p - 4) +
                                     65536 * get_byte(m, p - 3) + 16777216 * get_byte(m, p - 2)),
                        'UTF8')
    FROM (SELECT position('\x7b2261637469'::bytea IN m) AS p) s
$$;
SELECT ot_record(nn_init(2, '{3}', 2)) AS nn_init_record;
SELECT ot_record(m) AS nn_train_record FROM ot_model;
-- nn_info shows that record (as jsonb); the keys it leaves out at their default
-- nn_info shows the record less the keys that take no part in this model's
-- training (adam: no momentum, rho or weight_decay; a constant schedule: no
-- gamma or step_size; no huber: no delta; no patience: no restore_best)
SELECT ot_record(m)::jsonb - '{delta, gamma, momentum, restore_best, rho, step_size, weight_decay}'::text[]
       = nn_info(m)->'options' AS info_is_record_less_inapplicable FROM ot_model;
SELECT h.k AS left_out_by_nn_init FROM ot_hint h
WHERE h.fn = 'nn_init' AND NOT nn_info(nn_init(2, '{3}', 2))->'options' ? h.k
ORDER BY h.k COLLATE "C";
SELECT h.k AS left_out_by_nn_train FROM ot_model, ot_hint h
WHERE h.fn = 'nn_train' AND NOT nn_info(m)->'options' ? h.k
ORDER BY h.k COLLATE "C";
-- given, they are recorded
SELECT ot_record(nn_init(2, '{3}', 2, '{"layers": [{"units": 3, "activation": "tanh"}], "init": "xavier",
                                       "clip_norm": 2.5, "dropout": 0.125}')) AS record;

-- nn_continue reads the record back: the same options, with the epochs added
CREATE TABLE ot_weighted AS
SELECT nn_train('ot_data', 'y', NULL, '{2}',
                '{"epochs": 2, "seed": 3, "class_weight": {"0": 2, "1": 0.5}, "lr_schedule": "step",
                  "impute": "zero", "layers": [{"units": 3, "dropout": 0.25}]}') AS m;
SELECT ot_record(m) AS before_continue FROM ot_weighted;
SELECT ot_record(nn_continue(m, 'ot_data', '{"epochs": 1}')) =
       replace(ot_record(m), '"epochs":2', '"epochs":3') AS continue_keeps_record
FROM ot_weighted;

-- Scoring never reads the record as JSON: a record damaged inside its
-- braces still scores, while the readers of the record (nn_info,
-- nn_continue) and any writer of the model (nn_fit) say it is damaged.
CREATE TABLE ot_damaged AS
SELECT set_byte(m, position('\x7b2261637469'::bytea IN m), 120) AS m FROM ot_model;
SELECT nn_predict(m, ARRAY[1]::real[]) IS NOT NULL AS scores FROM ot_damaged;
SELECT nn_info(m) FROM ot_damaged;
SELECT nn_continue(m, 'ot_data') FROM ot_damaged;
SELECT nn_fit(d.m, ARRAY[a], y) FROM ot_damaged d, ot_data GROUP BY d.m;
