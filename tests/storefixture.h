#pragma once
// Test helpers shared by the project-store tests (tests/core/tst_projectstore.cpp,
// tst_storewriter.cpp, tst_storeerrors.cpp, tst_storeintegrity.cpp, tst_fulldisk.cpp): a raw
// SQLite connection beside the store's, a synthetic dataset and a synthetic run.

#include "base/projectlocation.h"
#include "base/projectstore.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <atomic>
#include <cmath>

namespace labelscope::testing {

// A plain connection beside the store's, for inspecting and tampering with a project: an SQLite
// file, or a PostgreSQL project (a URL; its schema on the search path).
class RawProject {
public:
    explicit RawProject(const QString &location)
    {
        static std::atomic<int> counter{0};
        name = QStringLiteral("tst-rawproject-%1").arg(counter++);
        const Result<ProjectLocation> l = ProjectLocation::parse(location);
        QSqlDatabase db = QSqlDatabase::addDatabase(l->isPostgres() ? QStringLiteral("QPSQL") : QStringLiteral("QSQLITE"), name);
        if (l->isPostgres())
            l->configure(db);
        else {
            db.setDatabaseName(location);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        }
        ok = db.open();
        if (ok && l->isPostgres())
            ok = QSqlQuery(db).exec(QStringLiteral("SET search_path TO %1").arg(l->quotedSchema()));
    }
    ~RawProject()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
    QSqlDatabase db() const { return QSqlDatabase::database(name, false); }
    QVariant value(const QString &sql, QString *error = nullptr) const
    {
        QSqlQuery q(db());
        if (!q.exec(sql)) {
            if (error)
                *error = q.lastError().text();
            return QVariant();
        }
        return q.next() ? q.value(0) : QVariant();
    }
    bool exec(const QString &sql, QString *error = nullptr) const
    {
        QSqlQuery q(db());
        const bool r = q.exec(sql);
        if (!r && error)
            *error = q.lastError().text();
        return r;
    }
    bool ok = false;

private:
    QString name;
};

using RawDb = RawProject;

inline Dataset makeDataset(int n, int k)
{
    Dataset ds;
    ds.spec = QStringLiteral("/data/synthetic");
    for (int c = 0; c < k; ++c)
        ds.classes << QStringLiteral("class %1 é").arg(c);
    ds.samples.resize(std::size_t(n));
    for (int i = 0; i < n; ++i) {
        Sample &s = ds.samples[std::size_t(i)];
        switch (i % 3) {
        case 0:
            s.source = QStringLiteral("idx");
            s.path = QStringLiteral("/data/fashion/train-images-idx3-ubyte.gz");
            s.offset = i;
            break;
        case 1:
            s.source = QStringLiteral("folder");
            s.path = QStringLiteral("/data/folder/class %1/ïmg_%2.png").arg(i % k).arg(i);
            break;
        default:
            s.source = QStringLiteral("csv");
            s.path = QStringLiteral("/data/csv/img_%1.jpg").arg(i);
            break;
        }
        s.split = i % 5 == 0 ? QStringLiteral("test") : i % 7 == 0 ? QString() : QStringLiteral("train");
        s.label = i % 11 == 0 ? -1 : (i * 7) % k;
        s.trueLabel = i % 13 == 0 ? -1 : i % k;
    }
    return ds;
}

// A complete run over sample ids 1..n (every field derived from i and SALT).
inline RunRecord makeRun(int n, int epochs, int dim, int salt, const QString &status = QStringLiteral("done"))
{
    RunRecord r;
    r.started = QDateTime::currentDateTimeUtc().addSecs(-60);
    r.finished = QDateTime::currentDateTimeUtc();
    r.status = status;
    r.settings = QJsonObject{{QStringLiteral("epochs"), epochs}, {QStringLiteral("salt"), salt},
                             {QStringLiteral("model"), QStringLiteral("resnet-ish")}};
    r.summary = QJsonObject{{QStringLiteral("accuracy"), 0.875}, {QStringLiteral("n"), n}};
    r.scores.resize(std::size_t(n));
    r.dynamics.epochs = epochs;
    r.dynamics.sampleIds.resize(std::size_t(n));
    const std::size_t ne = std::size_t(n) * std::size_t(epochs);
    r.dynamics.sigma.resize(ne);
    r.dynamics.probGiven.resize(ne);
    r.dynamics.margin.resize(ne);
    r.dynamics.predicted.resize(ne);
    r.embeddingDim = dim;
    if (dim > 0) {
        r.embeddingIds.resize(std::size_t(n));
        r.embeddings.resize(std::size_t(n) * std::size_t(dim));
    }
    for (int i = 0; i < n; ++i) {
        SampleScore &s = r.scores[std::size_t(i)];
        s.sampleId = i + 1;
        s.noiseScore = float((i * 37 + salt) % 1000) / 1000.f;
        s.category = Category((i + salt) % 4 - 1);
        s.sigma = 1.f + float(i % 17) * 0.125f + float(salt) * 1e-3f;
        s.meanProb = float(i % 100) / 99.f;
        s.stdProb = float(i % 9) / 30.f;
        s.meanMargin = float(i % 21) - 10.5f;
        s.predLabel = (i + salt) % 10;
        s.predProb = 0.1f + float(i % 90) / 100.f;
        r.dynamics.sampleIds[std::size_t(i)] = i + 1;
        for (int e = 0; e < epochs; ++e) {
            const std::size_t at = std::size_t(i) * std::size_t(epochs) + std::size_t(e);
            r.dynamics.sigma[at] = 1.f + float(e) / float(epochs) + float(i % 5) * 0.01f;
            r.dynamics.probGiven[at] = std::fmod(float(i + e * 3 + salt) * 0.0137f, 1.f);
            r.dynamics.margin[at] = float(e) - float(i % 7) * 0.5f;
            r.dynamics.predicted[at] = qint16((i + e) % 10);
        }
        if (dim > 0) {
            r.embeddingIds[std::size_t(i)] = i + 1;
            for (int j = 0; j < dim; ++j)
                r.embeddings[std::size_t(i) * std::size_t(dim) + std::size_t(j)] =
                    std::sin(float(i) * 0.01f + float(j)) + float(salt);
        }
    }
    return r;
}

} // namespace labelscope::testing
