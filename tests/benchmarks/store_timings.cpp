// store_timings: the cost of the store's writes at Fashion-MNIST scale, through the public
// ProjectStore API only (so that the same source builds against an older store for a
// before/after comparison; RESULTS.md, "Session 8: store").
//
//   store_timings DIR [--samples 60000]
//
// Prints one line of figures (ms): import, saveRun E=10 with 64-d embeddings, saveRun E=30,
// one batch of 5,000 decisions, and the median / maximum of 200 single-decision commits.
// Asserts nothing.

#include "base/projectstore.h"
#include "storefixture.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <cstdio>

using namespace labelscope;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: store_timings DIR [--samples N]\n");
        return 1;
    }
    const qsizetype at = args.indexOf(QStringLiteral("--samples"));
    const int n = at > 0 && at + 1 < args.size() ? args[at + 1].toInt() : 60000;
    const QString file = QDir(args[1]).filePath(QStringLiteral("timings.lsproj"));
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QFile::remove(file + suffix);
    const Dataset ds = testing::makeDataset(n, 10);
    const RunRecord run10 = testing::makeRun(n, 10, 64, 1), run30 = testing::makeRun(n, 30, 64, 2);
    ProjectStore store;
    QString error;
    if (!store.open(file, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    QElapsedTimer t;
    auto check = [&](bool ok) {
        if (!ok) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            std::exit(3);
        }
    };
    t.start();
    check(store.importDataset(ds, &error));
    const qint64 importMs = t.elapsed();
    t.start();
    check(store.saveRun(run10, &error) > 0);
    const qint64 run10Ms = t.elapsed();
    t.start();
    check(store.saveRun(run30, &error) > 0);
    const qint64 run30Ms = t.elapsed();
    std::vector<Decision> batch;
    for (int i = 0; i < 5000; ++i)
        batch.push_back({qint64(i * 11 % n) + 1, i % 10, false, QStringLiteral("relabel")});
    t.start();
    check(store.applyDecisions(batch, QStringLiteral("bulk"), &error));
    const qint64 batchMs = t.elapsed();
    std::vector<double> single;
    for (int i = 0; i < 200; ++i) {
        t.start();
        check(store.applyDecisions({{qint64(i + 1), i % 10, false, QStringLiteral("relabel")}},
                                   QStringLiteral("one"), &error));
        single.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(single.begin(), single.end());
    std::printf("%d samples: import %lld ms; saveRun E=10 + 64-d %lld ms; saveRun E=30 + 64-d %lld ms; "
                "5,000 decisions in one batch %lld ms; one decision: median %.2f ms, max %.2f ms\n",
                n, importMs, run10Ms, run30Ms, batchMs, single[single.size() / 2], single.back());
    return 0;
}
