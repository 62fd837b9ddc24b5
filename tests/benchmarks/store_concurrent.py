#!/usr/bin/env python3
"""Two annotators and an analysis on one project at once (RESULTS.md, "Session 8: store").

    nice python3 tests/benchmarks/store_concurrent.py --labelscope build/app/labelscope \
        --stream build/tests/decision_stream [--dir /tmp/store-conc] [--limit 3000] \
        [--interval-ms 20] [--rounds 1] [--analyze-args "--epochs 3"]

Makes a project from the first LIMIT Fashion-MNIST images of each split once (`labelscope
analyze --data fashion-mnist --limit LIMIT --project P --no-layouts --epochs 3`), then per round starts two
decision_stream processes (two annotators, one decision every INTERVAL ms each, every decision
acknowledged only after its commit) and, a second later, a real analysis of the same project
(`labelscope analyze --project P --no-layouts --epochs 3`). While the analysis runs, the script polls the
runs table (read-only) to see when its run is being written (status "writing"). When the
analysis has ended, the streams are killed (SIGKILL) and the project checked:
  * integrity_check ok, every acknowledged decision of both streams in label_events,
  * the analysis exited 0 and its run is shown ("done"), no run left "writing";
and the decision latencies are printed: all decisions, and those in progress while the run was
being written. Exits 1 on a lost decision or a failed check.

With --saver synthetic the analysis is replaced by `decision_stream --save-runs` saving RUNS
synthetic runs of 60,000 samples (30 epochs of dynamics, 64-d embeddings) into a synthetic
60,000-sample project: a large run being saved by another process, in seconds instead of hours.
"""
import argparse
import json
import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--labelscope", required=True)
p.add_argument("--stream", required=True)
p.add_argument("--dir", default="/tmp/store-conc")
p.add_argument("--limit", type=int, default=3000)
p.add_argument("--interval-ms", type=int, default=20)
p.add_argument("--rounds", type=int, default=1)
p.add_argument("--saver", choices=["analysis", "synthetic"], default="analysis")
p.add_argument("--runs", type=int, default=3, help="synthetic runs saved per round")
p.add_argument("--analyze-args", default="--epochs 3",
               help="extra arguments of both analyses (a few epochs keep a trial short)")
a = p.parse_args()
extra = a.analyze_args.split()

os.makedirs(a.dir, exist_ok=True)
project = os.path.join(a.dir, "concurrent.lsproj" if a.saver == "analysis" else "synthetic.lsproj")
if a.saver == "synthetic" and not os.path.exists(project):
    subprocess.run([a.stream, "--create", project, "--samples", "60000"], check=True)
elif not os.path.exists(project):
    t = time.time()
    subprocess.run([a.labelscope, "analyze", "--data", "fashion-mnist", "--limit", str(a.limit),
                    "--project", project, "--no-layouts"] + extra, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("project made in %.0f s" % (time.time() - t))


def stats(values):
    if not values:
        return "none"
    v = sorted(values)
    p95 = v[max(0, math.ceil(0.95 * len(v)) - 1)]  # nearest rank
    return "n=%d median %.1f ms, p95 %.1f ms, max %.1f ms" % (len(v), statistics.median(v), p95, v[-1])


failed = False
for rnd in range(a.rounds):
    tags = ["r%dw1" % rnd, "r%dw2" % rnd]
    # Their output goes to files: a pipe nobody reads until the end would fill up and block them.
    logs = [open(os.path.join(a.dir, "%s.out" % tag), "w+") for tag in tags]
    streams = [subprocess.Popen([a.stream, "--project", project, "--tag", tag, "--interval-ms",
                                 str(a.interval_ms), "--seed", str(11 + i + 10 * rnd)],
                                stdout=logs[i], stderr=subprocess.STDOUT)
               for i, tag in enumerate(tags)]
    time.sleep(1.0)
    analysis_start = time.time()
    if a.saver == "analysis":
        command = [a.labelscope, "analyze", "--project", project, "--no-layouts", "--json"] + extra
    else:
        command = [a.stream, "--save-runs", project, "--runs", str(a.runs)]
    analysis = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    watch = sqlite3.connect(project, isolation_level=None, timeout=10)
    writing = {}  # run id -> [first seen, last seen] (s since the epoch)
    while analysis.poll() is None:
        now = time.time()
        for (run_id,) in watch.execute("SELECT id FROM runs WHERE status = 'writing'"):
            writing.setdefault(run_id, [now, now])[1] = now
        time.sleep(0.005)
    analysis_out = analysis.stdout.read().decode()
    analysis_end = time.time()
    watch.close()
    time.sleep(1.0)
    acked = {tag: {} for tag in tags}
    for tag, s, log in zip(tags, streams, logs):
        s.send_signal(signal.SIGKILL)
        s.wait()
        log.seek(0)
        out = log.read()
        log.close()
        if s.returncode != -signal.SIGKILL:
            print("stream %s ended by itself (%s): %s" % (tag, s.returncode, out[-2000:]))
            failed = True
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "ACK":
                acked[tag][int(parts[1])] = (float(parts[2]), int(parts[4]) / 1000.0)

    db = sqlite3.connect(project)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    lost = 0
    for tag in tags:
        present = {int(x.split("#")[1]) for (x,) in db.execute(
            "SELECT annotator FROM label_events WHERE annotator LIKE ?", (tag + "#%",))}
        lost += len(set(acked[tag]) - present)
    left_writing = db.execute("SELECT count(*) FROM runs WHERE status = 'writing'").fetchone()[0]
    newest = db.execute("SELECT id, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    summary = {}
    for line in analysis_out.splitlines():
        if line.startswith("{"):
            summary = json.loads(line)

    # When each run was seen "writing" (polled every ~5 ms: widened by a poll either side).
    windows = [(first - 0.005, last + 0.005) for first, last in writing.values()]
    all_ms, during_ms, during_analysis_ms = [], [], []
    for tag in tags:
        for seq, (ms, ack) in acked[tag].items():
            all_ms.append(ms)
            start = ack - ms / 1000.0
            if any(start <= w[1] and ack >= w[0] for w in windows):
                during_ms.append(ms)
            if start <= analysis_end and ack >= analysis_start:
                during_analysis_ms.append(ms)
    ok = (integrity == "ok" and lost == 0 and analysis.returncode == 0 and left_writing == 0
          and newest is not None and writing and newest[0] == max(writing) and newest[1] == "done")
    failed = failed or not ok
    print("round %d: %s %.0f s (exit %d, saving %.1f s by its own count), run %s written during %.2f s; "
          "decisions acknowledged: %s; lost: %d; integrity_check: %s; runs left 'writing': %d; newest run %s"
          % (rnd, a.saver, analysis_end - analysis_start, analysis.returncode,
             summary.get("phase_seconds", {}).get("saving", float("nan")),
             max(writing) if writing else "-", (windows[-1][1] - windows[-1][0]) if windows else 0.0,
             " + ".join(str(len(acked[t])) for t in tags), lost, integrity, left_writing, newest))
    # The longest time a stream went without an acknowledgement while a run was being written
    # (a decision stalled behind the whole run would show here).
    gaps = []
    for tag in tags:
        acks = sorted(ack for (_, ack) in acked[tag].values())
        gaps += [b - x for x, b in zip(acks, acks[1:]) if any(x <= w[1] and b >= w[0] for w in windows)]
    if gaps:
        print("  longest gap between two acknowledgements of one stream while a run was written: %.0f ms"
              % (1000 * max(gaps)))
    print("  latency, all decisions: %s" % stats(all_ms))
    print("  latency while the analysis ran: %s" % stats(during_analysis_ms))
    print("  latency while its run%s %s being written (%s): %s"
          % ("s" if len(windows) > 1 else "", "were" if len(windows) > 1 else "was",
             ", ".join("%.2f s" % (w[1] - w[0]) for w in windows), stats(during_ms)))
sys.exit(1 if failed else 0)
