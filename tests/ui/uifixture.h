#pragma once
// Shared fixture of the GUI tests: a small project made by hand — tiny PNG images written with
// QImage, a Dataset whose samples point at them (source "folder"), imported into a
// ProjectStore, plus one finished run with scores, categories and trajectories.

#include "base/projectstore.h"

#include <QDir>
#include <QImage>
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

} // namespace labelscope::testing
