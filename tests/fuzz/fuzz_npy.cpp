// Fuzz target: the .npy parser (parseNpy); the input is the file.

#include "fuzzutil.h"

#include "base/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace labelscope;
    NpyArray a;
    QString error;
    if (parseNpy(fuzz::bytesOf(data, size), QStringLiteral("fuzz.npy"), &a, &error)) {
        const size_t n = a.isInteger() ? a.ints.size() : a.doubles.size();
        if (int64_t(n) != a.size() || (a.isInteger() && !a.doubles.empty())) {
            std::fprintf(stderr, "invariant violated: %zu values for a shape of %lld\n", n,
                         static_cast<long long>(a.size()));
            std::abort();
        }
    } else if (error.isEmpty()) {
        std::fprintf(stderr, "invariant violated: refused without a message\n");
        std::abort();
    }
    return 0;
}
