-- pg_temp.error_of(query): runs query in a subtransaction that catches its
-- error and returns the SQLSTATE and message ('none' when it succeeds), so
-- a test prints the code of each error class without the file and line
-- that VERBOSITY verbose would add.  Included by sql/errors_*.sql
-- (\i :abs_srcdir/test/error_of.sql after \getenv abs_srcdir PG_ABS_SRCDIR).
CREATE FUNCTION pg_temp.error_of(query text, OUT code text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    code := 'none';
EXCEPTION WHEN OTHERS THEN
    code := SQLSTATE;
    message := SQLERRM;
END
$$;
