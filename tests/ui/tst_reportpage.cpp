// GUI tests of the clean-eval report page (offscreen): a clean-eval JSON document becomes the
// expected table rows and chart series, is read from the project's meta "clean_eval" or from a
// file, exports as CSV and PNG; malformed documents give a message naming the place, no crash.
// "Run clean-eval…" (issue 17): disabled saying why without data, a tiny real run (300 Fashion-
// MNIST images per split, 1 epoch, 1 thread) fills the report and the project, Cancel stops one.

#include "alprojectfixture.h"
#include "ui/uifixture.h"

#include "cleanevaldialog.h"

#include "reportpage.h"
#include "reviewsession.h"

#include <QAbstractSeries>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QSignalSpy>
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

    // clean-eval writes {"skipped": reason} for a variant it could not train (easy_only after a
    // very short analysis): listed, not refused.
    void skippedVariantIsListed()
    {
        const QByteArray doc = R"({"data": "fashion-mnist", "seeds": 1, "rates": [{"rate": 0.2,
            "variants": {"noisy": {"mean": 0.7, "std": 0}, "easy_only": {"skipped": "fewer than 10 samples"}}}]})";
        QString error;
        QVERIFY2(m_page->loadJson(doc, QStringLiteral("run.json"), &error), qPrintable(error));
        QCOMPARE(int(m_page->report().rates.front().variants.size()), 1);
        QVERIFY2(m_page->message().contains(QStringLiteral("Easy only at 20 %: fewer than 10 samples")),
                 qPrintable(m_page->message()));
    }

    void cleanEvalDialogRates()
    {
        std::vector<double> rates;
        QString error;
        QVERIFY(CleanEvalDialog::parseRates(QStringLiteral("0, 20 %, 0.4"), &rates, &error));
        QCOMPARE(int(rates.size()), 3);
        QCOMPARE(rates[1], 0.2);
        QVERIFY(!CleanEvalDialog::parseRates(QStringLiteral("0.2, 1"), &rates, &error));
        QVERIFY2(error.contains(QStringLiteral("\u201c1\u201d")), qPrintable(error));
        QVERIFY(!CleanEvalDialog::parseRates(QStringLiteral(" , "), &rates, &error));
        CleanEvalDialog dlg;
        CleanEvalParams p = CleanEvalDialog::quickParams(QStringLiteral("fashion-mnist"));
        p.rates = {0.1, 0.3};
        p.method = AnalysisMethod::ConfidentLearning;
        dlg.setParams(p);
        const CleanEvalParams q = dlg.params();
        QCOMPARE(q.dataSpec, QStringLiteral("fashion-mnist"));
        QCOMPARE(int(q.rates.size()), 2);
        QCOMPARE(q.rates[1], 0.3);
        QCOMPARE(q.limit, qint64(2000));
        QCOMPARE(q.epochs, 3);
        QVERIFY(q.method == AnalysisMethod::ConfidentLearning);
    }

    void runDisabledSaysWhy()
    {
        QVERIFY(!m_page->saveJsonButton()->isEnabled());
        QVERIFY(m_page->saveJsonButton()->toolTip().contains(QStringLiteral("No report is shown")));
        QVERIFY(!m_page->runButton()->isEnabled());
        QVERIFY2(m_page->runDisabledReason().contains(QStringLiteral("Open a project")),
                 qPrintable(m_page->runDisabledReason()));
        QVERIFY(!m_page->runCleanEval(CleanEvalDialog::quickParams(QStringLiteral("fashion-mnist"))));
        QString error;
        const QString fixture = testing::makeFixtureProject(m_dir->path(), &error); // no test split
        QVERIFY2(!fixture.isEmpty(), qPrintable(error));
        QVERIFY(m_session->open(fixture, &error));
        QVERIFY(!m_page->runButton()->isEnabled());
        QVERIFY2(m_page->runDisabledReason().contains(QStringLiteral("test split")),
                 qPrintable(m_page->runDisabledReason()));
        QVERIFY(m_page->runButton()->toolTip().contains(QStringLiteral("test split")));
        QVERIFY2(!m_page->message().contains(QStringLiteral("Run clean-eval")), qPrintable(m_page->message()));
        // A project of Fashion-MNIST (with its test split): enabled, the dialog starts from its data.
        const QString fmnist = m_dir->filePath(QStringLiteral("fmnist.db"));
        const QString made = testing::makeActiveLearningProject(fmnist, 50, 50);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        QVERIFY(m_session->open(fmnist, &error));
        QVERIFY(m_page->runButton()->isEnabled());
        QVERIFY(m_page->runDisabledReason().isEmpty());
        QCOMPARE(m_page->defaultRunParams().dataSpec, QStringLiteral("fashion-mnist"));
        QVERIFY(m_page->message().contains(QStringLiteral("Run clean-eval")));
    }

    void runsTinyCleanEval()
    {
        const QString file = m_dir->filePath(QStringLiteral("fmnist.db"));
        const QString made = testing::makeActiveLearningProject(file, 300, 300);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        QString error;
        QVERIFY(m_session->open(file, &error));
        QVERIFY(m_page->report().isEmpty());
        QSignalSpy done(m_page.get(), &ReportPage::runFinished);
        CleanEvalParams p = m_page->defaultRunParams();
        p.limit = 300;
        p.epochs = 1;
        p.threads = 1;
        p.device = DeviceChoice::Cpu;
        QVERIFY(m_page->runCleanEval(p));
        QVERIFY(m_page->isRunning());
        QVERIFY(!m_page->runCleanEval(p)); // one at a time
        QVERIFY(!m_page->runButton()->isEnabled());
        QVERIFY(m_page->cancelRunButton()->isEnabled());
        QVERIFY(!m_page->findChild<QWidget *>(QStringLiteral("cleanEvalProgressRow"))->isHidden());
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 600000);
        QVERIFY2(done.front().at(0).toBool(), qPrintable(done.front().at(1).toString()));
        QVERIFY(!m_page->isRunning());
        QVERIFY(m_page->findChild<QWidget *>(QStringLiteral("cleanEvalProgressRow"))->isHidden());
        QVERIFY(m_page->runButton()->isEnabled());
        // The report is shown, from the project where the run stored it.
        QCOMPARE(m_page->source(), QStringLiteral("clean_eval"));
        QCOMPARE(int(m_page->report().rates.size()), 1);
        const CleanEvalRate &rate = m_page->report().rates.front();
        QCOMPARE(rate.rate, 0.2);
        for (const char *v : {"noisy", "removed", "relabelled", "true_labels"}) {
            const auto it = rate.variants.find(QString::fromLatin1(v));
            QVERIFY2(it != rate.variants.end(), v);
            QVERIFY(it->second.mean >= 0.0 && it->second.mean <= 1.0); // an accuracy
        }
        QVERIFY(m_page->table()->rowCount() >= 1);
        QVERIFY2(m_page->message().contains(QStringLiteral("stored in the project")), qPrintable(m_page->message()));
        QVERIFY(!m_session->store()->meta(QStringLiteral("clean_eval")).isEmpty());
        // Save JSON: the same document.
        QVERIFY(m_page->saveJsonButton()->isEnabled());
        const QString json = m_dir->filePath(QStringLiteral("run.json"));
        QVERIFY2(m_page->saveJson(json, &error), qPrintable(error));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject saved = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(saved.value(QStringLiteral("data")).toString(), QStringLiteral("fashion-mnist"));
        QCOMPARE(saved.value(QStringLiteral("limit")).toInteger(), qint64(300));
        QVERIFY(saved.contains(QStringLiteral("seconds")));
    }

    void cancelStopsRun()
    {
        const QString file = m_dir->filePath(QStringLiteral("fmnist.db"));
        const QString made = testing::makeActiveLearningProject(file, 300, 300);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        QString error;
        QVERIFY(m_session->open(file, &error));
        QSignalSpy done(m_page.get(), &ReportPage::runFinished);
        CleanEvalParams p = m_page->defaultRunParams();
        p.epochs = 500; // far longer than the test waits
        p.threads = 1;
        p.device = DeviceChoice::Cpu;
        QVERIFY(m_page->runCleanEval(p));
        // Cancel once it reports progress (training has begun).
        QTRY_VERIFY_WITH_TIMEOUT(m_page->runProgressText().contains(QLatin1Char('%')) || !done.isEmpty(), 120000);
        QVERIFY(done.isEmpty());
        QTest::mouseClick(m_page->cancelRunButton(), Qt::LeftButton);
        QVERIFY(!m_page->cancelRunButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 30000);
        QCOMPARE(done.front().at(0).toBool(), false);
        QCOMPARE(done.front().at(2).toBool(), true); // cancelled, not failed
        QVERIFY(!m_page->isRunning());
        QVERIFY(m_page->report().isEmpty());
        QVERIFY(m_session->store()->meta(QStringLiteral("clean_eval")).isEmpty());
        QVERIFY2(m_page->message().contains(QStringLiteral("cancelled")), qPrintable(m_page->message()));
        QVERIFY(m_page->runButton()->isEnabled());
    }
};

QTEST_MAIN(TestReportPage)
#include "tst_reportpage.moc"
