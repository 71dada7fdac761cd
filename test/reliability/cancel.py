#!/usr/bin/python3
"""Cancellation probes for nn (run by test/reliability/cancel.sh).

Connects with the libpq environment (PGHOST, PGPORT, ...) to a database that
cancel.sh has filled.  Four parts:

  timeout  statement_timeout on large trainings and a slow source: the ERROR
           must arrive within LIMIT seconds of the timeout;
  cancel   pg_cancel_backend from a second session after a random delay,
           during loading, training, validation, streaming, the nn_fit
           aggregate, scoring and explaining: the ERROR must arrive within LIMIT seconds
           of the cancel;
  stress   minibatches and layers beyond those sizes (the kernels check
           between layers and between blocks of large products);
  memory   100 trainings cancelled in one session: the backend's memory
           (pg_backend_memory_contexts total, VmRSS, RssAnon) after 10 and
           after 100 must match within noise.

After every probe the same session must still work: SELECT 1, the settings
nn_train changes are back, and a small nn_train succeeds.

Prints a table and a summary; exits 1 when a check fails.
Environment: CANCEL_LIMIT (seconds, default 1.0), CANCEL_PROBES (random
cancels per workload, default 4), CANCEL_SEED (default 1), CANCEL_LOOPS
(cancelled trainings in the memory part, default 100), CANCEL_STRESS (0 skips
the large-minibatch probes), CANCEL_QUICK (1: a subset, for the test command).
"""
import os
import random
import statistics
import sys
import threading
import time

import psycopg2
import psycopg2.errors

LIMIT = float(os.environ.get("CANCEL_LIMIT", "1.0"))
PROBES = int(os.environ.get("CANCEL_PROBES", "4"))
LOOPS = int(os.environ.get("CANCEL_LOOPS", "100"))
STRESS = os.environ.get("CANCEL_STRESS", "1") != "0"
# the quick variant of the test command: fewer probes, on generated data
QUICK = os.environ.get("CANCEL_QUICK", "0") != "0"
rng = random.Random(int(os.environ.get("CANCEL_SEED", "1")))

failures = []
rows = []


def connect():
    c = psycopg2.connect("")
    c.autocommit = True
    return c


A = connect()       # the session that runs and gets cancelled
B = connect()       # the session that cancels
PID = A.get_backend_pid()
# the settings nn_train and the probes change, as they are at the start
DEFAULTS = {}


def q(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def session_ok():
    """The session still works after a cancel."""
    problems = []
    try:
        if q(A, "SELECT 1")[0][0] != 1:
            problems.append("SELECT 1")
        for name, want in DEFAULTS.items():
            got = q(A, "SELECT current_setting(%s)", (name,))[0][0]
            if got != want:
                problems.append(f"{name} is {got}, not {want}")
        m = q(A, "SELECT length(nn_train('gen_small', 'y', NULL, '{4}', '{\"epochs\": 2}'))")[0][0]
        if not m:
            problems.append("small nn_train")
    except psycopg2.Error as e:
        problems.append(f"{type(e).__name__}: {str(e).strip()}")
    return problems


def phase_of(at, read_s, phase):
    """nn_train reads its rows first (read_s seconds, measured) and trains
    after; other workloads name their phase."""
    if read_s is None:
        return phase
    return "reading" if at < read_s else phase


def record(part, workload, how, at, elapsed, latency, err, where, note=""):
    problems = session_ok()
    ok = True
    if err is None:
        note = note or "finished before the cancel"
    elif not isinstance(err, psycopg2.errors.QueryCanceled):
        ok = False
        note = f"unexpected error: {err.pgcode} {str(err).strip()}"
    if latency is not None and latency > LIMIT:
        ok = False
        note = (note + "; " if note else "") + f"latency above {LIMIT:.1f} s"
    if problems:
        ok = False
        note = (note + "; " if note else "") + "session: " + ", ".join(problems)
    rows.append(dict(part=part, workload=workload, how=how, at=at, elapsed=elapsed,
                     latency=latency, where=where if err is not None else "-",
                     ok=ok, note=note))
    if not ok:
        failures.append(f"{part} {workload} {how} {at:.2f}s: {note}")
    status = "ok" if ok else "FAIL"
    lat = f"{latency:6.3f}" if latency is not None else "     -"
    print(f"  {part:7s} {workload:38s} {how:7s} at {at:6.2f}s  elapsed {elapsed:6.2f}s  "
          f"latency {lat}s  {rows[-1]['where']:12s} {status} {note}", flush=True)


def run_with_timeout(part, workload, sql, timeout_s, setup=(), read_s=None, phase="training"):
    for s in setup:
        q(A, s)
    q(A, "SET statement_timeout = %s", (int(timeout_s * 1000),))
    err = None
    t0 = time.monotonic()
    try:
        q(A, sql)
    except psycopg2.Error as e:
        err = e
    t1 = time.monotonic()
    q(A, "RESET statement_timeout")
    for s in setup:
        q(A, "RESET " + s.split()[1])
    latency = (t1 - t0 - timeout_s) if err is not None else None
    record(part, workload, "timeout", timeout_s, t1 - t0, latency, err,
           phase_of(timeout_s, read_s, phase))
    return latency


def run_with_cancel(part, workload, sql, delay, setup=(), read_s=None, phase="training"):
    for s in setup:
        q(A, s)
    sent = {}

    def canceller():
        time.sleep(delay)
        sent["t"] = time.monotonic()
        sent["ok"] = q(B, "SELECT pg_cancel_backend(%s)", (PID,))[0][0]

    th = threading.Thread(target=canceller)
    err = None
    t0 = time.monotonic()
    th.start()
    try:
        q(A, sql)
    except psycopg2.Error as e:
        err = e
    t1 = time.monotonic()
    th.join()
    # a cancel that lands between statements is ignored by an idle backend;
    # give the signal time to arrive before the session checks run
    time.sleep(0.05)
    for s in setup:
        q(A, "RESET " + s.split()[1])
    latency = (t1 - sent["t"]) if err is not None else None
    record(part, workload, "cancel", delay, t1 - t0, latency, err,
           phase_of(delay, read_s, phase))
    return latency


def timed(sql):
    t0 = time.monotonic()
    q(A, sql)
    return time.monotonic() - t0


def train(source, hidden, options, features="ARRAY['pixels']"):
    return (f"SELECT length(nn_train('{source}', 'label', {features}, '{hidden}', "
            f"'{options}'))")


# ------------------------------------------------------------------ calibration
print(f"backend pid {PID}; limit {LIMIT:.2f} s; load average {os.getloadavg()[0]:.2f}")
t_load60 = timed(train("fm_train", "{}", '{"epochs": 1}'))
t_load5 = timed(train("fm_5k", "{}", '{"epochs": 1}'))
print(f"reading fm_train (60,000 x 784) takes {t_load60:.2f} s; fm_5k {t_load5:.2f} s")
for name in ("synchronize_seqscans", "statement_timeout", "nn.train_memory",
             "max_parallel_workers_per_gather"):
    DEFAULTS[name] = q(A, "SELECT current_setting(%s)", (name,))[0][0]

# ------------------------------------------------------------------ (a) timeouts
print("\n(a) statement_timeout = 1s")
READ = {"fm_train": t_load60, "fm_5k": t_load5}
# the CNN (28x28 images) and an LSTM over 28 steps of 28 pixels
CNN = ('{"epochs": 1000, "batch_size": 128, "input_shape": [1, 28, 28], "layers": ['
       '{"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"}, '
       '{"type": "max_pool2d", "size": 2}, '
       '{"type": "conv2d", "filters": 64, "kernel": 3, "padding": "same"}, '
       '{"type": "max_pool2d", "size": 2}, {"type": "dense", "units": 128}]}')
LSTM = ('{"epochs": 1000, "batch_size": 128, "input_shape": [28, 28], '
        '"layers": [{"type": "lstm", "units": 128}]}')
BIGRU = ('{"epochs": 1000, "batch_size": 1024, "input_shape": [28, 28], '
         '"layers": [{"type": "gru", "units": 256, "bidirectional": true}]}')
for name, options in (("CNN b128", CNN), ("LSTM(128) b128", LSTM)):
    run_with_timeout("timeout", f"fm_5k {name}", train("fm_5k", "{}", options), 1.0,
                     read_s=t_load5)
for source in ("fm_train", "fm_5k"):
    for hidden in ("{1024,1024}", "{4096}"):
        for batch in (1024, 32):
            if QUICK and (source, batch) != ("fm_5k", 1024):
                continue
            run_with_timeout("timeout", f"{source} {hidden} b{batch}",
                             train(source, hidden, f'{{"epochs": 1000, "batch_size": {batch}}}'),
                             1.0, read_s=READ[source])
# timeouts that land after the 60,000 rows are read
for hidden, batch in (("{4096}", 1024), ("{1024,1024}", 1024))[:1 if QUICK else 2]:
    run_with_timeout("timeout", f"fm_train {hidden} b{batch}, later",
                     train("fm_train", hidden, f'{{"epochs": 1000, "batch_size": {batch}}}'),
                     round(t_load60 + rng.uniform(0.5, 2.0), 2), read_s=t_load60)
run_with_timeout("timeout", "fm_5k {4096} b1024 validation 0.5",
                 train("fm_5k", "{4096}", '{"epochs": 1000, "batch_size": 1024, '
                       '"validation_fraction": 0.5}'), 1.0, read_s=t_load5,
                 phase="training+validation")
# a source that is itself slow: 5 ms per row
SLOW = train("SELECT y AS label, a AS x FROM gen_small WHERE nn_rel_slow()", "{4}",
             '{"epochs": 1}', "NULL")
run_with_timeout("timeout", "slow source (5 ms/row)", SLOW, 1.0, phase="reading")
# rows beyond nn.train_memory stream through in chunks, every epoch
SMALL_MEMORY = ("SET nn.train_memory = '32MB'",)
run_with_timeout("timeout", "fm_train streamed (train_memory 32MB)",
                 train("fm_train", "{256}", '{"epochs": 1000}'), 1.0,
                 setup=SMALL_MEMORY, phase="streaming")
run_with_timeout("timeout", "fm_train streamed, later",
                 train("fm_train", "{256}", '{"epochs": 1000}'),
                 round(t_load60 + rng.uniform(1.0, 3.0), 2), setup=SMALL_MEMORY,
                 phase="streaming")

# ------------------------------------------------------------------ (b) cancels
print("\n(b) pg_cancel_backend after a random delay")
TALL = "SELECT length(nn_train('gen_tall', 'y', NULL, '{8}', '{\"epochs\": 1000}'))"
workloads = [
    # (name, sql, delay range, setup, reading seconds, phase after reading)
    ("fm_train, reading", train("fm_train", "{64}", '{"epochs": 1}'),
     (0.1, max(0.2, 0.9 * t_load60)), (), t_load60, "training"),
    ("slow source", SLOW, (0.1, 3.0), (), None, "reading"),
    ("gen_tall (narrow rows)", TALL, (0.2, 12.0), (), None, "reading/training"),
    ("fm_5k {1024,1024} b1024", train("fm_5k", "{1024,1024}",
                                      '{"epochs": 1000, "batch_size": 1024}'),
     (t_load5 + 0.2, t_load5 + 4.0), (), t_load5, "training"),
    ("fm_5k {4096} b1024", train("fm_5k", "{4096}", '{"epochs": 1000, "batch_size": 1024}'),
     (t_load5 + 0.2, t_load5 + 4.0), (), t_load5, "training"),
    ("fm_5k {4096} b32", train("fm_5k", "{4096}", '{"epochs": 1000, "batch_size": 32}'),
     (t_load5 + 0.2, t_load5 + 4.0), (), t_load5, "training"),
    ("fm_train {1024,1024} b32", train("fm_train", "{1024,1024}",
                                       '{"epochs": 1000, "batch_size": 32}'),
     (0.2, t_load60 + 3.0), (), t_load60, "training"),
    ("fm_5k {4096} validation 0.9", train("fm_5k", "{4096}", '{"epochs": 1000, '
                                          '"batch_size": 1024, "validation_fraction": 0.9}'),
     (t_load5 + 0.2, t_load5 + 4.0), (), t_load5, "training+validation"),
    ("fm_train streamed (32MB)", train("fm_train", "{256}", '{"epochs": 1000}'),
     (0.2, t_load60 * 2 + 2.0), SMALL_MEMORY, None, "streaming"),
    ("nn_fit {1024,1024}, parallel",
     "SELECT length(nn_fit(nn_init(784, '{1024,1024}', 10, '{\"batch_size\": 1024}'), "
     "pixels, label)) FROM fm_train", (0.3, 5.0), (), None, "nn_fit"),
    ("nn_fit {4096}, serial",
     "SELECT length(nn_fit(nn_init(784, '{4096}', 10, '{\"batch_size\": 1024}'), "
     "pixels, label)) FROM fm_train", (0.3, 5.0), ("SET max_parallel_workers_per_gather = 0",),
     None, "nn_fit"),
    # convolution- and recurrence-heavy epochs: the kernels check for
    # interrupts per block of patches and per step
    ("fm_5k CNN b128", train("fm_5k", "{}", CNN), (t_load5 + 0.2, t_load5 + 4.0), (), t_load5,
     "training"),
    ("fm_5k LSTM(128) b128", train("fm_5k", "{}", LSTM), (t_load5 + 0.2, t_load5 + 4.0), (),
     t_load5, "training"),
    ("fm_5k bidirectional GRU(256) b1024", train("fm_5k", "{}", BIGRU),
     (t_load5 + 0.2, t_load5 + 4.0), (), t_load5, "training"),
    ("nn_predict_batch, 60,000 rows",
     "SELECT cardinality(nn_predict_batch(m.m, a.a)) FROM score_model m, fm_array a",
     (0.1, 4.0), (), None, "scoring"),
    ("nn_predict per row",
     "SELECT sum(nn_predict(m.m, t.pixels)) FROM score_model m, fm_train t", (0.1, 4.0), (),
     None, "scoring"),
    # explanations: 65 passes per row; one explanation of 65,537 points
    ("nn_importance, every row",
     "SELECT nn_importance(m, 'fm_train', '{\"limit\": 60000}') FROM explain_model",
     (0.1, 4.0), (), None, "explaining"),
    ("nn_explain 65,536 steps",
     "SELECT count(nn_explain(m.m, t.pixels, '{\"steps\": 65536}')) FROM explain_model m, fm_5k t",
     (0.1, 4.0), (), None, "explaining"),
    # attacks: PGD steps through the input gradient, in nn_evaluate and in
    # adversarial training (the kernels check between steps and layers)
    ("nn_evaluate PGD, 60,000 rows",
     "SELECT nn_evaluate(m, 'fm_train', NULL, '{\"adversarial\": {\"method\": \"pgd\", "
     "\"epsilon\": 0.1, \"steps\": 1000}}') FROM eval_model", (0.1, 4.0), (), None, "attacking"),
    ("fm_5k {1024,1024} b1024, adversarial PGD",
     train("fm_5k", "{1024,1024}", '{"epochs": 1000, "batch_size": 1024, '
           '"adversarial": {"method": "pgd", "epsilon": 0.1, "steps": 100}}'),
     (t_load5 + 0.2, t_load5 + 4.0), (), t_load5, "training"),
]
QUICK_WORKLOADS = ("slow source", "fm_5k {4096} b1024", "fm_train streamed (32MB)",
                   "nn_fit {4096}, serial", "nn_predict_batch, 60,000 rows",
                   "fm_5k CNN b128", "fm_5k LSTM(128) b128", "fm_5k bidirectional GRU(256) b1024",
                   "nn_importance, every row", "nn_explain 65,536 steps",
                   "nn_evaluate PGD, 60,000 rows", "fm_5k {1024,1024} b1024, adversarial PGD")
for name, sql, (lo, hi), setup, read_s, phase in workloads:
    if QUICK and name not in QUICK_WORKLOADS:
        continue
    for _ in range(PROBES):
        run_with_cancel("cancel", name, sql, round(rng.uniform(lo, hi), 2), setup, read_s, phase)

# ------------------------------------------------------------------ (e) stress
# Beyond the sizes above: one minibatch of 5,000 rows through {4096}, and a
# hidden layer of 16,384.  The kernels check for interrupts between layers
# and between row blocks of large matrix products; these probes show that
# one large training step no longer runs uninterrupted.
if STRESS:
    print("\n(e) large minibatches and layers (CANCEL_STRESS=0 skips)")
    # the last with 2 OpenBLAS threads, whose products are split too
    for name, sql, setup in (("fm_5k {4096} b8192", train("fm_5k", "{4096}",
                                                          '{"epochs": 1000, "batch_size": 8192}'), ()),
                             ("fm_5k {16384} b1024", train("fm_5k", "{16384}",
                                                           '{"epochs": 1000, "batch_size": 1024}'), ()),
                             ("fm_5k {4096} b8192, 2 threads",
                              train("fm_5k", "{4096}", '{"epochs": 1000, "batch_size": 8192}'),
                              ("SET nn.blas_threads = 2",))):
        for _ in range(PROBES):
            run_with_cancel("stress", name, sql, round(rng.uniform(t_load5 + 0.5, t_load5 + 6.0), 2),
                            setup, t_load5, "training")
    q(A, "RESET nn.blas_threads")

# ------------------------------------------------------------------ (d) memory
print(f"\n(d) {LOOPS} cancelled trainings in one session")


def memory():
    ctx = q(A, "SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts")[0][0]
    with open(f"/proc/{PID}/status") as f:
        kb = {l.split(":")[0]: int(l.split()[1]) for l in f if l.startswith(("VmRSS:", "RssAnon:"))}
    # VmRSS also counts the shared buffers the backend has touched; RssAnon
    # is its private memory
    return ctx, kb["VmRSS"] * 1024, kb["RssAnon"] * 1024


loop_sql = [train("fm_5k", "{256}", '{"epochs": 1000}'),
            train("fm_5k", "{1024,1024}", '{"epochs": 1000, "batch_size": 256}'),
            train("fm_5k", "{64}", '{"epochs": 1000, "validation_fraction": 0.3}')]
# warm-up: each statement once, cancelled, so one-time allocations (caches,
# OpenBLAS buffers) are made before the first sample
for sql in loop_sql:
    q(A, "SET statement_timeout = 300")
    try:
        q(A, sql)
    except psycopg2.errors.QueryCanceled:
        pass
    q(A, "RESET statement_timeout")
samples = {"before": memory()}
cancelled = 0
for i in range(1, LOOPS + 1):
    sql = loop_sql[i % len(loop_sql)]
    # mostly statement_timeout, every fourth a pg_cancel_backend; both land
    # anywhere from reading to training
    if i % 4:
        q(A, "SET statement_timeout = %s", (rng.randint(50, 700),))
        try:
            q(A, sql)
        except psycopg2.errors.QueryCanceled:
            cancelled += 1
        q(A, "RESET statement_timeout")
    else:
        th = threading.Timer(rng.uniform(0.05, 0.7),
                             lambda: q(B, "SELECT pg_cancel_backend(%s)", (PID,)))
        th.start()
        try:
            q(A, sql)
        except psycopg2.errors.QueryCanceled:
            cancelled += 1
        th.join()
        time.sleep(0.05)
    if i in (10, LOOPS):
        samples[f"after {i}"] = memory()
problems = session_ok()
print(f"  {cancelled} of {LOOPS} statements were cancelled; session after: "
      + ("ok" if not problems else ", ".join(problems)))
if problems:
    failures.append("memory loop: session " + ", ".join(problems))
print(f"  {'sample':10s} {'memory contexts':>16s} {'VmRSS':>14s} {'RssAnon':>14s}")
for k, (ctx, rss, anon) in samples.items():
    print(f"  {k:10s} {ctx:16,d} {rss:14,d} {anon:14,d}")
ctx10, rss10, anon10 = samples["after 10"]
ctxN, rssN, anonN = samples[f"after {LOOPS}"]
ctx0, rss0, anon0 = samples["before"]
d_ctx, d_rss, d_anon = ctxN - ctx10, rssN - rss10, anonN - anon10
print(f"  growth from 10 to {LOOPS}: contexts {d_ctx:+,d} bytes, VmRSS {d_rss:+,d}, "
      f"RssAnon {d_anon:+,d}; from before to {LOOPS}: contexts {ctxN - ctx0:+,d}, "
      f"VmRSS {rssN - rss0:+,d}, RssAnon {anonN - anon0:+,d}")
# noise: catalog and plan caches fill a little; a leak of even 10 kB per
# cancel would add ~1 MB of contexts over 90 cancels
if d_ctx > 512 * 1024:
    failures.append(f"memory contexts grew {d_ctx:,d} bytes over {LOOPS - 10} cancels")
if d_anon > 32 * 1024 * 1024:
    failures.append(f"RssAnon grew {d_anon:,d} bytes over {LOOPS - 10} cancels")
if cancelled < LOOPS * 0.9:
    failures.append(f"only {cancelled} of {LOOPS} trainings were cancelled")

# ------------------------------------------------------------------ summary
print("\nsummary: latency from the timeout or cancel to the ERROR, by workload")
print(f"  {'part':7s} {'workload':40s} {'n':>3s} {'hit':>3s} {'median':>7s} {'max':>7s}  phase")
groups = {}
for r in rows:
    groups.setdefault((r["part"], r["workload"]), []).append(r)
for (part, name), rs in groups.items():
    lats = [r["latency"] for r in rs if r["latency"] is not None]
    wh = sorted({r["where"] for r in rs if r["where"] != "-"})
    med = f"{statistics.median(lats):7.3f}" if lats else "      -"
    mx = f"{max(lats):7.3f}" if lats else "      -"
    print(f"  {part:7s} {name:40s} {len(rs):3d} {len(lats):3d} {med} {mx}  {', '.join(wh)}")
all_lats = [r["latency"] for r in rows if r["latency"] is not None]
print(f"\n{len(all_lats)} cancellations measured, max latency {max(all_lats):.3f} s, "
      f"median {statistics.median(all_lats):.3f} s (limit {LIMIT:.2f} s); "
      f"{sum(1 for r in rows if r['latency'] is None)} probes finished before the cancel")
print(f"load average now {os.getloadavg()[0]:.2f}")
if failures:
    print("\nfailures:")
    for f in failures:
        print("  " + f)
    print("cancel: FAIL")
    sys.exit(1)
print("cancel: PASS")
