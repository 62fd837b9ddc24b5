#include "jobs/job.h"
#include "tsne.h"
#include "tsneinternal.h"
#include "tsnetorch.h"

// Own implementation of t-SNE (see tsne.h for the method and its sources). This file: the FFT
// repulsion and the optimisation loop of computeTsne. The kNN graph is in tsneknn.cpp, the
// affinities and attractive forces in tsneaffinities.cpp, the initial layouts in tsneinit.cpp.
// kNN by FAISS, FFTs by FFTW, PCA eigenvectors by LibTorch; the rest (bandwidth search,
// symmetrisation, FFT interpolation, optimiser) is ours.

#include "base/sizelimits.h"

#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

namespace labelscope {

using namespace tsnedetail;

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

bool finiteInput(const float *data, int64_t count)
{
    for (int64_t i = 0; i < count; ++i)
        if (!std::isfinite(data[i]))
            return false;
    return true;
}

} // namespace

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
    if (d > kMaxTsneDims)
        return fail(QStringLiteral("t-SNE: D = %1 columns, more than the cap of %2; reduce the input first")
                        .arg(d).arg(kMaxTsneDims));
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
            y = tsnePcaInit(data, n, d, threads);
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
    } catch (...) {
        return fail(QStringLiteral("t-SNE: %1").arg(exceptionMessage(std::current_exception())));
    }
    return result;
}

} // namespace labelscope
