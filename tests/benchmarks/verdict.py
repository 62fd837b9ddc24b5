#!/usr/bin/env python3
"""Compare the label-noise signals of an analysed project (method "all") and combinations of them.

Usage: tests/benchmarks/verdict.py PROJECT.lsproj
Needs python3-numpy. Reads the latest finished run's scores (dp_score: Data Parameters dynamics;
cl_score: 1 - out-of-sample self-confidence; cl_issue: flagged by find_label_issues; category and
noise_score: the stored verdict, from which the class-conditional noise posterior is recovered) and the true labels, and prints AUROC of each score, the
precision/recall/F1 of each flag set, and the best-threshold F1 of each score (an upper bound for
any threshold rule on that score).
"""
import sqlite3
import sys

import numpy as np


def auroc(score, positive):
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    ranks = np.empty(len(s))
    r = np.arange(1, len(s) + 1, dtype=float)
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        r[i:j] = (i + 1 + j) / 2
        i = j
    ranks[order] = r
    npos = positive.sum()
    return (ranks[positive].sum() - npos * (npos + 1) / 2) / (npos * (len(score) - npos))


def prf(flag, wrong):
    tp = (flag & wrong).sum()
    p = tp / max(flag.sum(), 1)
    r = tp / max(wrong.sum(), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def best_f1(score, wrong):
    order = np.argsort(-score)
    tp = np.cumsum(wrong[order])
    k = np.arange(1, len(score) + 1)
    f1 = 2 * tp / (k + wrong.sum())
    i = f1.argmax()
    return f1[i], i + 1


def main(path):
    db = sqlite3.connect(path)
    run = db.execute("SELECT id FROM runs WHERE status='done' ORDER BY id DESC LIMIT 1").fetchone()[0]
    rows = db.execute(
        "SELECT s.true_label, s.given_label, c.dp_score, c.cl_score, c.cl_issue, c.noise_score, c.category "
        "FROM samples s JOIN scores c ON c.sample_id = s.id AND c.run_id = ? ORDER BY s.id", (run,)).fetchall()
    a = np.array([r[:6] for r in rows], dtype=float)
    cat = np.array([r[6] for r in rows])
    wrong = a[:, 0] != a[:, 1]
    dp, cl, issue, verdict = a[:, 2], a[:, 3], a[:, 4] > 0, a[:, 5]
    print(f"run {run}: {len(rows)} samples, {wrong.sum()} wrong labels")
    # The stored noise score is mean(dp_score, noise posterior)
    # (core/base/verdict.cpp), so the class-conditional noise posterior is recovered from it.
    pw = np.clip(2 * verdict - dp, 0, 1)
    signals = [("dp_score", dp), ("noise posterior", pw), ("stored noise_score", verdict)]
    if not np.isnan(cl).any():  # --method data-parameters stores no cl_score
        signals += [("cl_score", cl), ("mean(dp, cl)", (dp + cl) / 2), ("max(dp, cl)", np.maximum(dp, cl)),
                    ("geo mean", np.sqrt(dp * cl))]
    for name, s in signals:
        f, k = best_f1(s, wrong)
        print(f"  {name:22s} AUROC {auroc(s, wrong):.4f}  best-threshold F1 {f:.4f} (top {k})")
    for name, flag in [("hard (verdict)", cat == "hard"), ("cl_issue", issue), ("noise posterior >= .5", pw >= 0.5),
                       ("hard or cl_issue", (cat == "hard") | issue), ("hard and cl_issue", (cat == "hard") & issue),
                       ("not easy", cat != "easy")]:
        p, r, f = prf(flag, wrong)
        print(f"  {name:22s} n {flag.sum():6d}  P {p:.3f} R {r:.3f} F1 {f:.4f}")
    easy = cat == "easy"
    print(f"  easy_noise_rate {wrong[easy].mean() if easy.any() else 0:.4f}  need_review {(cat == 'need_review').mean():.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
