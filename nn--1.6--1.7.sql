-- nn 1.6 -> 1.7: imbalanced classes, mixed tables and errors that teach (issue 20).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.7.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.7'" to load this file. \quit

-- ------------------------------------------- decisions for two-class models
-- (helper D: nn_with_threshold, nn_predict_proba by class, ranking metrics)

-- ------------------------------------------- everyday errors
-- (helper F: objects for messages, feature choice and introspection, if any)
