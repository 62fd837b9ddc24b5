// Analysis from the GUI: the dialog's parameters, a real (tiny) analysis run by the worker while
// the window stays responsive, the project reloaded with its scores afterwards, and Cancel.
// The backbone choice (issue 15): the recent backbone files (newest first, missing ones left
// out), a sidecar read at once (its error shown, OK disabled), the parameters of a backbone and
// of "Learn an encoder"; an embedding run from the window on a backbone exported from a trained
// project, whose report page and JSON say the backbone and the extraction, then its cache reused.

#include "analysisdialog.h"
#include "backbonepicker.h"
#include "gallerymodel.h"
#include "gallerywidget.h"
#include "mainwindow.h"
#include "reportpage.h"
#include "reviewsession.h"

#include "base/verdict.h"
#include "ml/modelexport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QTest>

using namespace labelscope;
using namespace labelscope::ui;

class TestAnalysisUi : public QObject {
    Q_OBJECT

private:
    // Enough steps (60 images, batches of 16) that a cancel lands while pretraining; few enough
    // that the resumed rest takes seconds.
    static constexpr int kEncoderEpochs = 60;
    QTemporaryDir m_dir;
    QString m_root;

    QString path(const QString &name) const { return m_dir.filePath(name); }
    static bool writeFile(const QString &file, const QByteArray &bytes)
    {
        QFile f(file);
        return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
    }
    // With LABELSCOPE_SCREENSHOT_DIR set, W is saved there as NAME.png (to look at the dialog).
    static void screenshot(QWidget *w, const char *name)
    {
        const QString dir = qEnvironmentVariable("LABELSCOPE_SCREENSHOT_DIR");
        if (dir.isEmpty())
            return;
        w->show();
        QVERIFY(QTest::qWaitForWindowExposed(w));
        QVERIFY(w->grab().save(QStringLiteral("%1/%2.png").arg(dir, QLatin1String(name))));
    }
    static void forgetRecentBackbones()
    {
        QSettings(QStringLiteral("Labelscope"), QStringLiteral("labelscope")).remove(QStringLiteral("analysis"));
    }
    // A backbone file as far as the dialog reads it: some bytes and a sidecar.
    bool writeBackbone(const QString &file, const QByteArray &sidecar) const
    {
        return writeFile(file, QByteArrayLiteral("not read by the dialog")) && writeFile(backboneSidecarPath(file), sidecar);
    }
    // The window's run of PARAMS to its end; the result (or a failed test).
    static std::optional<AnalysisResult> runInWindow(MainWindow &w, const AnalysisParams &params,
                                                     const std::optional<PretrainParams> &pretrain = std::nullopt)
    {
        QSignalSpy finished(w.analysisProgress(), &AnalysisProgressWidget::finished);
        QSignalSpy failed(w.analysisProgress(), &AnalysisProgressWidget::failed);
        if (!w.startAnalysis(params, pretrain))
            return std::nullopt;
        // Generous: a loaded 2-core machine; the run itself takes seconds.
        [&] { QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), 600000); }();
        if (!failed.isEmpty()) {
            qWarning("analysis failed: %s", qPrintable(failed.at(0).at(0).toString()));
            return std::nullopt;
        }
        if (finished.isEmpty())
            return std::nullopt;
        return finished.at(0).at(0).value<AnalysisResult>();
    }

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

    void recentBackbonesNewestFirstMissingLeftOut()
    {
        forgetRecentBackbones();
        const QByteArray sidecar = R"({"name": "r", "input_size": 28, "channels": 1, "mean": [0.5], "std": [0.25],
                                       "embedding_dim": 16})";
        QStringList files;
        for (int i = 0; i < 10; ++i) {
            files << path(QStringLiteral("recent%1.pt").arg(i));
            QVERIFY(writeBackbone(files.back(), sidecar));
            BackbonePicker::rememberBackbone(files.back());
        }
        BackbonePicker::rememberBackbone(files[7]); // used again: first
        QStringList expected{files[7], files[9], files[8], files[6], files[5], files[4], files[3], files[2]};
        QCOMPARE(BackbonePicker::recentBackbones(), expected); // at most 8
        QVERIFY(QFile::remove(files[9]));
        expected.removeAll(files[9]);
        QCOMPARE(BackbonePicker::recentBackbones(), expected);
        AnalysisDialog dlg;
        QCOMPARE(dlg.backbonePicker()->listedFiles(), expected);
        // The default stays "Learn from the images" (nothing remembered as the choice yet).
        QVERIFY(dlg.backbonePicker()->choice() == BackbonePicker::Choice::Network);
        QVERIFY(dlg.params().method == AnalysisMethod::All);
        QVERIFY(dlg.params().backbone.isEmpty());
        forgetRecentBackbones();
    }

    void backboneSidecarReadAtOnce()
    {
        forgetRecentBackbones();
        AnalysisDialog dlg;
        dlg.projectEdit()->setText(path(QStringLiteral("picked.lsproj")));
        BackbonePicker *picker = dlg.backbonePicker();
        QVERIFY(dlg.okButton()->isEnabled());
        QVERIFY(!picker->headCombo()->isVisibleTo(&dlg)); // the head only with a backbone

        // A malformed sidecar: its error (naming the file and the field) under the choice, OK off.
        const QString bad = path(QStringLiteral("bad.pt"));
        QVERIFY(writeBackbone(bad, R"({"name": "bad", "channels": 3, "mean": [0.5], "std": [0.2]})"));
        picker->setBackboneFile(bad);
        QVERIFY(picker->choice() == BackbonePicker::Choice::File);
        QVERIFY2(picker->infoText().contains(backboneSidecarPath(bad)) && picker->infoText().contains(QLatin1String("input_size")),
                 qPrintable(picker->infoText()));
        QCOMPARE(picker->error(), picker->infoText());
        QVERIFY(!dlg.okButton()->isEnabled());
        screenshot(&dlg, "analysis_dialog_bad_sidecar");
        const QString notJson = path(QStringLiteral("notjson.pt"));
        QVERIFY(writeBackbone(notJson, "{\"name\": "));
        picker->setBackboneFile(notJson);
        QVERIFY2(picker->error().contains(QLatin1String("not valid JSON")), qPrintable(picker->error()));
        QVERIFY(!dlg.okButton()->isEnabled());
        picker->setBackboneFile(path(QStringLiteral("absent.pt")));
        QVERIFY2(picker->error().contains(QLatin1String("no such file")), qPrintable(picker->error()));
        QVERIFY(!dlg.okButton()->isEnabled());

        // A good one: its figures shown, OK on, method embedding with the file and the head.
        const QString good = path(QStringLiteral("good.pt"));
        QVERIFY(writeBackbone(good, R"({"name": "tiny-cnn", "input_size": 28, "channels": 1, "mean": [0.29],
                                        "std": [0.35], "embedding_dim": 128})"));
        picker->setBackboneFile(good);
        QVERIFY(picker->error().isEmpty());
        QCOMPARE(picker->infoText(), QStringLiteral("tiny-cnn: 28\u00D728 px, 1 channel (grey), 128-d embeddings"));
        // A classifier extracted with mirror images says so.
        const QString classifier = path(QStringLiteral("classifier.pt"));
        QVERIFY(writeBackbone(classifier, R"({"name": "fm", "input_size": 28, "channels": 1, "mean": [0.29],
                                              "std": [0.35], "embedding_dim": 128, "tta": "hflip",
                                              "classes": ["a", "b", "c"]})"));
        picker->setBackboneFile(classifier);
        QCOMPARE(picker->infoText(), QStringLiteral("fm: 28\u00D728 px, 1 channel (grey), 128-d embeddings, "
                                                    "a classifier of 3 classes, each image with its mirror image"));
        picker->setBackboneFile(good);
        QVERIFY(dlg.okButton()->isEnabled());
        QVERIFY(picker->headCombo()->isVisibleTo(&dlg));
        screenshot(&dlg, "analysis_dialog_backbone");
        AnalysisParams p = dlg.params();
        QVERIFY(p.method == AnalysisMethod::Embedding);
        QCOMPARE(p.backbone, QFileInfo(good).absoluteFilePath());
        QVERIFY(p.head == EmbeddingHead::Mlp);
        QVERIFY(!dlg.pretrainParams());
        picker->setHead(EmbeddingHead::Logistic);
        QVERIFY(dlg.params().head == EmbeddingHead::Logistic);
        // The picked files stay listed (first the newest pick) until the dialog closes.
        QCOMPARE(picker->listedFiles().value(0), QFileInfo(good).absoluteFilePath());

        // Remembered on a start (accept): a new dialog opens on it.
        dlg.setParams([&] {
            AnalysisParams q = dlg.params();
            q.dataSpec = m_root;
            return q;
        }());
        QCOMPARE(dlg.params().backbone, QFileInfo(good).absoluteFilePath()); // setParams keeps it
        dlg.accept();
        QCOMPARE(dlg.result(), int(QDialog::Accepted));
        QCOMPARE(BackbonePicker::recentBackbones(), QStringList{QFileInfo(good).absoluteFilePath()});
        AnalysisDialog again;
        again.loadSettings();
        QCOMPARE(again.params().backbone, QFileInfo(good).absoluteFilePath());
        QVERIFY(again.params().head == EmbeddingHead::Logistic);

        // Back to "Learn from the images": today's methods, no backbone, no head.
        picker->setChoice(BackbonePicker::Choice::Network);
        QVERIFY(dlg.params().method == AnalysisMethod::All);
        QVERIFY(dlg.params().backbone.isEmpty());
        QVERIFY(!picker->headCombo()->isVisibleTo(&dlg));
        forgetRecentBackbones();
    }

    void learnEncoderParams()
    {
        forgetRecentBackbones();
        AnalysisDialog dlg;
        BackbonePicker *picker = dlg.backbonePicker();
        picker->setChoice(BackbonePicker::Choice::Encoder);
        QVERIFY(!dlg.okButton()->isEnabled()); // no project file yet: nowhere to write the encoder
        dlg.projectEdit()->setText(QStringLiteral("postgresql://localhost/labels"));
        QVERIFY2(picker->error().contains(QLatin1String("database")), qPrintable(picker->error()));
        QVERIFY(!dlg.okButton()->isEnabled());
        dlg.projectEdit()->setText(path(QStringLiteral("fashion.v2.lsproj")));
        QVERIFY(dlg.okButton()->isEnabled());
        screenshot(&dlg, "analysis_dialog_encoder");
        const QString encoder = path(QStringLiteral("fashion.v2.encoder.pt"));
        QCOMPARE(picker->encoderFile(), encoder);
        QVERIFY2(picker->infoText().contains(QDir::toNativeSeparators(encoder)), qPrintable(picker->infoText()));
        dlg.dataSpecEdit()->setText(m_root);
        AnalysisParams base = dlg.params();
        base.seed = 7;
        base.limit = 40;
        base.device = DeviceChoice::Cpu;
        dlg.setParams(base);
        QVERIFY(picker->choice() == BackbonePicker::Choice::Encoder); // not turned into a file choice
        const std::optional<PretrainParams> pre = dlg.pretrainParams();
        QVERIFY(pre);
        QCOMPARE(pre->outFile, encoder);
        QCOMPARE(pre->dataSpec, m_root);
        QVERIFY(pre->method == PretrainMethod::SimClr); // the defaults: simclr, automatic epochs
        QCOMPARE(pre->epochs, 0);
        QCOMPARE(pre->seed, quint64(7));
        QCOMPARE(pre->limit, qint64(40));
        QVERIFY(pre->device == DeviceChoice::Cpu);
        const AnalysisParams a = dlg.params();
        QVERIFY(a.method == AnalysisMethod::Embedding);
        QCOMPARE(a.backbone, encoder);
        picker->setPretrainMethod(PretrainMethod::Byol);
        picker->setPretrainEpochs(3);
        QVERIFY(dlg.pretrainParams()->method == PretrainMethod::Byol);
        QCOMPARE(dlg.pretrainParams()->epochs, 3);
        // A half-done encoder's checkpoint is announced as resumed.
        QVERIFY(writeFile(encoder + QStringLiteral(".ckpt"), "x"));
        dlg.projectEdit()->setText(path(QStringLiteral("other.lsproj")));
        dlg.projectEdit()->setText(path(QStringLiteral("fashion.v2.lsproj")));
        QVERIFY2(picker->infoText().contains(QLatin1String("Resumes")), qPrintable(picker->infoText()));
        QVERIFY(!dlg.pretrainParams()->restart);
        auto *restart = picker->findChild<QCheckBox *>(QStringLiteral("pretrainRestart"));
        QVERIFY(restart && restart->isVisibleTo(&dlg));
        restart->setChecked(true);
        QVERIFY(dlg.pretrainParams()->restart);
        QVERIFY2(picker->infoText().contains(QLatin1String("Discards")), qPrintable(picker->infoText()));
        QVERIFY(QFile::remove(encoder + QStringLiteral(".ckpt")));
        dlg.projectEdit()->setText(path(QStringLiteral("fashion.lsproj")));
        QVERIFY(!restart->isVisibleTo(&dlg)); // no checkpoint: nothing to start over from
        QVERIFY(!dlg.pretrainParams()->restart);
    }

    void embeddingRunShowsBackbone()
    {
        forgetRecentBackbones();
        // A backbone made the way a user makes one: a project analysed by a network, whose
        // classifier `export-model` writes as TorchScript (its 128-d penultimate layer).
        AnalysisParams trained;
        trained.dataSpec = m_root;
        trained.projectFile = path(QStringLiteral("trained.lsproj"));
        trained.method = AnalysisMethod::DataParameters;
        trained.epochs = 1;
        trained.imageSize = 16;
        trained.batchSize = 16;
        trained.threads = 1;
        trained.device = DeviceChoice::Cpu;
        trained.layouts = false;
        trained.healthChecks = false;
        JobContext context(QStringLiteral("analysis"), nullptr);
        const Result<AnalysisResult> first = runAnalysis(trained, context);
        QVERIFY2(first, qPrintable(first.error()));
        ExportModelParams ep;
        ep.projectFile = trained.projectFile;
        ep.outFile = path(QStringLiteral("exported.pt"));
        ep.device = DeviceChoice::Cpu;
        ep.threads = 1;
        const Result<ExportModelResult> exported = runExportModel(ep, context);
        QVERIFY2(exported, qPrintable(exported.error()));
        const Result<BackboneSidecar> sidecar = readBackboneSidecar(ep.outFile);
        QVERIFY2(sidecar, qPrintable(sidecar.error()));

        // The dialog's parameters for that file, run by the window.
        AnalysisDialog dlg;
        AnalysisParams base;
        base.dataSpec = m_root;
        base.projectFile = path(QStringLiteral("embedded.lsproj"));
        base.seed = 3;
        base.device = DeviceChoice::Cpu;
        dlg.setParams(base);
        dlg.backbonePicker()->setBackboneFile(ep.outFile);
        AnalysisParams p = dlg.params();
        QVERIFY(p.method == AnalysisMethod::Embedding);
        p.threads = 1;
        p.layouts = false;
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.report()->runSummary(), QString()); // nothing open yet
        const std::optional<AnalysisResult> r = runInWindow(w, p);
        QVERIFY(r);
        QCOMPARE(w.session()->count(), 60);

        // The JSON (`analyze --json` prints the same toJson) says the backbone and the extraction.
        const QJsonObject b = r->toJson().value(QStringLiteral("backbone")).toObject();
        QCOMPARE(b.value(QStringLiteral("name")).toString(), sidecar->name);
        QCOMPARE(b.value(QStringLiteral("file")).toString(), QFileInfo(ep.outFile).absoluteFilePath());
        QCOMPARE(b.value(QStringLiteral("sha256")).toString(), fileSha256(ep.outFile).value());
        QCOMPARE(b.value(QStringLiteral("embedding_dim")).toInt(), 128);
        QCOMPARE(b.value(QStringLiteral("embeddings_extracted")).toInt(), 60);
        QCOMPARE(b.value(QStringLiteral("embeddings_reused")).toInt(), 0);
        QVERIFY(!b.contains(QStringLiteral("reused_from_run")));
        QVERIFY(b.value(QStringLiteral("extraction_seconds")).toDouble() >= 0.0);
        QVERIFY(b.value(QStringLiteral("images_per_second")).toDouble() > 0.0);
        // ... and so does the stored run, which the report page's run summary shows.
        QCOMPARE(w.session()->run()->summary.value(QStringLiteral("backbone")).toObject(), b);
        const QString expected = QStringLiteral("Backbone: %1 (%2), 128-d; embeddings: extracted 60 in ")
                                     .arg(sidecar->name, QDir::toNativeSeparators(QFileInfo(ep.outFile).absoluteFilePath()));
        QString summary = w.report()->runSummary();
        QVERIFY2(summary.contains(QStringLiteral("Analysis run %1 (embedding").arg(r->runId)), qPrintable(summary));
        QVERIFY2(summary.contains(expected) && summary.contains(QLatin1String(" images/s)")), qPrintable(summary));
        // The out-of-sample classifier's agreement with the given labels, and the warning exactly
        // when it is below half.
        QVERIFY(r->outOfSampleAgreement >= 0.0 && r->outOfSampleAgreement <= 1.0);
        QVERIFY2(summary.contains(QStringLiteral("agrees with %1% of the given labels").arg(100.0 * r->outOfSampleAgreement, 0, 'f', 1)),
                 qPrintable(summary));
        QCOMPARE(summary.contains(QLatin1String("Warning: the out-of-sample classifier agrees with only")),
                 r->outOfSampleAgreement < kWeakClassifierAgreement);
        qInfo("%s", qPrintable(summary));

        // Again: every embedding comes from the first run's cache.
        const std::optional<AnalysisResult> again = runInWindow(w, p);
        QVERIFY(again);
        const QJsonObject b2 = again->toJson().value(QStringLiteral("backbone")).toObject();
        QCOMPARE(b2.value(QStringLiteral("embeddings_extracted")).toInt(), 0);
        QCOMPARE(b2.value(QStringLiteral("embeddings_reused")).toInt(), 60);
        QCOMPARE(b2.value(QStringLiteral("reused_from_run")).toInteger(), r->runId);
        summary = w.report()->runSummary();
        QVERIFY2(summary.contains(QStringLiteral("128-d; embeddings: reused from run %1").arg(r->runId)), qPrintable(summary));
        qInfo("%s", qPrintable(summary));
        if (!qEnvironmentVariableIsEmpty("LABELSCOPE_SCREENSHOT_DIR")) {
            w.resize(1200, 800);
            w.tabs()->setCurrentWidget(w.report());
            QVERIFY(w.report()->grab().save(qEnvironmentVariable("LABELSCOPE_SCREENSHOT_DIR") + QStringLiteral("/report_run_summary.png")));
        }

        // A network's run has no backbone line (as runs stored before these fields).
        QVERIFY(w.openProject(trained.projectFile));
        summary = w.report()->runSummary();
        QVERIFY2(summary.startsWith(QLatin1String("Analysis run")) && !summary.contains(QLatin1String("Backbone")),
                 qPrintable(summary));
    }

    void learnEncoderInWindow()
    {
        // "Learn an encoder from the images": the pretrain job, then the embedding analysis on the
        // encoder it wrote; cancelled while pretraining, the checkpoint stays and the next start
        // resumes it.
        forgetRecentBackbones();
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        AnalysisDialog dlg;
        AnalysisParams base;
        base.dataSpec = m_root;
        base.projectFile = path(QStringLiteral("learnt.lsproj"));
        base.device = DeviceChoice::Cpu;
        dlg.setParams(base);
        dlg.backbonePicker()->setChoice(BackbonePicker::Choice::Encoder);
        dlg.backbonePicker()->setPretrainEpochs(kEncoderEpochs);
        AnalysisParams p = dlg.params();
        p.threads = 1;
        p.layouts = false;
        std::optional<PretrainParams> pre = dlg.pretrainParams();
        QVERIFY(pre);
        pre->threads = 1;
        pre->batchSize = 16;
        const QString encoder = path(QStringLiteral("learnt.encoder.pt"));
        QCOMPARE(pre->outFile, encoder);
        QCOMPARE(p.backbone, encoder);

        // Cancelled while pretraining: nothing analysed, no project, the checkpoint kept.
        QSignalSpy cancelled(w.analysisProgress(), &AnalysisProgressWidget::cancelled);
        QSignalSpy failed(w.analysisProgress(), &AnalysisProgressWidget::failed);
        QSignalSpy stages(w.analysisProgress(), &AnalysisProgressWidget::stageChanged);
        QVERIFY(w.startAnalysis(p, pre));
        QVERIFY(w.analysisProgress()->isPretraining());
        auto *text = w.analysisProgress()->findChild<QLabel *>(QStringLiteral("analysisText"));
        QVERIFY(text);
        QTRY_VERIFY_WITH_TIMEOUT(text->toolTip().contains(QLatin1String("pretraining")) || !failed.isEmpty(), 120000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
        QVERIFY2(text->toolTip().startsWith(QLatin1String("Learning encoder")), qPrintable(text->toolTip()));
        if (!qEnvironmentVariableIsEmpty("LABELSCOPE_SCREENSHOT_DIR"))
            QVERIFY(w.grab().save(qEnvironmentVariable("LABELSCOPE_SCREENSHOT_DIR") + QStringLiteral("/window_learning_encoder.png")));
        QElapsedTimer cancelling;
        cancelling.start();
        w.analysisProgress()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!cancelled.isEmpty() || !failed.isEmpty(), 30000);
        qInfo("pretrain cancelled in %lld ms (figure only: the machine may be loaded)", cancelling.elapsed());
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
        QVERIFY(w.analysisProgress()->stoppedWhilePretraining());
        QVERIFY(stages.isEmpty()); // the analysis never began: a new project would not be opened
        QVERIFY(!QFileInfo::exists(p.projectFile));
        QVERIFY(!QFileInfo::exists(encoder));
        QVERIFY(QFileInfo::exists(encoder + QStringLiteral(".ckpt")));

        // Again: resumed from the checkpoint, then the analysis on the encoder.
        const std::optional<AnalysisResult> r = runInWindow(w, p, pre);
        QVERIFY(r);
        QVERIFY(w.analysisProgress()->lastPretrain());
        QVERIFY2(w.analysisProgress()->lastPretrain()->resumedFromEpoch >= 0,
                 qPrintable(QString::number(w.analysisProgress()->lastPretrain()->resumedFromEpoch)));
        QCOMPARE(w.analysisProgress()->lastPretrain()->epochs, kEncoderEpochs);
        qInfo("resumed from epoch %d of %d", w.analysisProgress()->lastPretrain()->resumedFromEpoch, kEncoderEpochs);
        QVERIFY(QFileInfo::exists(encoder));
        QVERIFY(!QFileInfo::exists(encoder + QStringLiteral(".ckpt")));
        QCOMPARE(BackbonePicker::recentBackbones().value(0), encoder); // offered next time
        QCOMPARE(w.session()->count(), 60);
        const Result<BackboneSidecar> sidecar = readBackboneSidecar(encoder);
        QVERIFY2(sidecar, qPrintable(sidecar.error()));
        const QString summary = w.report()->runSummary();
        QVERIFY2(summary.contains(QStringLiteral("Backbone: %1 (%2), %3-d; embeddings: extracted 60 in ")
                                      .arg(sidecar->name, QDir::toNativeSeparators(encoder))
                                      .arg(sidecar->embeddingDim)),
                 qPrintable(summary));
        qInfo("%s", qPrintable(summary));
        forgetRecentBackbones();
    }

    void windowDialogOpensOnRememberedBackbone()
    {
        // File › New analysis opens on the backbone and head of the last start.
        forgetRecentBackbones();
        const QString file = path(QStringLiteral("remembered.pt"));
        QVERIFY(writeBackbone(file, R"({"name": "kept", "input_size": 32, "channels": 3, "mean": [0.5, 0.5, 0.5],
                                        "std": [0.25, 0.25, 0.25], "embedding_dim": 512})"));
        {
            AnalysisDialog dlg;
            dlg.dataSpecEdit()->setText(m_root);
            dlg.projectEdit()->setText(path(QStringLiteral("remembered.lsproj")));
            dlg.backbonePicker()->setBackboneFile(file);
            dlg.backbonePicker()->setHead(EmbeddingHead::Logistic);
            dlg.accept();
            QCOMPARE(dlg.result(), int(QDialog::Accepted));
        }
        MainWindow w;
        AnalysisParams seen;
        QString info;
        QTimer poll;
        connect(&poll, &QTimer::timeout, this, [&] {
            if (auto *d = qobject_cast<AnalysisDialog *>(QApplication::activeModalWidget())) {
                seen = d->params();
                info = d->backbonePicker()->infoText();
                d->reject();
            }
        });
        poll.start(20);
        w.newAnalysisDialog(); // returns when the poll rejected it
        poll.stop();
        QVERIFY(seen.method == AnalysisMethod::Embedding);
        QCOMPARE(seen.backbone, QFileInfo(file).absoluteFilePath());
        QVERIFY(seen.head == EmbeddingHead::Logistic);
        QCOMPARE(info, QStringLiteral("kept: 32\u00D732 px, 3 channels (RGB), 512-d embeddings"));
        QVERIFY(!w.analysisProgress()->isRunning());
        forgetRecentBackbones();
    }

    // The files an analysis could not read are named on the Report tab (first five, then a count).
    void skippedFilesInTheRunSummary()
    {
        RunInfo run;
        run.id = 3;
        run.status = QStringLiteral("done");
        QVERIFY(skippedSummaryLine(run).isEmpty());
        QJsonArray skipped;
        for (int i = 0; i < 7; ++i)
            skipped.append(QJsonObject{{QStringLiteral("file"), QStringLiteral("/data/cat/bad%1.png").arg(i)},
                                       {QStringLiteral("location"), i == 1 ? QStringLiteral("line 4") : QString()},
                                       {QStringLiteral("reason"), i == 0 ? QStringLiteral("empty file") : QStringLiteral("not an image")}});
        run.summary.insert(QStringLiteral("skipped"), skipped);
        const QString line = skippedSummaryLine(run);
        QVERIFY2(line.startsWith(QLatin1String("7 file(s) could not be read")), qPrintable(line));
        QVERIFY2(line.contains(QDir::toNativeSeparators(QStringLiteral("/data/cat/bad0.png")) + QStringLiteral(" (empty file)")), qPrintable(line));
        QVERIFY2(line.contains(QStringLiteral("bad1.png, line 4 (not an image)")), qPrintable(line));
        QVERIFY2(line.contains(QLatin1String("bad4.png")) && !line.contains(QLatin1String("bad5.png")), qPrintable(line));
        QVERIFY2(line.contains(QLatin1String("and 2 more")), qPrintable(line));
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
