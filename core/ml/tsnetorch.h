#pragma once
// Private to core/ml (tsne.cpp and tsnetorch.cpp): the t-SNE optimisation loop on a LibTorch
// device (GPU path of computeTsne). Torch-free; ui/ has no reason to include it (use tsne.h).

#include "tsne.h"

#include <QString>

#include <atomic>
#include <vector>

namespace labelscope {

/// The FFT-interpolation grid for a layout whose coordinates span [lo, hi] on both axes, shared
/// by the FFTW and the LibTorch paths: boxes of `boxWidth` (narrower when that gives fewer than
/// 50 boxes a side, as openTSNE / FIt-SNE), grown until 2 · boxes · nodes is a fast FFT size
/// (only factors 2, 3, 5, 7).
struct TsneGrid {
    int boxes = 0;         ///< boxes per side
    double boxWidth = 0.0; ///< the width used, layout units
};
TsneGrid tsneInterpolationGrid(double lo, double hi, double boxWidth, int nodes);

/// Resolves TsneParams::device into the LibTorch device the optimiser runs on:
/// Cpu → empty (the FFTW path in tsne.cpp), TorchCpu → "cpu", Cuda → "cuda" (false with a clear
/// `error` when this LibTorch has no CUDA or no GPU is visible), Auto → "cuda" when
/// torch::cuda::is_available(), else empty.
bool tsneResolveDevice(TsneDevice requested, QString *torchDevice, QString *error);

/// computeTsne's optimisation loop on `torchDevice` ("cpu" or "cuda"): the same steps as the
/// FFTW path (exaggeration phase, momentum 0.5 → 0.8, gains, re-centring, FFT-interpolated
/// repulsion on the same grid; exact sums below 64 rows), float32 on the device. `y0` is the
/// initial layout [n, 2] (double, host). Fills result->layout, klDivergence, iterations,
/// cancelled and error (cancel is polled every iteration; torch errors such as out-of-memory come
/// back as error text, never as throws). `info` carries n and the iteration total for progress.
void tsneTorchOptimise(const TsneAffinities &p, const std::vector<double> &y0, const TsneParams &params,
                       double learningRate, const QString &torchDevice, const std::atomic_bool &cancel,
                       const TsneProgressCallback &progress, TsneProgress info, TsneResult *result);

} // namespace labelscope
