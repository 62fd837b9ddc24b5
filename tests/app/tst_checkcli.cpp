// `labelscope check` as a user meets it (issue 16): a CSV manifest with an exact copy across the
// splits, a dark image and an unreadable file is imported into a new project and checked; the
// JSON summary has the counts per type, per class and the top examples; the check is stored in
// the project; a second run checks the project as it is; usage errors exit 2, a missing dataset
// exits 1 naming it. Runs the built `labelscope` binary.

#include "base/dataset.h"
#include "base/projectstore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "clirun.h"

using labelscope::testing::Run;
using labelscope::testing::runLabelscope;

namespace {


} // namespace

class TestCheckCli final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void checkCommand()
    {
        QVERIFY(m_dir.isValid());
        QString csv = QStringLiteral("path,label,split\n");
        auto write = [&](const QString &name, const cv::Mat &m, const char *label, const char *split) {
            QVERIFY(cv::imwrite(m_dir.filePath(name).toStdString(), m));
            csv += QStringLiteral("%1,%2,%3\n").arg(name, QLatin1String(label), QLatin1String(split));
        };
        // 24 distinct drawings in two classes; g0 copied into the test split; a black image.
        for (int i = 0; i < 24; ++i) {
            cv::Mat m(32, 32, CV_8U, cv::Scalar(20));
            if (i % 2)
                cv::circle(m, cv::Point(8 + i % 7 * 2, 10 + i / 3), 4 + i % 5, cv::Scalar(120 + 5 * i), cv::FILLED);
            else
                cv::rectangle(m, cv::Rect(4 + i % 5, 3 + i / 4, 10 + i % 6, 12 + i % 4), cv::Scalar(90 + 6 * i), cv::FILLED);
            cv::line(m, cv::Point(i % 32, 0), cv::Point(31 - i % 9, 31), cv::Scalar(250), 1);
            write(QStringLiteral("g%1.png").arg(i), m, i % 2 ? "round" : "square", i < 20 ? "train" : "test");
        }
        QVERIFY(QFile::copy(m_dir.filePath(QStringLiteral("g0.png")), m_dir.filePath(QStringLiteral("leak.png"))));
        csv += QStringLiteral("leak.png,square,test\n");
        write(QStringLiteral("black.png"), cv::Mat(32, 32, CV_8U, cv::Scalar(0)), "square", "train");
        QFile manifest(m_dir.filePath(QStringLiteral("data.csv")));
        QVERIFY(manifest.open(QIODevice::WriteOnly) && manifest.write(csv.toUtf8()) > 0);
        manifest.close();
        const QString project = m_dir.filePath(QStringLiteral("p.lsproj"));

        const Run r = runLabelscope({QStringLiteral("check"), QStringLiteral("--data"), manifest.fileName(),
                                     QStringLiteral("--project"), project, QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("exact duplicate sets: 1 (1 across train and test)")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("outliers: not scored")), qPrintable(r.err));
        const QJsonObject json = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        QCOMPARE(json.value(QStringLiteral("samples")).toInt(), 26);
        const QJsonObject issues = json.value(QStringLiteral("issues")).toObject();
        QCOMPARE(issues.value(QStringLiteral("exact_duplicate")).toObject().value(QStringLiteral("flagged")).toInt(), 2);
        QVERIFY(issues.value(QStringLiteral("leakage")).toObject().value(QStringLiteral("flagged")).toInt() >= 2); // near sets may add
        const QJsonArray darkTop = issues.value(QStringLiteral("dark")).toObject().value(QStringLiteral("top")).toArray();
        QVERIFY(!darkTop.isEmpty());
        QVERIFY(darkTop.first().toObject().value(QStringLiteral("key")).toString().contains(QLatin1String("black.png")));
        const QJsonArray perClass = json.value(QStringLiteral("per_class")).toArray();
        QCOMPARE(perClass.size(), 2);
        int exactByClass = 0;
        for (const QJsonValue &c : perClass)
            exactByClass += c.toObject().value(QStringLiteral("flagged")).toObject().value(QStringLiteral("exact_duplicate")).toInt();
        QCOMPARE(exactByClass, 2);
        QVERIFY(json.value(QStringLiteral("check_id")).toInt() > 0);
        {
            labelscope::ProjectStore store;
            QString error;
            QVERIFY2(store.open(project, &error), qPrintable(error));
            const auto record = store.latestHealth();
            QVERIFY(record.has_value());
            QCOMPARE(record->id, qint64(json.value(QStringLiteral("check_id")).toInt()));
            QCOMPARE(store.sampleCount(), qint64(26));
        }

        // The project again, without --data: a second check.
        const Run again = runLabelscope({QStringLiteral("check"), QStringLiteral("--project"), project, QStringLiteral("--json")});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY(QJsonDocument::fromJson(again.out.trimmed().toUtf8()).object().value(QStringLiteral("check_id")).toInt()
                > json.value(QStringLiteral("check_id")).toInt());

        // Usage errors exit 2; a dataset that does not exist exits 1 and names it.
        QCOMPARE(runLabelscope({QStringLiteral("check"), QStringLiteral("--data"), manifest.fileName()}).exitCode, 2);
        QCOMPARE(runLabelscope({QStringLiteral("check"), QStringLiteral("--project"), project, QStringLiteral("--threads"),
                                QStringLiteral("-1")}).exitCode, 2);
        const Run missing = runLabelscope({QStringLiteral("check"), QStringLiteral("--data"), m_dir.filePath(QStringLiteral("nothing.csv")),
                                           QStringLiteral("--project"), m_dir.filePath(QStringLiteral("q.lsproj"))});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(QLatin1String("nothing.csv")), qPrintable(missing.err));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("q.lsproj"))));
    }
};

QTEST_GUILESS_MAIN(TestCheckCli)
#include "tst_checkcli.moc"
