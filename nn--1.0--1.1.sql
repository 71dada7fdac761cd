-- nn 1.0 -> 1.1: whole-row scoring, categorical features, evaluation, the
-- model catalog, learning-curve plots and ONNX export (issue 6).
-- A fresh CREATE EXTENSION nn runs nn--1.0.sql and then this script.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.1'" to load this file. \quit

-- ---------------------------------------------------------------- whole-row scoring

-- ---------------------------------------------------------------- evaluation

-- ---------------------------------------------------------------- model catalog

-- ---------------------------------------------------------------- progress

-- ---------------------------------------------------------------- learning curves

-- ---------------------------------------------------------------- ONNX export

CREATE FUNCTION nn_export_onnx(model bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'nn_export_onnx'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nn_export_onnx(bytea)
IS 'the model as an ONNX file (opset 13): its network with standardization, probabilities or value as nn_predict_proba and nn_predict';
