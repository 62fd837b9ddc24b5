#!/usr/bin/env python3
"""A team on one PostgreSQL project (issue 18; RESULTS.md "Session 10: teams").

    scripts/pg-test-cluster.sh start /tmp/pgbench        # prints BASE, a throwaway cluster
    cmake --build build --target decision_stream
    python3 tests/benchmarks/team_load.py --stream build/tests/decision_stream --base BASE \
        [--annotators 4] [--decisions 2500] [--samples 60000] [--disagree 0.2] [--rulings 100]
        [--kill-trials 100]

Load: a project of SAMPLES synthetic samples; ANNOTATORS scripted annotators (decision_stream
--plan, one process each, annotators a0, a1, ...) apply DECISIONS decisions each, one at a time,
as fast as they can, while another process saves a synthetic analysis run over every sample
(scores, 30 epochs of dynamics, 64-d embeddings) and a watcher process (decision_stream --watch:
a ProjectWatcher, as a window has) reports when it sees each decision. The decisions are a
second review: annotators 2j and 2j+1 each decide every sample of one pool of DECISIONS samples
(pools disjoint, each annotator in its own random order); the second of a pair differs from
the first with probability DISAGREE (another label, or exclusion), so the planned conflicts are
known from the plan alone. Then an annotator "lead" rules on RULINGS of them. Checks afterwards:
every acknowledged decision is in label_events exactly once (psql; annotator and sample
identify it), every sample's label is that of its last event, and the project's conflict queue
and per-pair agreement (decision_stream --agreement: core/base/agreement.h over the log) equal
the plan's: every planned conflict flagged, no other. Prints decision commit latency (median,
p95) and the time until the other client saw a decision (median, p95, max).

Kill trials: KILL_TRIALS times, an annotator is killed with SIGKILL at a random moment
(uniform in [0, 1] s after its start); every acknowledged decision must be in the project,
at most one more (the one in flight).
Exits 1 when a decision was lost or duplicated, or a check failed.
"""
import argparse
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

p = argparse.ArgumentParser()
p.add_argument("--stream", required=True)
p.add_argument("--base", required=True, help="postgresql://USER@HOST:PORT/DB (no ?project)")
p.add_argument("--project", default="team_load")
p.add_argument("--annotators", type=int, default=4)
p.add_argument("--decisions", type=int, default=2500)
p.add_argument("--samples", type=int, default=60000)
p.add_argument("--kill-trials", type=int, default=100)
p.add_argument("--classes", type=int, default=10)
p.add_argument("--disagree", type=float, default=0.2)
p.add_argument("--rulings", type=int, default=100)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
url = "%s?project=%s" % (a.base, a.project)


def psql(sql):
    out = subprocess.run(["psql", a.base, "-At", "-v", "ON_ERROR_STOP=1", "-c",
                          "SET client_min_messages = warning; SET search_path TO %s; %s" % (a.project, sql)],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line != "SET"]


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


subprocess.run(["psql", a.base, "-q", "-c", "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE" % a.project],
               check=True)
t0 = time.time()
subprocess.run([a.stream, "--create", url, "--samples", str(a.samples), "--classes", str(a.classes)], check=True)
print("project of %d samples created in %.1f s" % (a.samples, time.time() - t0))

failed = False
# The watcher's lines go to a file: a pipe read only at the end would fill and stall it.
seen_file = tempfile.NamedTemporaryFile("w+", suffix=".seen")
watcher = subprocess.Popen([a.stream, "--watch", url, "--seconds", "3600"], stdout=seen_file, text=True)
while "WATCHING" not in open(seen_file.name).read():
    time.sleep(0.05)
saver = subprocess.Popen([a.stream, "--save-runs", url, "--runs", "1", "--epochs", "30", "--dim", "64"],
                         stdout=subprocess.PIPE, text=True)
started = time.time()
plans = []  # per annotator: [(sample, label, excluded)] in its order
outcome = {}  # (annotator, sample) -> the planned outcome: label, or "x" for excluded
plan_rng = random.Random(a.seed)
pool_ids = plan_rng.sample(range(1, a.samples + 1), ((a.annotators + 1) // 2) * a.decisions)
for i in range(a.annotators):
    pool = pool_ids[(i // 2) * a.decisions:(i // 2 + 1) * a.decisions]
    decisions = []
    for sample in pool:
        r = random.Random(a.seed * 1000003 + sample)  # the same first outcome for both of a pair
        first = "x" if r.random() < 0.05 else r.randrange(a.classes)
        mine = first
        if i % 2 == 1 and r.random() < a.disagree:
            mine = r.choice([c for c in list(range(a.classes)) + ["x"] if c != first])
        outcome[("a%d" % i, sample)] = mine
        label = plan_rng.randrange(a.classes) if mine == "x" else mine
        decisions.append((sample, label, 1 if mine == "x" else 0))
    plan_rng.shuffle(decisions)
    plans.append(decisions)
plan_files = []
for i, decisions in enumerate(plans):
    f = tempfile.NamedTemporaryFile("w", suffix=".plan", delete=False)
    f.write("".join("%d %d %d\n" % d for d in decisions))
    f.close()
    plan_files.append(f.name)
annotators = [subprocess.Popen([a.stream, "--project", url, "--tag", "a%d" % i, "--plan", plan_files[i]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i in range(a.annotators)]
acked = {}
latency = []
for i, proc in enumerate(annotators):
    out, err = proc.communicate()
    if proc.returncode != 0:
        print("annotator %d failed (%s): %s" % (i, proc.returncode, err))
        failed = True
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "ACK":
            acked[("a%d" % i, plans[i][int(f[1])][0])] = True
            latency.append(float(f[2]))
decisions_s = time.time() - started
run_out, _ = saver.communicate()
if saver.returncode != 0:
    print("the run's save failed")
    failed = True
time.sleep(3)  # the watcher's last notifications
watcher.send_signal(signal.SIGTERM)
watcher.wait()
seen_out = open(seen_file.name).read()
seen = {}
for line in seen_out.splitlines():
    f = line.split()
    if f and f[0] == "SEEN" and (f[2], int(f[4])) in acked:
        seen.setdefault((f[2], int(f[4])), float(f[3]))

present = [tuple(row.split("|")) for row in psql("SELECT annotator, sample_id FROM label_events WHERE annotator ~ '^a[0-9]+$'")]
present = [(ann, int(sample)) for ann, sample in present]
lost = set(acked) - set(present)
duplicated = len(present) - len(set(present))
mismatched = int(psql("SELECT count(*) FROM samples s JOIN label_events e ON e.id ="
                      " (SELECT max(id) FROM label_events WHERE sample_id = s.id)"
                      " WHERE s.label <> e.new_label OR s.excluded <> e.new_excluded")[0])
scores = int(psql("SELECT count(*) FROM scores")[0])
print("%d annotators x %d decisions in %.1f s while a run of %d scores was saved (%s): "
      "%d acknowledged, %d lost, %d duplicated; samples differing from their last event: %d"
      % (a.annotators, a.decisions, decisions_s, scores, run_out.strip(), len(acked), len(lost), duplicated, mismatched))
print("decision commit latency: median %.1f ms, p95 %.1f ms, max %.1f ms"
      % (statistics.median(latency), pct(latency, 0.95), max(latency)))
lat = list(seen.values())
print("seen by the other client: %d of %d; after median %.0f ms, p95 %.0f ms, max %.0f ms"
      % (len(seen), len(acked), statistics.median(lat) if lat else float("nan"), pct(lat, 0.95), max(lat) if lat else float("nan")))
failed |= bool(lost) or duplicated > 0 or mismatched > 0 or scores != a.samples or len(seen) != len(acked)

# The second review's conflicts, from the plan alone: the two annotators of a sample disagree.
pair_of = {}
for (ann, sample), o in outcome.items():
    pair_of.setdefault(sample, {})[ann] = o
planned = sorted(s for s, by in pair_of.items() if len(by) == 2 and len(set(by.values())) == 2)
ruled = sorted(plan_rng.sample(planned, min(a.rulings, len(planned))))
with tempfile.NamedTemporaryFile("w", suffix=".plan", delete=False) as f:
    f.write("".join("%d %d 0\n" % (s, plan_rng.randrange(a.classes)) for s in ruled))
    ruling_plan = f.name
if ruled:
    subprocess.run([a.stream, "--project", url, "--tag", "lead", "--plan", ruling_plan], check=True,
                   stdout=subprocess.DEVNULL)
expected = sorted(set(planned) - set(ruled))
report = subprocess.run([a.stream, "--agreement", url], check=True, capture_output=True, text=True).stdout.splitlines()
flagged = sorted(int(line.split()[1]) for line in report if line.startswith("CONFLICT "))
pairs = {(f[1], f[2]): (int(f[3]), int(f[4]), float(f[5])) for f in (line.split() for line in report) if f[0] == "PAIR"}
missed = set(expected) - set(flagged)
spurious = set(flagged) - set(expected)
print("second review: %d samples decided by two annotators, %d planned conflicts, %d ruled by a third, "
      "%d expected in the queue; the project's queue: %d (missed %d, not planned %d)"
      % (len([s for s in pair_of.values() if len(s) == 2]), len(planned), len(ruled), len(expected), len(flagged),
         len(missed), len(spurious)))
for j in range(0, a.annotators - 1, 2):
    x, y = "a%d" % j, "a%d" % (j + 1)
    both = [s for s, by in pair_of.items() if x in by and y in by]
    agreed = sum(1 for s in both if pair_of[s][x] == pair_of[s][y])
    got = pairs.get((x, y))
    print("  %s/%s: planned %d samples, %d agreed; the project: %s" % (x, y, len(both), agreed,
          "%d samples, %d agreed, kappa %.3f" % got if got else "no pair"))
    failed |= not got or got[0] != len(both) or got[1] != agreed
failed |= bool(missed) or bool(spurious)

rng = random.Random(a.seed)
acked_total = lost_total = extra_total = too_many = 0
for trial in range(a.kill_trials):
    tag = "k%d" % trial
    proc = subprocess.Popen([a.stream, "--project", url, "--tag", tag, "--seed", str(trial + 1)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(rng.uniform(0.0, 1.0))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    acks = {int(line.split()[1]) for line in out.splitlines() if line.startswith("ACK ")}
    there = {int(x.split("#")[1]) for x in psql("SELECT annotator FROM label_events WHERE annotator LIKE '%s#%%'" % tag)}
    acked_total += len(acks)
    lost_total += len(acks - there)
    extra = there - acks
    extra_total += len(extra)
    if len(extra) > 1:
        too_many += 1
if a.kill_trials:
    mismatched = int(psql("SELECT count(*) FROM samples s JOIN label_events e ON e.id ="
                          " (SELECT max(id) FROM label_events WHERE sample_id = s.id)"
                          " WHERE s.label <> e.new_label OR s.excluded <> e.new_excluded")[0])
    print("%d kill -9 trials: %d acknowledged decisions, %d lost, %d committed in flight; trials with more than one "
          "unacknowledged decision: %d; samples differing from their last event: %d"
          % (a.kill_trials, acked_total, lost_total, extra_total, too_many, mismatched))
    failed |= lost_total > 0 or too_many > 0 or mismatched > 0
sys.exit(1 if failed else 0)
