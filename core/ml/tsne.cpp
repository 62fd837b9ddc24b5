#include "tsne.h"
#include "tsnetorch.h"

// Own implementation of t-SNE (see tsne.h for the method and its sources). kNN by FAISS, FFTs by
// FFTW, PCA eigenvectors by LibTorch; the rest (bandwidth search, symmetrisation, FFT
// interpolation, optimiser) is ours.

#include <torch/torch.h>

#include <faiss/IndexFlat.h>
#include <faiss/Clustering.h>
#include <faiss/utils/distances.h>
#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>

namespace labelscope {

TsneGrid tsneInterpolationGrid(double lo, double hi, double boxWidth, int nodes)
{
    constexpr int kMinBoxes = 50; // boxes per axis, at least (openTSNE, FIt-SNE)
    // Smallest integer >= n whose only prime factors are 2, 3, 5 and 7 (fast FFT sizes).
    auto niceFftSize = [](int n) {
        for (int m = std::max(n, 1);; ++m) {
            int r = m;
            for (int f : {2, 3, 5, 7})
                while (r % f == 0)
                    r /= f;
            if (r == 1)
                return m;
        }
    };
    double range = hi - lo;
    if (!(range > 1e-12))
        range = 1e-12;
    TsneGrid grid;
    grid.boxWidth = boxWidth;
    grid.boxes = int(std::ceil(range / boxWidth * (1.0 + 1e-9)));
    if (grid.boxes < kMinBoxes) {
        grid.boxes = kMinBoxes;
        grid.boxWidth = range / kMinBoxes * (1.0 + 1e-9);
    }
    while (niceFftSize(2 * grid.boxes * nodes) != 2 * grid.boxes * nodes)
        ++grid.boxes;
    return grid;
}

namespace {

int resolveThreads(int threads)
{
    return threads > 0 ? threads : std::max(1, omp_get_max_threads());
}

// FFTW's planner is not thread-safe; executing a plan on new arrays is.
std::mutex &fftwPlannerMutex()
{
    static std::mutex m;
    return m;
}

// Repulsive forces by FFT-accelerated interpolation (FIt-SNE, Linderman et al. 2019; grid rules
// as openTSNE's estimate_negative_gradient_fft_2d). Keeps FFTW buffers, plans and the kernel
// spectra between iterations.
class FftRepulsion
{
public:
    // `nodes` Lagrange nodes per box and axis; boxes `boxWidth` wide once the layout spans more
    // than 50 of them (narrower boxes before: tsneInterpolationGrid).
    FftRepulsion(int nodes, double boxWidth)
        : m_nodes(std::max(1, std::min(nodes, 8))), m_boxWidth(boxWidth > 0 ? boxWidth : 1.0)
    {
    }
    ~FftRepulsion() { release(); }

    // rep [n, 2] = Σ_j q_ij² (y_i − y_j) / Z; returns Z = Σ_{i≠j} q_ij with q = 1 / (1 + d²).
    // Convolutions: kernel q² with charges 1, y_x, y_y (forces) and kernel q with charge 1 (Z,
    // directly, so that no large terms cancel as in the |y|² charge form).
    double compute(const double *y, int64_t n, double *rep, int threads)
    {
        const int p = m_nodes;
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (int64_t i = 0; i < 2 * n; ++i) {
            lo = std::min(lo, y[i]);
            hi = std::max(hi, y[i]);
        }
        const TsneGrid grid = tsneInterpolationGrid(lo, hi, m_boxWidth, p);
        const int boxes = grid.boxes;
        const double boxWidth = grid.boxWidth;
        const int n1 = boxes * p; // interpolation nodes per axis
        const int m = 2 * n1;     // circulant embedding
        const double h = boxWidth / p;
        ensure(m, h, threads);

        // Per point: box and Lagrange weights on each axis (nodes at (k + 0.5) / p in the box).
        m_box.resize(size_t(2 * n));
        m_weight.resize(size_t(2 * p) * size_t(n));
        std::vector<double> node(static_cast<size_t>(p)), denom(static_cast<size_t>(p), 1.0);
        for (int a = 0; a < p; ++a)
            node[size_t(a)] = (a + 0.5) / p;
        for (int a = 0; a < p; ++a)
            for (int b = 0; b < p; ++b)
                if (b != a)
                    denom[size_t(a)] *= node[size_t(a)] - node[size_t(b)];
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            for (int a = 0; a < 2; ++a) {
                const double u = (y[2 * i + a] - lo) / boxWidth;
                const int b = std::min(boxes - 1, std::max(0, int(u)));
                const double t = u - b;
                m_box[size_t(2 * i + a)] = b;
                double *w = &m_weight[size_t(2 * p) * size_t(i) + size_t(a * p)];
                for (int c = 0; c < p; ++c) {
                    double v = 1.0;
                    for (int e = 0; e < p; ++e)
                        if (e != c)
                            v *= t - node[size_t(e)];
                    w[c] = v / denom[size_t(c)];
                }
            }
        }

        // Charges 1, y_x, y_y spread onto the grid. Serial: a fixed summation order keeps the
        // result independent of the thread count.
        const size_t mm = size_t(m) * size_t(m);
        for (int c = 0; c < 3; ++c)
            std::fill(m_real[c], m_real[c] + mm, 0.0);
        for (int64_t i = 0; i < n; ++i) {
            const double charge[3] = {1.0, y[2 * i], y[2 * i + 1]};
            const double *wx = &m_weight[size_t(2 * p) * size_t(i)], *wy = wx + p;
            const int gx = m_box[size_t(2 * i)] * p, gy = m_box[size_t(2 * i + 1)] * p;
            for (int a = 0; a < p; ++a)
                for (int b = 0; b < p; ++b) {
                    const double w = wx[a] * wy[b];
                    const size_t idx = size_t(gx + a) * size_t(m) + size_t(gy + b);
                    for (int c = 0; c < 3; ++c)
                        m_real[c][idx] += w * charge[c];
                }
        }

        // Three tasks of independent FFTs (deterministic whichever thread runs them). Potential
        // grids: 0..2 = q² * charges 0..2, 3 = q * charge 0.
        const size_t spectrum = size_t(m) * size_t(m / 2 + 1);
        const double scale = 1.0 / double(mm);
        auto multiply = [&](const fftw_complex *x, const fftw_complex *k, fftw_complex *out) {
            for (size_t s = 0; s < spectrum; ++s) {
                const double kr = k[s][0] * scale; // the kernels are even: real spectra
                out[s][0] = x[s][0] * kr;
                out[s][1] = x[s][1] * kr;
            }
        };
#pragma omp parallel for num_threads(std::min(threads, 3)) schedule(dynamic, 1)
        for (int c = 0; c < 3; ++c) {
            fftw_execute_dft_r2c(m_forward, m_real[c], m_complex[c]);
            if (c == 0) {
                multiply(m_complex[0], m_kernelQ, m_complex[3]);
                fftw_execute_dft_c2r(m_backward, m_complex[3], m_real[3]);
            }
            multiply(m_complex[c], m_kernelQ2, m_complex[c]);
            fftw_execute_dft_c2r(m_backward, m_complex[c], m_real[c]);
        }

        // Potentials back at the points: forces and each point's share of Z.
        m_rowZ.resize(size_t(n));
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            const double *wx = &m_weight[size_t(2 * p) * size_t(i)], *wy = wx + p;
            const int gx = m_box[size_t(2 * i)] * p, gy = m_box[size_t(2 * i + 1)] * p;
            double phi[4] = {0, 0, 0, 0};
            for (int a = 0; a < p; ++a)
                for (int b = 0; b < p; ++b) {
                    const double w = wx[a] * wy[b];
                    const size_t idx = size_t(gx + a) * size_t(m) + size_t(gy + b);
                    for (int c = 0; c < 4; ++c)
                        phi[c] += w * m_real[c][idx];
                }
            m_rowZ[size_t(i)] = phi[3];
            rep[2 * i] = y[2 * i] * phi[0] - phi[1];
            rep[2 * i + 1] = y[2 * i + 1] * phi[0] - phi[2];
        }
        double z = 0.0;
        for (int64_t i = 0; i < n; ++i)
            z += m_rowZ[size_t(i)];
        z -= double(n); // the self terms q_ii = 1
        if (!(z > 1e-300))
            z = 1e-300;
        const double inv = 1.0 / z;
        for (int64_t i = 0; i < 2 * n; ++i)
            rep[i] *= inv;
        return z;
    }

private:
    // Buffers and plans for grid size m; kernel spectra for node spacing h (kept while m and h
    // stay: once the layout is wider than 50 boxes, h is fixed).
    void ensure(int m, double h, int threads)
    {
        if (m != m_size) {
            release();
            std::lock_guard<std::mutex> lock(fftwPlannerMutex());
            const size_t mm = size_t(m) * size_t(m);
            const size_t spectrum = size_t(m) * size_t(m / 2 + 1);
            for (int c = 0; c < 4; ++c) {
                m_real[c] = fftw_alloc_real(mm);
                m_complex[c] = fftw_alloc_complex(spectrum);
            }
            m_kernelQ = fftw_alloc_complex(spectrum);
            m_kernelQ2 = fftw_alloc_complex(spectrum);
            // FFTW_ESTIMATE: the same plan on every run, hence bit-identical results.
            m_forward = fftw_plan_dft_r2c_2d(m, m, m_real[0], m_complex[0], FFTW_ESTIMATE);
            m_backward = fftw_plan_dft_c2r_2d(m, m, m_complex[0], m_real[0], FFTW_ESTIMATE);
            m_size = m;
            m_h = -1.0;
        }
        if (h == m_h)
            return;
        const int n1 = m / 2;
        // Kernels on the circulant grid (offsets -(n1-1)..n1-1; the wrap row/column unused).
        double *kq = m_real[0], *kq2 = m_real[1];
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int a = 0; a < m; ++a) {
            const int da = a < n1 ? a : a - m;
            for (int b = 0; b < m; ++b) {
                const int db = b < n1 ? b : b - m;
                const double d2 = (double(da) * da + double(db) * db) * h * h;
                const double q = (a == n1 || b == n1) ? 0.0 : 1.0 / (1.0 + d2);
                kq[size_t(a) * m + b] = q;
                kq2[size_t(a) * m + b] = q * q;
            }
        }
#pragma omp parallel sections num_threads(std::min(threads, 2))
        {
#pragma omp section
            fftw_execute_dft_r2c(m_forward, kq, m_kernelQ);
#pragma omp section
            fftw_execute_dft_r2c(m_forward, kq2, m_kernelQ2);
        }
        m_h = h;
    }

    void release()
    {
        if (!m_size)
            return;
        std::lock_guard<std::mutex> lock(fftwPlannerMutex());
        fftw_destroy_plan(m_forward);
        fftw_destroy_plan(m_backward);
        for (int c = 0; c < 4; ++c) {
            fftw_free(m_real[c]);
            fftw_free(m_complex[c]);
        }
        fftw_free(m_kernelQ);
        fftw_free(m_kernelQ2);
        m_size = 0;
    }

    int m_nodes;
    double m_boxWidth;
    int m_size = 0;
    double m_h = -1.0;
    double *m_real[4] = {};          // charge / potential grids, m × m
    fftw_complex *m_complex[4] = {}; // their spectra, m × (m/2 + 1)
    fftw_complex *m_kernelQ = nullptr, *m_kernelQ2 = nullptr;
    fftw_plan m_forward = nullptr, m_backward = nullptr;
    std::vector<int> m_box;
    std::vector<double> m_weight;
    std::vector<double> m_rowZ;
};

// Attractive forces Σ_j p_ij q_ij (y_i − y_j), per row (independent of the thread count).
void attractiveForces(const TsneAffinities &p, const double *y, double *attr, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(dynamic, 256)
    for (int64_t i = 0; i < p.n; ++i) {
        const double yx = y[2 * i], yy = y[2 * i + 1];
        double fx = 0.0, fy = 0.0;
        for (int64_t e = p.rowPtr[size_t(i)]; e < p.rowPtr[size_t(i + 1)]; ++e) {
            const int64_t j = p.cols[size_t(e)];
            const double dx = yx - y[2 * j], dy = yy - y[2 * j + 1];
            const double w = double(p.values[size_t(e)]) / (1.0 + dx * dx + dy * dy);
            fx += w * dx;
            fy += w * dy;
        }
        attr[2 * i] = fx;
        attr[2 * i + 1] = fy;
    }
}

// The same in single precision on a float copy of the layout (the optimiser's hot loop: ~40 %
// of the time; float halves the gathered bytes and divides faster; 20 % less CPU at 60,000
// rows with the same KL to 3 digits). Row sums in float (~130 terms each).
void attractiveForcesFloat(const TsneAffinities &p, const double *y, std::vector<float> *yf, double *attr, int threads)
{
    yf->resize(size_t(2 * p.n));
    for (int64_t i = 0; i < 2 * p.n; ++i)
        (*yf)[size_t(i)] = float(y[i]);
    const float *f = yf->data();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 256)
    for (int64_t i = 0; i < p.n; ++i) {
        const float yx = f[2 * i], yy = f[2 * i + 1];
        float fx = 0.0f, fy = 0.0f;
        for (int64_t e = p.rowPtr[size_t(i)]; e < p.rowPtr[size_t(i + 1)]; ++e) {
            const int32_t j = p.cols[size_t(e)];
            const float dx = yx - f[2 * j], dy = yy - f[2 * j + 1];
            const float w = p.values[size_t(e)] / (1.0f + dx * dx + dy * dy);
            fx += w * dx;
            fy += w * dy;
        }
        attr[2 * i] = fx;
        attr[2 * i + 1] = fy;
    }
}

// KL(P‖Q) = Σ p log p − Σ p log q_ij + log Z over the non-zeros of P (Σ p = 1).
double klFromZ(const TsneAffinities &p, const double *y, double z, int threads)
{
    std::vector<double> row(size_t(p.n), 0.0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 256)
    for (int64_t i = 0; i < p.n; ++i) {
        double s = 0.0;
        for (int64_t e = p.rowPtr[size_t(i)]; e < p.rowPtr[size_t(i + 1)]; ++e) {
            const double pij = p.values[size_t(e)];
            if (pij <= 0.0)
                continue;
            const int64_t j = p.cols[size_t(e)];
            const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            s += pij * (std::log(pij) + std::log1p(dx * dx + dy * dy));
        }
        row[size_t(i)] = s;
    }
    double kl = 0.0;
    for (double v : row)
        kl += v;
    return kl + std::log(z);
}

// Exact kernel sums for tiny problems: rep [n, 2] = Σ_j q_ij² (y_i − y_j) / Z; returns Z.
double exactRepulsion(const double *y, int64_t n, double *rep)
{
    double z = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        double fx = 0.0, fy = 0.0;
        for (int64_t j = 0; j < n; ++j) {
            if (j == i)
                continue;
            const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            const double q = 1.0 / (1.0 + dx * dx + dy * dy);
            z += q;
            fx += q * q * dx;
            fy += q * q * dy;
        }
        rep[2 * i] = fx;
        rep[2 * i + 1] = fy;
    }
    z = std::max(z, 1e-300);
    for (int64_t i = 0; i < 2 * n; ++i)
        rep[i] /= z;
    return z;
}

bool finiteInput(const float *data, int64_t count)
{
    for (int64_t i = 0; i < count; ++i)
        if (!std::isfinite(data[i]))
            return false;
    return true;
}

// Distances by BLAS (faiss::knn_L2sqr takes the sgemm path for batches of queries; this Debian
// FAISS build has no SIMD distance kernels, so IVF scanning is ~10x slower than BLAS).
// Exact: every row against all rows. Approximate (n > exactKnnLimit): k-means into √n cells
// (FAISS Clustering), then each cell's members against the members of the `probe` cells whose
// centroids are nearest to the cell's centroid (an IVF search probed per cell, not per query,
// so that it is one matrix product per cell). Queries run in chunks so that `cancel` is polled.
bool knnByBlas(const float *data, int64_t n, int64_t d, int k, const TsneParams &params, int threads,
               const std::atomic_bool &cancel, std::vector<int64_t> *ids, std::vector<float> *sqDist,
               QString *error)
{
    // FAISS's OpenMP loops around the BLAS calls would spin-wait while OpenBLAS's own threads
    // run the products (measured: 70% of the time spent spinning on 2 cores); BLAS does the
    // heavy part with its threads, the heap updates run on this one.
    const int prevThreads = omp_get_max_threads();
    omp_set_num_threads(1);
    struct Restore {
        int t;
        ~Restore() { omp_set_num_threads(t); }
    } restore{prevThreads};

    const int kq = int(std::min<int64_t>(k + 1, n));
    ids->assign(size_t(n) * k, -1);
    sqDist->assign(size_t(n) * k, 0.0f);
    std::vector<float> dist;
    std::vector<int64_t> lab;
    // Copies one query block's hits (local candidate ids mapped through `global`) minus self.
    auto take = [&](const std::vector<int64_t> &queries, const std::vector<int64_t> *global) {
        for (size_t q = 0; q < queries.size(); ++q) {
            const int64_t i = queries[q];
            int out = 0;
            for (int j = 0; j < kq && out < k; ++j) {
                const int64_t local = lab[q * size_t(kq) + size_t(j)];
                if (local < 0)
                    continue;
                const int64_t id = global ? (*global)[size_t(local)] : local;
                if (id == i)
                    continue;
                (*ids)[size_t(i * k + out)] = id;
                (*sqDist)[size_t(i * k + out)] = std::max(0.0f, dist[q * size_t(kq) + size_t(j)]);
                ++out;
            }
        }
    };
    auto cancelled = [&]() {
        if (!cancel.load())
            return false;
        *error = QStringLiteral("cancelled");
        return true;
    };

    if (n <= params.exactKnnLimit) {
        const int64_t chunk = 4096;
        std::vector<int64_t> queries;
        for (int64_t s = 0; s < n; s += chunk) {
            if (cancelled())
                return false;
            const int64_t c = std::min(chunk, n - s);
            dist.assign(size_t(c) * kq, 0.0f);
            lab.assign(size_t(c) * kq, -1);
            faiss::knn_L2sqr(data + s * d, data, size_t(d), size_t(c), size_t(n), size_t(kq), dist.data(), lab.data());
            queries.resize(size_t(c));
            std::iota(queries.begin(), queries.end(), s);
            take(queries, nullptr);
        }
    } else {
        const int cells = std::max(2, int(std::sqrt(double(n))));
        faiss::ClusteringParameters cp;
        cp.niter = 10;
        cp.seed = int(params.seed & 0x7fffffff);
        cp.max_points_per_centroid = 64;
        cp.verbose = false;
        faiss::Clustering clustering(int(d), size_t(cells), cp);
        faiss::IndexFlatL2 quantizer{faiss::Index::idx_t(d)};
        clustering.train(n, data, quantizer);
        if (cancelled())
            return false;
        std::vector<float> cd(static_cast<size_t>(n));
        std::vector<faiss::Index::idx_t> cell(static_cast<size_t>(n));
        quantizer.search(n, data, 1, cd.data(), cell.data());
        const int probe = std::min(cells, std::max(8, cells / 8));
        std::vector<float> pd(static_cast<size_t>(cells) * probe);
        std::vector<faiss::Index::idx_t> near(static_cast<size_t>(cells) * probe);
        quantizer.search(cells, clustering.centroids.data(), probe, pd.data(), near.data());
        std::vector<std::vector<int64_t>> members(static_cast<size_t>(cells));
        for (int64_t i = 0; i < n; ++i)
            members[size_t(std::max<faiss::Index::idx_t>(0, cell[size_t(i)]))].push_back(i);
        std::vector<float> queryRows, candRows;
        std::vector<int64_t> candidates;
        for (int c = 0; c < cells; ++c) {
            if (cancelled())
                return false;
            const auto &queries = members[size_t(c)];
            if (queries.empty())
                continue;
            candidates.clear();
            for (int p = 0; p < probe; ++p) {
                const auto cc = near[size_t(c) * probe + size_t(p)];
                if (cc >= 0)
                    candidates.insert(candidates.end(), members[size_t(cc)].begin(), members[size_t(cc)].end());
            }
            std::sort(candidates.begin(), candidates.end()); // a fixed order: ties resolve the same way
            queryRows.resize(queries.size() * size_t(d));
            for (size_t q = 0; q < queries.size(); ++q)
                std::copy_n(data + queries[q] * d, d, queryRows.begin() + ptrdiff_t(q * size_t(d)));
            candRows.resize(candidates.size() * size_t(d));
            for (size_t q = 0; q < candidates.size(); ++q)
                std::copy_n(data + candidates[q] * d, d, candRows.begin() + ptrdiff_t(q * size_t(d)));
            const size_t kc = std::min<size_t>(size_t(kq), candidates.size());
            dist.assign(queries.size() * size_t(kq), std::numeric_limits<float>::max());
            lab.assign(queries.size() * size_t(kq), -1);
            if (kc == size_t(kq)) {
                faiss::knn_L2sqr(queryRows.data(), candRows.data(), size_t(d), queries.size(), candidates.size(),
                                 kc, dist.data(), lab.data());
            } else { // fewer candidates than k: take them all (filled below)
                continue;
            }
            take(queries, &candidates);
        }
    }
    // Rows left short (a cell whose probed cells hold fewer than k + 1 points): exact scan.
    for (int64_t i = 0; i < n; ++i) {
        if ((*ids)[size_t(i * k + k - 1)] >= 0)
            continue;
        if (cancelled())
            return false;
        dist.assign(size_t(kq), 0.0f);
        lab.assign(size_t(kq), -1);
        faiss::knn_L2sqr(data + i * d, data, size_t(d), 1, size_t(n), size_t(kq), dist.data(), lab.data());
        std::fill_n(ids->begin() + ptrdiff_t(i * k), k, -1);
        take({i}, nullptr);
    }
    return true;
}

// First two principal components of data (centred), scaled so that column 0 has std 1e-4
// (openTSNE's initialisation). Covariance by a parallel sum, eigenvectors by LibTorch.
void pcaInit(const float *data, int64_t n, int64_t d, int threads, std::vector<double> *y)
{
    std::vector<double> mean(static_cast<size_t>(d), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < d; ++c)
            mean[size_t(c)] += data[i * d + c];
    for (double &v : mean)
        v /= double(n);
    std::vector<double> cov(size_t(d * d), 0.0);
    // Rows of the upper triangle in parallel; each entry summed in row order (deterministic).
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t a = 0; a < d; ++a) {
        for (int64_t i = 0; i < n; ++i) {
            const double xa = data[i * d + a] - mean[size_t(a)];
            const float *row = data + i * d;
            double *out = &cov[size_t(a * d)];
            for (int64_t b = a; b < d; ++b)
                out[b] += xa * (row[b] - mean[size_t(b)]);
        }
    }
    for (int64_t a = 0; a < d; ++a)
        for (int64_t b = 0; b < a; ++b)
            cov[size_t(a * d + b)] = cov[size_t(b * d + a)];
    torch::Tensor c = torch::from_blob(cov.data(), {d, d}, torch::kFloat64).clone();
    auto [evals, evecs] = torch::linalg_eigh(c);
    (void)evals;
    // eigh sorts ascending: the last two columns are the first two components.
    std::vector<double> comp(size_t(2 * d));
    for (int k = 0; k < 2; ++k) {
        const auto col = evecs.select(1, d - 1 - k).contiguous();
        const double *v = col.data_ptr<double>();
        // Fix the sign (eigenvectors are defined up to sign): largest |entry| positive.
        int64_t arg = 0;
        for (int64_t c2 = 1; c2 < d; ++c2)
            if (std::abs(v[c2]) > std::abs(v[arg]))
                arg = c2;
        const double s = v[arg] < 0 ? -1.0 : 1.0;
        for (int64_t c2 = 0; c2 < d; ++c2)
            comp[size_t(k * d + c2)] = s * v[c2];
    }
    y->assign(size_t(2 * n), 0.0);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        for (int k = 0; k < 2; ++k) {
            double s = 0.0;
            for (int64_t c2 = 0; c2 < d; ++c2)
                s += (data[i * d + c2] - mean[size_t(c2)]) * comp[size_t(k * d + c2)];
            (*y)[size_t(2 * i + k)] = s;
        }
    }
    double m0 = 0.0, s0 = 0.0;
    for (int64_t i = 0; i < n; ++i)
        m0 += (*y)[size_t(2 * i)];
    m0 /= double(n);
    for (int64_t i = 0; i < n; ++i)
        s0 += ((*y)[size_t(2 * i)] - m0) * ((*y)[size_t(2 * i)] - m0);
    s0 = std::sqrt(s0 / double(n));
    const double scale = s0 > 0 ? 1e-4 / s0 : 1.0;
    for (double &v : *y)
        v *= scale;
}

void randomInit(int64_t n, std::uint64_t seed, std::vector<double> *y)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1e-4);
    y->resize(size_t(2 * n));
    for (double &v : *y)
        v = g(rng);
}

} // namespace

bool tsneConditionalProbabilities(const float *sqDistances, std::int64_t n, int k, double perplexity,
                                  std::vector<float> *conditional, std::vector<double> *betas,
                                  QString *error, double tolerance, int threads)
{
    if (n < 1 || k < 1) {
        if (error)
            *error = QStringLiteral("t-SNE affinities: need n >= 1 and k >= 1 (got n=%1, k=%2)").arg(n).arg(k);
        return false;
    }
    if (!(perplexity > 0.0) || perplexity > k) {
        if (error)
            *error = QStringLiteral("t-SNE affinities: perplexity %1 must be in (0, k=%2]").arg(perplexity).arg(k);
        return false;
    }
    threads = resolveThreads(threads);
    const double target = std::log(perplexity);
    conditional->assign(size_t(n) * k, 0.0f);
    if (betas)
        betas->assign(size_t(n), 0.0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 256)
    for (int64_t i = 0; i < n; ++i) {
        const float *d = sqDistances + i * k;
        // Shift by the nearest distance: P is unchanged, exp() cannot underflow to all zeros.
        double d0 = std::numeric_limits<double>::infinity();
        for (int j = 0; j < k; ++j)
            d0 = std::min(d0, double(d[j]));
        std::vector<double> p(static_cast<size_t>(k));
        double beta = 1.0, lo = 0.0, hi = std::numeric_limits<double>::infinity();
        double meanShift = 0.0;
        for (int j = 0; j < k; ++j)
            meanShift += double(d[j]) - d0;
        meanShift /= k;
        if (meanShift > 0.0)
            beta = 1.0 / meanShift;
        for (int step = 0; step < 200; ++step) {
            double sum = 0.0, dot = 0.0;
            for (int j = 0; j < k; ++j) {
                const double s = double(d[j]) - d0;
                p[size_t(j)] = std::exp(-beta * s);
                sum += p[size_t(j)];
                dot += s * p[size_t(j)];
            }
            const double h = std::log(sum) + beta * dot / sum; // entropy in nats
            for (int j = 0; j < k; ++j)
                p[size_t(j)] /= sum;
            if (std::abs(h - target) < tolerance)
                break;
            if (h > target) { // too flat: sharpen
                lo = beta;
                beta = std::isinf(hi) ? beta * 2.0 : 0.5 * (beta + hi);
            } else {
                hi = beta;
                beta = 0.5 * (beta + lo);
            }
        }
        for (int j = 0; j < k; ++j)
            (*conditional)[size_t(i * k + j)] = float(p[size_t(j)]);
        if (betas)
            (*betas)[size_t(i)] = beta;
    }
    return true;
}

bool tsneNearestNeighbours(const float *data, std::int64_t n, std::int64_t d, int k, const TsneParams &params,
                           const std::atomic_bool &cancel, std::vector<std::int64_t> *ids,
                           std::vector<float> *sqDistances, QString *error)
{
    if (!data || n < 2 || d < 1 || k < 1 || k > n - 1) {
        if (error)
            *error = QStringLiteral("kNN: need n >= 2, d >= 1, 1 <= k < n (got n=%1, d=%2, k=%3)").arg(n).arg(d).arg(k);
        return false;
    }
    QString e;
    try {
        if (knnByBlas(data, n, d, k, params, resolveThreads(params.threads), cancel, ids, sqDistances, &e))
            return true;
    } catch (const std::exception &ex) {
        e = QStringLiteral("kNN: %1").arg(QString::fromLocal8Bit(ex.what()));
    }
    if (error)
        *error = e;
    return false;
}

TsneAffinities tsneSymmetrize(const std::int64_t *neighbours, const float *conditional, std::int64_t n, int k)
{
    // Every entry (i, j, p) also goes to (j, i, p); rows are then sorted and duplicates merged.
    TsneAffinities out;
    out.n = n;
    std::vector<int64_t> count(static_cast<size_t>(n) + 1, 0);
    for (int64_t i = 0; i < n; ++i)
        for (int j = 0; j < k; ++j) {
            const int64_t t = neighbours[i * k + j];
            if (t < 0 || t >= n || t == i)
                continue;
            ++count[size_t(i) + 1];
            ++count[size_t(t) + 1];
        }
    for (int64_t i = 0; i < n; ++i)
        count[size_t(i) + 1] += count[size_t(i)];
    std::vector<int32_t> cols(size_t(count[size_t(n)]));
    std::vector<float> vals(cols.size());
    std::vector<int64_t> fill(count.begin(), count.end() - 1);
    for (int64_t i = 0; i < n; ++i)
        for (int j = 0; j < k; ++j) {
            const int64_t t = neighbours[i * k + j];
            if (t < 0 || t >= n || t == i)
                continue;
            const float v = conditional[i * k + j];
            cols[size_t(fill[size_t(i)])] = int32_t(t);
            vals[size_t(fill[size_t(i)]++)] = v;
            cols[size_t(fill[size_t(t)])] = int32_t(i);
            vals[size_t(fill[size_t(t)]++)] = v;
        }
    // Sort and merge each row; the total is 2n (each conditional row sums to 1).
    double total = 0.0;
    for (float v : vals)
        total += v;
    const double scale = total > 0 ? 1.0 / total : 0.0;
    out.rowPtr.assign(size_t(n) + 1, 0);
    std::vector<std::pair<int32_t, float>> row;
    for (int64_t i = 0; i < n; ++i) {
        row.clear();
        for (int64_t e = count[size_t(i)]; e < count[size_t(i) + 1]; ++e)
            row.emplace_back(cols[size_t(e)], vals[size_t(e)]);
        std::sort(row.begin(), row.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        for (size_t e = 0; e < row.size();) {
            double v = 0.0;
            const int32_t c = row[e].first;
            while (e < row.size() && row[e].first == c)
                v += row[e++].second;
            out.cols.push_back(c);
            out.values.push_back(float(v * scale));
        }
        out.rowPtr[size_t(i) + 1] = int64_t(out.cols.size());
    }
    return out;
}

double tsneExactKlDivergence(const TsneAffinities &p, const double *y)
{
    std::vector<double> rep(size_t(2 * p.n));
    const double z = exactRepulsion(y, p.n, rep.data());
    return klFromZ(p, y, z, 1);
}

void tsneExactGradient(const TsneAffinities &p, const double *y, double *gradient, double exaggeration)
{
    std::vector<double> rep(size_t(2 * p.n)), attr(size_t(2 * p.n));
    exactRepulsion(y, p.n, rep.data());
    attractiveForces(p, y, attr.data(), 1);
    for (int64_t i = 0; i < 2 * p.n; ++i)
        gradient[i] = 4.0 * (exaggeration * attr[size_t(i)] - rep[size_t(i)]);
}

double tsneFftGradient(const TsneAffinities &p, const double *y, double *gradient, double exaggeration, int threads,
                       int interpolationNodes, double boxWidth)
{
    threads = resolveThreads(threads);
    std::vector<double> rep(size_t(2 * p.n)), attr(size_t(2 * p.n));
    FftRepulsion fft(interpolationNodes, boxWidth);
    const double z = fft.compute(y, p.n, rep.data(), threads);
    attractiveForces(p, y, attr.data(), threads);
    for (int64_t i = 0; i < 2 * p.n; ++i)
        gradient[i] = 4.0 * (exaggeration * attr[size_t(i)] - rep[size_t(i)]);
    return z;
}

TsneResult computeTsne(const float *data, std::int64_t n, std::int64_t d, const TsneParams &params,
                       const std::atomic_bool &cancel, const TsneProgressCallback &progress)
{
    TsneResult result;
    auto fail = [&](const QString &why) {
        result.error = why;
        result.layout.clear();
        return result;
    };
    if (!data || n < 1 || d < 1)
        return fail(QStringLiteral("t-SNE: need a non-empty [N, D] matrix (got N=%1, D=%2)").arg(n).arg(d));
    if (n > std::numeric_limits<int32_t>::max())
        return fail(QStringLiteral("t-SNE: at most %1 rows").arg(std::numeric_limits<int32_t>::max()));
    if (!(params.perplexity > 0.0))
        return fail(QStringLiteral("t-SNE: perplexity must be positive (got %1)").arg(params.perplexity));
    if (params.iterations < 0 || params.exaggerationIterations < 0 || params.emitEvery < 1
        || !(params.earlyExaggeration > 0.0))
        return fail(QStringLiteral("t-SNE: iterations, exaggeration iterations must be >= 0, "
                                   "emit interval >= 1, exaggeration > 0"));
    if (!finiteInput(data, n * d))
        return fail(QStringLiteral("t-SNE: the input contains NaN or infinite values"));
    // Device of the optimisation loop ("cuda" without CUDA fails here, before the kNN).
    QString torchDevice, deviceError;
    if (!tsneResolveDevice(params.device, &torchDevice, &deviceError))
        return fail(deviceError);

    // Small inputs: one thread (parallel regions cost more than they save; and a thread count
    // that depends only on n and the setting keeps results deterministic).
    const int threads = n < 4096 ? 1 : resolveThreads(params.threads);
    result.iterations = 0;
    if (n == 1) {
        result.layout.assign(2, 0.0f);
        return result;
    }
    TsneProgress info;
    info.iterations = params.iterations;
    info.n = n;
    auto report = [&](const QString &stage) {
        info.stage = stage;
        if (progress)
            progress(info);
    };

    // Perplexity needs 3·perplexity neighbours; lower it for small n (as openTSNE does).
    const double perplexity = std::min(params.perplexity, std::max(1.0, double(n - 1) / 3.0));
    const int k = int(std::min<int64_t>(n - 1, std::max<int64_t>(1, int64_t(3.0 * perplexity))));
    result.perplexity = perplexity;

    try {
        report(QStringLiteral("knn"));
        std::vector<int64_t> ids;
        std::vector<float> sq;
        QString error;
        if (!knnByBlas(data, n, d, k, params, threads, cancel, &ids, &sq, &error)) {
            result.cancelled = error == QLatin1String("cancelled");
            return fail(error);
        }
        report(QStringLiteral("affinities"));
        std::vector<float> cond;
        if (!tsneConditionalProbabilities(sq.data(), n, k, std::min(perplexity, double(k)), &cond, nullptr,
                                          &error, 1e-5, threads))
            return fail(error);
        if (cancel.load()) {
            result.cancelled = true;
            return fail(QStringLiteral("cancelled"));
        }
        const TsneAffinities p = tsneSymmetrize(ids.data(), cond.data(), n, k);
        ids.clear();
        ids.shrink_to_fit();
        sq.clear();
        sq.shrink_to_fit();
        cond.clear();
        cond.shrink_to_fit();

        std::vector<double> y;
        if (params.pcaInit && d >= 2 && n >= 3)
            pcaInit(data, n, d, threads, &y);
        else
            randomInit(n, params.seed, &y);

        const double lr = params.learningRate > 0 ? params.learningRate : std::max(double(n) / 12.0, 200.0);
        result.learningRate = lr;
        if (!torchDevice.isEmpty()) { // the same loop in LibTorch ops on that device (tsnetorch.cpp)
            tsneTorchOptimise(p, y, params, lr, torchDevice, cancel, progress, info, &result);
            return result;
        }
        std::vector<double> grad(size_t(2 * n)), attr(size_t(2 * n)), rep(size_t(2 * n));
        std::vector<double> update(size_t(2 * n), 0.0), gains(size_t(2 * n), 1.0);
        std::vector<float> layout(size_t(2 * n));
        const bool exact = n < 64; // tiny inputs: exact sums beat a 150×150 grid
        FftRepulsion fft(params.interpolationNodes, params.boxWidth);
        std::vector<float> yFloat;
        double z = 1.0, gradNorm = 0.0;
        auto emit = [&](int it) {
            for (int64_t i = 0; i < 2 * n; ++i)
                layout[size_t(i)] = float(y[size_t(i)]);
            info.iteration = it;
            info.klDivergence = klFromZ(p, y.data(), z, threads);
            info.gradientNorm = gradNorm;
            info.layout = layout.data();
            report(QStringLiteral("optimise"));
            info.layout = nullptr;
        };
        for (int it = 0; it < params.iterations; ++it) {
            if (cancel.load()) {
                result.cancelled = true;
                return fail(QStringLiteral("cancelled"));
            }
            const bool early = it < params.exaggerationIterations;
            const double exaggeration = early ? params.earlyExaggeration : 1.0;
            const double momentum = early ? 0.5 : 0.8;
            z = exact ? exactRepulsion(y.data(), n, rep.data()) : fft.compute(y.data(), n, rep.data(), threads);
            attractiveForcesFloat(p, y.data(), &yFloat, attr.data(), threads);
            double norm2 = 0.0;
            for (int64_t i = 0; i < 2 * n; ++i) {
                const double g = exaggeration * attr[size_t(i)] - rep[size_t(i)];
                norm2 += g * g;
                double &gain = gains[size_t(i)];
                gain = (update[size_t(i)] * g < 0.0) ? gain + 0.2 : gain * 0.8;
                gain = std::max(gain, 0.01);
                update[size_t(i)] = momentum * update[size_t(i)] - lr * gain * g;
                y[size_t(i)] += update[size_t(i)];
            }
            gradNorm = std::sqrt(norm2);
            double mx = 0.0, my = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                mx += y[size_t(2 * i)];
                my += y[size_t(2 * i + 1)];
            }
            mx /= double(n);
            my /= double(n);
            for (int64_t i = 0; i < n; ++i) {
                y[size_t(2 * i)] -= mx;
                y[size_t(2 * i + 1)] -= my;
            }
            result.iterations = it + 1;
            if (progress && (it + 1) % params.emitEvery == 0 && it + 1 < params.iterations)
                emit(it + 1);
        }
        z = exact ? exactRepulsion(y.data(), n, rep.data()) : fft.compute(y.data(), n, rep.data(), threads);
        result.klDivergence = klFromZ(p, y.data(), z, threads);
        result.layout.resize(size_t(2 * n));
        for (int64_t i = 0; i < 2 * n; ++i)
            result.layout[size_t(i)] = float(y[size_t(i)]);
        if (progress) {
            info.iteration = result.iterations;
            info.klDivergence = result.klDivergence;
            info.gradientNorm = gradNorm;
            info.layout = result.layout.data();
            report(QStringLiteral("optimise"));
        }
    } catch (const std::exception &e) {
        return fail(QStringLiteral("t-SNE: %1").arg(QString::fromLocal8Bit(e.what())));
    }
    return result;
}

} // namespace labelscope
