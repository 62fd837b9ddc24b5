#pragma once
// Reading the inputs of `labelscope find-issues`: given labels and predicted probabilities from
// NumPy .npy files (see npy.h) or CSV text. Every problem is refused with the file and the line
// (CSV) or byte offset (.npy).

#include <QString>

#include <vector>

namespace labelscope {

/// Labels [N]: a .npy of any integer dtype and shape [N] (or [N, 1]), or a CSV / text file with
/// one integer per line (an optional first line that is not a number, e.g. "label", is a header;
/// with several columns the first is used). Values must be in 0 .. kMaxClasses - 1 (sizelimits.h).
/// False with *error on problems; a FIFO, socket or device is refused before it is opened.
bool readLabelsFile(const QString &path, std::vector<int> *labels, QString *error);

/// pred_probs [N, K] row-major: a .npy of float32 or float64, shape [N, K], C order; or a CSV
/// with K numbers per line (optional non-numeric header). False with *error on problems
/// (ragged rows, non-numbers, NaN, a value outside [0, 1], K > kMaxClasses, K > N: more
/// classes than samples, almost always an array saved transposed; a special file).
bool readPredProbsFile(const QString &path, std::vector<double> *probs, int *rows, int *columns,
                       QString *error);

} // namespace labelscope
