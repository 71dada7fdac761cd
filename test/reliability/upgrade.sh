#!/usr/bin/env bash
# Extension upgrade harness.
#
#   bash test/reliability/upgrade.sh
#
# For every version V from which PostgreSQL finds an update path to nn's
# default version (the repository's nn--A--B.sql scripts, chained), in a
# fresh database: CREATE EXTENSION nn VERSION 'V'; store a model and score
# it; ALTER EXTENSION nn UPDATE; then compare every object the extension owns
# (functions: signature, argument names and defaults, result, language, C
# symbol, volatility, strictness, parallel safety, SECURITY DEFINER,
# leakproof, cost, settings, privileges; aggregates: every pg_aggregate
# field; types, operators, casts; comments on all of them; the extension's
# own relocatable flag, schema and config tables) with a fresh
# CREATE EXTENSION nn at the default version.  They must be identical, the
# version must be the default, and the stored model must score the same.
#
# It also checks that every nn--*.sql of the repository is installed (the
# Makefile's DATA must ship upgrade scripts) and identical to the installed
# copy, and that no upgrade script leads nowhere.  With no upgrade script
# (only nn--1.0.sql today) it prints "no upgrade scripts yet" and exits 0.
#
# UPGRADE_SELFTEST=1 (the default; 0 skips it) first proves the comparison
# catches a bad script: it installs a throwaway extension nn_upgrade_selftest
# (same library, versions 0.8, 0.9 and 1.0 made from nn--1.0.sql) whose
# 0.9--1.0 script is right and whose 0.8--1.0 script forgets a comment and
# PARALLEL SAFE; the first must compare equal and the second must not.  Its
# files are removed from the extension directory at the end.
#
# Exit status 0 when every upgrade matches; NN_PGPORT defaults to 54344.
set -euo pipefail
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export NN_PGPORT="${NN_PGPORT:-54344}"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

nn_ensure_packages "${NN_BASE_PACKAGES[@]}"
nn_build_install >/dev/null
EXTDIR="$("$PG_CONFIG" --sharedir)/extension"
nn_cluster_start >/dev/null

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Everything the extension owns, one line per fact, sorted.  $1: extension.
snapshot() {
    local db="$1" ext="$2"
    nn_psql -d "$db" -At -v ext="$ext" <<'SQL'
WITH x AS (SELECT oid, extname, extnamespace FROM pg_extension WHERE extname = :'ext'),
members AS (
    SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, x
    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = x.oid AND d.deptype = 'e'
)
SELECT line FROM (
    -- the extension itself (version compared separately)
    SELECT format('extension relocatable=%s schema=%s config=%s conditions=%s',
                  e.extrelocatable, e.extnamespace::regnamespace, e.extconfig::regclass[], e.extcondition) AS line
    FROM pg_extension e, x WHERE e.oid = x.oid
    UNION ALL
    -- every member, with its comment
    SELECT format('member %s comment=%L', pg_describe_object(m.classid, m.objid, m.objsubid),
                  (SELECT description FROM pg_description c
                   WHERE c.classoid = m.classid AND c.objoid = m.objid AND c.objsubid = m.objsubid))
    FROM members m
    UNION ALL
    -- functions and aggregates: everything a CREATE FUNCTION can set
    SELECT format('function %s(%s) returns %s kind=%s lang=%s symbol=%s library=%s volatile=%s '
                  'strict=%s parallel=%s secdef=%s leakproof=%s cost=%s rows=%s support=%s '
                  'config=%s acl=%s owner_is_superuser=%s',
                  p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                  p.prokind, l.lanname, p.prosrc, p.probin, p.provolatile, p.proisstrict,
                  p.proparallel, p.prosecdef, p.proleakproof, p.procost, p.prorows, p.prosupport,
                  p.proconfig, p.proacl, r.rolsuper)
    FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    JOIN pg_language l ON l.oid = p.prolang JOIN pg_roles r ON r.oid = p.proowner
    UNION ALL
    SELECT format('aggregate %s kind=%s direct=%s transfn=%s finalfn=%s combinefn=%s serialfn=%s '
                  'deserialfn=%s mtransfn=%s minvtransfn=%s mfinalfn=%s finalextra=%s '
                  'mfinalextra=%s finalmodify=%s mfinalmodify=%s sortop=%s transtype=%s '
                  'transspace=%s mtranstype=%s mtransspace=%s initval=%s minitval=%s',
                  a.aggfnoid::regprocedure, a.aggkind, a.aggnumdirectargs,
                  a.aggtransfn::regprocedure, a.aggfinalfn::regprocedure,
                  a.aggcombinefn::regprocedure, a.aggserialfn::regprocedure,
                  a.aggdeserialfn::regprocedure, a.aggmtransfn::regprocedure,
                  a.aggminvtransfn::regprocedure, a.aggmfinalfn::regprocedure, a.aggfinalextra,
                  a.aggmfinalextra, a.aggfinalmodify, a.aggmfinalmodify, a.aggsortop::regoperator,
                  a.aggtranstype::regtype, a.aggtransspace, a.aggmtranstype::regtype,
                  a.aggmtransspace, a.agginitval, a.aggminitval)
    FROM members m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
    UNION ALL
    SELECT format('type %s len=%s byval=%s kind=%s category=%s input=%s output=%s receive=%s '
                  'send=%s align=%s storage=%s acl=%s',
                  t.oid::regtype, t.typlen, t.typbyval, t.typtype, t.typcategory,
                  t.typinput::regprocedure, t.typoutput::regprocedure,
                  t.typreceive::regprocedure, t.typsend::regprocedure, t.typalign,
                  t.typstorage, t.typacl)
    FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT format('operator %s code=%s commutator=%s negator=%s restrict=%s join=%s '
                  'merges=%s hashes=%s',
                  o.oid::regoperator, o.oprcode::regprocedure, o.oprcom::regoperator,
                  o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanmerge, o.oprcanhash)
    FROM members m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
    UNION ALL
    SELECT format('cast %s -> %s func=%s context=%s method=%s',
                  c.castsource::regtype, c.casttarget::regtype, c.castfunc::regprocedure,
                  c.castcontext, c.castmethod)
    FROM members m JOIN pg_cast c ON m.classid = 'pg_cast'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT format('relation %s kind=%s columns=%s acl=%s', cl.oid::regclass, cl.relkind,
                  (SELECT string_agg(format('%I %s', att.attname, format_type(att.atttypid, att.atttypmod)),
                                     ', ' ORDER BY att.attnum)
                   FROM pg_attribute att WHERE att.attrelid = cl.oid AND att.attnum > 0
                     AND NOT att.attisdropped), cl.relacl)
    FROM members m JOIN pg_class cl ON m.classid = 'pg_class'::regclass AND cl.oid = m.objid
) s
ORDER BY line COLLATE "C";
SQL
}

# $1 db, $2 extension: a model made by the extension, and its score
STORE_MODEL="CREATE TABLE upgrade_model AS
    SELECT nn_init(2, '{4}', 2, '{\"seed\": 7}') AS m, ARRAY[0.25, -0.5]::real[] AS x;
  SELECT nn_predict_proba(m, x)::text FROM upgrade_model"
SCORE_MODEL="SELECT nn_predict_proba(m, x)::text FROM upgrade_model"

# Compare: $1 extension, $2 source version, $3 default version.  Prints the
# result; returns 1 on a difference.
check_upgrade() {
    local ext="$1" from="$2" default="$3" db before after version
    db="up_$(tr -c 'a-zA-Z0-9\n' '_' <<<"${ext}_$from")"
    nn_psql -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    nn_psql -d "$db" -v ext="$ext" -v v="$from" >/dev/null \
        <<<"SELECT format('CREATE EXTENSION %I VERSION %L', :'ext', :'v') \\gexec"
    before=""
    if [ "$(nn_psql -d "$db" -Atc "SELECT to_regprocedure('nn_init(int,int[],int,jsonb)') IS NOT NULL
            AND to_regprocedure('nn_predict_proba(bytea,real[])') IS NOT NULL")" = t ]; then
        before="$(nn_psql -d "$db" -At -c "$STORE_MODEL")"
    fi
    if ! nn_psql -d "$db" -v ext="$ext" >"$NN_TMP/alter.log" 2>&1 \
            <<<"SELECT format('ALTER EXTENSION %I UPDATE', :'ext') \\gexec"; then
        echo "  ALTER EXTENSION $ext UPDATE from $from failed:"; sed 's/^/    /' "$NN_TMP/alter.log"
        return 1
    fi
    version="$(nn_psql -d "$db" -Atc "SELECT extversion FROM pg_extension WHERE extname = '$ext'")"
    snapshot "$db" "$ext" >"$NN_TMP/upgraded.txt"
    local status=0
    if [ "$version" != "$default" ]; then
        echo "  $from: after UPDATE the version is $version, not $default"; status=1
    fi
    if ! diff -u --label "fresh $default" --label "$from updated" \
            "$NN_TMP/fresh-$ext.txt" "$NN_TMP/upgraded.txt" >"$NN_TMP/diff.txt"; then
        echo "  $from -> $default differs from a fresh install:"
        sed 's/^/    /' "$NN_TMP/diff.txt" | head -n 40
        status=1
    fi
    if [ -n "$before" ]; then
        after="$(nn_psql -d "$db" -Atc "$SCORE_MODEL")"
        if [ "$after" != "$before" ]; then
            echo "  $from: a model stored before the update scores $after, before $before"
            status=1
        fi
    fi
    nn_psql -c "DROP DATABASE $db" >/dev/null
    return $status
}

# Test every version that can reach the default; $1 extension.  Prints one
# line per version; returns the number of failures.
test_extension() {
    local ext="$1" default from n_fail=0 lines
    default="$(nn_psql -Atc "SELECT default_version FROM pg_available_extensions WHERE name = '$ext'")"
    nn_psql -c "DROP DATABASE IF EXISTS up_fresh" -c "CREATE DATABASE up_fresh" >/dev/null
    nn_psql -d up_fresh -v ext="$ext" >/dev/null <<<"SELECT format('CREATE EXTENSION %I', :'ext') \\gexec"
    snapshot up_fresh "$ext" >"$NN_TMP/fresh-$ext.txt"
    nn_psql -c "DROP DATABASE up_fresh" >/dev/null
    lines=$(wc -l <"$NN_TMP/fresh-$ext.txt")
    echo "  fresh $ext $default: $lines catalog facts"
    # versions with an update path to the default (pg_extension_update_paths
    # reads the installed scripts and finds chains)
    while read -r from; do
        [ -n "$from" ] || continue
        if check_upgrade "$ext" "$from" "$default"; then
            echo "  $from -> $default: identical to a fresh install"
        else
            n_fail=$((n_fail + 1))
        fi
    done < <(nn_psql -Atc "SELECT source FROM pg_extension_update_paths('$ext')
                           WHERE target = '$default' AND path IS NOT NULL ORDER BY source")
    return "$n_fail"
}

# ---------------------------------------------------------------- self-test
SELFTEST_FILES=()
selftest_cleanup() {
    local f
    for f in "${SELFTEST_FILES[@]}"; do rm -f "$f"; done
    nn_cluster_stop
}
if [ "${UPGRADE_SELFTEST:-1}" = 1 ]; then
    trap selftest_cleanup EXIT
    st=nn_upgrade_selftest
    SELFTEST_FILES=("$EXTDIR/$st.control" "$EXTDIR/$st--1.0.sql" "$EXTDIR/$st--0.9.sql"
                    "$EXTDIR/$st--0.8.sql" "$EXTDIR/$st--0.9--1.0.sql" "$EXTDIR/$st--0.8--1.0.sql")
    printf "comment = 'nn upgrade harness self-test'\ndefault_version = '1.0'\nmodule_pathname = '\$libdir/nn'\nrelocatable = true\n" \
        >"$EXTDIR/$st.control"
    full="$EXTDIR/$st--1.0.sql"
    grep -v '^\\echo' "$REPO/nn--1.0.sql" >"$full"
    # 0.9: without nn_predict_batch (the script's last function) and with an
    # older comment on nn_info
    awk '/^CREATE FUNCTION nn_predict_batch/ { exit } { print }' "$full" |
        sed "s/^IS 'what a model records: .*/IS 'old comment';/" >"$EXTDIR/$st--0.9.sql"
    cp "$EXTDIR/$st--0.9.sql" "$EXTDIR/$st--0.8.sql"
    batch="$(awk '/^CREATE FUNCTION nn_predict_batch/ { on = 1 } on { print }' "$full")"
    info_comment="$(grep -A1 '^COMMENT ON FUNCTION nn_info' "$full")"
    printf '%s\n%s\n' "$batch" "$info_comment" >"$EXTDIR/$st--0.9--1.0.sql"
    # the wrong one: no comments, and PARALLEL SAFE forgotten
    grep -v -e '^COMMENT' -e '^IS ' <<<"$batch" | sed 's/ PARALLEL SAFE;/;/' >"$EXTDIR/$st--0.8--1.0.sql"

    echo "self-test (extension $st: 0.9->1.0 right, 0.8->1.0 wrong)"
    st_out="$(test_extension "$st" 2>&1)" && st_fail=0 || st_fail=$?
    echo "$st_out"
    if [ "$st_fail" = 1 ] && grep -q '0.9 -> 1.0: identical' <<<"$st_out" &&
            grep -q '0.8 -> 1.0 differs' <<<"$st_out" && grep -q 'parallel=u' <<<"$st_out"; then
        echo "self-test: PASS (the right script compares equal, the wrong one is caught)"
    else
        fail "self-test: the harness did not tell the right script from the wrong one"
    fi
    selftest_cleanup_files() { local f; for f in "${SELFTEST_FILES[@]}"; do rm -f "$f"; done; }
    selftest_cleanup_files
    echo
fi

# ---------------------------------------------------------------- nn
echo "nn upgrade scripts"
shopt -s nullglob
repo_scripts=("$REPO"/nn--*--*.sql)
all_scripts=("$REPO"/nn--*.sql)
shopt -u nullglob
# every script of the repository must be installed, and be the same file
for f in "${all_scripts[@]}"; do
    b="$(basename "$f")"
    if [ ! -f "$EXTDIR/$b" ]; then
        fail "$b is not installed in $EXTDIR (add it to DATA in the Makefile)"
    elif ! cmp -s "$f" "$EXTDIR/$b"; then
        fail "$b differs from the installed $EXTDIR/$b"
    fi
done
# and no installed nn script may be missing from the repository
for f in "$EXTDIR"/nn--*.sql; do
    [ -e "$f" ] || continue
    [ -f "$REPO/$(basename "$f")" ] || fail "$(basename "$f") is installed but not in the repository"
done
# no upgrade script may lead nowhere: each source version reaches the default
orphans="$(nn_psql -Atc "SELECT string_agg(source, ', ') FROM pg_extension_update_paths('nn') p
    WHERE target = (SELECT default_version FROM pg_available_extensions WHERE name = 'nn')
      AND path IS NULL
      AND source IN (SELECT version FROM pg_available_extension_versions WHERE name = 'nn')")"
default="$(nn_psql -Atc "SELECT default_version FROM pg_available_extensions WHERE name = 'nn'")"
if [ ${#repo_scripts[@]} -eq 0 ]; then
    echo "  no upgrade scripts yet: only ${all_scripts[*]##*/} (default version $default); nothing to upgrade"
    n_paths="$(nn_psql -Atc "SELECT count(*) FROM pg_extension_update_paths('nn') WHERE path IS NOT NULL")"
    [ "$n_paths" = 0 ] || fail "no upgrade script in the repository, but PostgreSQL finds $n_paths update paths"
else
    echo "  scripts: ${repo_scripts[*]##*/}"
    [ -z "$orphans" ] || fail "versions with no update path to $default: $orphans"
    if test_extension nn; then :; else fail "$? nn upgrade(s) differ from a fresh install"; fi
fi

echo
if [ "$failures" = 0 ]; then
    echo "upgrade: PASS"
    exit 0
fi
echo "upgrade: FAIL ($failures)"
exit 1
