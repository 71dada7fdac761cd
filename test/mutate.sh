#!/usr/bin/env bash
# test/mutate.sh - mutation testing of the pure-C code under the unit tests.
#
# What it proves: the C unit tests (make -C test check) catch real mistakes
# in the kernels (src/kernels/*.c), the model reader's validation
# (src/formats/model.c) and the optimizers.  Each mutant of test/mutants.txt (a
# flipped operator, a changed constant or index, a dropped term) is applied
# to a copy of the sources (never the working tree); the copy is built and
# the unit tests run against it.  A mutant is killed when the tests fail or
# time out; one that survives is a change no test notices.  Every survivor
# must be killed by a test, or be marked in the list as equivalent with the
# reason why no test can tell it from the original.
#
#   bash test/mutate.sh              full run, every mutant (about 5 minutes
#                                    on the project's 2-core machine)
#   bash test/mutate.sh --sample 50  CI: 50 mutants spread evenly over the
#                                    list (those not marked equivalent), the
#                                    same ones every run (about a minute)
#   bash test/mutate.sh 57 112       only the mutants on these list lines
#   bash test/mutate.sh --list       check the list and print its mutants
#
# Every run first checks that every mutant of the list still applies (its
# snippet matches as the list says), so the list cannot rot silently.  The
# last line is "mutants: N killed, N survived" (survived: unexplained
# survivors; equivalent mutants are counted on a line of their own).  The
# exit status is non-zero on any unexplained survivor, a mutant whose
# snippet no longer matches (stale), one that does not build (invalid: a
# defect of the list, never counted as killed), or an equivalent one that
# was killed (its reason is wrong).
#
# Environment: MUTATE_LIST (default test/mutants.txt), MUTATE_TIMEOUT
# (seconds per test binary; by default 5 times the unmutated unit tests'
# run, at least 10; a timeout counts as killed),
# MUTATE_KEEP=1 keeps the work directory, TMPDIR where it goes.
#
# Speed: the unmutated copy is built once (test/Makefile with SRC_DIR= and
# BUILD=, the plain gcc build of make check, not the sanitizers).  Each
# mutant starts from a copy of those objects: make recompiles only the
# mutated file, and links and runs one test binary at a time, the mutated
# file's own test first, stopping at the first that fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="${MUTATE_LIST:-$repo/test/mutants.txt}"
limit="${MUTATE_TIMEOUT:-}"
sample=0
list_only=0
lines=()

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "$1"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --sample) sample="${2:?--sample needs a count}"; shift 2 ;;
        --sample=*) sample="${1#--sample=}"; shift ;;
        --list) list_only=1; shift ;;
        -h|--help) usage 0 ;;
        [0-9]*) lines+=("$1"); shift ;;
        *) echo "mutate.sh: unknown argument $1" >&2; usage 2 ;;
    esac
done
[[ "$sample" =~ ^[0-9]+$ ]] || { echo "mutate.sh: --sample takes a number" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/nn-mutate.XXXXXX")"
if [ "${MUTATE_KEEP:-0}" = 1 ]; then
    echo "work directory: $work"
else
    trap 'rm -rf "$work"' EXIT
fi

# -- the copy: the sources the unit tests compile, mtimes kept.  orig/ stays
# pristine (each mutated file is restored from it); src/ is built.
mkdir -p "$work/orig"
(cd "$repo/src" && find kernels formats -name '*.[ch]' -print0 |
    xargs -0 cp -p --parents -t "$work/orig")
cp -pr "$work/orig" "$work/src"

# -- parse the list, check every mutant, write each mutated file once.
# List lines: FILE | ORIGINAL | REPLACEMENT [| N/M] [| equivalent: REASON]
# Fields are trimmed; inside one "\|" is a |, "\t" a tab, "\n" a newline
# and "\\" a backslash.
# ORIGINAL must occur exactly once in FILE, or exactly M times when N/M is
# given (the mutant changes the N-th).  The manifest has one line per
# mutant: list line, file under src/, source line, equivalent (0/1), text.
mkdir -p "$work/mutants"
perl -e '
use strict;
use warnings;
my ($list, $root, $out) = @ARGV;
my (%files, %seen, $bad);
my %esc = ("n" => "\n", "t" => "\t", "|" => "|", "\\" => "\\");
sub stale { print "STALE\t$_[0]\t$_[1]\n"; $bad++; }
sub show { my $s = shift; $s =~ s/\n/\\n/g; $s =~ s/\t/\\t/g; return "\x27$s\x27"; }
open(my $fh, "<", $list) or die "cannot read $list: $!\n";
while (my $line = <$fh>)
{
    chomp $line;
    my $n = $.;
    next if $line =~ /^\s*(#|$)/;
    # split at each | that is not escaped, trim, then decode the escapes
    my @f = ("");
    for (my $i = 0; $i < length $line; $i++) {
        my $ch = substr($line, $i, 1);
        if ($ch eq "\\") { $f[-1] .= substr($line, $i++, 2); }
        elsif ($ch eq "|") { push @f, ""; }
        else { $f[-1] .= $ch; }
    }
    my $badesc = 0;
    for (@f) {
        s/^\s+|\s+$//g;
        s/\\(.?)/exists $esc{$1} ? $esc{$1} : do { $badesc = 1; "" }/ge;
    }
    my ($file, $orig, $repl, $occ, $note) = @f;
    if ($badesc) { stale($n, "unknown escape (only \\n \\t \\| \\\\)"); next; }
    if (@f < 3 || @f > 5 || $file eq "" || $orig eq "") { stale($n, "malformed line"); next; }
    $occ //= "";
    $note //= "";
    if ($orig eq $repl) { stale($n, "replacement equals the original"); next; }
    if ($file !~ m{^src/(.+)$} || !-f "$root/$1") { stale($n, "$file is not compiled by the unit tests"); next; }
    my $rel = $1;
    if ($note ne "" && $note !~ /^equivalent:\s*\S/) { stale($n, "fifth field must be \"equivalent: REASON\""); next; }
    $files{$rel} //= do { local $/; open(my $s, "<", "$root/$rel") or die; <$s> };
    my $text = $files{$rel};
    my @at;
    for (my $p = index($text, $orig); $p >= 0; $p = index($text, $orig, $p + 1)) { push @at, $p; }
    my ($want, $count) = (1, 1);
    if ($occ ne "") {
        if ($occ !~ m{^(\d+)/(\d+)$} || $1 < 1 || $1 > $2) { stale($n, "occurrence must be N/M"); next; }
        ($want, $count) = ($1, $2);
    }
    if (@at != $count) {
        stale($n, show($orig) . " occurs " . scalar(@at) . " times in $file, the list says $count");
        next;
    }
    my $pos = $at[$want - 1];
    my $mutant = substr($text, 0, $pos) . $repl . substr($text, $pos + length($orig));
    if (exists $seen{"$rel\0$mutant"}) { stale($n, "same mutant as list line " . $seen{"$rel\0$mutant"}); next; }
    $seen{"$rel\0$mutant"} = $n;
    my $src_line = 1 + (substr($text, 0, $pos) =~ tr/\n//);
    open(my $o, ">", "$out/$n.c") or die;
    print $o $mutant;
    close($o);
    printf "%d\t%s\t%d\t%d\t%s -> %s\n", $n, $rel, $src_line, $note ne "" ? 1 : 0,
        show($orig), show($repl);
}
' "$list" "$work/orig" "$work/mutants" >"$work/manifest"

stale=()
while IFS=$'\t' read -r n msg; do
    stale+=("$(basename "$list"):$n: $msg")
done < <(grep '^STALE' "$work/manifest" | cut -f2-)
grep -v '^STALE' "$work/manifest" >"$work/valid" || true
total="$(wc -l <"$work/valid")"
if [ "${#stale[@]}" -gt 0 ]; then
    echo "stale or malformed mutants (fix the list):"
    printf '  %s\n' "${stale[@]}"
fi

if [ "$list_only" = 1 ]; then
    awk -F '\t' '{ printf "%s:%d src/%s:%d %s%s\n", list, $1, $2, $3, $5, $4 ? " (equivalent)" : "" }' \
        list="$(basename "$list")" "$work/valid"
    cut -f2 "$work/valid" | sort | uniq -c | awk '{ printf "%5d src/%s\n", $1, $2 }'
    echo "list: $total valid mutants, ${#stale[@]} stale"
    [ "${#stale[@]}" = 0 ]
    exit
fi

# -- choose what to run: chosen list lines, an even sample of the mutants
# not marked equivalent, or everything
if [ "${#lines[@]}" -gt 0 ]; then
    for n in "${lines[@]}"; do
        grep -q "^$n	" "$work/valid" || { echo "mutate.sh: no valid mutant on list line $n" >&2; exit 2; }
    done
    awk -F '\t' -v want=" ${lines[*]} " 'index(want, " " $1 " ")' "$work/valid" >"$work/run"
elif [ "$sample" -gt 0 ]; then
    awk -F '\t' '$4 == 0' "$work/valid" >"$work/plain"
    awk -v k="$sample" 'NR == FNR { m++; next }
        { i = FNR - 1 } int(i * k / m) != int((i + 1) * k / m) { print }' \
        "$work/plain" "$work/plain" >"$work/run"
else
    cp "$work/valid" "$work/run"
fi
echo "list: $total mutants, running $(wc -l <"$work/run")"

# seconds from $1 to $2 (date +%s.%N), or their ratio with a third argument
secs() { awk -v a="$1" -v b="$2" -v n="${3:-1}" 'BEGIN { printf "%.1f", (b - a) / (n > 0 ? n : 1) }'; }

# -- build the unmutated copy once; its tests must pass
mk() { make --no-print-directory -s -C "$repo/test" SRC_DIR="$work/src" "$@"; }
t0="$(date +%s.%N)"
if ! mk build BUILD="$work/base" -j2 >"$work/base.log" 2>&1; then
    cat "$work/base.log"; echo "mutate.sh: the unmutated sources do not build"; exit 2
fi
t1="$(date +%s.%N)"
if ! timeout -k 5 300 make --no-print-directory -s -C "$repo/test" check \
        SRC_DIR="$work/src" BUILD="$work/base" >"$work/base.log" 2>&1; then
    cat "$work/base.log"; echo "mutate.sh: the unit tests fail without any mutant"; exit 2
fi
t2="$(date +%s.%N)"
rm -f "$work/base/check/"*.log
# a test binary of a mutant gets 5 times what all of them took unmutated,
# at least 10 s: a loaded machine's slow run is not taken for a hang
[ -n "$limit" ] || limit="$(awk -v a="$t1" -v b="$t2" 'BEGIN { t = int(5 * (b - a)) + 1; print t < 10 ? 10 : t }')"
echo "unmutated: build $(secs "$t0" "$t1") s, unit tests $(secs "$t1" "$t2") s" \
    "(timeout per test binary: $limit s)"

# The test binaries, in the order make check runs them.  A mutant's tests
# start with the one named for its file (kernels/dense.c: test_dense), then
# test_network, then the rest; each binary is linked only when its turn
# comes, and the first that fails kills the mutant (link time dominates).
tests=()
for t in "$repo"/test/unit/test_*.c; do tests+=("$(basename "$t" .c)"); done
order() {  # $1: the mutated file under src/
    local own
    own="test_$(basename "$1" .c)"
    printf '%s\n' "$own" test_network "${tests[@]}" |
        awk -v all=" ${tests[*]} " 'index(all, " " $0 " ") && !seen[$0]++'
}

# run_mutant N FILE: build and test list line N; prints killed, timeout,
# survived or invalid.  Tests run from test/ with a timeout each, as make
# check runs them; a binary fails by exiting non-zero (harness.h, run.sh).
run_mutant() {
    local t rc
    rm -rf "$work/m"
    cp -a "$work/base" "$work/m"
    cp "$work/mutants/$1.c" "$work/src/$2"
    for t in $(order "$2"); do
        if ! mk "$work/m/check/$t" BUILD="$work/m" >"$work/m.log" 2>&1; then
            echo invalid; return
        fi
        rc=0
        (cd "$repo/test" && timeout -k 5 "$limit" "$work/m/check/$t") >"$work/m.log" 2>&1 || rc=$?
        case "$rc" in
            0) ;;
            124|137) echo timeout; return ;;
            *) echo killed; return ;;
        esac
    done
    echo survived
}

# -- each mutant, then the sources are restored (the old mtime with them,
# so the cached objects stay current)
killed=0 survived=0 timeouts=0
survivors=() equivalent=() wrong_equivalent=() invalid=()
start="$(date +%s.%N)"
while IFS=$'\t' read -r n file line equiv what; do
    name="$(basename "$list"):$n src/$file:$line $what"
    m0="$(date +%s.%N)"
    result="$(run_mutant "$n" "$file")"
    cp -p "$work/orig/$file" "$work/src/$file"
    case "$result,$equiv" in
        invalid,*) invalid+=("$name: $(grep -m 1 'error' "$work/m.log" || true)") ;;
        survived,1) result=equivalent; equivalent+=("$name") ;;
        survived,0) survived=$((survived + 1)); survivors+=("$name") ;;
        *,1) result="killed, but marked equivalent"; wrong_equivalent+=("$name") ;;
        timeout,0) killed=$((killed + 1)); timeouts=$((timeouts + 1)) ;;
        *) killed=$((killed + 1)) ;;
    esac
    printf '  %-10s %s (%s s)\n' "$result" "$name" "$(secs "$m0" "$(date +%s.%N)")"
done <"$work/run"
end="$(date +%s.%N)"
ran="$(wc -l <"$work/run")"

# -- the report
report() {  # $1: heading, rest: names
    local head="$1"; shift
    [ $# -gt 0 ] || return 0
    echo "$head:"
    printf '  %s\n' "$@"
}
echo
report "survived (no unit test notices them)" "${survivors[@]+"${survivors[@]}"}"
report "invalid (do not build: fix the list)" "${invalid[@]+"${invalid[@]}"}"
report "stale or malformed (fix the list)" "${stale[@]+"${stale[@]}"}"
report "marked equivalent but killed (fix the list)" \
    "${wrong_equivalent[@]+"${wrong_equivalent[@]}"}"
echo "time: $ran mutants in $(secs "$start" "$end") s, $(secs "$start" "$end" "$ran") s per mutant"
echo "killed by timeout: $timeouts; invalid: ${#invalid[@]}; stale: ${#stale[@]}"
echo "equivalent: ${#equivalent[@]} survived as their reasons in $(basename "$list") say"
echo "mutants: $killed killed, $survived survived"
[ "$survived" = 0 ] && [ "${#invalid[@]}" = 0 ] && [ "${#stale[@]}" = 0 ] &&
    [ "${#wrong_equivalent[@]}" = 0 ]
