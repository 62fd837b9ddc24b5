// Initial t-SNE layouts: the two leading principal components (openTSNE's initialisation), or
// Gaussian noise. The PCA never builds a matrix larger than the smaller side of the input
// squared (or, when both sides are large, anything beyond (N + D) × 12 numbers), so that a wide
// input such as [50, 20000] takes a 50×50 Gram matrix instead of a 20000×20000 covariance.

#include "tsneinternal.h"

#include <torch/torch.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace labelscope {

namespace {

/// Up to this D the covariance is summed by the loop every layout so far was made with (kept
/// bit-identical for the usual embeddings: 64 to 512 columns).
constexpr std::int64_t kLoopCovarianceMaxDims = 1024;
/// Up to this min(N, D) the exact path eigen-decomposes the smaller of the D×D covariance and
/// the N×N Gram matrix (128 MB in double at the cap; eigh takes seconds).
constexpr std::int64_t kExactMaxSide = 4096;
/// Doubles per block when rows or columns of the input are converted and centred.
constexpr std::int64_t kBlockElements = std::int64_t(1) << 22;
/// Randomised range finder: extra vectors and power (subspace) iterations (Halko, Martinsson
/// and Tropp, SIAM Review 2011, algorithm 4.4), and its fixed seed (the PCA init is seed-free).
constexpr std::int64_t kOversampling = 10;
constexpr int kPowerIterations = 6;
constexpr std::uint64_t kRangeSeed = 0x7453'4e45'5043'4131ULL;

using Tensor = torch::Tensor;

std::vector<double> columnMeans(const float *data, std::int64_t n, std::int64_t d)
{
    std::vector<double> mean(static_cast<size_t>(d), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < d; ++c)
            mean[size_t(c)] += data[i * d + c];
    for (double &v : mean)
        v /= double(n);
    return mean;
}

/// Fixes the sign of each of the two components (rows of `comp` [2, d]): the entry of largest
/// magnitude positive (eigenvectors are defined up to sign).
void fixSigns(std::int64_t d, std::vector<double> *comp)
{
    for (int k = 0; k < 2; ++k) {
        double *v = comp->data() + size_t(k) * size_t(d);
        std::int64_t arg = 0;
        for (std::int64_t c = 1; c < d; ++c)
            if (std::abs(v[c]) > std::abs(v[arg]))
                arg = c;
        if (v[arg] < 0)
            for (std::int64_t c = 0; c < d; ++c)
                v[c] = -v[c];
    }
}

/// Scales the layout [n, 2] so that column 0 has standard deviation 1e-4.
void scaleLayout(std::int64_t n, std::vector<double> *y)
{
    double m0 = 0.0, s0 = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
        m0 += (*y)[size_t(2 * i)];
    m0 /= double(n);
    for (std::int64_t i = 0; i < n; ++i)
        s0 += ((*y)[size_t(2 * i)] - m0) * ((*y)[size_t(2 * i)] - m0);
    s0 = std::sqrt(s0 / double(n));
    const double scale = s0 > 0 ? 1e-4 / s0 : 1.0;
    for (double &v : *y)
        v *= scale;
}

/// The covariance summed by a loop over the upper triangle (rows in parallel, each entry in
/// row order: deterministic), eigenvectors by LibTorch, projection by a loop. Memory d².
std::vector<double> loopCovariancePca(const float *data, std::int64_t n, std::int64_t d, int threads)
{
    const std::vector<double> mean = columnMeans(data, n, d);
    std::vector<double> cov(size_t(d * d), 0.0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (std::int64_t a = 0; a < d; ++a) {
        for (std::int64_t i = 0; i < n; ++i) {
            const double xa = data[i * d + a] - mean[size_t(a)];
            const float *row = data + i * d;
            double *out = &cov[size_t(a * d)];
            for (std::int64_t b = a; b < d; ++b)
                out[b] += xa * (row[b] - mean[size_t(b)]);
        }
    }
    for (std::int64_t a = 0; a < d; ++a)
        for (std::int64_t b = 0; b < a; ++b)
            cov[size_t(a * d + b)] = cov[size_t(b * d + a)];
    const Tensor c = torch::from_blob(cov.data(), {d, d}, torch::kFloat64).clone();
    auto [evals, evecs] = torch::linalg_eigh(c);
    (void)evals;
    // eigh sorts ascending: the last two columns are the first two components.
    std::vector<double> comp(size_t(2 * d));
    for (int k = 0; k < 2; ++k) {
        const Tensor col = evecs.select(1, d - 1 - k).contiguous();
        std::copy_n(col.data_ptr<double>(), d, comp.begin() + std::ptrdiff_t(k * d));
    }
    fixSigns(d, &comp);
    std::vector<double> y(size_t(2 * n), 0.0);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        for (int k = 0; k < 2; ++k) {
            double s = 0.0;
            for (std::int64_t c2 = 0; c2 < d; ++c2)
                s += (data[i * d + c2] - mean[size_t(c2)]) * comp[size_t(k * d + c2)];
            y[size_t(2 * i + k)] = s;
        }
    }
    return y;
}

/// The centred input in double, one block of rows or columns at a time (the float32 input is
/// viewed, never copied whole).
class CentredBlocks
{
public:
    CentredBlocks(const float *data, std::int64_t n, std::int64_t d)
        : m_n(n), m_d(d),
          m_x(torch::from_blob(const_cast<float *>(data), {n, d}, torch::kFloat32)),
          m_mean(torch::tensor(columnMeans(data, n, d), torch::kFloat64))
    {
    }
    std::int64_t rowsPerBlock() const { return std::max<std::int64_t>(1, kBlockElements / m_d); }
    std::int64_t columnsPerBlock() const { return std::max<std::int64_t>(1, kBlockElements / m_n); }
    Tensor rows(std::int64_t r0, std::int64_t count) const
    {
        return m_x.narrow(0, r0, count).to(torch::kFloat64) - m_mean;
    }
    Tensor columns(std::int64_t c0, std::int64_t count) const
    {
        return m_x.narrow(1, c0, count).to(torch::kFloat64) - m_mean.narrow(0, c0, count);
    }
    /// Xc · m, m [d, l] → [n, l].
    Tensor times(const Tensor &m) const
    {
        Tensor out = torch::empty({m_n, m.size(1)}, torch::kFloat64);
        for (std::int64_t r0 = 0; r0 < m_n; r0 += rowsPerBlock()) {
            const std::int64_t rb = std::min(rowsPerBlock(), m_n - r0);
            out.narrow(0, r0, rb).copy_(rows(r0, rb).matmul(m));
        }
        return out;
    }
    /// Xcᵀ · m, m [n, l] → [d, l].
    Tensor transposeTimes(const Tensor &m) const
    {
        Tensor out = torch::zeros({m_d, m.size(1)}, torch::kFloat64);
        for (std::int64_t r0 = 0; r0 < m_n; r0 += rowsPerBlock()) {
            const std::int64_t rb = std::min(rowsPerBlock(), m_n - r0);
            out.add_(rows(r0, rb).t().matmul(m.narrow(0, r0, rb)));
        }
        return out;
    }

private:
    std::int64_t m_n, m_d;
    Tensor m_x, m_mean;
};

/// The two leading principal directions [2, d] from a small symmetric matrix: S = Xc Xcᵀ (the
/// Gram matrix) or S = Qᵀ Xc Xcᵀ Q (the range finder's basis Q). An eigenpair
/// (λ, w) of S gives the direction v = mapBack(w) / √λ, mapBack(w) = Xcᵀ w (resp. Xcᵀ Q w). A
/// component of (numerically) zero variance stays zero.
template <class MapBack>
std::vector<double> componentsFromSmall(const Tensor &small, std::int64_t d, MapBack mapBack)
{
    auto [evals, evecs] = torch::linalg_eigh(small);
    const std::int64_t m = small.size(0);
    const double top = std::max(evals[m - 1].item<double>(), 0.0);
    std::vector<double> comp(size_t(2 * d), 0.0);
    for (int k = 0; k < 2 && k < m; ++k) {
        const double lambda = evals[m - 1 - k].item<double>();
        if (!(lambda > 0.0) || !(lambda > 1e-12 * top))
            continue;
        const Tensor w = evecs.narrow(1, m - 1 - k, 1).contiguous();
        const Tensor v = (mapBack(w) / std::sqrt(lambda)).contiguous();
        std::copy_n(v.data_ptr<double>(), d, comp.begin() + std::ptrdiff_t(k * d));
    }
    return comp;
}

/// Exact leading components through the smaller side: the D×D covariance when D <= N, else the
/// N×N Gram matrix Xc Xcᵀ (an eigenvector u of it gives the direction Xcᵀ u / σ).
std::vector<double> exactComponents(const CentredBlocks &x, std::int64_t n, std::int64_t d)
{
    if (d <= n) {
        Tensor cov = torch::zeros({d, d}, torch::kFloat64);
        for (std::int64_t r0 = 0; r0 < n; r0 += x.rowsPerBlock()) {
            const std::int64_t rb = std::min(x.rowsPerBlock(), n - r0);
            const Tensor b = x.rows(r0, rb);
            cov.add_(b.t().matmul(b));
        }
        auto [evals, evecs] = torch::linalg_eigh(cov);
        (void)evals;
        std::vector<double> comp(size_t(2 * d));
        for (int k = 0; k < 2; ++k) {
            const Tensor col = evecs.select(1, d - 1 - k).contiguous();
            std::copy_n(col.data_ptr<double>(), d, comp.begin() + std::ptrdiff_t(k * d));
        }
        return comp;
    }
    Tensor gram = torch::zeros({n, n}, torch::kFloat64);
    for (std::int64_t c0 = 0; c0 < d; c0 += x.columnsPerBlock()) {
        const std::int64_t cb = std::min(x.columnsPerBlock(), d - c0);
        const Tensor b = x.columns(c0, cb);
        gram.add_(b.matmul(b.t()));
    }
    return componentsFromSmall(gram, d, [&](const Tensor &u) { return x.transposeTimes(u); });
}

/// Leading components by subspace iteration on a random start (memory O((n + d) · l)).
std::vector<double> randomizedComponents(const CentredBlocks &x, std::int64_t n, std::int64_t d)
{
    const std::int64_t l = std::min<std::int64_t>(2 + kOversampling, std::min(n, d));
    std::mt19937_64 rng(kRangeSeed);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<double> omega(size_t(d * l));
    for (double &v : omega)
        v = g(rng);
    const Tensor start = torch::from_blob(omega.data(), {d, l}, torch::kFloat64);
    auto orthonormal = [](const Tensor &m) { return std::get<0>(torch::linalg_qr(m)); };
    Tensor q = orthonormal(x.times(start));
    for (int it = 0; it < kPowerIterations; ++it)
        q = orthonormal(x.times(orthonormal(x.transposeTimes(q))));
    const Tensor z = x.transposeTimes(q); // Xcᵀ Q [d, l]
    return componentsFromSmall(z.t().matmul(z), d, [&](const Tensor &w) { return z.matmul(w); });
}

} // namespace

std::vector<double> tsnePcaInit(const float *data, std::int64_t n, std::int64_t d, int threads, TsnePca method)
{
    threads = tsnedetail::resolveThreads(threads);
    if (method == TsnePca::Auto)
        method = d <= kLoopCovarianceMaxDims ? TsnePca::Covariance
                 : std::min(n, d) <= kExactMaxSide ? TsnePca::Exact
                                                    : TsnePca::Randomized;
    std::vector<double> y;
    if (method == TsnePca::Covariance) {
        y = loopCovariancePca(data, n, d, threads);
    } else {
        const CentredBlocks x(data, n, d);
        std::vector<double> comp = method == TsnePca::Exact ? exactComponents(x, n, d) : randomizedComponents(x, n, d);
        fixSigns(d, &comp);
        const Tensor proj = x.times(torch::from_blob(comp.data(), {2, d}, torch::kFloat64).t().contiguous()).contiguous();
        y.assign(proj.data_ptr<double>(), proj.data_ptr<double>() + 2 * n);
    }
    scaleLayout(n, &y);
    return y;
}

namespace tsnedetail {

void randomInit(std::int64_t n, std::uint64_t seed, std::vector<double> *y)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1e-4);
    y->resize(size_t(2 * n));
    for (double &v : *y)
        v = g(rng);
}

} // namespace tsnedetail

} // namespace labelscope
