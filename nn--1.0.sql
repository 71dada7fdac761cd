-- nn 1.0: neural networks trained and served inside PostgreSQL.
\echo Use "CREATE EXTENSION nn" to load this file. \quit

-- Training -----------------------------------------------------------------

CREATE FUNCTION nn_train(source text, target text, features text[] DEFAULT NULL,
                         hidden int[] DEFAULT '{64}', options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nn_train(text, text, text[], int[], jsonb)
IS 'train a neural network on the rows of a table, view or query and return the model';

CREATE FUNCTION nn_init(n_inputs int, hidden int[], n_outputs int, options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_init'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_init(int, int[], int, jsonb)
IS 'an untrained model with seeded random weights, to train with the nn_fit aggregate';

CREATE FUNCTION nn_fit_transfn(internal, bytea, real[], real)
RETURNS internal
AS 'MODULE_PATHNAME', 'nn_fit_transfn'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION nn_fit_transfn(internal, bytea, real[], real)
IS 'nn_fit transition: buffer a row and train on each full minibatch';

CREATE FUNCTION nn_fit_finalfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_fit_finalfn'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION nn_fit_finalfn(internal)
IS 'nn_fit final: train the last partial minibatch and return the model';

CREATE FUNCTION nn_fit_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'nn_fit_combinefn'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION nn_fit_combinefn(internal, internal)
IS 'nn_fit combine: average two partial models weighted by the rows each trained on';

CREATE FUNCTION nn_fit_serialfn(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_fit_serialfn'
LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_fit_serialfn(internal)
IS 'nn_fit serialize: a partial state as bytes for parallel workers';

CREATE FUNCTION nn_fit_deserialfn(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'nn_fit_deserialfn'
LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_fit_deserialfn(bytea, internal)
IS 'nn_fit deserialize: a partial state from bytes, validated';

CREATE AGGREGATE nn_fit(model bytea, features real[], target real) (
    SFUNC = nn_fit_transfn,
    STYPE = internal,
    FINALFUNC = nn_fit_finalfn,
    FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = nn_fit_combinefn,
    SERIALFUNC = nn_fit_serialfn,
    DESERIALFUNC = nn_fit_deserialfn,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE nn_fit(bytea, real[], real)
IS 'one pass of minibatch training over the rows, starting from model';

-- Scoring ------------------------------------------------------------------

CREATE FUNCTION nn_predict(model bytea, features real[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'nn_predict'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict(bytea, real[])
IS 'the predicted value (regression) or class index (classification) for one row';

CREATE FUNCTION nn_predict_class(model bytea, features real[])
RETURNS text
AS 'MODULE_PATHNAME', 'nn_predict_class'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict_class(bytea, real[])
IS 'the predicted class label of a classifier for one row';

CREATE FUNCTION nn_predict_proba(model bytea, features real[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_predict_proba'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict_proba(bytea, real[])
IS 'class probabilities of a classifier for one row, in the order of nn_info(model)->''classes''';

CREATE FUNCTION nn_info(model bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'nn_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_info(bytea)
IS 'what a model records: task, layers, options, features, classes, training history';

CREATE FUNCTION nn_continue(model bytea, source text, options jsonb DEFAULT '{}')
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_continue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nn_continue(bytea, text, jsonb)
IS 'train a model for more epochs on the rows of a source, continuing its optimizer and shuffle';

CREATE FUNCTION nn_predict_batch(model bytea, rows real[])
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'nn_predict_batch'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_predict_batch(bytea, real[])
IS 'nn_predict for the rows of a 2-D array (one row of features per line), scored as matrix products';
