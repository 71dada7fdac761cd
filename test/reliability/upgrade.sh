#!/usr/bin/env bash
# Extension upgrade harness: updates that carry data.
#
#   bash test/reliability/upgrade.sh
#
# For every version V from which PostgreSQL finds an update path to nn's
# default version (1.0 to 1.6 today; the default is 1.7), in a fresh
# database:
#  1. CREATE EXTENSION nn VERSION 'V', and with the functions V has
#     (upgrade_data.sql, step before): train models (nn_train, nn_continue,
#     nn_fit over nn_init) and store them in a user table; from 1.1 on,
#     register models in nn_models (four names, seven versions, three names
#     with a deployed version, one with none); record every column of every
#     nn_models row, the md5 of every stored model, and as text the result of
#     each scoring check: by value, from 1.1 by name (nn_predict, _class,
#     _proba, _batch, the whole-row functions, nn_model, nn_list_models), from
#     1.2 the window functions.
#  2. ALTER EXTENSION nn UPDATE; the version must then be the default.
#  3. In a new session (step after): every nn_models row must be there,
#     with every column it had unchanged, and no row added; the stored models
#     must have the same bytes; every check must give exactly the text it gave
#     before (float8 and real print the shortest text that reads back as the
#     same bits: equal text is equal values), errors only where expected
#     (by name, the name with no deployed version).
#  4. Every object the extension owns must be identical to a fresh
#     CREATE EXTENSION nn at the default version (functions: signature,
#     argument names and defaults, result, language, C symbol or body,
#     volatility, strictness, parallel safety, SECURITY DEFINER, leakproof,
#     cost, settings, privileges; aggregates: every pg_aggregate field; types,
#     operators, casts; tables and views: columns with NOT NULL and defaults,
#     indexes, constraints, triggers, the view's query, privileges; comments on
#     all of them and on columns; the extension's relocatable flag, schema and
#     config tables).  PostgreSQL installs the default version from the full
#     script nn--<default>.sql, so this compares the full script with every
#     chain of update scripts that reaches it: the test that keeps the two in
#     sync.  From 1.4 on nn must ship that full script (a missing one is a
#     failure: without it a fresh install would chain the very scripts an
#     update runs, and only the data checks of step 3 could catch a bad one).
#     The output says which way the fresh install went.
# Each check prints a line ("V -> default: ..."); the script exits non-zero
# on any failure.
#
# It also checks that every nn--*.sql of the repository is installed (the
# Makefile's DATA must ship upgrade scripts) and identical to the installed
# copy, and that no upgrade script leads nowhere.  With no upgrade script it
# prints "no upgrade scripts yet" and exits 0.
#
# UPGRADE_SELFTEST=1 (the default; 0 skips it) first proves that the checks
# can fail, with two throwaway extensions on the same library, installed in
# the extension directory under names ending in this script's process id and
# removed at exit (also after a failure or Ctrl-C):
#  - objects: nn_upgrade_selftest_PID, versions 0.8, 0.9 and 1.0 made from
#    nn--1.0.sql, whose 0.9--1.0 script is right and whose 0.8--1.0 script
#    forgets a comment and PARALLEL SAFE: the first must compare equal, the
#    second must not.
#  - data: nn_upgrade_datatest_PID, nn's last version P before the default D
#    (1.2) and D itself as full scripts made from nn's (so its fresh install
#    takes the full-script route), and three update scripts from P's
#    contents: nn--P--D.sql as it is (from P: must pass), the same followed
#    by "DELETE FROM nn_models WHERE NOT deployed" (from P-deleting: the lost
#    rows and the scores of their versions must fail), and by
#    "UPDATE nn_models SET created_at = now()" (from P-altering: the catalog
#    check must fail on created_at while every score passes).  The objects of
#    all three compare equal with a fresh install: only the data checks can
#    tell.
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
DATA_SQL="$REPO/test/reliability/upgrade_data.sql"

# Everything the extension owns, one line per fact, sorted.  $1: database,
# $2: extension.
snapshot() {
    local db="$1" ext="$2"
    nn_psql -d "$db" -At -v ext="$ext" <<'SQL'
WITH x AS (SELECT oid, extname, extnamespace FROM pg_extension WHERE extname = :'ext'),
members AS (
    SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, x
    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = x.oid AND d.deptype = 'e'
),
rels AS (SELECT objid AS oid FROM members WHERE classid = 'pg_class'::regclass)
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
    -- tables, views (and any sequence): what a full install script must
    -- rebuild exactly, down to the indexes, constraints and triggers that
    -- belong to the table rather than to the extension
    SELECT format('relation %s kind=%s persistence=%s options=%s owner_is_superuser=%s acl=%s columns=%s',
                  cl.oid::regclass, cl.relkind, cl.relpersistence, cl.reloptions, r.rolsuper, cl.relacl,
                  (SELECT string_agg(format('%I %s%s%s', att.attname, format_type(att.atttypid, att.atttypmod),
                                            CASE WHEN att.attnotnull THEN ' NOT NULL' END,
                                            ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid)),
                                     ', ' ORDER BY att.attnum)
                   FROM pg_attribute att
                   LEFT JOIN pg_attrdef ad ON ad.adrelid = att.attrelid AND ad.adnum = att.attnum
                   WHERE att.attrelid = cl.oid AND att.attnum > 0 AND NOT att.attisdropped))
    FROM rels JOIN pg_class cl ON cl.oid = rels.oid JOIN pg_roles r ON r.oid = cl.relowner
    UNION ALL
    SELECT format('column %s.%I comment=%L', cl.oid::regclass, att.attname, d.description)
    FROM rels JOIN pg_class cl ON cl.oid = rels.oid
    JOIN pg_attribute att ON att.attrelid = cl.oid AND att.attnum > 0 AND NOT att.attisdropped
    LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = cl.oid
                              AND d.objsubid = att.attnum
    UNION ALL
    SELECT format('view %s: %s', cl.oid::regclass, regexp_replace(pg_get_viewdef(cl.oid), '\s+', ' ', 'g'))
    FROM rels JOIN pg_class cl ON cl.oid = rels.oid WHERE cl.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('index %s comment=%L: %s', i.indexrelid::regclass,
                  obj_description(i.indexrelid, 'pg_class'), pg_get_indexdef(i.indexrelid))
    FROM rels JOIN pg_index i ON i.indrelid = rels.oid
    UNION ALL
    SELECT format('constraint %s on %s deferrable=%s deferred=%s validated=%s: %s', c.conname,
                  c.conrelid::regclass, c.condeferrable, c.condeferred, c.convalidated,
                  pg_get_constraintdef(c.oid))
    FROM rels JOIN pg_constraint c ON c.conrelid = rels.oid
    UNION ALL
    SELECT format('trigger %s on %s enabled=%s: %s', t.tgname, t.tgrelid::regclass, t.tgenabled,
                  pg_get_triggerdef(t.oid))
    FROM rels JOIN pg_trigger t ON t.tgrelid = rels.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT format('rule %s on %s: %s', rw.rulename, rw.ev_class::regclass,
                  regexp_replace(pg_get_ruledef(rw.oid), '\s+', ' ', 'g'))
    FROM rels JOIN pg_rewrite rw ON rw.ev_class = rels.oid AND rw.rulename <> '_RETURN'
) s
ORDER BY line COLLATE "C";
SQL
}

# the object self-test's stand-in for data: a model made by the extension,
# and its score
STORE_MODEL="CREATE TABLE upgrade_model AS
    SELECT nn_init(2, '{4}', 2, '{\"seed\": 7}') AS m, ARRAY[0.25, -0.5]::real[] AS x;
  SELECT nn_predict_proba(m, x)::text FROM upgrade_model"
SCORE_MODEL="SELECT nn_predict_proba(m, x)::text FROM upgrade_model"

# Update one installation and compare: $1 extension, $2 source version, $3
# default version, $4 data: "upgrade_data" (upgrade_data.sql; the nn version
# whose functions the source has is $2 up to its first "-") or "model"
# (STORE_MODEL).  Prints one line per check, "$2 -> $3: ..."; returns 1 on
# any failure.
check_upgrade() {
    local ext="$1" from="$2" default="$3" data="$4" db before="" after version status=0
    local say="  $from -> $default:"
    db="up_$(tr -c 'a-zA-Z0-9\n' '_' <<<"${ext}_$from")"
    nn_psql -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    nn_psql -d "$db" -v ext="$ext" -v v="$from" >/dev/null \
        <<<"SELECT format('CREATE EXTENSION %I VERSION %L', :'ext', :'v') \\gexec"
    if [ "$data" = upgrade_data ]; then
        if ! nn_psql -d "$db" -v step=before -v v="${from%%-*}" -f "$DATA_SQL" \
                >"$NN_TMP/data.log" 2>&1; then
            echo "$say FAIL storing and scoring models at $from:"; sed 's/^/    /' "$NN_TMP/data.log"
            nn_psql -c "DROP DATABASE $db" >/dev/null
            return 1
        fi
    elif [ "$(nn_psql -d "$db" -Atc "SELECT to_regprocedure('nn_init(int,int[],int,jsonb)') IS NOT NULL
            AND to_regprocedure('nn_predict_proba(bytea,real[])') IS NOT NULL")" = t ]; then
        before="$(nn_psql -d "$db" -At -c "$STORE_MODEL")"
    fi
    if ! nn_psql -d "$db" -v ext="$ext" >"$NN_TMP/alter.log" 2>&1 \
            <<<"SELECT format('ALTER EXTENSION %I UPDATE', :'ext') \\gexec"; then
        echo "$say FAIL ALTER EXTENSION $ext UPDATE:"; sed 's/^/    /' "$NN_TMP/alter.log"
        nn_psql -c "DROP DATABASE $db" >/dev/null
        return 1
    fi
    version="$(nn_psql -d "$db" -Atc "SELECT extversion FROM pg_extension WHERE extname = '$ext'")"
    if [ "$version" != "$default" ]; then
        echo "$say FAIL after UPDATE the version is $version, not $default"; status=1
    fi
    # the data, in a new session: no backend cache carries over
    if [ "$data" = upgrade_data ]; then
        if ! nn_psql -d "$db" -At -v step=after -f "$DATA_SQL" >"$NN_TMP/data.txt" 2>&1; then
            echo "$say FAIL checking the data after the update:"; sed 's/^/    /' "$NN_TMP/data.txt"
            status=1
        else
            # each of the three comparisons says PASS or FAIL
            for what in 'scores:|score ' 'user table:' 'nn_models:'; do
                grep -Eq "^(PASS|FAIL) ($what)" "$NN_TMP/data.txt" ||
                    echo "FAIL ${what%%|*} no result line" >>"$NN_TMP/data.txt"
            done
            sed "s/^/$say /" "$NN_TMP/data.txt"
            ! grep -q '^FAIL' "$NN_TMP/data.txt" || status=1
        fi
    elif [ -n "$before" ]; then
        after="$(nn_psql -d "$db" -Atc "$SCORE_MODEL")"
        if [ "$after" != "$before" ]; then
            echo "$say FAIL a model stored before the update scores $after, before $before"
            status=1
        else
            echo "$say PASS a model stored before the update scores the same"
        fi
    fi
    snapshot "$db" "$ext" >"$NN_TMP/upgraded.txt"
    if ! diff -u --label "fresh $default" --label "$from updated" \
            "$NN_TMP/fresh-$ext.txt" "$NN_TMP/upgraded.txt" >"$NN_TMP/diff.txt"; then
        echo "$say FAIL objects differ from a fresh install:"
        sed 's/^/    /' "$NN_TMP/diff.txt" | head -n 40
        status=1
    else
        echo "$say PASS objects identical to a fresh install"
    fi
    nn_psql -c "DROP DATABASE $db" >/dev/null
    return $status
}

# Test every version that can reach the default; $1 extension, $2 data (see
# check_upgrade).  Prints the lines; returns the number of versions that
# failed.
test_extension() {
    local ext="$1" data="$2" default from n_fail=0 lines route
    default="$(nn_psql -Atc "SELECT default_version FROM pg_available_extensions WHERE name = '$ext'")"
    nn_psql -c "DROP DATABASE IF EXISTS up_fresh" -c "CREATE DATABASE up_fresh" >/dev/null
    nn_psql -d up_fresh -v ext="$ext" >/dev/null <<<"SELECT format('CREATE EXTENSION %I', :'ext') \\gexec"
    snapshot up_fresh "$ext" >"$NN_TMP/fresh-$ext.txt"
    nn_psql -c "DROP DATABASE up_fresh" >/dev/null
    lines=$(wc -l <"$NN_TMP/fresh-$ext.txt")
    # PostgreSQL runs $ext--$default.sql when it exists, else the shortest
    # chain of update scripts from a full script
    if [ -f "$EXTDIR/$ext--$default.sql" ]; then
        route="from the full script $ext--$default.sql"
    else
        route="chained from an older full script and the update scripts (no $ext--$default.sql:"
        route="$route the same scripts as the updates, so only the data checks can catch a bad one)"
    fi
    echo "  fresh $ext $default: $lines catalog facts, installed $route"
    if [ "$ext" = nn ] && [ ! -f "$EXTDIR/$ext--$default.sql" ]; then
        echo "  FAIL nn $default has no full install script nn--$default.sql"
        n_fail=$((n_fail + 1))
    fi
    # versions with an update path to the default (pg_extension_update_paths
    # reads the installed scripts and finds chains)
    while read -r from; do
        [ -n "$from" ] || continue
        check_upgrade "$ext" "$from" "$default" "$data" || n_fail=$((n_fail + 1))
    done < <(nn_psql -Atc "SELECT source FROM pg_extension_update_paths('$ext')
                           WHERE target = '$default' AND path IS NOT NULL ORDER BY source")
    return "$n_fail"
}

# nn's SQL at version $1, as one script: nn--$1.sql if there is one, else
# the first full script with an update path to $1, then each update script
# of the path (as CREATE EXTENSION nn VERSION '$1' would run them).
nn_script_at() {
    local target="$1" f base path prev step steps
    [ -f "$REPO/nn--$target.sql" ] && { cat "$REPO/nn--$target.sql"; return; }
    for f in "$REPO"/nn--*.sql; do
        base="${f##*/nn--}"; base="${base%.sql}"
        [[ "$base" == *--* ]] && continue
        path="$(nn_psql -Atc "SELECT path FROM pg_extension_update_paths('nn')
                              WHERE source = '$base' AND target = '$target'")"
        [ -n "$path" ] || continue
        cat "$f"
        prev="$base"
        read -ra steps <<<"${path//--/ }"
        for step in "${steps[@]:1}"; do
            cat "$REPO/nn--$prev--$step.sql"; prev="$step"
        done
        return
    done
    echo "no script or update path for nn $target" >&2
    return 1
}

# ---------------------------------------------------------------- self-tests
SELFTEST_FILES=()
selftest_cleanup_files() {
    local f
    for f in "${SELFTEST_FILES[@]}"; do rm -f "$f"; done
    SELFTEST_FILES=()
}
if [ "${UPGRADE_SELFTEST:-1}" = 1 ]; then
    # the files go after the trap: removed however the script ends
    trap 'selftest_cleanup_files; nn_cluster_stop' EXIT

    # -- objects: a wrong update script is told from a right one
    st="nn_upgrade_selftest_$$"
    SELFTEST_FILES+=("$EXTDIR/$st.control" "$EXTDIR/$st--1.0.sql" "$EXTDIR/$st--0.9.sql"
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

    echo "self-test of the object comparison ($st: 0.9->1.0 right, 0.8->1.0 wrong)"
    st_out="$(test_extension "$st" model 2>&1)" && st_fail=0 || st_fail=$?
    echo "$st_out"
    if [ "$st_fail" = 1 ] && grep -q '0.9 -> 1.0: PASS objects identical' <<<"$st_out" &&
            grep -q '0.8 -> 1.0: FAIL objects differ' <<<"$st_out" && grep -q 'parallel=u' <<<"$st_out"; then
        echo "self-test: PASS (the right script compares equal, the wrong one is caught)"
    else
        fail "self-test: the harness did not tell the right script from the wrong one"
    fi
    selftest_cleanup_files
    echo

    # -- data: update scripts that delete or alter nn_models rows are caught
    dt="nn_upgrade_datatest_$$"
    d="$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$REPO/nn.control")"
    # P: the newest version with an update script to D
    p=""
    for f in "$REPO"/nn--*--"$d".sql; do
        [ -e "$f" ] || continue
        f="${f##*/nn--}"; f="${f%--"$d".sql}"
        p="$(printf '%s\n%s\n' "$p" "$f" | sort -V | tail -n 1)"
    done
    if [ -z "$p" ]; then
        fail "data self-test: no update script to nn $d"
    else
        SELFTEST_FILES+=("$EXTDIR/$dt.control" "$EXTDIR/$dt--$d.sql")
        printf "comment = 'nn upgrade harness data self-test'\ndefault_version = '%s'\nmodule_pathname = '\$libdir/nn'\nrelocatable = false\n" \
            "$d" >"$EXTDIR/$dt.control"
        # nn's scripts under another name: its catalog functions find
        # nn_models in their own schema, and the owner's grant names it
        as_dt() { grep -v '^\\echo' | sed "s/extname = 'nn'/extname = '$dt'/"; }
        nn_script_at "$d" | as_dt >"$EXTDIR/$dt--$d.sql"
        for src in "$p" "$p-deleting" "$p-altering"; do
            SELFTEST_FILES+=("$EXTDIR/$dt--$src.sql" "$EXTDIR/$dt--$src--$d.sql")
            nn_script_at "$p" | as_dt >"$EXTDIR/$dt--$src.sql"
            as_dt <"$REPO/nn--$p--$d.sql" >"$EXTDIR/$dt--$src--$d.sql"
        done
        printf '%s\n' '-- wrong: "tidies" the catalog' \
            'DELETE FROM @extschema@.nn_models WHERE NOT deployed;' >>"$EXTDIR/$dt--$p-deleting--$d.sql"
        printf '%s\n' '-- wrong: as a rebuild of the table that forgets to copy created_at' \
            'UPDATE @extschema@.nn_models SET created_at = now();' >>"$EXTDIR/$dt--$p-altering--$d.sql"

        echo "self-test of the data checks ($dt: $p->$d right; $p-deleting->$d deletes rows, $p-altering->$d alters them)"
        st_out="$(test_extension "$dt" upgrade_data 2>&1)" && st_fail=0 || st_fail=$?
        echo "$st_out"
        right="$(grep -c "^  $p -> $d: PASS" <<<"$st_out" || true)"
        if [ "$st_fail" = 2 ] && [ "$right" = 4 ] && ! grep -q "^  $p -> $d: FAIL" <<<"$st_out" &&
                grep -q "full script $dt--$d.sql" <<<"$st_out" &&
                grep -q "^  $p-deleting -> $d: FAIL nn_models: row .* lost" <<<"$st_out" &&
                grep -q "^  $p-deleting -> $d: FAIL score nn_model(" <<<"$st_out" &&
                grep -q "^  $p-deleting -> $d: PASS objects identical" <<<"$st_out" &&
                grep -q "^  $p-altering -> $d: FAIL nn_models: row .*, column created_at" <<<"$st_out" &&
                ! grep -q "^  $p-altering -> $d: FAIL nn_models: .*column [^c]" <<<"$st_out" &&
                grep -q "^  $p-altering -> $d: PASS scores" <<<"$st_out" &&
                grep -q "^  $p-altering -> $d: PASS objects identical" <<<"$st_out"; then
            echo "self-test: PASS (the right script keeps every row and score; deleted and altered rows are caught)"
        else
            fail "self-test: the data checks did not tell the right script from the wrong ones"
        fi
    fi
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
    if test_extension nn upgrade_data; then :; else fail "$? nn upgrade(s) failed"; fi
fi

echo
if [ "$failures" = 0 ]; then
    echo "upgrade: PASS"
    exit 0
fi
echo "upgrade: FAIL ($failures)"
exit 1
