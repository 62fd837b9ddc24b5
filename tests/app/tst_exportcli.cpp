// `labelscope export` as a user meets it (issue 17): a project of IDX samples (train and test,
// one excluded) exported as a CSV with PNG files and as an ImageFolder per split; usage errors
// exit 2, a missing project exits 1 naming it. Runs the built `labelscope` binary.

#include "datasetfixture.h"

#include "base/projectstore.h"

#include <QDirIterator>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "clirun.h"

using labelscope::testing::Run;
using labelscope::testing::runLabelscope;

namespace {


QStringList filesUnder(const QString &root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << QDir(root).relativeFilePath(it.next());
    out.sort();
    return out;
}

} // namespace

using namespace labelscope;

class TestExportCli final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_project;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString data = m_dir.filePath(QStringLiteral("data"));
        QVERIFY(testing::writeFile(data + QStringLiteral("/train-images-idx3-ubyte"),
                                   testing::idxBytes({4, 6, 6}, testing::idxPixels(4, 6, 6))));
        QVERIFY(testing::writeFile(data + QStringLiteral("/train-labels-idx1-ubyte"),
                                   testing::idxBytes({4}, testing::labelBytes({0, 1, 1, 0}))));
        QVERIFY(testing::writeFile(data + QStringLiteral("/t10k-images-idx3-ubyte"),
                                   testing::idxBytes({2, 6, 6}, testing::idxPixels(2, 6, 6))));
        QVERIFY(testing::writeFile(data + QStringLiteral("/t10k-labels-idx1-ubyte"),
                                   testing::idxBytes({2}, testing::labelBytes({1, 0}))));
        LoadResult loaded = loadDataset(data);
        QVERIFY2(loaded.ok(), qPrintable(loaded.error));
        QCOMPARE(loaded.dataset.samples.size(), std::size_t(6));
        m_project = m_dir.filePath(QStringLiteral("p.lsproj"));
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(m_project, &error) && store.importDataset(loaded.dataset, &error), qPrintable(error));
        QVERIFY2(store.applyDecisions({{2, 1, true, QStringLiteral("exclude")}}, QStringLiteral("t"), &error),
                 qPrintable(error));
    }

    void csvWithImages()
    {
        const QString csv = m_dir.filePath(QStringLiteral("out.csv"));
        const Run r = runLabelscope({QStringLiteral("export"), QStringLiteral("--project"), m_project,
                                     QStringLiteral("--csv"), csv, QStringLiteral("--images")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("exported 6 rows and 6 image files")), qPrintable(r.err));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 7);
        QCOMPARE(lines[0], QStringLiteral("id,path,label,category,relabelled,excluded,split"));
        for (int i = 1; i < lines.size(); ++i) {
            const QStringList fields = lines[i].split(QLatin1Char(','));
            QCOMPARE(fields.size(), 7);
            QCOMPARE(fields[0].toInt(), i);
            QCOMPARE(fields[1], QStringLiteral("out_images/%1/%2.png").arg(fields[6]).arg(i));
            const cv::Mat img = cv::imread(m_dir.filePath(fields[1]).toStdString(), cv::IMREAD_UNCHANGED);
            QCOMPARE(img.rows, 6);
            QCOMPARE(img.cols, 6);
            QCOMPARE(fields[5], i == 2 ? QStringLiteral("1") : QStringLiteral("0"));
        }
        QCOMPARE(lines[5], QStringLiteral("5,out_images/test/5.png,1,unknown,0,0,test"));
    }

    void imageFolder()
    {
        const QString root = m_dir.filePath(QStringLiteral("tree"));
        const Run r = runLabelscope({QStringLiteral("export"), QStringLiteral("--project"), m_project,
                                     QStringLiteral("--image-folder"), root});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("exported 5 images")), qPrintable(r.err));
        QCOMPARE(filesUnder(root), (QStringList{QStringLiteral("classes.txt"), QStringLiteral("test/0/6.png"),
                                                QStringLiteral("test/1/5.png"), QStringLiteral("train/0/1.png"),
                                                QStringLiteral("train/0/4.png"), QStringLiteral("train/1/3.png")}));
    }

    void errors()
    {
        const QString csv = m_dir.filePath(QStringLiteral("e.csv"));
        const QString p = m_project;
        for (const QStringList &args : {QStringList{QStringLiteral("export"), QStringLiteral("--project"), p},
                                        QStringList{QStringLiteral("export"), QStringLiteral("--project"), p, QStringLiteral("--csv"), csv,
                                                    QStringLiteral("--image-folder"), m_dir.filePath(QStringLiteral("t2"))},
                                        QStringList{QStringLiteral("export"), QStringLiteral("--project"), p, QStringLiteral("--images"),
                                                    QStringLiteral("--image-folder"), m_dir.filePath(QStringLiteral("t2"))}}) {
            const Run r = runLabelscope(args);
            QVERIFY2(r.exitCode == 2, qPrintable(args.join(QLatin1Char(' ')) + QStringLiteral(": ") + r.err));
            QVERIFY2(r.err.contains(QStringLiteral("labelscope export: "))
                         && r.err.contains(args.contains(QStringLiteral("--images")) ? QStringLiteral("--images goes with --csv")
                                                                                     : QStringLiteral("give either --csv FILE or --image-folder DIR")),
                     qPrintable(r.err));
        }
        QVERIFY(!QFileInfo::exists(csv) && !QFileInfo::exists(m_dir.filePath(QStringLiteral("t2"))));
        const QString missing = m_dir.filePath(QStringLiteral("none.lsproj"));
        Run r = runLabelscope({QStringLiteral("export"), QStringLiteral("--project"), missing, QStringLiteral("--csv"), csv});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(missing), qPrintable(r.err));
        // An unwritable destination (its folder is a file): exit 1 naming it, nothing written.
        const QString bad = m_project + QStringLiteral("/x.csv");
        r = runLabelscope({QStringLiteral("export"), QStringLiteral("--project"), p, QStringLiteral("--csv"), bad, QStringLiteral("--images")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(bad), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestExportCli)
#include "tst_exportcli.moc"
