// Tests of the dataset exports (issue 17, "Exports": export columns and paths). A project mixes
// samples inside IDX files (train and test) with ordinary PNG files (one without a split), and
// carries a relabel and exclusions made through the store. Checked: the ImageFolder export per
// split holds exactly the kept samples under their final labels, pixel for pixel; the CSV with
// image files has only paths other tools open (QImage and cv::imread), numbered with the same
// id N as the CSV's id column and the ImageFolder files; bad input leaves nothing half-written;
// the window asks about image files and exports with the answer; the ImageFolder export reads
// back with its classes, labels and splits.

#include "datasetfixture.h"

#include "exportdialog.h"
#include "exporter.h"
#include "exportrunner.h"
#include "reviewsession.h"
#include "uicommon.h"

#include "jobs/jobrunner.h"

#include "base/projectstore.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QSet>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <opencv2/imgcodecs.hpp>

#include <map>
#include <optional>

using namespace labelscope;
using namespace labelscope::ui;

namespace {

/// Splits one CSV line (RFC 4180 quotes; the exporter writes no line breaks inside fields here).
QStringList csvFields(const QString &line)
{
    QStringList out;
    QString field;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < line.size() && line[i + 1] == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            out << field;
            field.clear();
        } else {
            field += c;
        }
    }
    out << field;
    return out;
}

QStringList readLines(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    return QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

/// Every file under ROOT, relative to it, sorted.
QStringList filesUnder(const QString &root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << QDir(root).relativeFilePath(it.next());
    out.sort();
    return out;
}

/// Whether the PNG at FILE has exactly the pixels of SAMPLE as Labelscope decodes it.
bool samePixels(const QString &file, const Sample &sample, QString *why)
{
    DecodedImage want;
    QString err;
    if (!loadSampleImage(sample, &want, &err)) {
        *why = err;
        return false;
    }
    QImage got(file);
    if (got.isNull()) {
        *why = file + QStringLiteral(": QImage cannot read it");
        return false;
    }
    if (got.width() != want.width || got.height() != want.height) {
        *why = QStringLiteral("%1: %2x%3, expected %4x%5").arg(file).arg(got.width()).arg(got.height()).arg(want.width).arg(want.height);
        return false;
    }
    got = got.convertToFormat(want.channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    const int rowBytes = want.width * want.channels;
    for (int y = 0; y < want.height; ++y)
        if (memcmp(got.constScanLine(y), want.pixels.data() + std::size_t(y) * rowBytes, std::size_t(rowBytes)) != 0) {
            *why = QStringLiteral("%1: row %2 differs").arg(file).arg(y);
            return false;
        }
    return true;
}

} // namespace

class TestExport : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_project;
    ReviewSession m_session;
    // ids (in import order): 1..5 IDX train, 6..8 IDX test (t10k), 9 PNG train, 10 PNG without
    // a split, 11 PNG test but unlabelled. Labels: IDX image i has label i % 3.
    // Decisions: 2 relabelled 2 → 0 ("cat"), 3 excluded, 7 excluded.
    const QStringList m_classes{QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("bird, small")};

    ExportSnapshot snapshot() const { return exportSnapshot(m_session); }
    QString path(const QString &name) const { return m_dir->filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        const QString data = path(QStringLiteral("data"));
        // 7 x 5 grey images, pixel p of image i = (i * 31 + p * 7) % 256: every image differs.
        QVERIFY(testing::writeFile(data + QStringLiteral("/train-images-idx3-ubyte"),
                                   testing::idxBytes({5, 5, 7}, testing::idxPixels(5, 5, 7))));
        QVERIFY(testing::writeFile(data + QStringLiteral("/train-labels-idx1-ubyte"),
                                   testing::idxBytes({5}, testing::labelBytes({0, 1, 2, 0, 1}))));
        QVERIFY(testing::writeFile(data + QStringLiteral("/t10k-images-idx3-ubyte.gz"),
                                   testing::gzipStored(testing::idxBytes({3, 5, 7}, testing::idxPixels(3, 5, 7)))));
        QVERIFY(testing::writeFile(data + QStringLiteral("/t10k-labels-idx1-ubyte.gz"),
                                   testing::gzipStored(testing::idxBytes({3}, testing::labelBytes({2, 0, 1})))));
        LoadResult train = readIdx(data + QStringLiteral("/train-images-idx3-ubyte"),
                                   data + QStringLiteral("/train-labels-idx1-ubyte"), QStringLiteral("train"));
        LoadResult test = readIdx(data + QStringLiteral("/t10k-images-idx3-ubyte.gz"),
                                  data + QStringLiteral("/t10k-labels-idx1-ubyte.gz"), QStringLiteral("test"));
        QVERIFY2(train.ok(), qPrintable(train.error));
        QVERIFY2(test.ok(), qPrintable(test.error));
        Dataset ds = train.dataset;
        ds.spec = data;
        ds.classes = m_classes;
        ds.samples.insert(ds.samples.end(), test.dataset.samples.begin(), test.dataset.samples.end());
        QCOMPARE(ds.samples.size(), std::size_t(8));
        QVERIFY(ds.samples[0].source == QLatin1String("idx") && ds.samples[7].split == QLatin1String("test"));
        // Three colour PNG files (different sizes from the IDX images; the exports keep sizes).
        const struct { const char *split; int label; } files[] = {{"train", 1}, {"", 2}, {"test", -1}};
        for (int k = 0; k < 3; ++k) {
            QImage img(9 + k, 6, QImage::Format_RGB888);
            for (int y = 0; y < img.height(); ++y)
                for (int x = 0; x < img.width(); ++x)
                    img.setPixelColor(x, y, QColor((x * 29 + k * 80) % 256, (y * 41) % 256, (x * y * 13 + k) % 256));
            const QString file = path(QStringLiteral("photo_%1.png").arg(k));
            QVERIFY(img.save(file));
            Sample s;
            s.source = QStringLiteral("folder");
            s.path = file;
            s.split = QLatin1String(files[k].split);
            s.label = files[k].label;
            ds.samples.push_back(s);
        }
        ds.pixels.assign(ds.samples.size() * ds.imageBytes(), 0);
        m_project = path(QStringLiteral("project.db"));
        QString error;
        {
            ProjectStore store;
            QVERIFY2(store.open(m_project, &error) && store.importDataset(ds, &error), qPrintable(error));
            const std::vector<SampleRow> rows = store.samples();
            QCOMPARE(rows.size(), std::size_t(11));
            QCOMPARE(rows.front().id, qint64(1));
            QCOMPARE(rows.back().id, qint64(11));
            QVERIFY2(store.applyDecisions({{2, 0, false, QStringLiteral("relabel")},
                                           {3, 2, true, QStringLiteral("exclude")},
                                           {7, 0, true, QStringLiteral("exclude")}},
                                          QStringLiteral("tester"), &error),
                     qPrintable(error));
        }
        QVERIFY2(m_session.open(m_project, &error), qPrintable(error));
        QCOMPARE(containerSampleCount(snapshot()), qint64(8));
    }

    // Per split: train/<class>/N.png and test/<class>/N.png hold exactly the kept samples under
    // their final labels (2 relabelled to cat; 3 and 7 excluded; 11 unlabelled; 10 without a
    // split counts as train), with the source's pixels.
    void imageFolderPerSplit()
    {
        const QString root = path(QStringLiteral("folder"));
        ExportStatus status;
        const ExportResult r = exportImageFolder(snapshot(), root, &status);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.failed, qint64(0));
        QCOMPARE(r.written, qint64(8));
        QCOMPARE(status.done.load(), qint64(8));
        const QStringList expected{
            QStringLiteral("classes.txt"),
            QStringLiteral("test/bird, small/6.png"), // t10k image 0, label 2
            QStringLiteral("test/dog/8.png"),         // t10k image 2, label 1
            QStringLiteral("train/bird, small/10.png"),
            QStringLiteral("train/cat/1.png"),
            QStringLiteral("train/cat/2.png"), // relabelled dog → cat
            QStringLiteral("train/cat/4.png"),
            QStringLiteral("train/dog/5.png"),
            QStringLiteral("train/dog/9.png"),
        };
        QCOMPARE(filesUnder(root), expected);
        QCOMPARE(readLines(root + QStringLiteral("/classes.txt")),
                 (QStringList{QStringLiteral("cat\tcat"), QStringLiteral("dog\tdog"), QStringLiteral("bird, small\tbird, small")}));
        const ExportSnapshot snap = snapshot();
        for (const QString &file : expected.mid(1)) {
            const qint64 id = QFileInfo(file).completeBaseName().toLongLong();
            const SampleRow &row = snap.rows[std::size_t(id - 1)];
            QCOMPARE(row.id, id);
            QString why;
            QVERIFY2(samePixels(root + QLatin1Char('/') + file, row.sample, &why), qPrintable(why));
        }

        // The tree reads back as the project it came from: classes.txt's names in label order
        // (not the folders' alphabetical order), each file under its label and split.
        LoadOptions options;
        options.imageSize = 8;
        const LoadResult back = loadDataset(root, options);
        QVERIFY2(back.ok(), qPrintable(back.error));
        QCOMPARE(back.dataset.classes, snap.classes);
        QCOMPARE(back.dataset.samples.size(), std::size_t(expected.size() - 1));
        for (const Sample &s : back.dataset.samples) {
            const SampleRow &row = snap.rows[std::size_t(QFileInfo(s.path).completeBaseName().toLongLong() - 1)];
            QCOMPARE(s.label, row.label);
            QCOMPARE(s.split, row.sample.split == QLatin1String("test") ? QStringLiteral("test") : QStringLiteral("train"));
        }
    }

    // With image files: every path opens with QImage and cv::imread, no `file#index` remains,
    // the N of the id column names the file, and the pixels are the source's.
    void csvWithImageFiles()
    {
        const QString csv = path(QStringLiteral("clean.csv"));
        ExportStatus status;
        CsvExportOptions options;
        options.writeImages = true;
        const ExportResult r = exportCsv(snapshot(), csv, &status, options);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.written, qint64(11));
        QCOMPARE(r.images, qint64(8));
        const QStringList lines = readLines(csv);
        QCOMPARE(lines.size(), 12);
        QCOMPARE(lines[0], QStringLiteral("id,path,label,category,relabelled,excluded,split"));
        const ExportSnapshot snap = snapshot();
        const QString folder = path(QStringLiteral("folder")); // from imageFolderPerSplit
        for (int i = 1; i < lines.size(); ++i) {
            const QStringList f = csvFields(lines[i]);
            QCOMPARE(f.size(), 7);
            const qint64 id = f[0].toLongLong();
            QCOMPARE(id, qint64(i));
            const SampleRow &row = snap.rows[std::size_t(i - 1)];
            QVERIFY2(!f[1].contains(QLatin1Char('#')), qPrintable(lines[i]));
            const QString file = QDir(QFileInfo(csv).absolutePath()).filePath(f[1]);
            QVERIFY2(!QImage(file).isNull(), qPrintable(file));
            QVERIFY2(!cv::imread(file.toStdString(), cv::IMREAD_UNCHANGED).empty(), qPrintable(file));
            QString why;
            QVERIFY2(samePixels(file, row.sample, &why), qPrintable(why));
            if (row.sample.source == QLatin1String("idx")) {
                // Relative to the CSV's folder, numbered by id, in the sample's split.
                QCOMPARE(f[1], QStringLiteral("clean_images/%1/%2.png").arg(f[6]).arg(id));
            } else {
                QCOMPARE(f[1], row.sample.path); // ordinary files keep their own path
            }
            QCOMPARE(f[6], (id >= 6 && id <= 8) || id == 11 ? QStringLiteral("test") : QStringLiteral("train"));
            // Relabels and exclusions are in the CSV.
            QCOMPARE(f[4], id == 2 ? QStringLiteral("1") : QStringLiteral("0"));
            QCOMPARE(f[5], id == 3 || id == 7 ? QStringLiteral("1") : QStringLiteral("0"));
            QCOMPARE(f[2], row.label >= 0 ? m_classes[row.label] : QString());
            // The ImageFolder file with the same N holds the same image (kept samples).
            if (!row.excluded && row.label >= 0) {
                const QString same = QStringLiteral("%1/%2/%3/%4.png").arg(folder, f[6], m_classes[row.label]).arg(id);
                QVERIFY2(QImage(same) == QImage(file).convertToFormat(QImage(same).format()), qPrintable(same));
            }
        }
        QCOMPARE(lines[2], QStringLiteral("2,clean_images/train/2.png,cat,unknown,1,0,train"));
        // Exactly one file per container sample, nothing else, no temporary folder left.
        QCOMPARE(filesUnder(path(QStringLiteral("clean_images"))).size(), 8);
        QCOMPARE(QDir(m_dir->path()).entryList({QStringLiteral("clean_images.*")}, QDir::AllEntries), QStringList());

        // A second export replaces the earlier images as a whole.
        QVERIFY(testing::writeFile(path(QStringLiteral("clean_images/train/99.png")), QByteArray("stale")));
        QVERIFY(exportCsv(snapshot(), csv, nullptr, options).ok);
        QCOMPARE(filesUnder(path(QStringLiteral("clean_images"))).size(), 8);
        QVERIFY(!QFile::exists(path(QStringLiteral("clean_images/train/99.png"))));
        QCOMPARE(readLines(csv), lines);
    }

    // Without the option the CSV is as before the option existed: `file#index` paths, no images.
    void csvWithoutImageFiles()
    {
        const QString csv = path(QStringLiteral("plain.csv"));
        const ExportResult r = exportCsv(snapshot(), csv);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.images, qint64(0));
        const QStringList lines = readLines(csv);
        QCOMPARE(lines.size(), 12);
        QCOMPARE(lines[1], QStringLiteral("1,%1/data/train-images-idx3-ubyte#0,cat,unknown,0,0,train").arg(m_dir->path()));
        QCOMPARE(lines[6], QStringLiteral("6,%1/data/t10k-images-idx3-ubyte.gz#0,\"bird, small\",unknown,0,0,test").arg(m_dir->path()));
        QCOMPARE(lines[11], QStringLiteral("11,%1,,unknown,0,0,test").arg(path(QStringLiteral("photo_2.png"))));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("plain_images"))));
    }

    // Bad input: nothing half-written, errors name the file.
    void badDestinations()
    {
        CsvExportOptions options;
        options.writeImages = true;
        // The CSV's folder is a file: refused before any image is written.
        QVERIFY(testing::writeFile(path(QStringLiteral("afile")), QByteArray("x")));
        const QString inFile = path(QStringLiteral("afile/out.csv"));
        ExportResult r = exportCsv(snapshot(), inFile, nullptr, options);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(inFile), qPrintable(r.error));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("afile/out_images"))));
        // ImageFolder under a file.
        r = exportImageFolder(snapshot(), path(QStringLiteral("afile/tree")));
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(path(QStringLiteral("afile/tree"))), qPrintable(r.error));

        // A folder named like the images folder that holds other things is never replaced.
        const QString csv = path(QStringLiteral("mine.csv"));
        QVERIFY(testing::writeFile(path(QStringLiteral("mine_images/notes.txt")), QByteArray("keep me")));
        r = exportCsv(snapshot(), csv, nullptr, options);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(path(QStringLiteral("mine_images"))), qPrintable(r.error));
        QVERIFY(!QFile::exists(csv));
        QVERIFY(QFile::exists(path(QStringLiteral("mine_images/notes.txt"))));

        // ... nor is a file of that name.
        QVERIFY(testing::writeFile(path(QStringLiteral("other_images")), QByteArray("a file")));
        r = exportCsv(snapshot(), path(QStringLiteral("other.csv")), nullptr, options);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(path(QStringLiteral("other_images"))), qPrintable(r.error));
        QVERIFY(QFileInfo(path(QStringLiteral("other_images"))).isFile());

        // A sample that cannot be decoded fails the export: the earlier CSV and images stay.
        const QString clean = path(QStringLiteral("clean.csv"));
        QFile before(clean);
        QVERIFY(before.open(QIODevice::ReadOnly));
        const QByteArray old = before.readAll();
        const QStringList oldImages = filesUnder(path(QStringLiteral("clean_images")));
        ExportSnapshot broken = snapshot();
        broken.rows[6].sample.path = path(QStringLiteral("data/missing-idx3-ubyte"));
        r = exportCsv(broken, clean, nullptr, options);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("missing-idx3-ubyte")) && r.error.contains(QStringLiteral("sample 7")),
                 qPrintable(r.error));
        QFile after(clean);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), old);
        QCOMPARE(filesUnder(path(QStringLiteral("clean_images"))), oldImages);
        QCOMPARE(QDir(m_dir->path()).entryList({QStringLiteral("clean_images.*"), QStringLiteral("clean.csv.*")},
                                              QDir::AllEntries | QDir::Hidden),
                 QStringList());

        // Cancel: the same.
        ExportStatus cancelled;
        cancelled.cancel = true;
        r = exportCsv(snapshot(), path(QStringLiteral("cancelled.csv")), &cancelled, options);
        QVERIFY(r.cancelled);
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("cancelled.csv"))));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("cancelled_images"))));
        QCOMPARE(QDir(m_dir->path()).entryList({QStringLiteral("cancelled*")}, QDir::AllEntries | QDir::Hidden),
                 QStringList());
    }

    // The window's way: the question, then the export on the window's runner with the answer.
    void windowAsksThenExports()
    {
        QMainWindow window;
        QSignalSpy finished(jobRunnerFor(&window), &JobRunner::finished);
        auto exportWith = [&](const char *button, const QString &csv) -> bool {
            finished.clear();
            QTimer::singleShot(0, &window, [button] {
                auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
                QVERIFY(box);
                if (button)
                    box->findChild<QPushButton *>(QLatin1String(button))->click();
                else
                    box->button(QMessageBox::Cancel)->click();
            });
            exportCsvAsking(&window, m_session, csv);
            if (!button)
                return true;
            for (int i = 0; i < 500 && finished.isEmpty(); ++i)
                QTest::qWait(10);
            return !finished.isEmpty() && finished.at(0).at(0).toString() == exportJobName()
                && finished.at(0).at(1).toBool();
        };
        const QString withImages = path(QStringLiteral("window.csv"));
        QVERIFY(exportWith("writeImages", withImages));
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("8 image files")),
                 qPrintable(window.statusBar()->currentMessage()));
        QStringList lines = readLines(withImages);
        QCOMPARE(lines.size(), 12);
        QVERIFY2(lines[1].startsWith(QStringLiteral("1,window_images/train/1.png,")), qPrintable(lines[1]));
        QCOMPARE(filesUnder(path(QStringLiteral("window_images"))).size(), 8);

        const QString pathsOnly = path(QStringLiteral("window-paths.csv"));
        QVERIFY(exportWith("pathsOnly", pathsOnly));
        lines = readLines(pathsOnly);
        QCOMPARE(lines.size(), 12);
        QVERIFY2(lines[1].contains(QStringLiteral("train-images-idx3-ubyte#0,")), qPrintable(lines[1]));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("window-paths_images"))));

        const QString cancelled = path(QStringLiteral("window-cancelled.csv"));
        QVERIFY(exportWith(nullptr, cancelled));
        QTest::qWait(50);
        QVERIFY(finished.isEmpty());
        QVERIFY(!QFileInfo::exists(cancelled));
    }

    // The window's question: three answers, "Save images" the default.
    void askAboutImageFiles()
    {
        auto answer = [](const char *button) {
            QTimer::singleShot(0, [button] {
                auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
                QVERIFY(box);
                QCOMPARE(box->objectName(), QStringLiteral("csvImagesQuestion"));
                QVERIFY(box->text().contains(QStringLiteral("8 images")));
                QVERIFY(box->informativeText().contains(QStringLiteral("out_images")));
                QCOMPARE(box->defaultButton()->objectName(), QStringLiteral("writeImages"));
                if (button)
                    box->findChild<QPushButton *>(QLatin1String(button))->click();
                else
                    box->button(QMessageBox::Cancel)->click();
            });
        };
        answer("writeImages");
        QCOMPARE(askWriteCsvImages(nullptr, 8, path(QStringLiteral("out.csv"))), std::optional<bool>(true));
        answer("pathsOnly");
        QCOMPARE(askWriteCsvImages(nullptr, 8, path(QStringLiteral("out.csv"))), std::optional<bool>(false));
        answer(nullptr);
        QCOMPARE(askWriteCsvImages(nullptr, 8, path(QStringLiteral("out.csv"))), std::optional<bool>());
    }
};

QTEST_MAIN(TestExport)
#include "tst_export.moc"
