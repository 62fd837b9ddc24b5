// The dataset-health job (core/health/healthchecks.h) end to end on a CSV manifest of image
// files: Fashion-MNIST garments in train and test, an exact copy across the splits (leakage), a
// JPEG copy, an all-black and an all-white image, 1×1, 16-bit and RGBA PNGs, a header claiming
// 60000×60000, and files that vanish or break after loading (skipped and listed, never a crash);
// class balance, the JSON summary, thread-count independence, progress and cancel.

#include "healthtestutil.h"
#include "health/healthchecks.h"

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

using namespace labelscope;
using namespace healthtest;

namespace {

QByteArray hugeClaimPng()
{
    std::vector<uchar> buf;
    cv::imencode(".png", cv::Mat(6, 6, CV_8UC1, cv::Scalar(7)), buf);
    QByteArray png(reinterpret_cast<const char *>(buf.data()), qsizetype(buf.size()));
    png[16] = 0, png[17] = 0, png[18] = char(0xea), png[19] = char(0x60); // width 60000
    png[20] = 0, png[21] = 0, png[22] = char(0xea), png[23] = char(0x60); // height 60000
    return png;
}

int indexOf(const Dataset &d, const QString &fileName)
{
    for (std::size_t i = 0; i < d.samples.size(); ++i)
        if (d.samples[i].path.endsWith(QLatin1Char('/') + fileName))
            return int(i);
    return -1;
}

} // namespace

class TestHealthChecks final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    Dataset m_dataset;

    QString path(const QString &name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        std::vector<int> labels;
        const std::vector<cv::Mat> fashion = fashionImages(90, &labels);
        if (fashion.size() < 90)
            QSKIP("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
        QVERIFY(m_dir.isValid());
        const QStringList classes = fashionMnistClasses();
        QString csv = QStringLiteral("path,label,split\n");
        auto write = [&](const QString &name, const cv::Mat &m, int label, const char *split) {
            QVERIFY(cv::imwrite(path(name).toStdString(), m));
            csv += QStringLiteral("%1,%2,%3\n").arg(name, classes[label], QLatin1String(split));
        };
        for (int i = 0; i < 90; ++i)
            write(QStringLiteral("g%1.png").arg(i), fashion[std::size_t(i)], labels[std::size_t(i)], i < 70 ? "train" : "test");
        write(QStringLiteral("leak.png"), fashion[0], labels[0], "test");
        write(QStringLiteral("copy.jpg"), jpegCopy(fashion[1], 75), labels[1], "train");
        write(QStringLiteral("black.png"), cv::Mat(28, 28, CV_8U, cv::Scalar(0)), 0, "train");
        write(QStringLiteral("white.png"), cv::Mat(28, 28, CV_8U, cv::Scalar(255)), 0, "train");
        write(QStringLiteral("one.png"), cv::Mat(1, 1, CV_8U, cv::Scalar(200)), 0, "train");
        cv::Mat deep(28, 28, CV_16U);
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                deep.at<quint16>(y, x) = quint16(x * 2000 + y * 300);
        write(QStringLiteral("deep.png"), deep, 1, "train");
        cv::Mat rgba(28, 40, CV_8UC4, cv::Scalar(30, 120, 200, 128));
        cv::circle(rgba, cv::Point(20, 14), 8, cv::Scalar(250, 250, 20, 255), cv::FILLED);
        write(QStringLiteral("rgba.png"), rgba, 1, "train");
        write(QStringLiteral("vanishing.png"), fashion[2], labels[2], "train");
        write(QStringLiteral("breaking.png"), fashion[3], labels[3], "train");
        QFile huge(path(QStringLiteral("huge.png")));
        QVERIFY(huge.open(QIODevice::WriteOnly) && huge.write(hugeClaimPng()) > 0);
        huge.close();
        csv += QStringLiteral("huge.png,%1,train\n").arg(classes[0]);
        QFile manifest(path(QStringLiteral("data.csv")));
        QVERIFY(manifest.open(QIODevice::WriteOnly) && manifest.write(csv.toUtf8()) > 0);
        manifest.close();

        const LoadResult loaded = loadDataset(path(QStringLiteral("data.csv")));
        QVERIFY2(loaded.ok(), qPrintable(loaded.error));
        m_dataset = loaded.dataset;
        QCOMPARE(int(m_dataset.samples.size()), 90 + 9); // huge.png refused by the reader
        QVERIFY(std::any_of(m_dataset.skipped.begin(), m_dataset.skipped.end(),
                            [](const SkippedItem &s) { return s.file.endsWith(QLatin1String("huge.png")); }));
        // After loading: one file disappears, another turns into a header claiming 60000×60000.
        QVERIFY(QFile::remove(path(QStringLiteral("vanishing.png"))));
        QFile breaking(path(QStringLiteral("breaking.png")));
        QVERIFY(breaking.open(QIODevice::WriteOnly | QIODevice::Truncate) && breaking.write(hugeClaimPng()) > 0);
    }

    void reportOnOddFiles()
    {
        std::atomic_bool cancel{false};
        QStringList stages;
        JobContext context(QStringLiteral("health checks"), &cancel, [&](const JobProgress &p) {
            if (stages.isEmpty() || stages.last() != p.stage)
                stages << p.stage;
        });
        const Result<HealthReport> r = runHealthChecks(m_dataset, HealthOptions(), context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        const HealthReport &report = r.value();
        const int n = int(m_dataset.samples.size());
        QCOMPARE(report.samples, std::int64_t(n));
        QCOMPARE(stages, (QStringList{QStringLiteral("reading images"), QStringLiteral("image properties"),
                                      QStringLiteral("exact duplicates"), QStringLiteral("near duplicates")}));

        // Skipped and listed with the file and the reason; everything else measured.
        QCOMPARE(int(report.skipped.size()), 2);
        QCOMPARE(report.skipped[0].sample, indexOf(m_dataset, QStringLiteral("vanishing.png")));
        QVERIFY(report.skipped[0].item.reason.contains(QLatin1String("not found")));
        QCOMPARE(report.skipped[1].sample, indexOf(m_dataset, QStringLiteral("breaking.png")));
        QVERIFY2(report.skipped[1].item.reason.contains(QLatin1String("60000x60000")), qPrintable(report.skipped[1].item.reason));
        QCOMPARE(int(std::count(report.measured.begin(), report.measured.end(), 1)), n - 2);
        for (const char *odd : {"one.png", "deep.png", "rgba.png"})
            QVERIFY(report.measured[std::size_t(indexOf(m_dataset, QLatin1String(odd)))]);
        for (int t = 0; t < kIssueTypeCount; ++t)
            if (report.columns[std::size_t(t)].computed)
                QCOMPARE(report.columns[std::size_t(t)].score[std::size_t(report.skipped[0].sample)], 1.0f);

        const int black = indexOf(m_dataset, QStringLiteral("black.png")), white = indexOf(m_dataset, QStringLiteral("white.png"));
        QVERIFY(report.column(IssueType::Dark).flag[std::size_t(black)]);
        QVERIFY(report.column(IssueType::Light).flag[std::size_t(white)]);
        QVERIFY(report.column(IssueType::LowInformation).flag[std::size_t(black)]);
        QVERIFY(report.column(IssueType::OddSize).flag[std::size_t(indexOf(m_dataset, QStringLiteral("one.png")))]);
        QVERIFY(!report.column(IssueType::Grayscale).flag[std::size_t(black)]); // a grey dataset

        // The exact copy across the splits is a leaking exact set; the JPEG copy a near set.
        const int g0 = indexOf(m_dataset, QStringLiteral("g0.png")), leak = indexOf(m_dataset, QStringLiteral("leak.png"));
        QCOMPARE(int(report.exactSets.size()), 1);
        QCOMPARE(report.exactSets[0].members, (std::vector<int>{g0, leak}));
        QVERIFY(report.exactSets[0].leaks);
        QVERIFY(report.column(IssueType::Leakage).flag[std::size_t(g0)] && report.column(IssueType::Leakage).flag[std::size_t(leak)]);
        QCOMPARE(report.column(IssueType::ExactDuplicate).score[std::size_t(g0)], 0.5f);
        const int g1 = indexOf(m_dataset, QStringLiteral("g1.png")), copy = indexOf(m_dataset, QStringLiteral("copy.jpg"));
        QVERIFY(std::any_of(report.nearSets.begin(), report.nearSets.end(), [&](const DuplicateSet &s) {
            return s.members == std::vector<int>{g1, copy} && !s.leaks;
        }));
        QVERIFY(!report.column(IssueType::Outlier).computed); // no embedding, thumbnail outliers off
        QVERIFY(!report.column(IssueType::Label).computed);
        QCOMPARE(int(report.classes.size()), 10);

        const QJsonObject json = report.toJson(3, &m_dataset.samples);
        QCOMPARE(json.value(QStringLiteral("samples")).toInt(), n);
        QCOMPARE(json.value(QStringLiteral("skipped_count")).toInt(), 2);
        const QJsonObject issues = json.value(QStringLiteral("issues")).toObject();
        QVERIFY(!issues.contains(QStringLiteral("label")) && !issues.contains(QStringLiteral("outlier")));
        const QJsonObject dark = issues.value(QStringLiteral("dark")).toObject();
        QVERIFY(dark.value(QStringLiteral("flagged")).toInt() >= 1);
        const QJsonObject top = dark.value(QStringLiteral("top")).toArray().first().toObject();
        QCOMPARE(top.value(QStringLiteral("index")).toInt(), black);
        QCOMPARE(top.value(QStringLiteral("key")).toString(), m_dataset.samples[std::size_t(black)].path); // no "#-1"
        QVERIFY(top.value(QStringLiteral("key")).toString().endsWith(QLatin1String("black.png")));
        QCOMPARE(json.value(QStringLiteral("exact_duplicate_sets")).toObject().value(QStringLiteral("leaking")).toInt(), 1);
        QCOMPARE(json.value(QStringLiteral("per_class")).toArray().size(), 10);
    }

    void sameReportOnOneThread()
    {
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("health checks"), &cancel);
        HealthOptions options;
        options.threads = 1;
        const Result<HealthReport> one = runHealthChecks(m_dataset, options, context);
        options.threads = 3;
        const Result<HealthReport> three = runHealthChecks(m_dataset, options, context);
        QVERIFY(one.ok() && three.ok());
        for (int t = 0; t < kIssueTypeCount; ++t) {
            QCOMPARE(one->columns[std::size_t(t)].score, three->columns[std::size_t(t)].score);
            QCOMPARE(one->columns[std::size_t(t)].flag, three->columns[std::size_t(t)].flag);
        }
        QCOMPARE(one->nearSets.size(), three->nearSets.size());
        for (std::size_t s = 0; s < one->nearSets.size(); ++s)
            QCOMPARE(one->nearSets[s].members, three->nearSets[s].members);
    }

    void embeddingsAndCancel()
    {
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("health checks"), &cancel);
        const std::int64_t n = std::int64_t(m_dataset.samples.size());
        std::vector<float> embedding(std::size_t(n) * 4);
        for (std::int64_t i = 0; i < n; ++i)
            for (int j = 0; j < 4; ++j)
                embedding[std::size_t(i * 4 + j)] = float(std::sin(0.3 * double(i) + j));
        HealthOptions options;
        options.outlierEmbedding = {embedding.data(), n - 1, 4};
        Result<HealthReport> r = runHealthChecks(m_dataset, options, context);
        QVERIFY(!r.ok() && r.error().contains(QLatin1String("outlier embedding")));
        options.outlierEmbedding = {embedding.data(), n, 4};
        r = runHealthChecks(m_dataset, options, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        QVERIFY(r->column(IssueType::Outlier).computed);

        // Cancelled from the first progress report: the job stops with "cancelled".
        std::atomic_bool stop{false};
        JobContext cancelling(QStringLiteral("health checks"), &stop, [&](const JobProgress &) { stop = true; });
        const Result<HealthReport> stopped = runHealthChecks(m_dataset, HealthOptions(), cancelling);
        QVERIFY(!stopped.ok() && stopped.isCancelled());
    }

    void classBalance()
    {
        std::vector<Sample> samples;
        for (int k = 0; k < 10; ++k)
            for (int i = 0; i < (k == 9 ? 2 : 50); ++i) {
                Sample s;
                s.label = k;
                s.split = i % 5 == 0 ? QStringLiteral("test") : QStringLiteral("train");
                samples.push_back(s);
            }
        samples.push_back(Sample()); // unlabelled: not counted
        QStringList classes;
        for (int k = 0; k < 10; ++k)
            classes << QStringLiteral("c%1").arg(k);
        HealthReport report;
        computeClassBalance(samples, classes, 0.1, &report);
        QCOMPARE(report.classes[0].count, std::int64_t(50));
        QCOMPARE(report.classes[0].test, std::int64_t(10));
        QVERIFY(!report.classes[0].flagged);
        // 2 of 452 = 0.44%, under 0.1 / 10 = 1%: flagged, as Datalab flags the rarest class.
        QVERIFY(report.classes[9].flagged);
        QVERIFY(std::abs(report.classes[9].ratioToLargest - 0.04) < 1e-12);
        QVERIFY(std::abs(report.classes[9].score - 20.0 / 452.0) < 1e-12);
        const IssueColumn &c = report.column(IssueType::ClassImbalance);
        QCOMPARE(c.flagged(), std::int64_t(2));
        QCOMPARE(c.score[samples.size() - 1], 1.0f);
    }
};

QTEST_GUILESS_MAIN(TestHealthChecks)
#include "tst_healthchecks.moc"
