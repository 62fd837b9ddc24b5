// The analysis end to end: a real run on a Fashion-MNIST subset with injected noise, and the RGB
// (ResNet-style) path on an ImageFolder.
#include "base/projectstore.h"
#include "jobs/jobrunner.h"
#include "ml/analysis.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <random>

using namespace labelscope;

namespace {
const QString kFashion = QStringLiteral("/usr/share/datasets/fashion-mnist");

// The job on this thread, never cancelled.
Result<AnalysisResult> analyse(const AnalysisParams &params)
{
    JobContext context(QStringLiteral("analysis"), nullptr);
    return runAnalysis(params, context);
}
} // namespace

class TestAnalysis final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFileInfo::exists(kFashion + QStringLiteral("/train-images-idx3-ubyte.gz")))
            QSKIP("dataset-fashion-mnist is not installed");
    }


    void endToEndRanksInjectedNoise()
    {
        QTemporaryDir dir;
        AnalysisParams params;
        params.dataSpec = QStringLiteral("fashion-mnist");
        params.projectFile = dir.filePath(QStringLiteral("e2e.lsproj"));
        params.limit = 3000;
        params.epochs = 8;
        params.injectNoise = 0.2;
        params.seed = 3;
        std::map<int, std::pair<std::set<qint64>, std::set<qint64>>> models; // fold → (trained, predicted)
        params.foldObserver = [&](int fold, const std::vector<qint64> &trained, const std::vector<qint64> &predicted) {
            models[fold] = {std::set<qint64>(trained.begin(), trained.end()),
                            std::set<qint64>(predicted.begin(), predicted.end())};
        };
        const Result<AnalysisResult> analysed = analyse(params);
        QVERIFY2(analysed, qPrintable(analysed.error()));
        const AnalysisResult &result = analysed.value();
        qInfo("AUROC %.4f precision %.3f recall %.3f F1 %.3f easy noise %.4f test accuracy %.3f in %.1f s",
              result.noise.auroc, result.noise.precision, result.noise.recall, result.noise.f1,
              result.noise.easyNoiseRate, result.testAccuracy, result.seconds);
        QCOMPARE(result.samples, qint64(3000));
        QVERIFY(result.noise.available);
        QCOMPARE(result.noise.noisy, qint64(600));
        QVERIFY2(result.noise.auroc > 0.95, qPrintable(QString::number(result.noise.auroc)));
        QVERIFY(result.noise.recall > 0.7);
        QVERIFY(result.noise.easyNoiseRate < 0.05); // 20% before the analysis
        QVERIFY(result.testAccuracy > 0.7);
        QCOMPARE(result.easy + result.hard + result.needReview, qint64(3000));
        // Phase times: every phase of this run, training the largest, together the whole run.
        double phaseSum = 0.0;
        for (const QString &phase : {QStringLiteral("loading"), QStringLiteral("training"), QStringLiteral("scoring"),
                                     QStringLiteral("layouts"), QStringLiteral("saving"), QStringLiteral("health checks")}) {
            QVERIFY2(result.phaseSeconds.contains(phase), qPrintable(phase));
            phaseSum += result.phaseSeconds.value(phase);
        }
        QVERIFY(result.phaseSeconds.value(QStringLiteral("training")) > result.phaseSeconds.value(QStringLiteral("scoring")));
        QVERIFY(std::abs(phaseSum - result.seconds) < 0.05);
        QVERIFY(result.toJson().value(QStringLiteral("phase_seconds")).toObject().contains(QStringLiteral("training")));

        ProjectStore store;
        QVERIFY(store.open(params.projectFile));
        const auto run = store.latestRun();
        QVERIFY(run.has_value());
        QCOMPARE(run->id, result.runId);
        // Dataset health ran after the run was saved, with outlier scores from its embeddings.
        const auto health = store.latestHealth(false);
        QVERIFY2(health.has_value(), qPrintable(result.health.value(QStringLiteral("error")).toString()));
        QCOMPARE(health->runId, run->id);
        QVERIFY(result.health.value(QStringLiteral("issues")).toObject().contains(QStringLiteral("outlier")));
        const auto scores = store.scores(run->id);
        QCOMPARE(scores.size(), std::size_t(3000));
        const auto traj = store.trajectory(run->id, scores.front().sampleId);
        QVERIFY(traj.has_value());
        QCOMPARE(traj->sigma.size(), std::size_t(8));
        QCOMPARE(traj->probGiven.size(), std::size_t(8));

        // K-fold bookkeeping: 4 models; none predicted a sample it trained on; each sample was
        // predicted by exactly one model, the one whose fold the project stores for it, and
        // trained on by the other three.
        QCOMPARE(models.size(), std::size_t(4));
        OutOfSamplePredProbs oos;
        QVERIFY(store.outOfSamplePredProbs(run->id, &oos));
        QCOMPARE(oos.sampleIds.size(), std::size_t(3000));
        QCOMPARE(oos.numClasses, 10);
        std::map<qint64, int> predictedBy;
        for (const auto &[fold, sets] : models) {
            for (qint64 id : sets.second) {
                QVERIFY2(!sets.first.count(id), qPrintable(QStringLiteral("model %1 trained on and predicted %2").arg(fold).arg(id)));
                QVERIFY(!predictedBy.count(id));
                predictedBy[id] = fold;
            }
            QCOMPARE(sets.first.size() + sets.second.size(), std::size_t(3000));
        }
        for (std::size_t i = 0; i < oos.sampleIds.size(); ++i) {
            QCOMPARE(predictedBy.at(oos.sampleIds[i]), oos.folds[i]);
            double rowSum = 0;
            for (int k = 0; k < oos.numClasses; ++k)
                rowSum += oos.probs[i * 10 + std::size_t(k)];
            QVERIFY(std::abs(rowSum - 1.0) < 1e-3);
        }
        // Both signals were measured and the suggested label of a wrongly labelled sample that
        // was flagged is mostly its true label.
        QVERIFY(result.signals.contains(QStringLiteral("data_parameters")));
        QVERIFY(result.signals.contains(QStringLiteral("confident_learning")));
        QVERIFY(result.numLabelIssues > 300 && result.numLabelIssues < 1500);
        const auto rows = store.samples();
        std::map<qint64, int> truth;
        for (const auto &r : rows)
            truth[r.id] = r.sample.trueLabel;
        int flaggedWrong = 0, suggestedRight = 0;
        for (const auto &s : scores) {
            QVERIFY(!std::isnan(s.dpScore) && !std::isnan(s.clScore));
            QVERIFY(s.suggestedLabel >= 0 && s.suggestedLabel < 10);
            if (s.category == Category::Hard && s.predLabel >= 0) {
                const auto row = store.sample(s.sampleId);
                if (row && row->label != truth[s.sampleId]) {
                    ++flaggedWrong;
                    suggestedRight += s.suggestedLabel == truth[s.sampleId];
                }
            }
        }
        QVERIFY(flaggedWrong > 200);
        QVERIFY2(suggestedRight > 0.7 * flaggedWrong, qPrintable(QStringLiteral("%1 of %2").arg(suggestedRight).arg(flaggedWrong)));
        std::vector<qint64> ids;
        std::vector<float> emb;
        int dim = 0;
        QVERIFY(store.embeddings(run->id, &ids, &emb, &dim));
        QCOMPARE(ids.size(), std::size_t(3000));
        QCOMPARE(dim, 128);
        QCOMPARE(run->summary.value(QStringLiteral("samples")).toInt(), 3000);

        // Hard samples carry a higher noise score than easy ones.
        double hardSum = 0, easySum = 0;
        for (const auto &s : scores) {
            if (s.category == Category::Hard)
                hardSum += s.noiseScore;
            else if (s.category == Category::Easy)
                easySum += s.noiseScore;
        }
        QVERIFY(hardSum / std::max<qint64>(1, result.hard) > easySum / std::max<qint64>(1, result.easy));

        // Re-analysing the project uses its current labels (and refuses another dataset).
        params.dataSpec = QStringLiteral("mnist");
        const Result<AnalysisResult> again = analyse(params);
        QVERIFY(!again);
        QVERIFY2(again.error().contains(QStringLiteral("fashion-mnist")), qPrintable(again.error()));
    }

    // Fold models trained side by side (two workers, one thread each) give the same result for
    // a seed every time, whichever worker finishes first — and exactly the result of training the
    // folds one after another with one thread each, since every fold then runs the same
    // single-threaded arithmetic and the folds are summed in fold order. (With another thread
    // count the convolutions sum in another order and training drifts apart: not promised.)
    void colourImageFolder()
    {
        QTemporaryDir dir;
        std::mt19937 rng(5);
        std::normal_distribution<float> jitter(0.f, 20.f);
        const char *classes[] = {"red", "blue", "green"};
        for (int c = 0; c < 3; ++c) {
            QDir(dir.path()).mkpath(QStringLiteral("data/%1").arg(QLatin1String(classes[c])));
            for (int i = 0; i < 40; ++i) {
                cv::Mat img(40, 48, CV_8UC3, cv::Scalar(0, 0, 0));
                cv::Vec3b colour(c == 1 ? 200 : 30, c == 2 ? 200 : 30, c == 0 ? 200 : 30); // BGR
                for (int y = 0; y < img.rows; ++y)
                    for (int x = 0; x < img.cols; ++x)
                        for (int k = 0; k < 3; ++k)
                            img.at<cv::Vec3b>(y, x)[k] = cv::saturate_cast<uchar>(colour[k] + jitter(rng));
                cv::imwrite(QStringLiteral("%1/data/%2/%3.png").arg(dir.path(), QLatin1String(classes[c])).arg(i).toStdString(), img);
            }
        }
        AnalysisParams params;
        params.dataSpec = dir.filePath(QStringLiteral("data"));
        params.projectFile = dir.filePath(QStringLiteral("colour.lsproj"));
        params.epochs = 3;
        params.imageSize = 16;
        const Result<AnalysisResult> run = analyse(params);
        QVERIFY2(run, qPrintable(run.error()));
        const AnalysisResult &result = run.value();
        QCOMPARE(result.samples, qint64(120));
        QVERIFY(!result.noise.available || result.noise.noisy == 0);
        ProjectStore store;
        QVERIFY(store.open(params.projectFile));
        QCOMPARE(store.classes(), (QStringList{QStringLiteral("blue"), QStringLiteral("green"), QStringLiteral("red")}));
        QCOMPARE(store.scores(result.runId).size(), std::size_t(120));
    }
};

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
