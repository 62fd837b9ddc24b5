#pragma once
// Shared fixture of the GUI tests: a small project made by hand — tiny PNG images written with
// QImage, a Dataset whose samples point at them (source "folder"), imported into a
// ProjectStore, plus one finished run with scores, categories and trajectories.

#include "base/projectstore.h"

#include <QDir>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace labelscope::testing {

struct FixtureSample {
    int label;
    float noise;
    Category category;
    int predLabel;
};

/// The six samples (ids 1..6), by noise descending: 2, 4, 3, 6, 5, 1.
inline std::vector<FixtureSample> fixtureSamples()
{
    return {
        {0, 0.10f, Category::Easy, 0},       // id 1
        {1, 0.90f, Category::Hard, 2},       // id 2
        {2, 0.50f, Category::NeedReview, 2}, // id 3
        {0, 0.80f, Category::Hard, 1},       // id 4
        {1, 0.20f, Category::Easy, 1},       // id 5
        {2, 0.45f, Category::NeedReview, 0}, // id 6
    };
}

inline QStringList fixtureClasses()
{
    return {QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("bird, small")};
}

/// Writes `count` images (cycling through the fixture labels) into DIR and creates DIR/project.db.
/// With `count` > 6 the scores repeat the six-sample pattern. `testCount` more samples of the
/// "test" split follow (ids count+1..), unscored like a real run leaves them. Returns the
/// project file or "".
inline QString makeFixtureProject(const QString &dir, QString *error, int count = 6, bool withRun = true,
                                  int testCount = 0)
{
    const std::vector<FixtureSample> pattern = fixtureSamples();
    Dataset ds;
    ds.spec = dir;
    ds.classes = fixtureClasses();
    ds.channels = 3;
    ds.height = 10;
    ds.width = 12;
    const int distinctImages = std::min(count, 12);
    for (int i = 0; i < distinctImages; ++i) {
        QImage img(12, 10, QImage::Format_RGB888);
        img.fill(QColor::fromHsv((i * 47) % 360, 200, 220));
        for (int x = 0; x < 12; ++x)
            img.setPixelColor(x, i % 10, Qt::black);
        if (!img.save(QDir(dir).filePath(QStringLiteral("img_%1.png").arg(i)))) {
            *error = QStringLiteral("cannot write fixture image");
            return {};
        }
    }
    for (int i = 0; i < count + testCount; ++i) {
        Sample s;
        s.source = QStringLiteral("folder");
        s.path = QDir(dir).filePath(QStringLiteral("img_%1.png").arg(i % distinctImages));
        s.split = i < count ? QStringLiteral("train") : QStringLiteral("test");
        s.label = pattern[std::size_t(i % 6)].label;
        s.trueLabel = s.label;
        ds.samples.push_back(s);
    }
    ds.pixels.assign(std::size_t(count + testCount) * ds.imageBytes(), 0);

    const QString file = QDir(dir).filePath(QStringLiteral("project.db"));
    ProjectStore store;
    if (!store.open(file, error) || !store.importDataset(ds, error))
        return {};
    if (!withRun)
        return file;
    RunRecord run;
    run.started = QDateTime::currentDateTimeUtc().addSecs(-60);
    run.finished = QDateTime::currentDateTimeUtc();
    run.status = QStringLiteral("done");
    run.settings.insert(QStringLiteral("epochs"), 3);
    const std::vector<SampleRow> rows = store.samples();
    const int epochs = 3;
    run.dynamics.epochs = epochs;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].sample.split == QLatin1String("test"))
            continue; // an analysis scores the training split only
        const FixtureSample &f = pattern[i % 6];
        SampleScore sc;
        sc.sampleId = rows[i].id;
        sc.noiseScore = f.noise;
        sc.category = f.category;
        sc.sigma = 1.f + f.noise;
        sc.meanProb = 1.f - f.noise;
        sc.predLabel = f.predLabel;
        sc.predProb = 0.7f;
        run.scores.push_back(sc);
        run.dynamics.sampleIds.push_back(rows[i].id);
        for (int e = 0; e < epochs; ++e) {
            run.dynamics.sigma.push_back(1.f + f.noise * float(e) / 2.f);
            run.dynamics.probGiven.push_back(1.f - f.noise * float(e) / 2.f);
            run.dynamics.margin.push_back(0.5f - f.noise);
            run.dynamics.predicted.push_back(qint16(f.predLabel));
        }
    }
    if (store.saveRun(run, error) <= 0)
        return {};
    return file;
}

/// Confident Learning fields of the six-sample pattern (ids 1..6): suggested label, its
/// probability, and whether find_label_issues flagged the sample.
struct FixtureSuggestion {
    int suggested;
    float prob;
    bool issue;
};

inline std::vector<FixtureSuggestion> fixtureSuggestions()
{
    return {
        {0, 0.90f, false}, // id 1: given 0
        {2, 0.80f, true},  // id 2: given 1
        {2, 0.70f, false}, // id 3: given 2
        {1, 0.85f, true},  // id 4: given 0
        {1, 0.95f, false}, // id 5: given 1
        {0, 0.60f, true},  // id 6: given 2
    };
}

/// The confident joint (3 × 3, row-major, given × likely true) stored with fixtureSuggestions().
inline std::vector<qint64> fixtureConfidentJoint() { return {4, 2, 0, 0, 3, 1, 1, 0, 5}; }

/// Adds a second finished run to the project FILE (made by makeFixtureProject) whose scores also
/// carry the Confident Learning fields of fixtureSuggestions() (pattern repeated over the train
/// samples). With `summaryJoint` the run summary holds confident_learning.confident_joint =
/// fixtureConfidentJoint() and num_label_issues; otherwise only out-of-sample pred_probs are
/// stored (the suggested class gets the stated probability, the rest is spread evenly). With
/// `predFitsGiven` the in-sample prediction (predLabel) is every sample's given label, as models
/// that have fitted the wrong labels give.
/// Returns the run id, or 0 with *error.
inline qint64 addConfidentLearningRun(const QString &file, QString *error, bool summaryJoint = true,
                                      bool predFitsGiven = false)
{
    ProjectStore store;
    if (!store.open(file, error))
        return 0;
    const std::vector<FixtureSample> pattern = fixtureSamples();
    const std::vector<FixtureSuggestion> cl = fixtureSuggestions();
    const int k = int(store.classes().size());
    RunRecord run;
    run.started = QDateTime::currentDateTimeUtc().addSecs(-30);
    run.finished = QDateTime::currentDateTimeUtc();
    run.status = QStringLiteral("done");
    run.settings.insert(QStringLiteral("method"), QStringLiteral("all"));
    const std::vector<SampleRow> rows = store.samples();
    qint64 issues = 0;
    run.predProbs.numClasses = k;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].sample.split == QLatin1String("test"))
            continue;
        const FixtureSample &f = pattern[i % 6];
        const FixtureSuggestion &c = cl[i % 6];
        SampleScore sc;
        sc.sampleId = rows[i].id;
        sc.noiseScore = f.noise;
        sc.category = f.category;
        sc.predLabel = predFitsGiven ? rows[i].givenLabel : f.predLabel;
        sc.predProb = 0.7f;
        sc.dpScore = f.noise;
        sc.clScore = 1.f - (c.suggested == rows[i].givenLabel ? c.prob : (1.f - c.prob) / float(k - 1));
        sc.clIssue = c.issue;
        sc.suggestedLabel = c.suggested;
        sc.suggestedProb = c.prob;
        issues += c.issue ? 1 : 0;
        run.scores.push_back(sc);
        run.predProbs.sampleIds.push_back(rows[i].id);
        run.predProbs.folds.push_back(int(i % 4));
        for (int j = 0; j < k; ++j)
            run.predProbs.probs.push_back(j == c.suggested ? c.prob : (1.f - c.prob) / float(k - 1));
    }
    if (summaryJoint) {
        QJsonArray joint;
        for (qint64 v : fixtureConfidentJoint())
            joint.append(v);
        run.summary.insert(QStringLiteral("confident_learning"),
                           QJsonObject{{QStringLiteral("confident_joint"), joint},
                                       {QStringLiteral("num_label_issues"), issues}});
    }
    return store.saveRun(run, error);
}

} // namespace labelscope::testing
