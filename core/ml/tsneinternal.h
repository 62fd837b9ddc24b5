#pragma once
// Private to core/ml's t-SNE sources (tsne.cpp, tsneknn.cpp, tsneaffinities.cpp, tsneinit.cpp):
// the pieces computeTsne assembles. Torch-free; ui/ has no reason to include it (use tsne.h).

#include "tsne.h"

#include <QString>

#include <atomic>
#include <cstdint>
#include <vector>

namespace labelscope {
namespace tsnedetail {

/// OpenMP threads for a TsneParams::threads value: <= 0 means all cores.
int resolveThreads(int threads);

/// Attractive forces `attr` [n, 2] = Σ_j p_ij q_ij (y_i − y_j) of layout `y` [n, 2]; summed
/// per row, so the result does not depend on the thread count.
void attractiveForces(const TsneAffinities &p, const double *y, double *attr, int threads);

/// The same in single precision on a float copy of the layout (`yf`, scratch): the optimiser's
/// hot loop.
void attractiveForcesFloat(const TsneAffinities &p, const double *y, std::vector<float> *yf, double *attr,
                           int threads);

/// KL(P‖Q) of layout `y` [n, 2] given the normalisation Z = Σ_{i≠j} q_ij.
double klFromZ(const TsneAffinities &p, const double *y, double z, int threads);

/// Exact kernel sums for tiny problems: `rep` [n, 2] = Σ_j q_ij² (y_i − y_j) / Z; returns Z.
double exactRepulsion(const double *y, std::int64_t n, double *rep);

/// The kNN graph of `data` [n, d]: `ids` [n, k] (self excluded) and squared distances, by BLAS
/// products (exact up to params.exactKnnLimit rows, cells above). False with `error`
/// ("cancelled" when `cancel` was set).
bool knnByBlas(const float *data, std::int64_t n, std::int64_t d, int k, const TsneParams &params, int threads,
               const std::atomic_bool &cancel, std::vector<std::int64_t> *ids, std::vector<float> *sqDist,
               QString *error);

/// Gaussian initial layout [n, 2] with std 1e-4 from `seed`.
void randomInit(std::int64_t n, std::uint64_t seed, std::vector<double> *y);

} // namespace tsnedetail
} // namespace labelscope
