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
