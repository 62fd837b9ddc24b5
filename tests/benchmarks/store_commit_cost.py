#!/usr/bin/env python3
"""Cost of one decision commit (ProjectStore::applyDecisions of one decision) on this machine.

    nice python3 tests/benchmarks/store_commit_cost.py --stream build/tests/decision_stream \
        [--dir /tmp/store-bench] [--count 500] [--samples 3000]

Makes a synthetic project of SAMPLES samples with decision_stream --create, then applies COUNT
decisions one at a time (decision_stream prints each commit's latency) and prints the median,
mean, 95th percentile and maximum in ms. The folder decides the file system (and its fsync cost).
"""
import argparse
import os
import statistics
import subprocess

p = argparse.ArgumentParser()
p.add_argument("--stream", required=True)
p.add_argument("--dir", default="/tmp/store-bench")
p.add_argument("--count", type=int, default=500)
p.add_argument("--samples", type=int, default=3000)
p.add_argument("--runs", type=int, default=3)
a = p.parse_args()
os.makedirs(a.dir, exist_ok=True)
for r in range(a.runs):
    project = os.path.join(a.dir, "commit-cost-%d.lsproj" % r)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(project + suffix):
            os.remove(project + suffix)
    subprocess.run([a.stream, "--create", project, "--samples", str(a.samples)], check=True)
    out = subprocess.run([a.stream, "--project", project, "--tag", "cost", "--count", str(a.count)],
                         check=True, capture_output=True, text=True).stdout
    ms = sorted(float(line.split()[2]) for line in out.splitlines() if line.startswith("ACK "))
    assert len(ms) == a.count, len(ms)
    print("run %d: %d commits: median %.2f ms, mean %.2f ms, p95 %.2f ms, max %.2f ms"
          % (r, len(ms), statistics.median(ms), statistics.mean(ms), ms[int(0.95 * len(ms))], ms[-1]))
