#!/usr/bin/python3
"""t-SNE benchmark: Labelscope's `labelscope tsne` against scikit-learn's TSNE (Barnes-Hut) on
Fashion-MNIST, raw pixels / 255 -> PCA 100 (numpy). Same perplexity (30), 750 iterations in
total (250 with exaggeration 12), PCA init, learning rate 'auto' (= max(N/12, 200) in our
gradient convention), 2 threads each. Quality: trustworthiness (k = 12, sklearn) and leave-one-
out 10-NN accuracy against the labels, in 2-D and in the input space.

usage: tsne_fashion.py LABELSCOPE_BINARY WORKDIR [--full N] [--compare N] [--embeddings PROJECT]
  --full N     rows for our timed run (default 60000; trustworthiness on a 10,000-row sample)
  --compare N  rows of the head-to-head run with scikit-learn (default 10000; 0 skips it)
  --embeddings PROJECT  use the penultimate-layer embeddings stored by `labelscope analyze` in
               PROJECT (SQLite; train split, in sample order; the last run that stored any)
               instead of pixels -> PCA 100; labels are the true classes
"""
import argparse, gzip, os, subprocess, sys, time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.neighbors import NearestNeighbors

FM = '/usr/share/datasets/fashion-mnist/'


def load(n):
    with gzip.open(FM + 'train-images-idx3-ubyte.gz') as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:n].astype(np.float32) / 255
    with gzip.open(FM + 'train-labels-idx1-ubyte.gz') as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n].astype(np.int64)
    xc = x - x.mean(0)
    w, v = np.linalg.eigh(xc.T.astype(np.float64) @ xc.astype(np.float64))
    return (xc @ v[:, ::-1][:, :100].astype(np.float32)).astype(np.float32), y


def load_project(path, n):
    import sqlite3
    db = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    run = db.execute('SELECT MAX(run_id) FROM embeddings').fetchone()[0]
    rows = db.execute('SELECT e.vec, CASE WHEN s.true_label >= 0 THEN s.true_label ELSE s.given_label END '
                      'FROM embeddings e JOIN samples s ON s.id = e.sample_id '
                      "WHERE e.run_id = ? AND s.split != 'test' ORDER BY s.id LIMIT ?", (run, n)).fetchall()
    x = np.stack([np.frombuffer(v, np.float32) for v, _ in rows])
    return np.ascontiguousarray(x), np.array([l for _, l in rows], np.int64)


def knn_accuracy(z, y, k=10):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(z)
    idx = nn.kneighbors(z, return_distance=False)[:, 1:]
    votes = np.zeros((len(z), y.max() + 1), np.int64)
    for j in range(k):
        np.add.at(votes, (np.arange(len(z)), y[idx[:, j]]), 1)
    return float((votes.argmax(1) == y).mean())


def trust(x, z, sample, seed=0):
    if len(x) > sample:
        rows = np.random.default_rng(seed).choice(len(x), sample, replace=False)
        x, z = x[rows], z[rows]
    return float(trustworthiness(x, z, n_neighbors=12))


def ours(binary, x, work, tag):
    src, dst = os.path.join(work, f'x_{tag}.npy'), os.path.join(work, f'y_{tag}.npy')
    np.save(src, x)
    t = time.perf_counter()
    subprocess.run([binary, 'tsne', '--input', src, '--out', dst, '--threads', '2', '--seed', '1'],
                   check=True, stderr=subprocess.DEVNULL)
    return np.load(dst), time.perf_counter() - t


def load_avg():
    return open('/proc/loadavg').read().split()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('work')
    ap.add_argument('--full', type=int, default=60000)
    ap.add_argument('--compare', type=int, default=10000)
    ap.add_argument('--embeddings')
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    x, y = load_project(a.embeddings, max(a.full, a.compare)) if a.embeddings else load(max(a.full, a.compare))
    what = f'{x.shape[1]}-dim embeddings from {a.embeddings}' if a.embeddings else '100 (pixels -> PCA)'
    print(f'input: {len(x)} rows x {what}', flush=True)

    if a.full:
        xf, yf = x[:a.full], y[:a.full]
        before = load_avg()
        z, sec = ours(a.binary, xf, a.work, 'full')
        print(f'labelscope tsne, {a.full} x {x.shape[1]}: {sec:.1f} s wall (load {before} -> {load_avg()}); '
              f'10-NN acc 2-D {knn_accuracy(z, yf):.4f} vs input {knn_accuracy(xf, yf):.4f}; '
              f'trustworthiness(12) on a 10,000 sample {trust(xf, z, 10000):.4f}', flush=True)

    if a.compare:
        xc, yc = x[:a.compare], y[:a.compare]
        before = load_avg()
        z, sec = ours(a.binary, xc, a.work, 'cmp')
        mid = load_avg()
        t = time.perf_counter()
        zs = TSNE(n_components=2, perplexity=30, early_exaggeration=12, learning_rate='auto', n_iter=750,
                  init='pca', method='barnes_hut', angle=0.5, n_jobs=2, random_state=1).fit_transform(xc)
        ssec = time.perf_counter() - t
        np.save(os.path.join(a.work, 'y_sklearn.npy'), zs)
        print(f'{a.compare} x {x.shape[1]} head to head (load {before} / {mid} / {load_avg()}): '
              f'labelscope {sec:.1f} s, sklearn {ssec:.1f} s', flush=True)
        sample = min(a.compare, 10000) # trustworthiness is O(n^2) in memory
        for name, zz, s in (('labelscope', z, sec), ('sklearn', zs, ssec)):
            print(f'  {name:10s} {s:7.1f} s  trustworthiness(12) on {sample} rows {trust(xc, zz, sample):.4f}  '
                  f'10-NN acc {knn_accuracy(zz, yc):.4f}', flush=True)
        print(f'  input-space 10-NN acc {knn_accuracy(xc, yc):.4f}; time ratio sklearn / labelscope '
              f'{ssec / sec:.1f}x', flush=True)


if __name__ == '__main__':
    sys.exit(main())
