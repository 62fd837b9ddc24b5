#pragma once
// Stratified K-fold assignment for out-of-sample predicted probabilities (as scikit-learn's
// StratifiedKFold with shuffle=True, which cleanlab uses for cross-validated pred_probs): every
// class is spread over the folds as evenly as possible, so each fold's model sees every class.

#include <QString>
#include <QtGlobal>

#include <vector>

namespace labelscope {

/// Assigns each of N samples (given labels [N], values >= 0) to one of `folds` folds, seeded.
/// Per class, the samples are shuffled and dealt round-robin with one cursor carried from class
/// to class, so the folds' sizes differ by at most one, within each class and overall. Returns [N] values in
/// 0..folds-1; empty with *error set when folds < 2, folds > N or a label is negative.
std::vector<int> stratifiedKFold(const std::vector<int> &labels, int folds, quint64 seed,
                                 QString *error = nullptr);

} // namespace labelscope
