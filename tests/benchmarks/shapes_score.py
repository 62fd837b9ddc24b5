#!/usr/bin/env python3
"""Scores analysis projects of a shapes_folder dataset against its truth (RESULTS.md "Session 19").

    python3 tests/benchmarks/shapes_score.py ROOT PROJECT.lsproj [PROJECT.lsproj ...]

ROOT.truth.csv (written by build/tests/shapes_folder) holds path,true class,given class. For each
project's latest run: samples scored, noisy among them, AUROC of the noise score, precision /
recall / F1 of "hard", the categories, the run's out-of-sample agreement with the given
labels, and how many of the first 10 overlapping classes it lists (find_overlapping_classes) are
pairs the noise really flipped between (with the number of flips of the pair). Standard library only (sqlite3, csv); the AUROC is the rank-sum (Mann-Whitney) form with
ties at their mean rank, as scikit-learn's roc_auc_score.
"""
import csv
import json
import os
import sqlite3
import sys


def auroc(labels, scores):
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    return (sum(r for r, t in zip(ranks, labels) if t) - pos * (pos + 1) / 2) / (pos * neg)


def main():
    root = os.path.abspath(sys.argv[1])
    truth = {os.path.join(root, rel): (t, g) for rel, t, g in csv.reader(open(root + '.truth.csv', encoding='utf-8'))}
    for project in sys.argv[2:]:
        db = sqlite3.connect(project)
        run, summary = db.execute("SELECT id, summary FROM runs WHERE status = 'done' ORDER BY id DESC LIMIT 1").fetchone()
        noisy, score, hard = [], [], []
        for path, s, category in db.execute(
                'SELECT s.path, c.noise_score, c.category FROM samples s JOIN scores c ON c.sample_id = s.id WHERE c.run_id = ?', (run,)):
            if path in truth:
                t, g = truth[path]
                noisy.append(int(t != g))
                score.append(s)
                hard.append(int(category == 'hard'))
        tp = sum(1 for a, b in zip(noisy, hard) if a and b)
        p, r = tp / max(1, sum(hard)), tp / max(1, sum(noisy))
        f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
        s = json.loads(summary)
        agreement = s.get('confident_learning', {}).get('out_of_sample_agreement', -1)
        cats = s.get('categories', {})
        print(f"{project}: run {run}, {len(noisy)} scored, {sum(noisy)} noisy; AUROC {auroc(noisy, score):.4f}, "
              f"hard P {p:.3f} R {r:.3f} F1 {f1:.3f}; hard {cats.get('hard')} need_review {cats.get('need_review')} "
              f"easy {cats.get('easy')}; agreement {agreement:.3f}")
        flips = {}
        for t, g in truth.values():
            if t != g:
                flips[frozenset((t, g))] = flips.get(frozenset((t, g)), 0) + 1
        names = dict(db.execute('SELECT id, name FROM classes'))
        ids = sorted(names)
        listed = s.get('confident_learning', {}).get('overlapping_classes', [])[:10]
        if listed:
            pairs = [frozenset((names[ids[o['class_a']]], names[ids[o['class_b']]])) for o in listed]
            hits = sum(1 for pair in pairs if pair in flips)
            print(f"  overlapping classes: {hits} of the first {len(pairs)} are flipped pairs of the noise; "
                  + ', '.join(f"{'/'.join(sorted(pair))} ({flips.get(pair, 0)})" for pair in pairs[:5]))


if __name__ == '__main__':
    main()
