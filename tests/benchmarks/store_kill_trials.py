#!/usr/bin/env python3
"""kill -9 trials against a scripted decision stream (RESULTS.md, "Session 8: store").

    nice python3 tests/benchmarks/store_kill_trials.py --stream build/tests/decision_stream \
        --trials 1000 [--dir /tmp/store-kill] [--samples 3000] [--seed 1]

A project of SAMPLES synthetic samples is made once (decision_stream --create) and copied for
each trial. In each trial decision_stream applies decisions one at a time and prints
"ACK <seq> ..." only after ProjectStore::applyDecisions returned; the script kills it with SIGKILL
at a random moment (uniform in [0, 0.5] s after the start: during start-up, opening, or the
stream), then opens the project with Python's sqlite3 (WAL recovery) and checks:
  * PRAGMA integrity_check is "ok";
  * every acknowledged decision (annotator "t<trial>#<seq>") is in label_events;
  * at most one decision beyond them is there (the one in flight, committed but not yet printed);
  * every sample's label and exclusion are those of its last event.
Prints one summary line; exits 1 if any acknowledged decision was lost or any check failed.
"""
import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--stream", required=True)
p.add_argument("--trials", type=int, default=1000)
p.add_argument("--dir", default="/tmp/store-kill")
p.add_argument("--samples", type=int, default=3000)
p.add_argument("--max-delay", type=float, default=0.5)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

rng = random.Random(a.seed)
shutil.rmtree(a.dir, ignore_errors=True)
os.makedirs(a.dir)
base = os.path.join(a.dir, "base.lsproj")
subprocess.run([a.stream, "--create", base, "--samples", str(a.samples)], check=True)
assert not os.path.exists(base + "-wal"), "the base project was not closed cleanly"

acked_total = lost_total = in_flight_total = bad_integrity = bad_state = too_many = 0
before_first_ack = 0
started = time.time()
for trial in range(a.trials):
    project = os.path.join(a.dir, "trial.lsproj")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(project + suffix):
            os.remove(project + suffix)
    shutil.copyfile(base, project)
    tag = "t%d" % trial
    proc = subprocess.Popen([a.stream, "--project", project, "--tag", tag, "--seed", str(trial + 1)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(rng.uniform(0.0, a.max_delay))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    acked = set()
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "ACK":
            acked.add(int(parts[1]))
    if proc.returncode != -signal.SIGKILL:
        print("trial %d: decision_stream ended with %s before the kill: %s" % (trial, proc.returncode, err.decode()))
        sys.exit(1)

    db = sqlite3.connect(project)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    present = set()
    for (annotator,) in db.execute("SELECT annotator FROM label_events WHERE annotator LIKE ?", (tag + "#%",)):
        present.add(int(annotator.split("#")[1]))
    mismatched = db.execute(
        "SELECT count(*) FROM samples s JOIN label_events e ON e.id ="
        " (SELECT max(id) FROM label_events WHERE sample_id = s.id)"
        " WHERE s.label != e.new_label OR s.excluded != e.new_excluded").fetchone()[0]
    db.close()

    lost = acked - present
    extra = present - acked
    acked_total += len(acked)
    lost_total += len(lost)
    in_flight_total += len(extra)
    before_first_ack += 1 if not acked else 0
    if integrity != "ok":
        bad_integrity += 1
        print("trial %d: integrity_check: %s" % (trial, integrity))
    if mismatched:
        bad_state += 1
        print("trial %d: %d samples differ from their last event" % (trial, mismatched))
    if len(extra) > 1 or (extra and max(extra) != (max(acked) + 1 if acked else 0)):
        too_many += 1
        print("trial %d: unexpected decisions beyond the acknowledged ones: %s" % (trial, sorted(extra)))
    if lost:
        print("trial %d: LOST acknowledged decisions %s" % (trial, sorted(lost)))

print("%d trials in %.0f s: %d acknowledged decisions, %d lost; %d committed in flight (not yet "
      "acknowledged); %d kills before the first acknowledgement; integrity_check not ok: %d; "
      "samples differing from their last event: %d trials; unexpected extra decisions: %d trials"
      % (a.trials, time.time() - started, acked_total, lost_total, in_flight_total, before_first_ack,
         bad_integrity, bad_state, too_many))
sys.exit(1 if lost_total or bad_integrity or bad_state or too_many else 0)
