-- nn 1.0 -> 1.1: whole-row scoring, categorical features, evaluation, the
-- model catalog, learning-curve plots and ONNX export (issue 6).
-- A fresh CREATE EXTENSION nn runs nn--1.0.sql and then this script.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.1'" to load this file. \quit

-- ---------------------------------------------------------------- whole-row scoring

-- ---------------------------------------------------------------- evaluation

-- ---------------------------------------------------------------- model catalog

-- ---------------------------------------------------------------- progress

-- ---------------------------------------------------------------- learning curves

CREATE FUNCTION nn_plot(model bytea) RETURNS text
    AS 'MODULE_PATHNAME', 'nn_plot'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_plot(bytea) IS
    'an SVG document of the training and validation loss of each epoch of a model';

-- ---------------------------------------------------------------- ONNX export
