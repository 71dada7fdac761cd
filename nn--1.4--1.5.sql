-- nn 1.4 -> 1.5: compression, explanations and adversarial robustness (issue 17).
-- A fresh CREATE EXTENSION nn runs the full script nn--1.5.sql instead;
-- test/reliability/upgrade.sh checks that both give the same catalog.
\echo Use "ALTER EXTENSION nn UPDATE TO '1.5'" to load this file. \quit

-- ------------------------------------------- compression
-- (helper Q)

-- ------------------------------------------- explanations
-- (helper E)

-- ------------------------------------------- adversarial robustness
-- (helper A)
