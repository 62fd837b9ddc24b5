// --backbone on al-simulate, al-round and tsne as a user meets it: runs the built labelscope
// binary with a TorchScript fixture made here (backbonefixture.h: a tiny trained SmallCnn,
// exported). The layouts are [N, 2] and finite, the project's cache answers the second call,
// the outputs name the backbone, and every bad backbone is exit code 1 with a message naming
// the file, the project untouched.
#include "alprojectfixture.h"
#include "clirun.h"
#include "backbonefixture.h"

#include "base/npy.h"
#include "base/projectstore.h"
#include "ml/backbonefile.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace labelscope;
using labelscope::testing::Run;
using labelscope::testing::runLabelscope;

namespace {

QStringList args(std::initializer_list<QString> list) { return QStringList(list); }

// A small, quick active-learning configuration: 20 cold-start labels, one round of 20.
const QByteArray kConfig = "train:\n  epochs: 20\n  min_steps: 100\nactive_learner:\n  iterations: 1\n"
                           "  num_labelled: 20\n  initial_labelled: 20\n  cold_start: kmeans\n  diversity_sampling: coreset\n";

} // namespace

class TestBackboneCli final : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_backbone, m_config;

    QString path(const QString &name) const { return QDir(m_tmp.path()).filePath(name); }

    // An [N, 2] (or [N, D]) float32 .npy with finite values; its row count, or -1.
    static int64_t finiteRows(const QString &file, int64_t columns)
    {
        NpyArray a;
        QString error;
        if (!readNpy(file, &a, &error) || a.shape.size() != 2 || a.shape[1] != columns)
            return -1;
        for (double v : a.doubles)
            if (!std::isfinite(v))
                return -1;
        return a.shape[0];
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_backbone = path(QStringLiteral("fixture.pt"));
        const QString error = labelscope::testing::writeTrainedBackbone(m_backbone, 300, 1000, 2);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        m_config = path(QStringLiteral("al.yaml"));
        QFile f(m_config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kConfig);
    }

    void tsneOfADataset()
    {
        const QString y = path(QStringLiteral("y.npy")), x = path(QStringLiteral("x.npy"));
        const Run r = runLabelscope(args({QStringLiteral("tsne"), QStringLiteral("--backbone"), m_backbone, QStringLiteral("--data"),
                                          QStringLiteral("fashion-mnist"), QStringLiteral("--limit"), QStringLiteral("150"),
                                          QStringLiteral("--out"), y, QStringLiteral("--embeddings-out"), x,
                                          QStringLiteral("--iterations"), QStringLiteral("300"), QStringLiteral("--threads"), QStringLiteral("1")}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(finiteRows(y, 2), int64_t(300)); // 150 training + 150 test images
        QCOMPARE(finiteRows(x, 128), int64_t(300));
        QVERIFY2(r.err.contains(QLatin1String("backbone fixture small_cnn: 0 embeddings reused from the project, 300 extracted")), qPrintable(r.err));
    }

    void tsneOfAProjectUsesItsCache()
    {
        const QString project = path(QStringLiteral("tsne.lsproj"));
        const QString made = labelscope::testing::makeActiveLearningProject(project, 100, 100);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        const QString y = path(QStringLiteral("py.npy"));
        const QStringList a = args({QStringLiteral("tsne"), QStringLiteral("--backbone"), m_backbone, QStringLiteral("--project"), project,
                                    QStringLiteral("--out"), y, QStringLiteral("--iterations"), QStringLiteral("250"),
                                    QStringLiteral("--threads"), QStringLiteral("1")});
        const Run first = runLabelscope(a);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY2(first.err.contains(QLatin1String("0 embeddings reused from the project, 200 extracted")), qPrintable(first.err));
        QCOMPARE(finiteRows(y, 2), int64_t(200));
        const Run second = runLabelscope(a);
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        QVERIFY2(second.err.contains(QLatin1String("200 embeddings reused from the project, 0 extracted")), qPrintable(second.err));
        QCOMPARE(finiteRows(y, 2), int64_t(200));
    }

    void alSimulateNamesTheBackbone()
    {
        const QString out = path(QStringLiteral("curves"));
        const Run r = runLabelscope(args({QStringLiteral("al-simulate"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"),
                                          QStringLiteral("--limit"), QStringLiteral("200"), QStringLiteral("--config"), m_config,
                                          QStringLiteral("--backbone"), m_backbone, QStringLiteral("--head"), QStringLiteral("logistic"),
                                          QStringLiteral("--seeds"), QStringLiteral("2"), QStringLiteral("--threads"), QStringLiteral("1"),
                                          QStringLiteral("--out"), out, QStringLiteral("--json")}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // Extracted once for both seeds.
        QCOMPARE(r.err.count(QLatin1String("embeddings [128] extracted")), 1);
        const QJsonObject doc = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        const QJsonObject backbone = doc.value(QStringLiteral("backbone")).toObject();
        QCOMPARE(backbone.value(QStringLiteral("name")).toString(), QStringLiteral("fixture small_cnn"));
        QCOMPARE(backbone.value(QStringLiteral("head")).toString(), QStringLiteral("logistic"));
        QCOMPARE(backbone.value(QStringLiteral("extracted")).toInt(), 400);
        QVERIFY(backbone.value(QStringLiteral("extraction_seconds")).toDouble() > 0);
        QCOMPARE(doc.value(QStringLiteral("curves")).toArray().size(), 2);
        QFile csv(QDir(out).filePath(QStringLiteral("curves.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 2 * 2); // header, 2 seeds x 2 rounds
        QVERIFY2(lines[0].endsWith(",backbone,head,extraction_seconds"), lines[0].constData());
        QVERIFY2(lines[1].contains(",\"fixture small_cnn\",logistic,"), lines[1].constData());
    }

    void alRoundReusesTheCache()
    {
        const QString project = path(QStringLiteral("round.lsproj"));
        const QString made = labelscope::testing::makeActiveLearningProject(project, 100, 30);
        QVERIFY2(made.isEmpty(), qPrintable(made));
        const QStringList a = args({QStringLiteral("al-round"), QStringLiteral("--project"), project, QStringLiteral("--config"), m_config,
                                    QStringLiteral("--backbone"), m_backbone, QStringLiteral("--batch"), QStringLiteral("10"),
                                    QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--json")});
        const Run first = runLabelscope(a);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY2(first.err.contains(QLatin1String("0 embeddings reused from the project, 200 extracted")), qPrintable(first.err));
        const Run second = runLabelscope(a);
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        const QJsonObject doc = QJsonDocument::fromJson(second.out.trimmed().toUtf8()).object();
        QCOMPARE(doc.value(QStringLiteral("queued")).toArray().size(), 10);
        const QJsonObject backbone = doc.value(QStringLiteral("backbone")).toObject();
        QCOMPARE(backbone.value(QStringLiteral("extracted")).toInt(), 0);
        QCOMPARE(backbone.value(QStringLiteral("reused")).toInt(), 200);
        QCOMPARE(backbone.value(QStringLiteral("name")).toString(), QStringLiteral("fixture small_cnn"));
    }

    void badBackbone_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("expected");
        for (const char *command : {"al-simulate", "al-round", "tsne-data", "tsne-project"}) {
            auto row = [&](const char *damage, const char *expected) {
                QTest::addRow("%s %s", command, damage) << QString::fromLatin1(command) << QString::fromLatin1(damage)
                                                        << QString::fromLatin1(expected);
            };
            row("missing", "no such backbone file");
            row("nosidecar", "missing");
            row("junk", "not a TorchScript module");
            row("dim", "[2, 64]");
            row("channels", "3 channel(s)");
        }
    }

    void badBackbone()
    {
        QFETCH(QString, command);
        QFETCH(QString, damage);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString bad = dir.filePath(QStringLiteral("bad.pt"));
        const QString damaged = labelscope::testing::writeDamagedBackbone(m_backbone, bad, damage);
        QVERIFY2(damaged.isEmpty(), qPrintable(damaged));
        const QString project = dir.filePath(QStringLiteral("p.lsproj"));
        QStringList a;
        if (command == QLatin1String("al-simulate")) {
            a = args({command, QStringLiteral("--data"), QStringLiteral("fashion-mnist"), QStringLiteral("--limit"), QStringLiteral("30"),
                      QStringLiteral("--config"), m_config, QStringLiteral("--backbone"), bad, QStringLiteral("--out"), dir.filePath(QStringLiteral("o"))});
        } else if (command == QLatin1String("tsne-data")) {
            a = args({QStringLiteral("tsne"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"), QStringLiteral("--limit"), QStringLiteral("30"),
                      QStringLiteral("--backbone"), bad, QStringLiteral("--out"), dir.filePath(QStringLiteral("y.npy"))});
        } else {
            const QString made = labelscope::testing::makeActiveLearningProject(project, 30, 10);
            QVERIFY2(made.isEmpty(), qPrintable(made));
            if (command == QLatin1String("al-round"))
                a = args({command, QStringLiteral("--project"), project, QStringLiteral("--backbone"), bad});
            else
                a = args({QStringLiteral("tsne"), QStringLiteral("--project"), project, QStringLiteral("--backbone"), bad,
                          QStringLiteral("--out"), dir.filePath(QStringLiteral("y.npy"))});
        }
        const Run r = runLabelscope(a);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(bad) || r.err.contains(backboneSidecarPath(bad)), qPrintable(r.err));
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("y.npy"))));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("o/curves.csv"))));
        if (QFileInfo::exists(project)) {
            ProjectStore store;
            QVERIFY(store.open(project));
            QVERIFY(store.alRounds().empty());
            QVERIFY(store.runs().empty());
        }
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("tsne backbone without data") << args({QStringLiteral("tsne"), QStringLiteral("--backbone"), QStringLiteral("b.pt"), QStringLiteral("--out"), QStringLiteral("y.npy")})
                                                    << QStringLiteral("--backbone needs either --data SPEC or --project FILE");
        QTest::newRow("tsne input and backbone") << args({QStringLiteral("tsne"), QStringLiteral("--input"), QStringLiteral("x.npy"), QStringLiteral("--backbone"), QStringLiteral("b.pt"),
                                                          QStringLiteral("--data"), QStringLiteral("d"), QStringLiteral("--out"), QStringLiteral("y.npy")})
                                                 << QStringLiteral("give either --input X.npy or --backbone FILE.pt");
        QTest::newRow("head without backbone") << args({QStringLiteral("al-simulate"), QStringLiteral("--data"), QStringLiteral("d"), QStringLiteral("--head"), QStringLiteral("mlp")})
                                               << QStringLiteral("--head needs a backbone");
        QTest::newRow("unknown head") << args({QStringLiteral("al-round"), QStringLiteral("--project"), QStringLiteral("p"), QStringLiteral("--backbone"), QStringLiteral("b.pt"),
                                               QStringLiteral("--head"), QStringLiteral("svm")})
                                      << QStringLiteral("--head must be logistic or mlp");
        QTest::newRow("fine-tune without backbone") << args({QStringLiteral("al-simulate"), QStringLiteral("--data"), QStringLiteral("d"), QStringLiteral("--fine-tune")})
                                                    << QStringLiteral("--fine-tune needs a backbone");
        QTest::newRow("head with fine-tune") << args({QStringLiteral("al-round"), QStringLiteral("--project"), QStringLiteral("p"), QStringLiteral("--backbone"), QStringLiteral("b.pt"),
                                                      QStringLiteral("--fine-tune"), QStringLiteral("--head"), QStringLiteral("mlp")})
                                             << QStringLiteral("--head is the head on frozen embeddings");
    }

    void alSimulateFineTunes()
    {
        // The CNN learner starts from the fixture's weights: no embeddings are extracted, and the
        // summary names the backbone as fine-tuned. BALD is allowed (the network has dropout).
        const Run r = runLabelscope(args({QStringLiteral("al-simulate"), QStringLiteral("--data"), QStringLiteral("fashion-mnist"),
                                          QStringLiteral("--limit"), QStringLiteral("200"), QStringLiteral("--config"), m_config,
                                          QStringLiteral("--backbone"), m_backbone, QStringLiteral("--fine-tune"),
                                          QStringLiteral("--strategy"), QStringLiteral("bald"), QStringLiteral("--threads"), QStringLiteral("1"),
                                          QStringLiteral("--json")}));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(!r.err.contains(QLatin1String("extracted")), qPrintable(r.err));
        const QJsonObject doc = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        const QJsonObject model = doc.value(QStringLiteral("config")).toObject().value(QStringLiteral("model")).toObject();
        QCOMPARE(model.value(QStringLiteral("fine_tune")).toBool(), true);
        QCOMPARE(doc.value(QStringLiteral("curves")).toArray().size(), 1);
    }

    void usageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        const Run r = runLabelscope(arguments);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestBackboneCli)
#include "tst_backbonecli.moc"
