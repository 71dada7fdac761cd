-- nn 1.7: neural networks trained and served inside PostgreSQL.
-- The whole SQL surface in one script: a fresh CREATE EXTENSION nn runs this
-- file alone; an installation of 1.0-1.6 reaches the same objects through
-- the update scripts (test/reliability/upgrade.sh compares the two).
--
-- Markings, the same rule for every function (README, "SQL markings"):
--  * IMMUTABLE when the result depends on the arguments alone (a model given
--    by value and real[] features); STABLE when it reads nn_models (by name)
--    or converts a record's columns with type output functions, whose text
--    can depend on settings such as DateStyle and TimeZone (the _row
--    functions); VOLATILE when it runs queries or trains.
--  * STRICT where NULL in means NULL out: scoring, inspection and nn_init
--    (a pure constructor, like make_date); not nn_train and nn_continue,
--    which read a source and report a NULL source or target as an error,
--    with NULL options meaning the defaults; not the aggregate's support
--    functions, which see NULL states; not nn_model_cache_stats(), which
--    takes no argument.
--  * COST 1000 on every function that runs the network (per row, whole row,
--    window, batch): a row through a network costs microseconds to
--    milliseconds, not one operator's cost, and with it the planner puts
--    large scoring queries in parallel workers.
--  * Every object is created as @extschema@.name.
\echo Use "CREATE EXTENSION nn" to load this file. \quit

-- -------------------------------------------------------- training

CREATE FUNCTION @extschema@.nn_train(source text, target text, features text[] DEFAULT NULL,
                         hidden int[] DEFAULT '{64}', options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.nn_train(text, text, text[], int[], jsonb)
IS 'train a neural network on the rows of a table, view or query and return the model';

CREATE FUNCTION @extschema@.nn_continue(model bytea, source text, options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_continue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.nn_continue(bytea, text, jsonb)
IS 'train a model for more epochs on the rows of a source, continuing its optimizer and shuffle';

CREATE FUNCTION @extschema@.nn_init(n_inputs int, hidden int[], n_outputs int, options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_init'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_init(int, int[], int, jsonb)
IS 'an untrained model with seeded random weights, to train with the nn_fit aggregate';

-- ------------------------------------------------ scoring by value
-- One row as real[] (nn_predict, _class, _proba), a whole row as a record
-- whose columns are found by the names the model recorded (_row: separate
-- names, not overloads, since an untyped literal such as '{1,2}' would be
-- ambiguous), the rows of a 2-D array (nn_predict_batch), and window
-- functions that score a partition 256 rows at a time as matrix products.

CREATE FUNCTION @extschema@.nn_predict(model bytea, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict(bytea, real[])
IS 'the predicted value (regression) or class index (classification) for one row';

CREATE FUNCTION @extschema@.nn_predict_class(model bytea, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_class(bytea, real[])
IS 'the predicted class label of a classifier for one row';

CREATE FUNCTION @extschema@.nn_predict_proba(model bytea, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba(bytea, real[])
IS 'class probabilities of a classifier for one row, in the order of nn_info(model)->''classes''';

CREATE FUNCTION @extschema@.nn_predict_row(model bytea, r record)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_row(bytea, record) IS
'class index or regression value for a whole row, its feature columns found by the names the model recorded';

CREATE FUNCTION @extschema@.nn_predict_class_row(model bytea, r record)
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_class_row(bytea, record) IS
'predicted class label for a whole row, its feature columns found by name';

CREATE FUNCTION @extschema@.nn_predict_proba_row(model bytea, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_row(bytea, record) IS
'class probabilities (in the order of nn_info(model)->''classes'') for a whole row';

CREATE FUNCTION @extschema@.nn_predict_batch(model bytea, rows real[])
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'nn_predict_batch'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_batch(bytea, real[])
IS 'nn_predict for the rows of a 2-D array (one row of features per line), scored as matrix products';

CREATE FUNCTION @extschema@.nn_predict_window(model bytea, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_window(bytea, real[])
IS 'window function: nn_predict for each row, the partition''s rows scored 256 at a time as matrix products';

CREATE FUNCTION @extschema@.nn_predict_class_window(model bytea, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_class_window(bytea, real[])
IS 'window function: nn_predict_class for each row, the partition''s rows scored 256 at a time as matrix products';

CREATE FUNCTION @extschema@.nn_predict_proba_window(model bytea, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_window(bytea, real[])
IS 'window function: nn_predict_proba for each row, the partition''s rows scored 256 at a time as matrix products';

-- ------------------------------------------------------ inspection
-- nn_info, nn_evaluate, learning curves, ONNX export and the progress view.
-- nn_progress: a training backend prefixes its pg_stat_activity.query with a
-- comment, "/* nn progress: FUNCTION WHAT */", which the view takes apart.
-- Like pg_stat_activity, it shows other roles' rows only to members of
-- pg_read_all_stats (and superusers).

CREATE FUNCTION @extschema@.nn_info(model bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_info(bytea)
IS 'what a model records: task, layers, options, features, classes, training history';

CREATE FUNCTION @extschema@.nn_evaluate(model bytea, source text, target text DEFAULT NULL,
                                        options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.nn_evaluate(bytea, text, text, jsonb) IS
'metrics of the model on the rows of a table, view or SELECT (target: the model''s target column when NULL); options.adversarial adds robust_accuracy or robust_mse';

CREATE FUNCTION @extschema@.nn_plot(model bytea) RETURNS text
    AS 'MODULE_PATHNAME', 'nn_plot'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_plot(bytea) IS
    'an SVG document of the training and validation loss of each epoch of a model';

CREATE FUNCTION @extschema@.nn_export_onnx(model bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_export_onnx'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_export_onnx(bytea)
IS 'the model as an ONNX file (opset 13): its network with standardization, probabilities or value as nn_predict_proba and nn_predict';

CREATE VIEW @extschema@.nn_progress AS
SELECT a.pid,
       a.usename,
       a.datname,
       p[1] AS function,
       CASE WHEN p[2] = 'reading rows' THEN 'reading rows' ELSE 'training' END AS phase,
       (regexp_match(p[2], '^epoch (\d+)/'))[1]::int AS epoch,
       (regexp_match(p[2], '^epoch \d+/(\d+)'))[1]::int AS epochs,
       (regexp_match(p[2], 'rows (\d+)/'))[1]::bigint AS rows_done,
       (regexp_match(p[2], 'rows \d+/(\d+)'))[1]::bigint AS rows_total,
       (regexp_match(p[2], 'train_loss ([^,]+)'))[1]::float8 AS train_loss,
       (regexp_match(p[2], 'val_loss ([^,]+)'))[1]::float8 AS val_loss,
       (regexp_match(p[2], 'val_(?:accuracy|r2) ([^,]+)'))[1]::float8 AS val_metric,
       (regexp_match(p[2], 'elapsed ([0-9.]+) s'))[1]::float8 AS elapsed_s,
       (regexp_match(p[2], 'eta ([0-9.]+) s'))[1]::float8 AS eta_s,
       a.query_start,
       p[3] AS query
FROM pg_catalog.pg_stat_activity a,
     LATERAL regexp_match(a.query, '^/\* nn progress: (\S+) (.*?) \*/ (.*)$', 's') p
WHERE a.query LIKE '/* nn progress: %';
COMMENT ON VIEW @extschema@.nn_progress IS
'nn_train and nn_continue calls running now: epochs done, rows into the current one, losses, elapsed and estimated remaining seconds';

-- --------------------------------------------------- model catalog
-- Models stored by name and version.  Table privileges decide who may
-- register (SELECT, INSERT), deploy (SELECT, UPDATE) and score by name
-- (SELECT).  Unknown names and versions raise undefined_object (42704).

CREATE TABLE @extschema@.nn_models (
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    version     int NOT NULL CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  name NOT NULL DEFAULT current_user,
    model       bytea NOT NULL CHECK (octet_length(model) > 0),
    metrics     jsonb CHECK (metrics IS NULL OR jsonb_typeof(metrics) = 'object'),
    options     jsonb CHECK (options IS NULL OR jsonb_typeof(options) = 'object'),
    deployed    boolean NOT NULL DEFAULT false,
    description text,
    PRIMARY KEY (name, version)
);
-- at most one deployed version per name: the one scoring by name uses
CREATE UNIQUE INDEX nn_models_deployed ON @extschema@.nn_models (name) WHERE deployed;
-- pg_dump keeps the rows (the table itself comes with CREATE EXTENSION)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.nn_models', '');

-- nn is trusted: a database owner may install it, and the script then runs
-- as the bootstrap superuser, who would own nn_models alone.  The role that
-- created (or updated) the extension, its owner, gets every privilege on the
-- table, with the right to grant them on.
DO $$
DECLARE
    owner regrole := (SELECT e.extowner::regrole FROM pg_catalog.pg_extension e WHERE e.extname = 'nn');
BEGIN
    -- (no owner when the script is run by hand, outside CREATE EXTENSION)
    IF owner IS NOT NULL THEN
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE @extschema@.nn_models TO %s WITH GRANT OPTION',
                       owner);
    END IF;
END
$$;

COMMENT ON TABLE @extschema@.nn_models
IS 'the model catalog: trained models by name and version, one version per name deployed';
COMMENT ON COLUMN @extschema@.nn_models.name IS 'the model''s name, 1 to 128 characters';
COMMENT ON COLUMN @extschema@.nn_models.version IS '1, 2, ... per name, in the order registered';
COMMENT ON COLUMN @extschema@.nn_models.created_at IS 'when the version was registered';
COMMENT ON COLUMN @extschema@.nn_models.created_by IS 'the role that registered it';
COMMENT ON COLUMN @extschema@.nn_models.model IS 'the model, as nn_train returns it';
COMMENT ON COLUMN @extschema@.nn_models.metrics IS 'a JSON object of metrics; by default the history entry of the epoch whose weights the model has (the best epoch after early stopping, else the last)';
COMMENT ON COLUMN @extschema@.nn_models.options IS 'the options the model records (nn_info(model)->''options'')';
COMMENT ON COLUMN @extschema@.nn_models.deployed IS 'true for the one version that scoring by name uses';
COMMENT ON COLUMN @extschema@.nn_models.description IS 'free text';

-- Every change to the catalog tells each backend to drop the scorers it
-- keeps by name; ALWAYS, so that it fires under session_replication_role
-- replica too.
CREATE FUNCTION @extschema@.nn_catalog_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'nn_catalog_invalidate'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.nn_catalog_invalidate()
IS 'trigger on nn_models: makes every backend reload the models it scores by name';
CREATE TRIGGER nn_models_invalidate
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.nn_models
FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.nn_catalog_invalidate();
ALTER TABLE @extschema@.nn_models ENABLE ALWAYS TRIGGER nn_models_invalidate;

CREATE FUNCTION @extschema@.nn_register(name text, model bytea, metrics jsonb DEFAULT NULL,
                                        description text DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
DECLARE
    info jsonb;
    v int;
BEGIN
    IF name IS NULL OR model IS NULL THEN
        RAISE EXCEPTION 'nn_register name and model must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF char_length(name) NOT BETWEEN 1 AND 128 THEN
        RAISE EXCEPTION 'model name must be 1 to 128 characters long, got %', char_length(name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(metrics) <> 'object' THEN
        RAISE EXCEPTION 'nn_register metrics must be a JSON object, got %', jsonb_typeof(metrics)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    info := @extschema@.nn_info(model);     -- an error if the model is damaged
    -- one registration or deployment per name at a time
    PERFORM pg_advisory_xact_lock('@extschema@.nn_models'::regclass::oid::int, hashtext($1));
    SELECT coalesce(max(m.version), 0) + 1 INTO v FROM @extschema@.nn_models m WHERE m.name = $1;
    BEGIN
        INSERT INTO @extschema@.nn_models AS m (name, version, model, metrics, options, deployed, description)
        VALUES ($1, v, model, coalesce(metrics, info -> 'history' -> (coalesce((info ->> 'best_epoch')::int, 0) - 1)), info -> 'options',
                NOT EXISTS (SELECT FROM @extschema@.nn_models d WHERE d.name = $1 AND d.deployed),
                description);
    EXCEPTION WHEN unique_violation THEN
        -- only a snapshot older than the lock (REPEATABLE READ) gets here
        RAISE EXCEPTION 'could not register model "%": another transaction registered version % first', $1, v
            USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.nn_register(text, bytea, jsonb, text)
IS 'store a model in nn_models as the next version of name (deployed if no version of name is) and return the version';

CREATE FUNCTION @extschema@.nn_deploy(name text, version int DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
DECLARE
    v int := version;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'nn_deploy name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- one registration or deployment per name at a time
    PERFORM pg_advisory_xact_lock('@extschema@.nn_models'::regclass::oid::int, hashtext($1));
    IF v IS NULL THEN
        SELECT max(m.version) INTO v FROM @extschema@.nn_models m WHERE m.name = $1;
        IF v IS NULL THEN
            RAISE EXCEPTION 'no model named "%" in nn_models', $1
                USING ERRCODE = 'undefined_object';
        END IF;
    ELSIF NOT EXISTS (SELECT FROM @extschema@.nn_models m WHERE m.name = $1 AND m.version = v) THEN
        RAISE EXCEPTION 'no version % of model "%" in nn_models', v, $1
            USING ERRCODE = 'undefined_object';
    END IF;
    -- two statements: the partial unique index is checked row by row
    UPDATE @extschema@.nn_models m SET deployed = false
    WHERE m.name = $1 AND m.deployed AND m.version <> v;
    UPDATE @extschema@.nn_models m SET deployed = true
    WHERE m.name = $1 AND m.version = v AND NOT m.deployed;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.nn_deploy(text, int)
IS 'make a version of a model (by default the latest) the one scoring by name uses; returns the version';

CREATE FUNCTION @extschema@.nn_model(name text, version int DEFAULT NULL)
RETURNS bytea
LANGUAGE plpgsql STABLE SECURITY INVOKER PARALLEL SAFE
AS $$
DECLARE
    result bytea;
BEGIN
    IF name IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT m.model INTO result FROM @extschema@.nn_models m
    WHERE m.name = $1 AND (CASE WHEN $2 IS NULL THEN m.deployed ELSE m.version = $2 END);
    IF NOT FOUND THEN
        IF version IS NULL THEN
            RAISE EXCEPTION 'no deployed model named "%" in nn_models', $1
                USING ERRCODE = 'undefined_object',
                      HINT = 'nn_list_models() lists the models; nn_deploy(name, version) deploys one.';
        END IF;
        RAISE EXCEPTION 'no version % of model "%" in nn_models', $2, $1
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.nn_model(text, int)
IS 'a model from nn_models: the given version, or by default the deployed one';

CREATE FUNCTION @extschema@.nn_list_models(model_name text DEFAULT NULL)
RETURNS TABLE (name text, version int, created_at timestamptz, deployed boolean, task text,
               n_inputs int, bytes int, metrics jsonb, created_by name, description text)
LANGUAGE sql STABLE SECURITY INVOKER PARALLEL SAFE
AS $$
    SELECT m.name, m.version, m.created_at, m.deployed, i ->> 'task', (i ->> 'inputs')::int,
           octet_length(m.model), m.metrics, m.created_by, m.description
    FROM @extschema@.nn_models m,
         LATERAL (SELECT @extschema@.nn_info(m.model)) AS info(i)
    WHERE $1 IS NULL OR m.name = $1
    ORDER BY m.name, m.version
$$;
COMMENT ON FUNCTION @extschema@.nn_list_models(text)
IS 'the models in nn_models (all, or the versions of one name) with their task, inputs and size';

CREATE FUNCTION @extschema@.nn_drop_model(name text, version int DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
DECLARE
    n int;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'nn_drop_model name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- one registration or deployment per name at a time
    PERFORM pg_advisory_xact_lock('@extschema@.nn_models'::regclass::oid::int, hashtext($1));
    DELETE FROM @extschema@.nn_models m WHERE m.name = $1 AND ($2 IS NULL OR m.version = $2);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        IF version IS NULL THEN
            RAISE EXCEPTION 'no model named "%" in nn_models', $1 USING ERRCODE = 'undefined_object';
        END IF;
        RAISE EXCEPTION 'no version % of model "%" in nn_models', $2, $1
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.nn_drop_model(text, int)
IS 'delete one version of a model from nn_models, or with version NULL every version; returns the count';

-- ------------------------------------------------- scoring by name
-- The deployed version, parsed once per backend and kept until nn_models
-- changes; the same C function serves a model given by value and by name.

CREATE FUNCTION @extschema@.nn_predict(name text, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict(text, real[])
IS 'nn_predict with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_class(name text, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_class(text, real[])
IS 'nn_predict_class with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_proba(name text, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba(text, real[])
IS 'nn_predict_proba with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_row(name text, r record)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_row(text, record)
IS 'nn_predict_row with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_class_row(name text, r record)
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_class_row(text, record)
IS 'nn_predict_class_row with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_proba_row(name text, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_row(text, record)
IS 'nn_predict_proba_row with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_batch(name text, rows real[])
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'nn_predict_batch'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_batch(text, real[])
IS 'nn_predict_batch with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_window(name text, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_window'
LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_window(text, real[])
IS 'nn_predict_window with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_class_window(name text, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class_window'
LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_class_window(text, real[])
IS 'nn_predict_class_window with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_proba_window(name text, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba_window'
LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_window(text, real[])
IS 'nn_predict_proba_window with the deployed version of a model in nn_models';

-- the calling backend's own cache: restricted to the leader, since a
-- parallel worker would report its own
CREATE FUNCTION @extschema@.nn_model_cache_stats()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_model_cache_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.nn_model_cache_stats()
IS 'this backend''s cache of parsed stored models: models, bytes, budget_bytes, in_use, hits, misses, stale, not_kept, evictions';

-- ------------------------------------------- compression (1.5, issue 17)
-- (helper Q: nn_strip, nn_quantize)

CREATE FUNCTION @extschema@.nn_strip(model bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_strip'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_strip(bytea)
IS 'the model without its optimizer state, for scoring only (a stripped or quantized model comes back unchanged)';

CREATE FUNCTION @extschema@.nn_quantize(model bytea, options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_quantize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_quantize(bytea, jsonb)
IS 'the model with int8 weights (symmetric, one scale per output channel) and no optimizer state, for scoring only';

-- ------------------------------------------- explanations (1.5, issue 17)
-- (helper E: nn_explain, nn_explain_row, their by-name overloads, nn_importance)

CREATE FUNCTION @extschema@.nn_explain(model bytea, features real[], options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain(bytea, real[], jsonb)
IS 'integrated gradients of one row: each feature''s attribution to the score of a class (or the regression value) from a baseline';

CREATE FUNCTION @extschema@.nn_explain(name text, features real[], options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain(text, real[], jsonb)
IS 'nn_explain with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_explain_row(model bytea, r record, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain_row(bytea, record, jsonb)
IS 'nn_explain for a whole row, its feature columns found by the names the model recorded';

CREATE FUNCTION @extschema@.nn_explain_row(name text, r record, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_explain_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_explain_row(text, record, jsonb)
IS 'nn_explain_row with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_importance(model bytea, source text, options jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_importance'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.nn_importance(bytea, text, jsonb)
IS 'mean absolute attribution (integrated gradients) of each feature column over the rows of a table, view or SELECT';

CREATE FUNCTION @extschema@.nn_plot(model bytea, features real[], explanation jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'nn_plot_attributions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_plot(bytea, real[], jsonb)
IS 'an SVG heat map of an image model''s attributions (nn_explain) over the image';

-- ------------------------------------- adversarial robustness (1.5, issue 17)
-- (helper A: nn_adversarial; nn_evaluate's four-argument form replaces the
-- three-argument one in the inspection section above)

CREATE FUNCTION @extschema@.nn_adversarial(model bytea, features real[], options jsonb DEFAULT '{}')
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_adversarial'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_adversarial(bytea, real[], jsonb)
IS 'an adversarial version of one row of features (FGSM or PGD within epsilon), as nn_predict takes them';

CREATE FUNCTION @extschema@.nn_adversarial(name text, features real[], options jsonb DEFAULT '{}')
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_adversarial'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_adversarial(text, real[], jsonb)
IS 'nn_adversarial with the deployed version of a model in nn_models';

-- ------------------------------- nn_fit's state type (1.6, issue 19)
-- (helper T: nn_fit_state and the nn_fit aggregate over it)

-- nn_fit's transition value as a real type, so that its partial states
-- travel as values: PostgreSQL's parallel workers, and Citus, which pushes
-- a custom aggregate down to its workers only when the state type is not
-- a pseudo-type and there is a combine function.  Its bytes are versioned
-- and every input and receive validates them in full; the text form is
-- their base64.
CREATE TYPE @extschema@.nn_fit_state;

CREATE FUNCTION @extschema@.nn_fit_state_in(cstring)
RETURNS @extschema@.nn_fit_state
AS 'MODULE_PATHNAME', 'nn_fit_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_state_in(cstring)
IS 'nn_fit_state input: a partial state from its base64 text, validated';

CREATE FUNCTION @extschema@.nn_fit_state_out(@extschema@.nn_fit_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'nn_fit_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_state_out(@extschema@.nn_fit_state)
IS 'nn_fit_state output: a partial state as the base64 of its bytes';

CREATE FUNCTION @extschema@.nn_fit_state_recv(internal)
RETURNS @extschema@.nn_fit_state
AS 'MODULE_PATHNAME', 'nn_fit_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_state_recv(internal)
IS 'nn_fit_state receive: a partial state from its binary form, validated';

CREATE FUNCTION @extschema@.nn_fit_state_send(@extschema@.nn_fit_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_fit_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_state_send(@extschema@.nn_fit_state)
IS 'nn_fit_state send: a partial state in its binary form, its bytes';

CREATE TYPE @extschema@.nn_fit_state (
    INPUT = @extschema@.nn_fit_state_in,
    OUTPUT = @extschema@.nn_fit_state_out,
    RECEIVE = @extschema@.nn_fit_state_recv,
    SEND = @extschema@.nn_fit_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.nn_fit_state
IS 'a partial state of the nn_fit aggregate: the model being trained, its pending rows and counters';

CREATE FUNCTION @extschema@.nn_fit_accum(@extschema@.nn_fit_state, bytea, real[], real)
RETURNS @extschema@.nn_fit_state
AS 'MODULE_PATHNAME', 'nn_fit_accum'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_accum(@extschema@.nn_fit_state, bytea, real[], real)
IS 'nn_fit transition: buffer a row and train on each full minibatch';

CREATE FUNCTION @extschema@.nn_fit_combine(@extschema@.nn_fit_state, @extschema@.nn_fit_state)
RETURNS @extschema@.nn_fit_state
AS 'MODULE_PATHNAME', 'nn_fit_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_combine(@extschema@.nn_fit_state, @extschema@.nn_fit_state)
IS 'combine two nn_fit partial states: their models averaged, weighted by the rows each trained on';

CREATE FUNCTION @extschema@.nn_fit_final(@extschema@.nn_fit_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_fit_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_fit_final(@extschema@.nn_fit_state)
IS 'finish an nn_fit partial state: train its pending rows and return the model';

CREATE AGGREGATE @extschema@.nn_fit(model bytea, features real[], target real) (
    SFUNC = @extschema@.nn_fit_accum,
    STYPE = @extschema@.nn_fit_state,
    FINALFUNC = @extschema@.nn_fit_final,
    FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = @extschema@.nn_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.nn_fit(bytea, real[], real)
IS 'one pass of minibatch training over the rows, starting from model';

-- the two phases by hand, for sharding tools other than Citus: partial
-- states per shard, then nn_fit_final(nn_fit_merge(state)) where they meet
CREATE AGGREGATE @extschema@.nn_fit_partial(model bytea, features real[], target real) (
    SFUNC = @extschema@.nn_fit_accum,
    STYPE = @extschema@.nn_fit_state,
    COMBINEFUNC = @extschema@.nn_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.nn_fit_partial(bytea, real[], real)
IS 'nn_fit without its final step: the partial state, to combine with others';

CREATE AGGREGATE @extschema@.nn_fit_merge(state @extschema@.nn_fit_state) (
    SFUNC = @extschema@.nn_fit_combine,
    STYPE = @extschema@.nn_fit_state,
    COMBINEFUNC = @extschema@.nn_fit_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.nn_fit_merge(@extschema@.nn_fit_state)
IS 'combine nn_fit partial states in the order given, as a partial state';

-- ------------------------------- aggregate training strategy (1.6, issue 19)
-- (helper S: objects for options.strategy "aggregate", if any)

CREATE FUNCTION @extschema@.nn_features_row(model bytea, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_features_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_features_row(bytea, record) IS
'the inputs a model encodes from a whole row (raw, before standardization), as nn_fit takes them; NULL when impute ''skip'' leaves the row out';

-- ------------------------- decisions for two-class models (1.7, issue 20)
-- (helper D: nn_with_threshold, nn_predict_proba by class, ranking metrics)
CREATE FUNCTION @extschema@.nn_predict_proba(model bytea, features real[], class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba(bytea, real[], text)
IS 'the probability of one class, named by its label, of a classifier for one row';

CREATE FUNCTION @extschema@.nn_predict_proba(name text, features real[], class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba(text, real[], text)
IS 'nn_predict_proba of one class with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_predict_proba_row(model bytea, r record, class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_row(bytea, record, text) IS
'the probability of one class, named by its label, for a whole row';

CREATE FUNCTION @extschema@.nn_predict_proba_row(name text, r record, class text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict_proba_of_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_predict_proba_row(text, record, text)
IS 'nn_predict_proba_row of one class with the deployed version of a model in nn_models';

CREATE FUNCTION @extschema@.nn_with_threshold(model bytea, threshold double precision)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_with_threshold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_with_threshold(bytea, double precision)
IS 'a two-class model with a new decision threshold in its options, without training';

CREATE FUNCTION @extschema@.nn_with_threshold(model bytea, threshold double precision,
	positive_class text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_with_threshold'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nn_with_threshold(bytea, double precision, text)
IS 'a two-class model with a new decision threshold and positive class in its options, without training';

-- ----------------------------------------- everyday errors (1.7, issue 20)
-- (helper F: objects for messages, feature choice and introspection, if any)
