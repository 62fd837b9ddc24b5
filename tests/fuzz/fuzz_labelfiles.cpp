// Fuzz target: the find-issues inputs (readLabelsFile, readPredProbsFile), CSV and .npy.
// Input: byte 0 = flags (bit 0: pred_probs, else labels; bit 1: a .npy file, else .csv); the rest
// is the file.

#include "fuzzutil.h"

#include "base/labelfiles.h"

namespace {

void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace labelscope;
    if (size < 1)
        return 0;
    const uint8_t flags = data[0];
    const QString file = fuzz::writeFile(flags & 2 ? QStringLiteral("input.npy") : QStringLiteral("input.csv"),
                                         fuzz::bytesOf(data + 1, size - 1));
    QString error;
    if (flags & 1) {
        std::vector<double> probs;
        int rows = -1, columns = -1;
        if (readPredProbsFile(file, &probs, &rows, &columns, &error)) {
            check(rows >= 0 && columns >= 0, "non-negative shape");
            check(probs.size() == size_t(rows) * size_t(columns), "values fill the shape");
            for (double p : probs)
                check(p >= 0.0 && p <= 1.0, "probabilities in [0, 1]");
        } else {
            check(!error.isEmpty(), "refused without a message");
        }
    } else {
        std::vector<int> labels;
        if (readLabelsFile(file, &labels, &error)) {
            for (int l : labels)
                check(l >= 0, "labels >= 0");
        } else {
            check(!error.isEmpty(), "refused without a message");
        }
    }
    return 0;
}
