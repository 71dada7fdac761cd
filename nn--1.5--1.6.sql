-- nn 1.5 -> 1.6: nn_fit as a true partial aggregate, for Citus (issue 19).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.7.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.6'" to load this file. \quit

-- ------------------------------------------- nn_fit's state type
-- (helper T: nn_fit_state and the nn_fit aggregate over it)

-- The aggregate over an internal state goes, with its support functions
-- (their C symbols stay in the library for installations not yet
-- updated).  A view or function that uses nn_fit blocks this update
-- ("cannot drop function nn_fit(bytea,real[],real) because other objects
-- depend on it"): drop it, update, and create it again; it then uses the
-- new nn_fit, which takes the same arguments and returns the same model.
DROP AGGREGATE @extschema@.nn_fit(bytea, real[], real);
DROP FUNCTION @extschema@.nn_fit_transfn(internal, bytea, real[], real);
DROP FUNCTION @extschema@.nn_fit_finalfn(internal);
DROP FUNCTION @extschema@.nn_fit_combinefn(internal, internal);
DROP FUNCTION @extschema@.nn_fit_serialfn(internal);
DROP FUNCTION @extschema@.nn_fit_deserialfn(bytea, internal);

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

-- ------------------------------------------- aggregate training strategy
-- (helper S: objects for options.strategy "aggregate", if any)

CREATE FUNCTION @extschema@.nn_features_row(model bytea, r record)
RETURNS real[]
AS 'MODULE_PATHNAME', 'nn_features_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION @extschema@.nn_features_row(bytea, record) IS
'the inputs a model encodes from a whole row (raw, before standardization), as nn_fit takes them; NULL when impute ''skip'' leaves the row out';
