// Bulk relabel through ProjectStore::applyDecisions at Fashion-MNIST scale: a project of N
// samples (default 60,000, 10 classes), then R (default 7) batches of B decisions (default
// 10,000; distinct samples, every 6th one a repeat, labels cycling), each in one call.
// Prints the median, min and max milliseconds of the calls. Asserts nothing.
//
//   build/tests/bulk_relabel DIR [--samples N] [--batch B] [--repeats R]

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
        std::fprintf(stderr, "usage: bulk_relabel DIR [--samples N] [--batch B] [--repeats R]\n");
        return 1;
    }
    auto option = [&](const char *name, int fallback) {
        const qsizetype at = args.indexOf(QLatin1String(name));
        return at > 0 && at + 1 < args.size() ? args[at + 1].toInt() : fallback;
    };
    const int n = option("--samples", 60000), b = option("--batch", 10000), repeats = option("--repeats", 7);
    const QString file = QDir(args[1]).filePath(QStringLiteral("bulk.lsproj"));
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QFile::remove(file + suffix);
    ProjectStore store;
    QString error;
    if (!store.open(file, &error) || !store.importDataset(testing::makeDataset(n, 10), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
        std::vector<Decision> batch;
        batch.reserve(std::size_t(b));
        for (int i = 0; i < b; ++i) {
            const qint64 id = i % 6 == 5 ? qint64((i - 1) * 7 % n) + 1 : qint64(i * 7 % n) + 1;
            batch.push_back({id, (i + r) % 10, false, QStringLiteral("relabel")});
        }
        QElapsedTimer t;
        t.start();
        if (!store.applyDecisions(batch, QStringLiteral("bulk"), &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 3;
        }
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%d samples, %d decisions per call, %d calls: median %.0f ms, min %.0f ms, max %.0f ms\n", n, b,
                repeats, ms[ms.size() / 2], ms.front(), ms.back());
    return 0;
}
