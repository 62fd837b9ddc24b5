// Statistics page (offscreen): class histogram given vs current, categories per class, the
// confusion of given label vs prediction, image statistics measured off the GUI thread against
// values computed here from the fixture images, counts following a decision, and PNG export.

#include "ui/uifixture.h"

#include "confusionmatrixview.h"
#include "jobs/imagestatistics.h"
#include "mainwindow.h"
#include "reviewsession.h"
#include "statisticspage.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QBarSet>
#include <QChart>
#include <QSignalSpy>
#include <QStackedBarSeries>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolTip>
#include <QTest>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

namespace {
QList<qreal> setValues(QBarSet *set)
{
    QList<qreal> v;
    for (int i = 0; i < set->count(); ++i)
        v << set->at(i);
    return v;
}
} // namespace

class TestStatisticsPage final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<MainWindow> m_window;

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_file = testing::makeFixtureProject(m_dir->path(), &error, 12);
        QVERIFY2(!m_file.isEmpty(), qPrintable(error));
        m_window = std::make_unique<MainWindow>();
        QVERIFY2(m_window->openProject(m_file, &error), qPrintable(error));
        m_window->resize(1300, 900);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    void cleanup()
    {
        m_window.reset();
        m_dir.reset();
    }

    void sampling()
    {
        const std::vector<int> labels{0, 0, 0, 0, 1, 1, -1, 7};
        QCOMPARE(sampleForImageStats(labels, 2, 2), (std::vector<int>{0, 2, 4, 5}));
        QCOMPARE(sampleForImageStats(labels, 2, 10), (std::vector<int>{0, 1, 2, 3, 4, 5}));
    }

    void countsAndConfusion()
    {
        StatisticsPage *page = m_window->statistics();
        // 12 samples cycling labels 0, 1, 2, 0, 1, 2: four per class, given and current.
        auto *classSeries = qobject_cast<QBarSeries *>(page->classChart()->series().value(0));
        QVERIFY(classSeries);
        QCOMPARE(classSeries->count(), 2);
        QCOMPARE(setValues(classSeries->barSets().at(0)), (QList<qreal>{4, 4, 4}));
        QCOMPARE(setValues(classSeries->barSets().at(1)), (QList<qreal>{4, 4, 4}));
        // Categories by given label: class 0 has ids 1, 4, 7, 10 → easy, hard, easy, hard.
        auto *stacked = qobject_cast<QStackedBarSeries *>(page->categoryChart()->series().value(0));
        QVERIFY(stacked);
        QCOMPARE(stacked->count(), 4); // easy, hard, need review, unknown
        QCOMPARE(setValues(stacked->barSets().at(0)), (QList<qreal>{2, 2, 0}));
        QCOMPARE(setValues(stacked->barSets().at(1)), (QList<qreal>{2, 2, 0}));
        QCOMPARE(setValues(stacked->barSets().at(2)), (QList<qreal>{0, 0, 4}));
        // Confusion (given, predicted) from the fixture pattern, each pair twice.
        ConfusionMatrixView *cm = page->confusion();
        QCOMPARE(cm->classCount(), 3);
        const qint64 expected[3][3] = {{2, 2, 0}, {0, 2, 2}, {2, 0, 2}};
        for (int g = 0; g < 3; ++g)
            for (int p = 0; p < 3; ++p)
                QCOMPARE(cm->count(g, p), expected[g][p]);

        // Hovering a bar names its class (with many classes the axis cannot name every bar).
        Q_EMIT stacked->hovered(true, 2, stacked->barSets().at(2));
        QTRY_VERIFY2(QToolTip::isVisible(), "no tool tip");
        QCOMPARE(QToolTip::text(), QStringLiteral("%1\n%2: 4").arg(m_window->session()->classes().at(2), stacked->barSets().at(2)->label()));
        Q_EMIT stacked->hovered(false, 2, stacked->barSets().at(2));
        QTRY_VERIFY(!QToolTip::isVisible());

        // A decision moves sample 1 from class 0 to class 2: the current-label bars follow.
        std::vector<Decision> d{{1, 2, false, QStringLiteral("relabel")}};
        QVERIFY(m_window->session()->decide(d, QStringLiteral("test")));
        QTRY_COMPARE(setValues(qobject_cast<QBarSeries *>(page->classChart()->series().value(0))->barSets().at(1)),
                     (QList<qreal>{3, 4, 5}));
        QCOMPARE(setValues(qobject_cast<QBarSeries *>(page->classChart()->series().value(0))->barSets().at(0)),
                 (QList<qreal>{4, 4, 4}));
    }

    void imageStatistics()
    {
        StatisticsPage *page = m_window->statistics();
        QSignalSpy ready(page, &StatisticsPage::imageStatsReady);
        m_window->tabs()->setCurrentWidget(page); // computed when the page is first shown
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() >= 1, 20000);
        const ImageStatsResult &r = page->imageStats();
        QCOMPARE(int(r.perClass.size()), 3);
        for (int k = 0; k < 3; ++k) {
            const ClassImageStats &s = r.perClass[std::size_t(k)];
            QCOMPARE(s.images, qint64(4));
            QCOMPARE(s.failed, qint64(0));
            QCOMPARE(s.meanWidth, 12.0);
            QCOMPARE(s.meanHeight, 10.0);
            QCOMPARE(s.colourShare, 1.0); // saturated fills
            // Brightness and contrast of the class's images, computed here with QImage.
            double bright = 0, contrast = 0;
            for (int i = k; i < 12; i += 3) {
                const QImage img(m_dir->filePath(QStringLiteral("img_%1.png").arg(i)));
                QVERIFY(!img.isNull());
                double sum = 0, sumSq = 0;
                for (int y = 0; y < img.height(); ++y)
                    for (int x = 0; x < img.width(); ++x) {
                        const QRgb c = img.pixel(x, y);
                        const double g = 0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c);
                        sum += g;
                        sumSq += g * g;
                    }
                const double n = img.width() * img.height(), mean = sum / n;
                bright += mean / 4;
                contrast += std::sqrt(std::max(0.0, sumSq / n - mean * mean)) / 4;
            }
            QVERIFY2(qAbs(s.meanBrightness - bright) < 1e-6, qPrintable(QString::number(s.meanBrightness)));
            QVERIFY(qAbs(s.meanContrast - contrast) < 1e-6);
            QVERIFY(s.meanContrast > 10); // the black row
        }
        QCOMPARE(page->imageTable()->rowCount(), 3);
        QCOMPARE(page->imageTable()->item(0, 1)->text(), QStringLiteral("4"));
    }

    void axesKeepTheirLabelsAt1280x720()
    {
        // A long class name at 1280 × 720: Qt Charts would cut it to "a bird with a…".
        const QString longName = QStringLiteral("a bird with a long class name, small and brown");
        QVERIFY(m_window->session()->renameClass(2, longName));
        m_window->resize(1280, 720);
        StatisticsPage *page = m_window->statistics();
        m_window->tabs()->setCurrentWidget(page);
        QTRY_VERIFY(page->isVisible());
        for (QChart *chart : {page->classChart(), page->categoryChart()}) {
            // The page rebuilds its axes after the rename: ask the chart each time.
            const auto names = [chart] {
                auto *axis = qobject_cast<QBarCategoryAxis *>(chart->axes(Qt::Horizontal).value(0));
                return axis ? axis->categories() : QStringList();
            };
            QTRY_VERIFY(names().contains(longName));
            QTest::qWait(50); // layout and paint
            QStringList texts;
            for (QGraphicsItem *item : chart->scene()->items())
                if (auto *t = qgraphicsitem_cast<QGraphicsTextItem *>(item))
                    texts << t->toPlainText();
            QVERIFY2(texts.contains(longName), qPrintable(texts.join(QStringLiteral(" | "))));
            for (const QString &t : std::as_const(texts))
                QVERIFY2(!t.contains(QStringLiteral("...")) && !t.contains(QChar(0x2026)), qPrintable(t));
        }
    }

    void manyClassesAreNamedByHover()
    {
        // Upright names from 13 classes; beyond 40 none (narrower than a line of text): the
        // chart's title says to hover a bar, and the tool tip names it.
        StatisticsPage *page = m_window->statistics();
        const auto axis = [page] { return qobject_cast<QBarCategoryAxis *>(page->classChart()->axes(Qt::Horizontal).value(0)); };
        for (int c = 3; c < 13; ++c)
            QVERIFY(m_window->session()->addClass(QStringLiteral("extra %1").arg(c)));
        QTRY_COMPARE(axis() ? axis()->count() : 0, 13);
        QCOMPARE(axis()->labelsAngle(), -90);
        QVERIFY(axis()->labelsVisible());
        QVERIFY(!page->classChart()->title().contains(QLatin1String("hover")));
        for (int c = 13; c < 41; ++c)
            QVERIFY(m_window->session()->addClass(QStringLiteral("extra %1").arg(c)));
        QTRY_COMPARE(axis() ? axis()->count() : 0, 41);
        QVERIFY(!axis()->labelsVisible());
        QVERIFY2(page->classChart()->title().contains(QLatin1String("41 classes: hover a bar")), qPrintable(page->classChart()->title()));
        auto *series = qobject_cast<QBarSeries *>(page->classChart()->series().value(0));
        QVERIFY(series);
        Q_EMIT series->hovered(true, 40, series->barSets().at(0));
        QTRY_COMPARE(QToolTip::text(), QStringLiteral("extra 40\n%1: 0").arg(series->barSets().at(0)->label()));
    }

    void confusionNumbersAt1280x720()
    {
        // Ten Fashion-MNIST classes, 6,000 samples each, in the matrix's place at 1280 × 720.
        m_window->resize(1280, 720);
        StatisticsPage *page = m_window->statistics();
        m_window->tabs()->setCurrentWidget(page);
        QTRY_VERIFY(page->isVisible());
        ConfusionMatrixView cm;
        cm.resize(page->confusion()->size());
        qInfo("confusion matrix at 1280x720: %d x %d", cm.width(), cm.height());
        const QStringList names{QStringLiteral("T-shirt/top"), QStringLiteral("Trouser"), QStringLiteral("Pullover"),
                                QStringLiteral("Dress"), QStringLiteral("Coat"), QStringLiteral("Sandal"),
                                QStringLiteral("Shirt"), QStringLiteral("Sneaker"), QStringLiteral("Bag"),
                                QStringLiteral("Ankle boot")};
        std::vector<qint64> counts(100);
        for (int g = 0; g < 10; ++g)
            for (int p = 0; p < 10; ++p)
                counts[std::size_t(g * 10 + p)] = g == p ? 5400 + 37 * g : (g * 7 + p * 13) % 90;
        cm.setMatrix(names, counts);
        const QFontMetricsF fm(cm.numberFont());
        for (int g = 0; g < 10; ++g)
            for (int p = 0; p < 10; ++p) {
                const QString text = cm.cellText(g, p);
                QVERIFY2(!text.isEmpty(), qPrintable(QStringLiteral("cell %1,%2 empty").arg(g).arg(p)));
                // The full count, or its short form ("5.4k") for thousands.
                const qint64 v = counts[std::size_t(g * 10 + p)];
                QVERIFY2(text == QString::number(v) || (v >= 1000 && text == QStringLiteral("%1k").arg(double(v) / 1e3, 0, 'f', 1)),
                         qPrintable(text));
                QVERIFY(fm.horizontalAdvance(text) <= cm.cellRect(g, p).width());
            }
        QVERIFY(cm.numberFont().pointSizeF() >= 6.0);
    }

    void exportPng()
    {
        StatisticsPage *page = m_window->statistics();
        m_window->tabs()->setCurrentWidget(page);
        for (auto which : {StatisticsPage::Chart::Classes, StatisticsPage::Chart::Categories,
                           StatisticsPage::Chart::ImageStats, StatisticsPage::Chart::Confusion}) {
            const QString file = m_dir->filePath(QStringLiteral("chart%1.png").arg(int(which)));
            QString error;
            QVERIFY2(page->exportChart(which, file, &error), qPrintable(error));
            const QImage img(file);
            QVERIFY(!img.isNull());
            QVERIFY(img.width() > 100 && img.height() > 100);
        }
        QString error;
        QVERIFY(!page->exportChart(StatisticsPage::Chart::Classes, QStringLiteral("/nonexistent/dir/x.png"), &error));
        QVERIFY(error.contains(QStringLiteral("/nonexistent/dir/x.png")));
    }
};

QTEST_MAIN(TestStatisticsPage)
#include "tst_statisticspage.moc"
