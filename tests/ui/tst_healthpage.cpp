// The window's dataset health (issue 16; ui/healthpage.h, ui/healthmodel.h): the "Dataset
// health" page shows the stored check's counts per type and per class; the gallery's health
// filter limits the tiles to one type and frames an image problem in violet (not the red of a
// wrong label); a duplicate set keeps one image and excludes the others (undoable); the CSV and
// PNG exports; "Run checks" runs the job off the GUI thread and reloads; the scatter's "Health
// issue" colouring.

#include "gallerymodel.h"
#include "gallerywidget.h"
#include "healthmodel.h"
#include "healthpage.h"
#include "mainwindow.h"
#include "reviewsession.h"
#include "scatterpanel.h"
#include "uicommon.h"

#include "core/healthtestutil.h"
#include "health/healthproject.h"

#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace labelscope;
using namespace labelscope::ui;
using namespace healthtest;

namespace {

QVector<qint64> shownIds(const GalleryModel *m)
{
    QVector<qint64> ids;
    for (int r = 0; r < m->rowCount(); ++r)
        ids << m->sampleIdAt(r);
    return ids;
}

qint64 idOf(const ReviewSession *s, const QString &file)
{
    for (const SampleRow &r : s->rows())
        if (r.sample.path.endsWith(QLatin1Char('/') + file))
            return r.id;
    return -1;
}

} // namespace

class TestHealthPage final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_project;

private Q_SLOTS:
    void initTestCase()
    {
        std::vector<int> labels;
        const std::vector<cv::Mat> fashion = fashionImages(40, &labels);
        if (fashion.size() < 40)
            QSKIP("Fashion-MNIST is not installed (/usr/share/datasets/fashion-mnist)");
        const QStringList classes = fashionMnistClasses();
        QString csv = QStringLiteral("path,label,split\n");
        auto write = [&](const QString &name, const cv::Mat &m, int label, const char *split) {
            QVERIFY(cv::imwrite(m_dir.filePath(name).toStdString(), m));
            csv += QStringLiteral("%1,%2,%3\n").arg(name, classes[label], QLatin1String(split));
        };
        for (int i = 0; i < 40; ++i)
            write(QStringLiteral("g%1.png").arg(i), fashion[std::size_t(i)], labels[std::size_t(i)], i < 32 ? "train" : "test");
        write(QStringLiteral("copy.png"), fashion[0], labels[0], "train");   // exact duplicate of g0 in train
        write(QStringLiteral("leak.png"), fashion[1], labels[1], "test");    // exact duplicate of g1 across splits
        write(QStringLiteral("black.png"), cv::Mat(28, 28, CV_8U, cv::Scalar(0)), 0, "train");
        QFile manifest(m_dir.filePath(QStringLiteral("data.csv")));
        QVERIFY(manifest.open(QIODevice::WriteOnly) && manifest.write(csv.toUtf8()) > 0);
        manifest.close();
        m_project = m_dir.filePath(QStringLiteral("health.lsproj"));
        ProjectHealthParams params;
        params.projectFile = m_project;
        params.dataSpec = manifest.fileName();
        std::atomic_bool cancel{false};
        JobContext context(QStringLiteral("check"), &cancel);
        const Result<ProjectHealthResult> r = runProjectHealthChecks(params, context);
        QVERIFY2(r.ok(), qPrintable(r.error()));
        QCOMPARE(int(r->report.exactSets.size()), 2);
    }

    void pageFilterAndActions()
    {
        MainWindow w;
        w.resize(1200, 800);
        QString error;
        QVERIFY2(w.openProject(m_project, &error), qPrintable(error));
        ReviewSession *session = w.session();
        HealthModel *health = w.healthModel();
        QVERIFY(health && health->hasReport());
        HealthPage *page = w.healthPage();
        QCOMPARE(w.tabs()->tabText(w.tabs()->indexOf(page)), QStringLiteral("Dataset health"));
        QVERIFY2(health->note().contains(QLatin1String("no outlier scores")), qPrintable(health->note()));

        // Counts per type and per class in the table.
        QTableWidget *table = page->table();
        int exactRow = -1, darkRow = -1;
        for (int r = 0; r < table->rowCount(); ++r) {
            const IssueType t = IssueType(table->item(r, 0)->data(Qt::UserRole).toInt());
            if (t == IssueType::ExactDuplicate)
                exactRow = r;
            if (t == IssueType::Dark)
                darkRow = r;
        }
        QVERIFY(exactRow >= 0 && darkRow >= 0);
        QCOMPARE(table->item(exactRow, 1)->data(Qt::DisplayRole).toInt(), 4);
        QVERIFY(table->item(darkRow, 1)->data(Qt::DisplayRole).toInt() >= 1);
        int perClass = 0;
        for (int c = 3; c < table->columnCount(); ++c)
            perClass += table->item(exactRow, c)->data(Qt::DisplayRole).toInt();
        QCOMPARE(perClass, 4);
        QCOMPARE(table->item(darkRow, 2)->text(), QStringLiteral("exclude"));

        // The worst dark examples: black.png first.
        page->selectType(IssueType::Dark);
        QVERIFY(page->examples()->count() >= 1);
        QCOMPARE(page->examples()->item(0)->data(Qt::UserRole).toLongLong(), idOf(session, QStringLiteral("black.png")));
        // Its picture is decoded off the GUI thread and arrives as the example's icon.
        QTRY_VERIFY(!page->examples()->item(0)->icon().isNull());

        // Gallery filter: only the exact duplicates (all splits).
        GalleryModel *m = w.gallery()->model();
        m->setSplitFilter(GalleryModel::SplitFilter::All);
        m->setSortOrder(GalleryModel::SortOrder::Id);
        const int everything = m->rowCount();
        QComboBox *filter = w.healthFilter()->combo();
        QCOMPARE(filter->objectName(), QStringLiteral("issueFilter"));
        filter->setCurrentIndex(filter->findData(int(IssueType::ExactDuplicate)));
        QVector<qint64> exact{idOf(session, QStringLiteral("g0.png")), idOf(session, QStringLiteral("g1.png")),
                              idOf(session, QStringLiteral("copy.png")), idOf(session, QStringLiteral("leak.png"))};
        std::sort(exact.begin(), exact.end());
        QCOMPARE(shownIds(m), exact);
        // "Show in gallery" from the page: the dark images, framed violet (an image problem).
        Q_EMIT page->showInGallery(IssueType::Dark);
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget *>(w.gallery()));
        QVERIFY(shownIds(m).contains(idOf(session, QStringLiteral("black.png"))));
        const QModelIndex black = m->indexOfSample(idOf(session, QStringLiteral("black.png")));
        QCOMPARE(black.data(GalleryModel::FrameColorRole).value<QColor>(), HealthModel::issueColor(IssueType::Dark));
        QVERIFY(HealthModel::issueColor(IssueType::Dark) != categoryColor(Category::Hard));
        QVERIFY(black.data(Qt::ToolTipRole).toString().contains(QStringLiteral("action: exclude")));
        w.healthFilter()->setIssue(std::nullopt);
        QCOMPARE(m->rowCount(), everything);

        // A duplicate set: keep the selected image, exclude the other; undo restores it.
        QListWidget *sets = page->sets();
        QCOMPARE(sets->count(), 2);
        sets->setCurrentRow(0);
        QCOMPARE(page->examples()->count(), 2);
        const qint64 kept = page->examples()->item(1)->data(Qt::UserRole).toLongLong();
        const qint64 dropped = page->examples()->item(0)->data(Qt::UserRole).toLongLong();
        QVERIFY2(page->keepOne(1, &error), qPrintable(error));
        QVERIFY(session->row(session->indexOf(dropped)).excluded);
        QVERIFY(!session->row(session->indexOf(kept)).excluded);
        session->undoStack()->undo();
        QVERIFY(!session->row(session->indexOf(dropped)).excluded);

        // Exports: a CSV line per flag, a PNG of the page.
        const QByteArray csv = page->csv();
        QVERIFY(csv.startsWith("sample_id,path,offset,split,label,issue,score\n"));
        QCOMPARE(csv.count(",exact_duplicate,"), 4);
        QVERIFY(csv.contains("black.png"));
        QVERIFY2(page->exportCsv(m_dir.filePath(QStringLiteral("flags.csv")), &error), qPrintable(error));
        QVERIFY2(page->exportPng(m_dir.filePath(QStringLiteral("page.png")), &error), qPrintable(error));
        QVERIFY(!QImage(m_dir.filePath(QStringLiteral("page.png"))).isNull());
        QVERIFY(!page->exportCsv(m_dir.filePath(QStringLiteral("missing/flags.csv")), &error));
        QVERIFY2(error.contains(QStringLiteral("missing")), qPrintable(error));

        // Scatter colouring by health issue is offered.
        QVERIFY(w.scatter()->colorCombo()->findData(int(ScatterPanel::ColorBy::HealthIssue)) >= 0);

        // Run the checks again from the window (off the GUI thread): a new check, reloaded.
        // The page shows the stage, a progress bar and Cancel while it runs, and hides them after.
        QSignalSpy finished(health, &HealthModel::checkFinished);
        QSignalSpy progress(health, &HealthModel::progress);
        health->runChecks();
        QVERIFY(health->isRunning());
        QVERIFY(!page->progressBar()->isHidden() && !page->cancelButton()->isHidden() && page->cancelButton()->isEnabled());
        QVERIFY(!page->statusLabel()->text().isEmpty());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().first().toString(), QString());
        // At least the stage start (JobContext reports at most every 100 ms within a stage; this
        // small project takes less): a stage name, fractions in [0, 1], never decreasing.
        QVERIFY(!progress.isEmpty());
        double lastFraction = 0.0;
        for (const QList<QVariant> &p : progress) {
            QVERIFY(!p.at(0).toString().isEmpty());
            QVERIFY(p.at(1).toDouble() >= lastFraction && p.at(1).toDouble() <= 1.0);
            lastFraction = p.at(1).toDouble();
        }
        QVERIFY(page->progressBar()->isHidden() && page->cancelButton()->isHidden() && page->statusLabel()->isHidden());
        QVERIFY(health->hasReport());
        QCOMPARE(health->flaggedCount(IssueType::ExactDuplicate), std::int64_t(4));

        // Cancel: the job stops ("cancelled"), nothing new is stored, the page says so.
        const QString before = health->note();
        ProjectStore *store = session->store();
        const std::optional<HealthRecord> last = store->latestHealth();
        QVERIFY(last);
        finished.clear();
        health->runChecks();
        // Cancelled right after the start: the job polls the flag long before it could finish.
        QTest::mouseClick(page->cancelButton(), Qt::LeftButton);
        QVERIFY(!page->cancelButton()->isEnabled());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().first().toString(), QStringLiteral("cancelled"));
        QVERIFY(!health->isRunning());
        QVERIFY(page->runButton()->isEnabled());
        QVERIFY(page->progressBar()->isHidden() && page->cancelButton()->isHidden());
        QVERIFY2(page->statusLabel()->text().contains(QLatin1String("cancelled")), qPrintable(page->statusLabel()->text()));
        QCOMPARE(store->latestHealth()->id, last->id);
        QCOMPARE(health->note(), before);
    }
};

QTEST_MAIN(TestHealthPage)
#include "tst_healthpage.moc"
