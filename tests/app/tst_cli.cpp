// The command line as a user meets it (app/cli.h): usage errors name the option and exit 2, help
// exits 0, a failing command exits 1 with "labelscope COMMAND: <what, where>", Ctrl+C cancels a
// running job (exit 130), and on a full disk no command claims to have written its output.
// Runs the built `labelscope` binary.
#include "base/dataset.h"
#include "base/npy.h"
#include "base/projectstore.h"
#include "storefixture.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <csignal>
#include <limits>
#include <random>

#include "clirun.h"

using labelscope::testing::Run;

namespace {

// The commands here finish in seconds; a minute bounds a hang.
Run runLabelscope(const QStringList &arguments)
{
    return labelscope::testing::runLabelscope(arguments, 60000);
}

Run runLabelscope(const QStringList &arguments, int timeoutMs)
{
    return labelscope::testing::runLabelscope(arguments, timeoutMs);
}

// An ImageFolder ROOT/data with classes cat and dog, PERCLASS grey 8×8 PNGs each (all different).
bool writeCatDogFolder(const QString &root, int perClass)
{
    for (const char *cls : {"cat", "dog"}) {
        if (!QDir(root).mkpath(QStringLiteral("data/%1").arg(QLatin1String(cls))))
            return false;
        for (int i = 0; i < perClass; ++i)
            if (!cv::imwrite(QStringLiteral("%1/data/%2/%3.png").arg(root, QLatin1String(cls)).arg(i).toStdString(),
                             cv::Mat(8, 8, CV_8UC1, cv::Scalar(i * 40 + (cls[0] == 'c' ? 0 : 20)))))
                return false;
    }
    return true;
}

// The same under a file-size limit of LIMITKB with SIGXFSZ ignored: every write past the limit
// fails with EFBIG, as on a full disk (no root and no mount needed).
Run labelscopeWithFileLimit(const QStringList &arguments, int limitKb)
{
    QStringList quoted;
    for (const QString &a : arguments)
        quoted << QLatin1Char('\'') + a + QLatin1Char('\'');
    QProcess p;
    p.start(QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"), QStringLiteral("trap '' XFSZ; ulimit -f %1; exec '%2' %3")
                                       .arg(limitKb * 2) // ulimit -f counts 512-byte blocks in dash
                                       .arg(QStringLiteral(LABELSCOPE_BINARY), quoted.join(QLatin1Char(' ')))});
    Run r;
    p.waitForFinished(120000);
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// A float32 [n, d] matrix of random points.
QString writeMatrix(const QTemporaryDir &dir, const QString &name, int n, int d)
{
    std::mt19937 rng(1);
    std::normal_distribution<float> normal;
    std::vector<float> x(std::size_t(n) * std::size_t(d));
    for (float &v : x)
        v = normal(rng);
    const QString file = dir.filePath(name);
    QString error;
    if (!labelscope::writeNpy(file, {n, d}, x, &error))
        qFatal("%s", qPrintable(error));
    return file;
}

} // namespace

class TestCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void usageErrorsNameTheOption_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        auto row = [](const char *name, QStringList args, const char *expected) {
            QTest::newRow(name) << args << QString::fromLatin1(expected);
        };
        row("NaN noise", {"analyze", "--project", "p.lsproj", "--inject-noise", "nan"}, "--inject-noise expects a finite number in [0, 1], got 'nan'");
        row("infinite noise", {"analyze", "--project", "p.lsproj", "--inject-noise", "inf"}, "--inject-noise");
        row("unknown method", {"analyze", "--project", "p.lsproj", "--method", "magic"}, "--method must be all, data-parameters, confident-learning or embedding (got 'magic')");
        row("unknown precision", {"analyze", "--project", "p.lsproj", "--precision", "fp16"}, "--precision must be auto, fp32 or bf16");
        row("unknown model", {"analyze", "--project", "p.lsproj", "--model", "resnet50"}, "--model must be auto, small_cnn, medium_cnn or small_resnet");
        row("folds out of range", {"analyze", "--project", "p.lsproj", "--folds", "1"}, "--folds expects an integer from 2 to 20, got '1'");
        row("missing project", {"analyze", "--data", "fashion-mnist"}, "--project FILE is required");
        row("stray word", {"analyze", "--project", "p.lsproj", "fashion-mnist"}, "unexpected argument 'fashion-mnist'");
        row("unknown option", {"tsne", "--input", "x.npy", "--out", "y.npy", "--perplex", "3"}, "Unknown option 'perplex'");
        row("negative perplexity", {"tsne", "--input", "x.npy", "--out", "y.npy", "--perplexity", "-3"}, "--perplexity expects a finite number");
        row("bad device", {"tsne", "--input", "x.npy", "--out", "y.npy", "--device", "tpu"}, "--device must be auto, cpu, cuda or torch-cpu");
        row("frac-noise", {"find-issues", "--labels", "l.npy", "--pred-probs", "p.npy", "--out", "o.csv", "--frac-noise", "2"}, "--frac-noise expects a finite number in [0, 1]");
        row("out extension", {"find-issues", "--labels", "l.npy", "--pred-probs", "p.npy", "--out", "o.txt"}, "--out must end in .npy or .csv");
        row("no noise rate", {"clean-eval", "--data", "fashion-mnist", "--inject-noise", ""}, "--inject-noise expects one or more rates in [0, 1), got ''");
        row("no row", {"similar", "--input", "x.npy", "--rows", ",,"}, "--rows expects one or more row numbers, got ',,'");
        row("bad row", {"similar", "--input", "x.npy", "--rows", "3,abc"}, "--rows expects row numbers >= 0, got 'abc'");
        row("seeds", {"clean-eval", "--data", "fashion-mnist", "--seeds", "0"}, "--seeds expects an integer from 1 to 1000");
        row("al batch", {"al-round", "--project", "p.lsproj", "--batch", "0"}, "--batch expects an integer from 1 to 1000000");
        row("filter-by", {"find-issues", "--labels", "l.npy", "--pred-probs", "p.npy", "--out", "o.csv", "--filter-by", "magic"}, "--filter-by must be prune_by_noise_rate");
        row("rank-by", {"find-issues", "--labels", "l.npy", "--pred-probs", "p.npy", "--out", "o.csv", "--rank-by", "entropy"}, "--rank-by must be self_confidence, normalized_margin or confidence_weighted_entropy");
        row("project action", {"project", "compact", "--project", "p.lsproj"}, "unknown action 'compact'");
        row("unknown head", {"analyze", "--project", "p.lsproj", "--backbone", "b.pt", "--head", "svm"}, "--head must be logistic or mlp");
        row("knn out of range", {"analyze", "--project", "p.lsproj", "--backbone", "b.pt", "--knn", "0"}, "--knn expects an integer from 1 to 100");
        row("open with json", {"analyze", "--project", "p.lsproj", "--open", "--json"}, "--open and --json exclude each other");
        row("image-size", {"analyze", "--project", "p.lsproj", "--image-size", "4"}, "--image-size expects an integer from 8 to 1024");
        row("export without out", {"export-model", "--project", "p.lsproj"}, "--out FILE.pt is required");
        row("pretrain method", {"pretrain", "--data", "fashion-mnist", "--out", "e.pt", "--method", "moco"}, "--method must be simclr, byol or simsiam (got 'moco')");
        row("pretrain image size", {"pretrain", "--data", "fashion-mnist", "--out", "e.pt", "--image-size", "4"}, "--image-size must be 0 (the dataset's) or 8..1024");
        row("pretrain batch", {"pretrain", "--data", "fashion-mnist", "--out", "e.pt", "--batch-size", "8"}, "--batch-size expects an integer from 16 to 4096");
        row("pretrain without out", {"pretrain", "--data", "fashion-mnist"}, "--out FILE.pt is required");
    }

    void usageErrorsNameTheOption()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        const Run r = runLabelscope(arguments);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("labelscope %1").arg(arguments.first())), qPrintable(r.err));
    }

    // `analyze --open` without a display (issue 17): runs headless, as without --open, and says so.
    void analyzeOpenWithoutDisplayRunsHeadless()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("headless.lsproj"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
            env.remove(QString::fromLatin1(name));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(LABELSCOPE_BINARY),
                {QStringLiteral("analyze"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"), QStringLiteral("--project"),
                 project, QStringLiteral("--limit"), QStringLiteral("300"), QStringLiteral("--epochs"), QStringLiteral("1"),
                 QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--no-layouts"), QStringLiteral("--no-health"),
                 QStringLiteral("--open")});
        QVERIFY(p.waitForFinished(600000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(err.contains(QStringLiteral("--open: no display")) && err.contains(QStringLiteral("running headless")),
                 qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("project written: ") + project), qPrintable(err));
        QVERIFY(QFileInfo(project).size() > 0);
    }

    void badBackboneWritesNothing()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("b.lsproj"));
        const QString backbone = dir.filePath(QStringLiteral("missing.pt"));
        const Run r = runLabelscope({QStringLiteral("analyze"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"),
                                     QStringLiteral("--limit"), QStringLiteral("20"), QStringLiteral("--project"), project,
                                     QStringLiteral("--backbone"), backbone});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(backbone) && r.err.contains(QLatin1String("no such backbone file")), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(project));
        const Run e = runLabelscope({QStringLiteral("export-model"), QStringLiteral("--project"), project,
                                     QStringLiteral("--out"), dir.filePath(QStringLiteral("m.pt"))});
        QCOMPARE(e.exitCode, 1);
        QVERIFY2(e.err.contains(QLatin1String("no such project")), qPrintable(e.err));
        QVERIFY(!QFileInfo::exists(project));
    }

    void helpForEveryCommand()
    {
        const Run all = runLabelscope({QStringLiteral("--help")});
        QCOMPARE(all.exitCode, 0);
        for (const char *command : {"analyze", "find-issues", "clean-eval", "tsne", "similar", "al-simulate", "al-round", "al-bench", "project", "export-model", "pretrain"}) {
            QVERIFY2(all.out.contains(QLatin1String(command)), command);
            const Run r = runLabelscope({QLatin1String(command), QStringLiteral("--help")});
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(r.out.contains(QStringLiteral("Usage: ")) && r.out.contains(QStringLiteral("%1 [options]").arg(QLatin1String(command))),
                     qPrintable(r.out));
        }
    }

    void failuresNameTheFile()
    {
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("missing.npy"));
        Run r = runLabelscope({QStringLiteral("tsne"), QStringLiteral("--input"), missing, QStringLiteral("--out"), dir.filePath(QStringLiteral("y.npy"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope tsne: ")) && r.err.contains(missing), qPrintable(r.err));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("y.npy"))));

        QFile notNpy(dir.filePath(QStringLiteral("text.npy")));
        QVERIFY(notNpy.open(QIODevice::WriteOnly));
        notNpy.write("label\n1\n2\n");
        notNpy.close();
        r = runLabelscope({QStringLiteral("find-issues"), QStringLiteral("--labels"), notNpy.fileName(), QStringLiteral("--pred-probs"),
                        notNpy.fileName(), QStringLiteral("--out"), dir.filePath(QStringLiteral("o.csv"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(notNpy.fileName()), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QStringLiteral("frame #")) && !r.err.contains(QStringLiteral("terminate called")), qPrintable(r.err));
    }

    // Values that a reader accepts but a computation cannot use are refused with the file at
    // fault and the place in it (they once came without a file: "t-SNE: the input contains NaN
    // or infinite values", "label 3 of sample 0 out of range 0..2").
    void badValuesNameTheFile()
    {
        QTemporaryDir dir;
        QString error;
        const auto path = [&](const char *name) { return dir.filePath(QLatin1String(name)); };
        std::vector<float> x(40 * 3, 0.5f);
        x[5 * 3 + 2] = std::numeric_limits<float>::quiet_NaN();
        QVERIFY(labelscope::writeNpy(path("nan.npy"), {40, 3}, x, &error));
        Run r = runLabelscope({QStringLiteral("tsne"), QStringLiteral("--input"), path("nan.npy"), QStringLiteral("--out"), path("y.npy")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope tsne: %1: row 5, column 2 is NaN").arg(path("nan.npy"))), qPrintable(r.err));
        r = runLabelscope({QStringLiteral("similar"), QStringLiteral("--input"), path("nan.npy"), QStringLiteral("--rows"), QStringLiteral("0")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope similar: %1: row 5, column 2 is NaN").arg(path("nan.npy"))), qPrintable(r.err));

        std::vector<int64_t> labels(40);
        for (std::size_t i = 0; i < labels.size(); ++i)
            labels[i] = int64_t(i % 3);
        labels[7] = 3;
        QVERIFY(labelscope::writeNpy(path("labels.npy"), {40}, labels, &error));
        std::vector<float> probs(40 * 3, 1.0f / 3);
        QVERIFY(labelscope::writeNpy(path("probs.npy"), {40, 3}, probs, &error));
        QVERIFY(labelscope::writeNpy(path("probs1.npy"), {40, 1}, std::vector<float>(40, 1.0f), &error));
        const QStringList findIssues = {QStringLiteral("find-issues"), QStringLiteral("--out"), path("o.csv"), QStringLiteral("--labels")};
        r = runLabelscope(findIssues + QStringList{path("labels.npy"), QStringLiteral("--pred-probs"), path("probs.npy")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope find-issues: %1: label 3 of sample 7 is out of range 0..2").arg(path("labels.npy"))),
                 qPrintable(r.err));
        labels[7] = 0;
        QVERIFY(labelscope::writeNpy(path("labels.npy"), {40}, labels, &error));
        r = runLabelscope(findIssues + QStringList{path("labels.npy"), QStringLiteral("--pred-probs"), path("probs1.npy")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope find-issues: %1: need at least 2 classes").arg(path("probs1.npy"))), qPrintable(r.err));
        QVERIFY(!QFile::exists(path("o.csv")) && !QFile::exists(path("y.npy")));
    }

    // Ctrl+C stops the job within a second and the command says so (exit 130), with no output.
    void interruptCancels()
    {
        QTemporaryDir dir;
        const QString input = writeMatrix(dir, QStringLiteral("x.npy"), 8000, 32);
        const QString output = dir.filePath(QStringLiteral("y.npy"));
        QProcess p;
        p.start(QStringLiteral(LABELSCOPE_BINARY), {QStringLiteral("tsne"), QStringLiteral("--input"), input, QStringLiteral("--out"), output,
                                                   QStringLiteral("--iterations"), QStringLiteral("100000"), QStringLiteral("--threads"), QStringLiteral("1")});
        QVERIFY(p.waitForStarted());
        // Wait until the optimisation runs (its progress lines), then interrupt.
        QString err;
        QTRY_VERIFY_WITH_TIMEOUT((err += QString::fromUtf8(p.readAllStandardError())).contains(QStringLiteral("iteration")), 60000);
        QElapsedTimer timer;
        timer.start();
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(10000));
        qInfo("stopped %lld ms after SIGINT", timer.elapsed());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        err += QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("labelscope tsne: cancelled")), qPrintable(err.right(300)));
        QVERIFY(!QFile::exists(output));
    }

    // `pretrain` interrupted: exit 130 with its checkpoint kept and no encoder; the same command
    // again resumes it and writes a backbone that `analyze --backbone` accepts.
    void pretrainInterruptedResumes()
    {
        if (!QFileInfo::exists(QStringLiteral("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")))
            QSKIP("dataset-fashion-mnist is not installed");
        QTemporaryDir dir;
        const QString encoder = dir.filePath(QStringLiteral("enc.pt"));
        const QStringList arguments{QStringLiteral("pretrain"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"),
                                    QStringLiteral("--limit"), QStringLiteral("300"), QStringLiteral("--epochs"), QStringLiteral("20"),
                                    QStringLiteral("--batch-size"), QStringLiteral("32"), QStringLiteral("--threads"), QStringLiteral("1"),
                                    QStringLiteral("--out"), encoder};
        QProcess p;
        p.start(QStringLiteral(LABELSCOPE_BINARY), arguments);
        QVERIFY(p.waitForStarted());
        QString err;
        // The stage's first line comes when it starts (later ones at most every 5 s into a pipe);
        // 20 epochs of 9 steps take seconds even on a fast machine, so the interrupt lands in them.
        QTRY_VERIFY_WITH_TIMEOUT((err += QString::fromUtf8(p.readAllStandardError())).contains(QStringLiteral("] pretraining")), 120000);
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 130);
        err += QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("labelscope pretrain: cancelled")), qPrintable(err.right(300)));
        QVERIFY(QFile::exists(encoder + QStringLiteral(".ckpt")));
        QVERIFY(!QFile::exists(encoder));

        const Run resumed = runLabelscope(arguments + QStringList{QStringLiteral("--json")});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains(QStringLiteral("(resumed in epoch")), qPrintable(resumed.err));
        QVERIFY(resumed.out.contains(QStringLiteral("\"images\":300")));
        QVERIFY(QFile::exists(encoder) && QFile::exists(dir.filePath(QStringLiteral("enc.json"))));
        QVERIFY(!QFile::exists(encoder + QStringLiteral(".ckpt")));

        const QString project = dir.filePath(QStringLiteral("p.lsproj"));
        const Run analysed = runLabelscope({QStringLiteral("analyze"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"),
                                            QStringLiteral("--limit"), QStringLiteral("300"), QStringLiteral("--project"), project,
                                            QStringLiteral("--backbone"), encoder, QStringLiteral("--head"), QStringLiteral("logistic"),
                                            QStringLiteral("--no-layouts"), QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--json")});
        QVERIFY2(analysed.exitCode == 0, qPrintable(analysed.err.right(500)));
        QVERIFY2(analysed.out.contains(QStringLiteral("simclr")), qPrintable(analysed.out.left(500))); // the backbone's name
    }

    // The data of a project moved: `project set-data` re-points it and refuses other data.
    void projectSetData()
    {
        QTemporaryDir dir;
        QVERIFY(writeCatDogFolder(dir.path(), 6));
        const QString file = dir.filePath(QStringLiteral("p.lsproj"));
        {
            labelscope::LoadResult loaded = labelscope::loadDataset(dir.filePath(QStringLiteral("data")));
            QVERIFY2(loaded.ok(), qPrintable(loaded.error));
            labelscope::ProjectStore store;
            QString error;
            QVERIFY2(store.open(file, &error) && store.importDataset(loaded.dataset, &error), qPrintable(error));
        }
        QVERIFY(QDir(dir.path()).rename(QStringLiteral("data"), QStringLiteral("moved")));
        const QString moved = dir.filePath(QStringLiteral("moved"));
        Run r = runLabelscope({QStringLiteral("project"), QStringLiteral("set-data"), QStringLiteral("--project"), file,
                               QStringLiteral("--data"), moved, QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("\"data_spec\":\"%1\"").arg(moved)), qPrintable(r.out));
        // Other data (a class less) is refused and the project keeps its spec.
        QDir(moved).removeRecursively();
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("other/cat")));
        QVERIFY(cv::imwrite(dir.filePath(QStringLiteral("other/cat/0.png")).toStdString(), cv::Mat(8, 8, CV_8UC1, cv::Scalar(9))));
        r = runLabelscope({QStringLiteral("project"), QStringLiteral("set-data"), QStringLiteral("--project"), file,
                           QStringLiteral("--data"), dir.filePath(QStringLiteral("other"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope project: ")) && r.err.contains(file), qPrintable(r.err));
        r = runLabelscope({QStringLiteral("project"), QStringLiteral("info"), QStringLiteral("--project"), file, QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(moved) && r.out.contains(QStringLiteral("\"samples\":12")), qPrintable(r.out));
    }

    // --image-size names the side of a new project's training images; an existing project made
    // at another side is refused, naming its side, and left as it was.
    void imageSizeOfAnExistingProject()
    {
        QTemporaryDir dir;
        QVERIFY(writeCatDogFolder(dir.path(), 4));
        const QString file = dir.filePath(QStringLiteral("p.lsproj"));
        Run r = runLabelscope({QStringLiteral("check"), QStringLiteral("--data"), dir.filePath(QStringLiteral("data")),
                               QStringLiteral("--project"), file});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QByteArray before = [&] { QFile f(file); f.open(QIODevice::ReadOnly); return f.readAll(); }();
        r = runLabelscope({QStringLiteral("analyze"), QStringLiteral("--project"), file, QStringLiteral("--image-size"), QStringLiteral("64")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--image-size 64: %1 was made at 32 px; use a new --project file").arg(file)), qPrintable(r.err));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before);
    }

    // `project info`, `al-round` and `clean-eval --project` need a project that exists: a 0-byte
    // file is refused and stays 0 bytes (info once made it an empty project); a damaged one is
    // named damaged (info once printed "0 samples", al-round "the project has no samples").
    void projectCommandsRefuseEmptyAndDamagedFiles()
    {
        QTemporaryDir dir;
        const QString empty = dir.filePath(QStringLiteral("empty.lsproj"));
        QFile(empty).open(QIODevice::WriteOnly);
        for (const QStringList &command : {QStringList{QStringLiteral("project"), QStringLiteral("info")}, QStringList{QStringLiteral("al-round")}}) {
            const Run r = runLabelscope(command + QStringList{QStringLiteral("--project"), empty});
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains(QStringLiteral("%1: open: an empty file (0 bytes), not a Labelscope project").arg(empty)), qPrintable(r.err));
            QCOMPARE(QFileInfo(empty).size(), 0);
        }
        const QString damaged = dir.filePath(QStringLiteral("damaged.lsproj"));
        {
            labelscope::ProjectStore store;
            QString error;
            QVERIFY2(store.open(damaged, &error) && store.importDataset(labelscope::testing::makeDataset(3000, 3), &error), qPrintable(error));
        }
        QFile f(damaged);
        QVERIFY(f.open(QIODevice::ReadWrite) && f.size() > 64 * 1024);
        QVERIFY(f.seek(f.size() / 4)); // the tables' pages, not the schema on page 1
        QCOMPARE(f.write(QByteArray(f.size() / 2, '\xA5')), f.size() / 2);
        f.close();
        const QByteArray before = [&] { QFile g(damaged); return g.open(QIODevice::ReadOnly) ? g.readAll() : QByteArray(); }();
        // clean-eval --project once wrote its results into the damaged file.
        for (const QStringList &command : {QStringList{QStringLiteral("project"), QStringLiteral("info")}, QStringList{QStringLiteral("al-round")},
                                           QStringList{QStringLiteral("clean-eval"), QStringLiteral("--data"), QStringLiteral("fashion-mnist")}}) {
            const Run r = runLabelscope(command + QStringList{QStringLiteral("--project"), damaged});
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains(damaged) && r.err.contains(QStringLiteral("corrupt")), qPrintable(r.err));
        }
        QFile g(damaged);
        QVERIFY(g.open(QIODevice::ReadOnly));
        QVERIFY(g.readAll() == before); // nothing written into it
    }

    // al-simulate --out that cannot be a folder is refused with the cause, before the simulation
    // (it once ran to the end, then said only "cannot create the folder").
    void alSimulateOutFolderCheckedFirst()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("file"));
        QFile(file).open(QIODevice::WriteOnly);
        const QString out = file + QStringLiteral("/curves");
        const Run r = runLabelscope({QStringLiteral("al-simulate"), QStringLiteral("--data"), dir.filePath(QStringLiteral("no-data")),
                                     QStringLiteral("--out"), out});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("labelscope al-simulate: %1: cannot create the folder: Not a directory").arg(out)), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QStringLiteral("no-data")), qPrintable(r.err)); // told before the data is loaded
    }

    // "Disk full" (writes fail past a file-size limit): the command fails with the file and the
    // cause, and leaves neither an empty nor a partial output file.
    void fullDiskIsAnError()
    {
        QTemporaryDir dir;
        const QString input = writeMatrix(dir, QStringLiteral("x.npy"), 3000, 8);
        const QString output = dir.filePath(QStringLiteral("y.npy"));
        const Run r = labelscopeWithFileLimit({QStringLiteral("tsne"), QStringLiteral("--input"), input, QStringLiteral("--out"), output,
                                               QStringLiteral("--iterations"), QStringLiteral("60")},
                                              8); // the [3000, 2] layout needs 24 KB
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(output) && r.err.contains(QStringLiteral("cannot write")), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QStringLiteral("-> ")), qPrintable(r.err)); // no "done ... -> file"
        QVERIFY(!QFile::exists(output));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1); // only the input: no temporary left
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
