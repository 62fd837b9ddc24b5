// GUI tests of the clean-eval report page (offscreen): a clean-eval JSON document becomes the
// expected table rows and chart series, is read from the project's meta "clean_eval" or from a
// file, exports as CSV and PNG; malformed documents give a message naming the place, no crash.

#include "ui/uifixture.h"

#include "reportpage.h"
#include "reviewsession.h"

#include <QAbstractSeries>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineSeries>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

namespace {
// Rates deliberately out of order; 0.4 lacks "easy_only"; one extra variant.
const char *const kReport = R"({
  "data": "fashion-mnist", "noise_kind": "symmetric", "seeds": 3,
  "rates": [
    {"rate": 0.4, "flagged": 24012,
     "variants": {"noisy": {"mean": 0.80, "std": 0.01, "runs": [0.79, 0.80, 0.81]},
                  "removed": {"mean": 0.85, "std": 0.005, "runs": [0.845, 0.85, 0.855]},
                  "relabelled": {"mean": 0.84, "std": 0.002, "runs": [0.838, 0.84, 0.842]},
                  "true_labels": {"mean": 0.90, "std": 0.001, "runs": [0.899, 0.90, 0.901]},
                  "coteaching": {"mean": 0.83, "std": 0.0}}},
    {"rate": 0.2, "flagged": 11873, "flag_precision": 0.912,
     "variants": {"noisy": {"mean": 0.861, "std": 0.004, "runs": [0.857, 0.861, 0.865]},
                  "removed": {"mean": 0.882, "std": 0.003, "runs": [0.879, 0.882, 0.885]},
                  "relabelled": {"mean": 0.878, "std": 0.002},
                  "easy_only": {"mean": 0.87, "std": 0.006, "runs": [0.864, 0.87, 0.876]},
                  "true_labels": {"mean": 0.901, "std": 0.001, "runs": [0.9, 0.901, 0.902]}}}
  ]
})";
} // namespace

class TestReportPage final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ReviewSession> m_session;
    std::unique_ptr<ReportPage> m_page;

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_session = std::make_unique<ReviewSession>();
        m_page = std::make_unique<ReportPage>(m_session.get());
        m_page->resize(1100, 800);
    }

    void cleanup()
    {
        m_page.reset();
        m_session.reset();
        m_dir.reset();
    }

    void parsesIntoTable()
    {
        QString error;
        QVERIFY2(m_page->loadJson(kReport, QStringLiteral("test.json"), &error), qPrintable(error));
        QVERIFY(m_page->message().isEmpty());
        const CleanEvalReport &r = m_page->report();
        QCOMPARE(r.data, QStringLiteral("fashion-mnist"));
        QCOMPARE(r.noiseKind, QStringLiteral("symmetric"));
        QCOMPARE(r.seeds, 3);
        QCOMPARE(int(r.rates.size()), 2);
        QCOMPARE(r.rates[0].rate, 0.2); // sorted ascending
        QCOMPARE(r.rates[0].flagged, qint64(11873));
        QCOMPARE(r.variantNames(),
                 QStringList({QStringLiteral("noisy"), QStringLiteral("removed"), QStringLiteral("relabelled"),
                              QStringLiteral("easy_only"), QStringLiteral("true_labels"),
                              QStringLiteral("coteaching")}));
        // Whiskers: min/max of the runs, ± std without runs.
        const CleanEvalVariant &noisy = r.rates[0].variants.at(QStringLiteral("noisy"));
        QCOMPARE(noisy.low(), 0.857);
        QCOMPARE(noisy.high(), 0.865);
        const CleanEvalVariant &relab = r.rates[0].variants.at(QStringLiteral("relabelled"));
        QVERIFY(qFuzzyCompare(relab.low(), 0.876));
        QVERIFY(qFuzzyCompare(relab.high(), 0.880));

        QTableWidget *t = m_page->table();
        QCOMPARE(t->rowCount(), 2);
        QCOMPARE(t->columnCount(), 3 + 6);
        QCOMPARE(t->horizontalHeaderItem(2)->text(), QStringLiteral("Flag precision"));
        QCOMPARE(t->item(0, 2)->text(), QStringLiteral("0.912"));
        QCOMPARE(t->item(1, 2)->text(), QStringLiteral("\u2014"));
        QCOMPARE(t->horizontalHeaderItem(0)->text(), QStringLiteral("Noise rate"));
        QCOMPARE(t->horizontalHeaderItem(3)->text(), QStringLiteral("Noisy labels (%)"));
        QCOMPARE(t->horizontalHeaderItem(7)->text(), QStringLiteral("True labels (%)"));
        QCOMPARE(t->item(0, 0)->text(), QStringLiteral("20 %"));
        QCOMPARE(t->item(0, 1)->text(), QLocale().toString(qint64(11873)));
        QCOMPARE(t->item(0, 3)->text(), QStringLiteral("86.10 \u00b1 0.40"));
        QCOMPARE(t->item(0, 6)->text(), QStringLiteral("87.00 \u00b1 0.60"));
        QCOMPARE(t->item(0, 8)->text(), QStringLiteral("\u2014")); // no coteaching at 20 %
        QCOMPARE(t->item(1, 0)->text(), QStringLiteral("40 %"));
        QCOMPARE(t->item(1, 4)->text(), QStringLiteral("85.00 \u00b1 0.50"));
        QCOMPARE(t->item(1, 6)->text(), QStringLiteral("\u2014")); // no easy_only at 40 %
        QCOMPARE(t->item(1, 8)->text(), QStringLiteral("83.00 \u00b1 0.00"));
        QVERIFY(t->item(0, 3)->toolTip().contains(QStringLiteral("85.70")));

        // Bar chart at 20 %: one bar set with the six means, one whisker series per variant.
        QList<QAbstractSeries *> bars = m_page->barChart()->series();
        QCOMPARE(bars.size(), 1 + 5);
        auto *bs = qobject_cast<QBarSeries *>(bars.front());
        QVERIFY(bs);
        QCOMPARE(bs->barSets().front()->count(), 6);
        QCOMPARE(bs->barSets().front()->at(0), 86.1);
        // Line chart: one series per variant, a point per rate where the variant exists.
        QList<QAbstractSeries *> lines = m_page->lineChart()->series();
        QCOMPARE(lines.size(), 6);
        auto *noisyLine = qobject_cast<QLineSeries *>(lines.front());
        QCOMPARE(noisyLine->count(), 2);
        QCOMPARE(noisyLine->at(1), QPointF(40.0, 80.0));
        QCOMPARE(qobject_cast<QLineSeries *>(lines.at(3))->count(), 1); // easy_only: 20 % only

        // The other rate in the bar chart.
        m_page->setBarRate(1);
        bars = m_page->barChart()->series();
        QCOMPARE(bars.size(), 1 + 5); // easy_only missing: no whisker for it
        QCOMPARE(qobject_cast<QBarSeries *>(bars.front())->barSets().front()->at(0), 80.0);
    }

    void parsesCleanEvalCommandOutput()
    {
        // The shape core/ml/cleaneval.cpp writes: flagged as a mean over seeds, limit, method.
        const QByteArray json = R"({"data": "fashion-mnist", "noise_kind": "asymmetric", "seeds": 2, "limit": 1000,
            "method": "all", "rates": [{"rate": 0.2, "flagged": 210.5, "flag_precision": 0.8,
            "variants": {"noisy": {"mean": 0.7, "std": 0.01, "runs": [0.69, 0.71]},
                         "true_labels": {"mean": 0.75, "std": 0, "runs": [0.75, 0.75]}}}]})";
        QString error;
        QVERIFY2(m_page->loadJson(json, QStringLiteral("out.json"), &error), qPrintable(error));
        const CleanEvalReport &r = m_page->report();
        QCOMPARE(r.limit, qint64(1000));
        QCOMPARE(r.method, QStringLiteral("all"));
        QCOMPARE(r.rates[0].flagged, qint64(211));
        QCOMPARE(r.rates[0].flagPrecision, 0.8);
        QCOMPARE(m_page->table()->columnCount(), 3 + 2);
        QCOMPARE(m_page->table()->item(0, 4)->text(), QStringLiteral("75.00 \u00b1 0.00"));
    }

    void readsProjectMeta()
    {
        QString error;
        const QString file = testing::makeFixtureProject(m_dir->path(), &error);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        QVERIFY(m_session->open(file, &error));
        // No report yet: the page says how to make one.
        QVERIFY(m_page->report().isEmpty());
        QVERIFY2(m_page->message().contains(QStringLiteral("labelscope clean-eval --data fashion-mnist")),
                 qPrintable(m_page->message()));
        QVERIFY(m_page->message().contains(file));
        {
            ProjectStore store;
            QVERIFY(store.open(file, &error));
            QVERIFY(store.setMeta(QStringLiteral("clean_eval"), QString::fromUtf8(kReport), &error));
        }
        // Written by another process while the project is open: read when the page is shown.
        QVERIFY(m_page->report().isEmpty());
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
        QCOMPARE(m_page->source(), QStringLiteral("clean_eval"));
        QCOMPARE(int(m_page->report().rates.size()), 2);
        m_page->hide();
        QVERIFY(m_session->reload(&error));
        QCOMPARE(m_page->source(), QStringLiteral("clean_eval"));
        QCOMPARE(int(m_page->report().rates.size()), 2);
        QCOMPARE(m_page->table()->rowCount(), 2);
        QVERIFY(m_page->message().isEmpty());
    }

    void loadsFile()
    {
        const QString file = m_dir->filePath(QStringLiteral("report.json"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kReport);
        f.close();
        QString error;
        QVERIFY2(m_page->loadFile(file, &error), qPrintable(error));
        QCOMPARE(m_page->source(), file);
        QVERIFY(!m_page->loadFile(m_dir->filePath(QStringLiteral("missing.json")), &error));
        QVERIFY(error.contains(QStringLiteral("missing.json")));
        QCOMPARE(m_page->table()->rowCount(), 2); // the shown report stays
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("syntax") << QByteArray("{\n  \"rates\": [\n    {\"rate\": 0.2,, }\n") << QStringLiteral("line 3");
        QTest::newRow("empty") << QByteArray("") << QStringLiteral("not valid JSON");
        QTest::newRow("array") << QByteArray("[1, 2]") << QStringLiteral("not a JSON object");
        QTest::newRow("no rates") << QByteArray("{\"data\": \"x\"}") << QStringLiteral("\"rates\" is missing");
        QTest::newRow("rates empty") << QByteArray("{\"rates\": []}") << QStringLiteral("\"rates\" is empty");
        QTest::newRow("rate missing") << QByteArray("{\"rates\": [{\"variants\": {}}]}")
                                      << QStringLiteral("rates[0].rate is missing");
        QTest::newRow("rate range") << QByteArray("{\"rates\": [{\"rate\": 20, \"variants\": {}}]}")
                                    << QStringLiteral("outside [0, 1]");
        QTest::newRow("no variants") << QByteArray("{\"rates\": [{\"rate\": 0.2}]}")
                                     << QStringLiteral("rates[0].variants is missing");
        QTest::newRow("mean text")
            << QByteArray("{\"rates\": [{\"rate\": 0.2, \"variants\": {\"noisy\": {\"mean\": \"high\"}}}]}")
            << QStringLiteral("rates[0].variants.noisy.mean is not a number");
        QTest::newRow("mean range")
            << QByteArray("{\"rates\": [{\"rate\": 0.2, \"variants\": {\"noisy\": {\"mean\": 86.1}}}]}")
            << QStringLiteral("not an accuracy");
        QTest::newRow("runs bad")
            << QByteArray("{\"rates\": [{\"rate\": 0.2, \"variants\": {\"noisy\": {\"mean\": 0.8, \"runs\": [0.8, null]}}}]}")
            << QStringLiteral("rates[0].variants.noisy.runs[1] is not a number");
        QTest::newRow("variant not object")
            << QByteArray("{\"rates\": [{\"rate\": 0.2, \"variants\": {\"noisy\": 0.8}}]}")
            << QStringLiteral("rates[0].variants.noisy is not an object");
    }

    void malformed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(m_page->loadJson(kReport, QStringLiteral("good.json"), &error));
        QVERIFY(!m_page->loadJson(json, QStringLiteral("bad.json"), &error));
        QVERIFY2(error.startsWith(QStringLiteral("bad.json: ")), qPrintable(error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QCOMPARE(m_page->message(), error); // shown on the page
        // The report shown before stays, and still exports.
        QCOMPARE(m_page->source(), QStringLiteral("good.json"));
        QCOMPARE(m_page->table()->rowCount(), 2);
        CleanEvalReport r;
        QVERIFY(!CleanEvalReport::parse(json, QStringLiteral("x"), &r, &error));
    }

    void malformedMetaSaysSo()
    {
        QString error;
        const QString file = testing::makeFixtureProject(m_dir->path(), &error);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        {
            ProjectStore store;
            QVERIFY(store.open(file, &error));
            QVERIFY(store.setMeta(QStringLiteral("clean_eval"), QStringLiteral("{\"rates\": 3}"), &error));
        }
        QVERIFY(m_session->open(file, &error));
        QVERIFY(m_page->report().isEmpty());
        QVERIFY2(m_page->message().contains(QStringLiteral("\"rates\" is not an array")), qPrintable(m_page->message()));
        QVERIFY(m_page->message().contains(QStringLiteral("clean_eval")));
    }

    void exportsCsvAndPng()
    {
        QString error;
        QVERIFY(!m_page->exportCsv(m_dir->filePath(QStringLiteral("none.csv")), &error)); // nothing shown
        QVERIFY(m_page->loadJson(kReport, QStringLiteral("test.json"), &error));
        const QString csv = m_dir->filePath(QStringLiteral("report.csv"));
        QVERIFY2(m_page->exportCsv(csv, &error), qPrintable(error));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 5 + 5);
        QCOMPARE(lines.at(0), QStringLiteral("data,noise_kind,rate,flagged,flag_precision,variant,mean,std,min,max,runs"));
        QCOMPARE(lines.at(1), QStringLiteral("fashion-mnist,symmetric,0.2,11873,0.912,noisy,0.861,0.004,0.857,0.865,0.857;0.861;0.865"));
        QCOMPARE(lines.at(3), QStringLiteral("fashion-mnist,symmetric,0.2,11873,0.912,relabelled,0.878,0.002,,,"));
        QCOMPARE(lines.at(10), QStringLiteral("fashion-mnist,symmetric,0.4,24012,,coteaching,0.83,0,,,"));

        const QString png = m_dir->filePath(QStringLiteral("report.png"));
        QVERIFY2(m_page->exportPng(png, &error), qPrintable(error));
        const QImage img(png);
        QVERIFY(!img.isNull());
        QVERIFY(img.width() >= 600 && img.height() >= 400);
        QVERIFY(!m_page->exportPng(m_dir->filePath(QStringLiteral("no/such/dir/x.png")), &error));
        QVERIFY(error.contains(QStringLiteral("x.png")));
    }
};

QTEST_MAIN(TestReportPage)
#include "tst_reportpage.moc"
