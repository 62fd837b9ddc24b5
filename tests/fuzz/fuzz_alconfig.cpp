// Fuzz target: the active-learning YAML config (parseAlConfig); the input is the YAML text.

#include "fuzzutil.h"

#include "ml/alconfig.h"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace labelscope;
    AlConfig config;
    QString error;
    if (parseAlConfig(fuzz::bytesOf(data, size), QStringLiteral("fuzz.yaml"), &config, &error)) {
        const bool sane = config.batchSize > 0 && config.epochs > 0 && config.iterations > 0
            && config.numLabelled > 0 && config.clusters > 0 && config.lr > 0
            && config.initialLabelled >= 0 && (config.limit == -1 || config.limit > 0)
            && std::isfinite(config.lr) && std::isfinite(config.momentum) && std::isfinite(config.weightDecay)
            && std::isfinite(config.pseudoLabelThreshold) && std::isfinite(config.emaDecay)
            && std::isfinite(config.targetAccuracy) && std::isfinite(config.plateauDelta);
        if (!sane) {
            std::fprintf(stderr, "invariant violated: an accepted config out of range\n");
            std::abort();
        }
        (void)config.toJson();
    } else if (error.isEmpty()) {
        std::fprintf(stderr, "invariant violated: refused without a message\n");
        std::abort();
    }
    return 0;
}
