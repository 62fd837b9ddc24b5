// GUI tests (offscreen) of the review window's layout (issue 17) at 1280 × 720 and 1920 × 1080:
// the window is not widened by any widget, the action bar (Keep / Accept suggestion / Exclude,
// Previous / Next) is inside the window and no action button is narrower than its text needs,
// also with a long sample path, a confident-joint chip and long class names. With
// LABELSCOPE_SCREENSHOT_DIR set, the window is saved there as review-1280x720.png and
// review-1920x1080.png (docs/ holds the committed ones).

#include "ui/uifixture.h"

#include "gallerywidget.h"
#include "labellingpanel.h"
#include "mainwindow.h"
#include "reviewsession.h"

#include <QDir>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTabWidget>
#include <QTest>

#include <memory>

using namespace labelscope;
using namespace labelscope::ui;

class TestLayout : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void actionBarVisible_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1280x720") << QSize(1280, 720);
        QTest::newRow("1920x1080") << QSize(1920, 1080);
    }

    void actionBarVisible()
    {
        QFETCH(QSize, size);
        QTemporaryDir dir;
        // A deep folder: the sample path is long.
        const QString deep = dir.filePath(QStringLiteral("a-rather-long-folder-name-for-the-images/and-one-more-level/"
                                                         "fashion-mnist-training-images-first-batch"));
        QVERIFY(QDir().mkpath(deep));
        QString error;
        const QString file = testing::makeFixtureProject(deep, &error, 120);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        {
            ProjectStore store;
            QVERIFY(store.open(file));
            QVERIFY(store.renameClass(2, QStringLiteral("a bird with a long class name, small and brown"), QStringLiteral("t")));
        }
        MainWindow w;
        QVERIFY2(w.openProject(file, &error), qPrintable(error));
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.gallery()->showPair(2, 0); // a confident-joint chip with the long name
        w.gallery()->setCurrentSample(w.gallery()->model()->sampleIdAt(0));
        QTest::qWait(50);

        QVERIFY2(w.minimumSizeHint().width() <= size.width() && w.minimumSizeHint().height() <= size.height(),
                 qPrintable(QStringLiteral("minimum %1 x %2").arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));
        if (w.size() != size) { // name the widest parts
            for (int i = 0; i < w.tabs()->count(); ++i)
                qWarning("tab %s: minimum %d", qPrintable(w.tabs()->tabText(i)), w.tabs()->widget(i)->minimumSizeHint().width());
            qWarning("tabs %d, panel column %d", w.tabs()->minimumSizeHint().width(),
                     w.panel()->actionBar()->parentWidget()->minimumSizeHint().width());
        }
        QCOMPARE(w.size(), size);
        LabellingPanel *panel = w.panel();
        QVERIFY(panel->actionBar()->isVisible());
        const QRect inside = w.rect().adjusted(0, 0, 0, -w.statusBar()->height());
        for (QPushButton *b : {panel->keepButton(), panel->acceptSuggestionButton(), panel->excludeButton(),
                               panel->previousButton(), panel->nextButton()}) {
            QVERIFY2(b->isVisible(), qPrintable(b->text()));
            const QRect r(b->mapTo(&w, QPoint(0, 0)), b->size());
            QVERIFY2(inside.contains(r), qPrintable(QStringLiteral("%1 at %2,%3 %4x%5")
                                                        .arg(b->text())
                                                        .arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height())));
            QVERIFY2(b->width() >= b->sizeHint().width(),
                     qPrintable(QStringLiteral("%1: %2 < %3").arg(b->text()).arg(b->width()).arg(b->sizeHint().width())));
        }
        const QByteArray shots = qgetenv("LABELSCOPE_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            w.gallery()->showPair(-1, -1);
            QTest::qWait(300); // thumbnails
            const QString name = QStringLiteral("review-%1x%2.png").arg(size.width()).arg(size.height());
            QVERIFY(w.grab().save(QDir(QString::fromLocal8Bit(shots)).filePath(name)));
        }
    }
};

QTEST_MAIN(TestLayout)
#include "tst_layout.moc"
