// The JSON summary of an analysis (AnalysisResult::toJson): the `--json` line of `labelscope
// analyze` and the run summary stored in the project. Torch-free.
#include "analysis.h"

#include <QJsonArray>

#include <cmath>

namespace labelscope {

QJsonObject AnalysisResult::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("run_id")] = runId;
    o[QStringLiteral("samples")] = samples;
    QJsonArray sk;
    for (const auto &s : skipped)
        sk.append(s.toJson());
    o[QStringLiteral("skipped")] = sk;
    o[QStringLiteral("categories")] = QJsonObject{{QStringLiteral("easy"), easy},
                                                  {QStringLiteral("hard"), hard},
                                                  {QStringLiteral("need_review"), needReview}};
    o[QStringLiteral("seconds")] = std::round(seconds * 10.0) / 10.0;
    if (!phaseSeconds.isEmpty()) {
        QJsonObject phases;
        for (auto it = phaseSeconds.cbegin(); it != phaseSeconds.cend(); ++it)
            phases[it.key()] = std::round(it.value() * 10.0) / 10.0;
        o[QStringLiteral("phase_seconds")] = phases;
    }
    if (knnSeconds >= 0.0)
        o[QStringLiteral("knn_seconds")] = std::round(knnSeconds * 100.0) / 100.0;
    o[QStringLiteral("device")] = device;
    o[QStringLiteral("precision")] = precision;
    o[QStringLiteral("model")] = model;
    o[QStringLiteral("epochs")] = epochs;
    if (testAccuracy >= 0)
        o[QStringLiteral("test_accuracy")] = testAccuracy;
    if (noise.available)
        o[QStringLiteral("noise")] = QJsonObject{
            {QStringLiteral("noisy"), noise.noisy},
            {QStringLiteral("auroc"), noise.auroc},
            {QStringLiteral("precision"), noise.precision},
            {QStringLiteral("recall"), noise.recall},
            {QStringLiteral("f1"), noise.f1},
            {QStringLiteral("easy_noise_rate"), noise.easyNoiseRate},
            {QStringLiteral("hard_recall"), noise.hardRecall},
            {QStringLiteral("flagged_recall"), noise.flaggedRecall}};
    o[QStringLiteral("method")] = method;
    if (folds > 0)
        o[QStringLiteral("folds")] = folds;
    if (numLabelIssues >= 0) {
        QJsonObject cl{{QStringLiteral("num_label_issues"), numLabelIssues}};
        QJsonArray joint;
        for (int64_t c : confidentJoint)
            joint.append(qint64(c));
        cl[QStringLiteral("confident_joint")] = joint;
        QJsonArray overlapping;
        for (const OverlappingClasses &pair : overlappingClasses)
            overlapping.append(overlappingClassesToJson(pair));
        cl[QStringLiteral("overlapping_classes")] = overlapping;
        if (noisePosteriorTemperature > 0.0)
            cl[QStringLiteral("noise_posterior_temperature")] = noisePosteriorTemperature;
        if (outOfSampleAgreement >= 0.0)
            cl[QStringLiteral("out_of_sample_agreement")] = outOfSampleAgreement;
        o[QStringLiteral("confident_learning")] = cl;
    }
    if (!backboneFile.isEmpty()) {
        // The window's run summary (ui/runsummary.cpp) reads these names from the stored summary.
        QJsonObject b{{QStringLiteral("name"), backboneName},
                      {QStringLiteral("file"), backboneFile},
                      {QStringLiteral("sha256"), backboneSha256},
                      {QStringLiteral("embedding_dim"), embeddingDim},
                      {QStringLiteral("embeddings_reused"), embeddingsReused},
                      {QStringLiteral("embeddings_extracted"), embeddingsExtracted},
                      {QStringLiteral("extraction_seconds"), std::round(extractionSeconds * 100.0) / 100.0},
                      {QStringLiteral("images_per_second"), std::round(extractionImagesPerSecond * 10.0) / 10.0}};
        if (embeddingsCachedFromRun > 0)
            b[QStringLiteral("reused_from_run")] = embeddingsCachedFromRun;
        o[QStringLiteral("backbone")] = b;
    }
    if (!signals.isEmpty()) {
        QJsonObject sig;
        for (auto it = signals.constBegin(); it != signals.constEnd(); ++it)
            sig[it.key()] = QJsonObject{{QStringLiteral("auroc"), it->auroc},
                                        {QStringLiteral("precision"), it->precision},
                                        {QStringLiteral("recall"), it->recall},
                                        {QStringLiteral("f1"), it->f1}};
        o[QStringLiteral("signals")] = sig;
    }
    if (!health.isEmpty())
        o[QStringLiteral("health")] = health;
    return o;
}

} // namespace labelscope
