-- The SQL surface and its markings (README, "SQL markings"): one rule for
-- every function, checked here on the installed catalog so that a script
-- that forgets a marking fails.

-- every function: its volatility, strictness, parallel safety and cost
SELECT p.oid::regprocedure AS function,
       p.provolatile AS vol, p.proisstrict AS strict, p.proparallel AS par,
       p.procost AS cost, p.prokind AS kind
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'nn' AND d.deptype = 'e'
ORDER BY p.proname, p.oid::regprocedure::text;

-- the rule: a C function that runs the network costs 1000; IMMUTABLE only
-- for a model given by value with real[] features (or none), and values
-- such as a class label: never a model's name or a record
SELECT p.oid::regprocedure AS breaks_the_rule
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'nn' AND d.deptype = 'e'
  AND ((p.proname LIKE 'nn\_predict%' AND p.procost <> 1000)
    OR (p.provolatile = 'i' AND (p.proargtypes[0] = 'text'::regtype OR 'record'::regtype = ANY (p.proargtypes::oid[])))
    OR (p.proname LIKE 'nn\_predict%' AND p.proargtypes[0] = 'text'::regtype AND p.provolatile <> 's')
    OR obj_description(p.oid, 'pg_proc') IS NULL
    OR p.pronamespace <> e.extnamespace);

-- nn_init is STRICT like a constructor (make_date): NULL in, NULL out, even
-- the options (nn_train's NULL options are the defaults: it is not STRICT)
SELECT nn_init(NULL, '{5}', 2) IS NULL AS null_size, nn_init(3, '{5}', 2, NULL) IS NULL AS null_options;

-- nn_model_cache_stats takes no argument: not STRICT, and it answers
SELECT jsonb_typeof(nn_model_cache_stats()) AS cache_stats;
