#pragma once
// t-SNE (van der Maaten & Hinton, JMLR 2008) for 2-D layouts of embeddings and of training-
// dynamics trajectories. Our own implementation: no Debian package offers t-SNE to a C++
// program. It follows openTSNE (Poličar et al., JSS 2024) and FIt-SNE (Linderman et al., Nature
// Methods 2019):
//   - kNN graph with FAISS, k = 3·perplexity: exact (faiss::knn_L2sqr, BLAS) up to
//     `exactKnnLimit` points; above, an IVF-style search: k-means into √N cells, each cell's
//     members against the members of its nearest cells (≈12%), one BLAS product per cell;
//   - per-point Gaussian bandwidth by binary search so that each conditional row has entropy
//     log(perplexity) (natural log); P = (P_cond + P_condᵀ) / 2N, sparse;
//   - PCA initialisation scaled to std 1e-4 in the first coordinate (tsnePcaInit: no D×D
//     matrix for wide inputs);
//   - repulsion by FFT-accelerated interpolation (3 Lagrange nodes per box, boxes of width ~1,
//     at least 50 per side, squared-Cauchy kernel convolved with FFTW);
//   - gradient descent with momentum 0.5 during early exaggeration, 0.8 after, gains
//     (+0.2 / ×0.8, min 0.01) as sklearn and openTSNE; the layout is re-centred every iteration.
// The optimiser uses the gradient without the constant factor 4 (FIt-SNE / openTSNE convention),
// which is why the automatic learning rate is max(N/12, 200) (Belkina et al. 2019).
// Deterministic for a seed and a thread count. Torch-free header (ui/ includes it).

#include "base/enumnames.h"

#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace labelscope {

/// Where t-SNE's optimisation loop runs (kNN and P are always built on the CPU): Cpu = the FFTW
/// path; Cuda = the same steps in LibTorch ops, float32, on the GPU (error if CUDA is not
/// available; not bit-identical run to run: atomics); Auto = Cuda when CUDA is available, else
/// Cpu; TorchCpu = the LibTorch path on the CPU device (tests, comparison; runs on LibTorch's
/// intra-op threads, not TsneParams::threads).
enum class TsneDevice { Auto, Cpu, Cuda, TorchCpu };
inline constexpr EnumName<TsneDevice> kTsneDeviceNames[] = {
    {TsneDevice::Auto, "auto"}, {TsneDevice::Cpu, "cpu"}, {TsneDevice::Cuda, "cuda"}, {TsneDevice::TorchCpu, "torch-cpu"}};

struct TsneParams {
    double perplexity = 30.0;          ///< lowered to (N-1)/3 for small N
    int iterations = 750;              ///< total, including the exaggeration phase
    double earlyExaggeration = 12.0;
    int exaggerationIterations = 250;
    double learningRate = 0.0;         ///< <= 0: max(N / 12, 200)
    std::uint64_t seed = 1;            ///< random init and the approximate kNN's k-means; PCA init is seed-free
    int threads = 0;                   ///< OpenMP threads; <= 0: all cores; under 4,096 rows: 1.
                                       ///< On a busy machine 1 can beat 2 (see RESULTS.md).
                                       ///< The kNN's matrix products use OpenBLAS's own threads.
    int emitEvery = 25;                ///< progress callback every this many iterations (>= 1)
    bool pcaInit = true;               ///< false: Gaussian init with std 1e-4 from `seed`
    std::int64_t exactKnnLimit = 20000; ///< exact kNN up to this N, approximate (cells) above
    int interpolationNodes = 3;        ///< FFT repulsion: Lagrange nodes per box and axis (1-8)
    double boxWidth = 1.0;             ///< FFT repulsion: box width in layout units (>= 50 boxes a side)
    /// See TsneDevice (core/ml/tsnetorch.cpp, tests/benchmarks/RESULTS.md). Default Auto: the GPU
    /// when LibTorch sees one (the scatter view's layouts), the FFTW path otherwise.
    TsneDevice device = TsneDevice::Auto;
};

/// What the progress callback sees. `layout` is [n, 2] float32 row-major, valid only during the
/// call (copy it to keep it). `klDivergence` is KL(P‖Q) of the un-exaggerated P, computed at
/// each emit (one log per non-zero of P: emit every 10+ iterations on large inputs) with Z from
/// the step's gradient; `stage` is "knn", "affinities" or "optimise" (layout is null before
/// "optimise"). Called on the computing thread.
struct TsneProgress {
    QString stage;
    int iteration = 0;       ///< iterations done (0 before optimisation starts)
    int iterations = 0;      ///< total
    double klDivergence = 0.0;
    double gradientNorm = 0.0; ///< ‖∇‖₂ of the last step (optimiser convention, without the 4)
    const float *layout = nullptr;
    std::int64_t n = 0;
};
using TsneProgressCallback = std::function<void(const TsneProgress &)>;

struct TsneResult {
    std::vector<float> layout; ///< [n, 2] float32 row-major; empty on error or cancel
    double klDivergence = 0.0; ///< final KL(P‖Q)
    int iterations = 0;        ///< iterations run
    double learningRate = 0.0; ///< the rate used
    double perplexity = 0.0;   ///< the perplexity used (after lowering for small N)
    bool cancelled = false;
    QString error;             ///< empty on success; "cancelled" when cancelled
    bool ok() const { return error.isEmpty(); }
};

/// 2-D t-SNE of `data`, float32 [n, d] row-major (not copied beyond the call, not owned).
/// Polls `cancel` inside every phase (returns within well under a second); errors (n < 1,
/// d < 1, d > kMaxTsneDims (base/sizelimits.h), non-finite values, bad parameters) come back in
/// TsneResult::error, never as throws.
/// n == 1 gives the origin; n == 2 or 3 gives a small exact-gradient layout.
TsneResult computeTsne(const float *data, std::int64_t n, std::int64_t d, const TsneParams &params,
                       const std::atomic_bool &cancel, const TsneProgressCallback &progress = {});

// --- Building blocks, exposed for tests and for callers that already have a kNN graph. ---

/// The kNN graph computeTsne builds: `ids` [n, k] (self excluded, nearest first) and squared
/// Euclidean `sqDistances` [n, k]; exact up to params.exactKnnLimit rows, approximate above
/// (uses params.seed, params.threads). False with `error` ("cancelled" when cancelled).
bool tsneNearestNeighbours(const float *data, std::int64_t n, std::int64_t d, int k, const TsneParams &params,
                           const std::atomic_bool &cancel, std::vector<std::int64_t> *ids,
                           std::vector<float> *sqDistances, QString *error);

/// How tsnePcaInit finds the two leading principal components of the centred data Xc [n, d].
enum class TsnePca {
    Auto,       ///< Covariance up to d = 1024 (the path every such layout was always made with),
                ///< else Exact while min(n, d) <= 4096, else Randomized
    Covariance, ///< the d×d covariance summed by a deterministic loop (memory d², time n·d²)
    Exact,      ///< BLAS in double on the smaller side: the d×d covariance when d <= n, else
                ///< the n×n Gram matrix Xc Xcᵀ (memory min(n, d)², time n·d·min(n, d))
    Randomized, ///< subspace iteration from a fixed random start (Halko et al. 2011): 12
                ///< vectors, 6 power steps; memory (n + d)·12, 14 passes over the data
};

/// The initial layout of computeTsne: `data` [n, d] float32 row-major (n >= 3, d >= 2, not
/// owned) projected on its first two principal components, each direction's largest loading
/// made positive, scaled so that the first column has standard deviation 1e-4 (openTSNE).
/// Returns [n, 2] row-major. All methods agree up to rounding (Randomized to about 1e-6 relative
/// when the two leading variances stand out from the third); Covariance and Auto at d <= 1024
/// give bit-identical layouts run to run and to earlier versions. Deterministic. `threads`: the
/// OpenMP threads of the covariance loop (<= 0: all cores); the BLAS paths use LibTorch's.
/// LibTorch may throw (std::bad_alloc, c10::Error); computeTsne turns that into its error.
std::vector<double> tsnePcaInit(const float *data, std::int64_t n, std::int64_t d, int threads = 0,
                                TsnePca method = TsnePca::Auto);

/// Sparse symmetric joint probabilities in CSR form: row i holds columns cols[rowPtr[i] ..
/// rowPtr[i+1]) sorted ascending, values sum to 1 over the whole matrix.
struct TsneAffinities {
    std::int64_t n = 0;
    std::vector<std::int64_t> rowPtr; ///< [n + 1]
    std::vector<std::int32_t> cols;
    std::vector<float> values;
};

/// Conditional probabilities p_{j|i} from kNN squared distances `sqDistances` [n, k] (row i's k
/// neighbours, self excluded). Writes `conditional` [n, k] (each row sums to 1) and, if given,
/// `betas` [n] (precision 1/(2σ²) per point). Binary search to entropy log(perplexity) within
/// `tolerance` (nats), at most 200 steps. Returns false with `error` on bad input.
bool tsneConditionalProbabilities(const float *sqDistances, std::int64_t n, int k, double perplexity,
                                  std::vector<float> *conditional, std::vector<double> *betas,
                                  QString *error, double tolerance = 1e-5, int threads = 0);

/// P = (P_cond + P_condᵀ) / (2n) from neighbour ids `neighbours` [n, k] and `conditional` [n, k].
TsneAffinities tsneSymmetrize(const std::int64_t *neighbours, const float *conditional, std::int64_t n, int k);

/// Exact KL(P‖Q) of a layout `y` [n, 2] (O(n²); for tests and tiny inputs).
double tsneExactKlDivergence(const TsneAffinities &p, const double *y);

/// Exact gradient dKL/dy [n, 2] (with the factor 4) by O(n²) sums; for tests and tiny inputs.
/// `exaggeration` multiplies P (0 leaves the repulsive part alone).
void tsneExactGradient(const TsneAffinities &p, const double *y, double *gradient, double exaggeration = 1.0);

/// The same gradient (with the factor 4) with the repulsion by FFT interpolation, as the
/// optimiser computes it; `exaggeration` multiplies P. Returns the normalisation Z = Σ_{i≠j} q_ij.
double tsneFftGradient(const TsneAffinities &p, const double *y, double *gradient,
                       double exaggeration = 1.0, int threads = 0, int interpolationNodes = 3,
                       double boxWidth = 1.0);

/// The same gradient (with the factor 4) as computed by the LibTorch path computeTsne takes for
/// devices "cuda" / "torch-cpu": attraction over P in COO form (index_select / index_add_),
/// repulsion by the same FFT interpolation in torch ops, float32 on the device. `device`:
/// "torch-cpu" (or "cpu": also the torch CPU device here), "cuda", or "auto". `y` [n, 2] and
/// `gradient` [n, 2] are host arrays. Returns Z = Σ_{i≠j} q_ij, or -1 with `error` (unknown
/// device, CUDA not available, a torch error).
double tsneTorchGradient(const TsneAffinities &p, const double *y, double *gradient, TsneDevice device,
                         QString *error = nullptr, double exaggeration = 1.0, int interpolationNodes = 3,
                         double boxWidth = 1.0);

} // namespace labelscope
