// Analysis from the GUI: the dialog's parameters, a real (tiny) analysis run by the worker while
// the window stays responsive, the project reloaded with its scores afterwards, and Cancel.

#include "analysisdialog.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace labelscope;
using namespace labelscope::ui;

class TestAnalysisUi : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_root;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        // An ImageFolder of three visually distinct classes, 20 images each.
        m_root = m_dir.filePath(QStringLiteral("images"));
        const QStringList classes{QStringLiteral("horizontal"), QStringLiteral("vertical"), QStringLiteral("dots")};
        for (int c = 0; c < classes.size(); ++c) {
            QVERIFY(QDir().mkpath(m_root + QLatin1Char('/') + classes[c]));
            for (int i = 0; i < 20; ++i) {
                QImage img(16, 16, QImage::Format_Grayscale8);
                img.fill(0);
                for (int y = 0; y < 16; ++y)
                    for (int x = 0; x < 16; ++x) {
                        const bool on = c == 0 ? (y + i) % 4 == 0 : c == 1 ? (x + i) % 4 == 0
                                                                         : (x % 5 == i % 5 && y % 5 == 0);
                        if (on)
                            img.setPixel(x, y, 0xffffffff);
                    }
                QVERIFY(img.save(QStringLiteral("%1/%2/%3.png").arg(m_root, classes[c]).arg(i)));
            }
        }
    }

    void dialogParamsRoundTrip()
    {
        AnalysisDialog dlg;
        AnalysisParams p;
        p.dataSpec = QStringLiteral("fashion-mnist");
        p.projectFile = QStringLiteral("/tmp/x.lsproj");
        p.injectNoise = 0.2;
        p.noiseKind = NoiseKind::Asymmetric;
        p.epochs = 7;
        p.limit = 5000;
        p.seed = 42;
        p.device = DeviceChoice::Cpu;
        dlg.setParams(p);
        const AnalysisParams q = dlg.params();
        QCOMPARE(q.dataSpec, p.dataSpec);
        QCOMPARE(q.projectFile, p.projectFile);
        QCOMPARE(q.injectNoise, 0.2);
        QVERIFY(q.noiseKind == p.noiseKind);
        QCOMPARE(q.epochs, 7);
        QCOMPARE(q.limit, qint64(5000));
        QCOMPARE(q.seed, quint64(42));
        QVERIFY(q.device == p.device);
        p.limit = -1;
        dlg.setParams(p);
        QCOMPARE(dlg.params().limit, qint64(-1));
    }

    void progressText()
    {
        JobProgress p;
        p.stage = QStringLiteral("training");
        p.detail = QStringLiteral("fold 1/4 epoch 3/12 batch 5/94");
        p.fraction = 0.41;
        p.etaSeconds = 80;
        const QString s = describeProgress(p);
        QVERIFY2(s.startsWith(QStringLiteral("Training")) && s.contains(QStringLiteral("epoch 3/12"))
                     && s.contains(QStringLiteral("41%")) && s.contains(QStringLiteral("ETA 1 min 20 s")),
                 qPrintable(s));
    }

    void runFromWindowThenReload()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.isStartPageShown());
        AnalysisParams p;
        p.dataSpec = m_root;
        p.projectFile = m_dir.filePath(QStringLiteral("analysed.db"));
        p.epochs = 3;
        p.device = DeviceChoice::Cpu;
        p.imageSize = 16;
        p.batchSize = 16;
        p.threads = 1;
        p.injectNoise = 0.1;
        QSignalSpy finished(w.analysisProgress(), &AnalysisProgressWidget::finished);
        QSignalSpy failed(w.analysisProgress(), &AnalysisProgressWidget::failed);
        QVERIFY(w.startAnalysis(p));
        QVERIFY(w.analysisProgress()->isRunning());
        QVERIFY(!w.startAnalysis(p)); // one at a time

        // The event loop keeps running while the worker trains.
        QElapsedTimer t;
        t.start();
        int longestGap = 0;
        while (finished.isEmpty() && failed.isEmpty() && t.elapsed() < 300000) {
            QElapsedTimer gap;
            gap.start();
            QTest::qWait(20);
            longestGap = std::max(longestGap, int(gap.elapsed()));
        }
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(finished.count(), 1);
        qInfo("analysis took %lld ms; longest GUI stall %d ms", t.elapsed(), longestGap);
        QVERIFY(longestGap < 1000);

        // The new project opened with its scores.
        QVERIFY(!w.isStartPageShown());
        QVERIFY(w.session()->runId() > 0);
        QCOMPARE(w.session()->count(), 60);
        const ReviewSession::Counts c = w.session()->counts();
        QCOMPARE(c.easy + c.hard + c.needReview, qint64(60));
        QVERIFY(!w.analysisProgress()->isVisible());

        // Again on the open project, cancelled: the window keeps the previous run.
        const qint64 run = w.session()->runId();
        QSignalSpy cancelled(w.analysisProgress(), &AnalysisProgressWidget::cancelled);
        p.epochs = 500;
        QVERIFY(w.startAnalysis(p));
        QTest::qWait(50);
        w.analysisProgress()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!cancelled.isEmpty() || !failed.isEmpty() || finished.count() > 1, 30000);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(w.session()->runId(), run);
        QVERIFY(!w.analysisProgress()->isRunning());
    }
};

QTEST_MAIN(TestAnalysisUi)
#include "tst_analysisui.moc"
