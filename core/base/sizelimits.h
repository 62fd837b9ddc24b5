#pragma once
// Caps on sizes that a file's numbers would otherwise choose: a header, a shape or a count of
// distinct labels decides how much a reader or an algorithm allocates, so each such number is
// checked against one of these before anything is allocated, and refused with an error that
// names the file, the place and the cap. The readers also check every declared size against
// the bytes actually present (see dataset.h, npy.h, labelfiles.h).

namespace labelscope {

/// The most classes a dataset (CSV manifest, ImageFolder), a `pred_probs` [N, K] or a
/// Confident Learning call may have. find_label_issues keeps seven K×K arrays of 8-byte
/// entries (940 MB at this cap), the networks a K-wide head; ImageNet-1k (1,000 classes) fits.
constexpr int kMaxClasses = 4096;

/// The widest t-SNE input [N, D] computeTsne accepts. Nothing it allocates grows with D² (wide
/// inputs take the PCA through the N×N Gram matrix or a randomised range finder), but the kNN's
/// distance products grow with N·D: wider inputs should be reduced first.
constexpr long long kMaxTsneDims = 1 << 20;

} // namespace labelscope
