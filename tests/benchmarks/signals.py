#!/usr/bin/env python3
"""Compare noise signals stored in an analysed Labelscope project (benchmark helper).

Usage: tests/benchmarks/signals.py PROJECT.lsproj
Needs python3-numpy. Reads the latest finished run: per-sample dynamics (float32 BLOBs) and
scores, the given and true labels, and prints the AUROC of each signal against "label is
wrong", and precision/recall/F1 of each category rule threshold. Used to tune and check the rule
in core/base/categorizer.cpp.
"""
import sqlite3
import sys

import numpy as np


def auroc(score, positive):
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    # average ranks for ties
    s = score[order]
    i = 0
    r = np.arange(1, len(s) + 1, dtype=float)
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        r[i:j] = (i + 1 + j) / 2
        i = j
    ranks[order] = r
    npos = positive.sum()
    nneg = len(positive) - npos
    return (ranks[positive].sum() - npos * (npos + 1) / 2) / (npos * nneg)


def main(path):
    db = sqlite3.connect(path)
    run = db.execute("SELECT id FROM runs WHERE status='done' ORDER BY id DESC LIMIT 1").fetchone()[0]
    rows = db.execute(
        "SELECT s.id, s.true_label, s.label, d.epochs, d.sigma, d.prob_given, d.margin, c.noise_score, c.category "
        "FROM samples s JOIN dynamics d ON d.sample_id = s.id AND d.run_id = ? "
        "JOIN scores c ON c.sample_id = s.id AND c.run_id = ? ORDER BY s.id", (run, run)).fetchall()
    wrong = np.array([r[1] is not None and r[1] >= 0 and r[1] != r[2] for r in rows])
    e = rows[0][3]
    sigma = np.stack([np.frombuffer(r[4], "<f4") for r in rows])
    prob = np.stack([np.frombuffer(r[5], "<f4") for r in rows])
    margin = np.stack([np.frombuffer(r[6], "<f4") for r in rows])
    score = np.array([r[7] for r in rows])
    cat = np.array([r[8] for r in rows])
    print(f"run {run}: {len(rows)} samples, {e} epochs, {wrong.sum()} wrong labels ({wrong.mean():.3f})")
    signals = {
        "1 - mean p(given) (Cartography confidence)": 1 - prob.mean(1),
        "1 - late p(given) (second half)": 1 - prob[:, e // 2:].mean(1),
        "-AUM (mean margin)": -margin.mean(1),
        "final sigma (Data Parameters)": sigma[:, -1],
        "mean sigma over epochs": sigma.mean(1),
        "p(given) variability (Cartography)": prob.std(1),
        "Labelscope noise score": score,
    }
    for name, s in signals.items():
        print(f"  AUROC {auroc(s, wrong):.4f}  {name}")
    hard = cat == "hard"
    easy = cat == "easy"
    tp = (hard & wrong).sum()
    p = tp / max(hard.sum(), 1)
    r = tp / max(wrong.sum(), 1)
    print(f"  hard: precision {p:.4f} recall {r:.4f} F1 {2 * p * r / max(p + r, 1e-12):.4f}; "
          f"easy noise rate {(easy & wrong).sum() / max(easy.sum(), 1):.4f}; "
          f"need review {(cat == 'need_review').mean():.4f} of samples")


if __name__ == "__main__":
    main(sys.argv[1])
