#pragma once
// Process-wide settings for LibTorch on the CPU, applied once before training.

namespace labelscope {

/// Sets LibTorch's intra-op thread count (threads > 0, else the measured default: see
/// defaultThreadCount()) and glibc's allocator thresholds. Safe to call repeatedly.
void configureRuntime(int threads);

/// Intra-op threads used when none are requested: all cores, capped (figures in
/// tests/benchmarks/RESULTS.md).
int defaultThreadCount();

} // namespace labelscope
