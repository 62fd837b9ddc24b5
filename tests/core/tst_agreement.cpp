// Agreement between annotators and the conflict queue of a second review (issue 18,
// core/base/agreement.h), on a label log built by hand with its kappa worked out on paper, and
// on a project's real log (two annotators deciding through ProjectStore).
#include "storefixture.h"

#include "base/agreement.h"
#include "base/projectstore.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace labelscope;

namespace {
LabelEvent logEvent(qint64 sample, const QString &who, int label, bool excluded = false, const char *reason = "relabel")
{
    static qint64 id = 0;
    LabelEvent e;
    e.id = ++id;
    e.sampleId = sample;
    e.annotator = who;
    e.newLabel = label;
    e.newExcluded = excluded;
    e.reason = QString::fromLatin1(reason);
    return e;
}
} // namespace

class TestAgreement final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void kappaAndConflicts()
    {
        // Ten samples of two classes (given 0 for ids 1–5, 1 for 6–10); K = 2, category 2 = excluded.
        //   ana: 0 0 0 0 0 1 1 1 1 x      ben: 0 0 0 0 1 1 1 1 0 x
        // p_o = 8/10; both annotators' frequencies (5, 4, 1)/10, so p_e = .25 + .16 + .01 = .42
        // and κ = (.8 − .42) / (1 − .42) = .38 / .58.
        std::vector<LabelEvent> log;
        for (qint64 id = 1; id <= 10; ++id)
            log.push_back(logEvent(id, QString(), id <= 5 ? 0 : 1, false, "import"));
        const int ana[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, -1}, ben[] = {0, 0, 0, 0, 1, 1, 1, 1, 0, -1};
        for (qint64 id = 1; id <= 10; ++id) {
            log.push_back(logEvent(id, QStringLiteral("ana"), std::max(0, ana[id - 1]), ana[id - 1] < 0,
                                ana[id - 1] < 0 ? "exclude" : "relabel"));
            log.push_back(logEvent(id, QStringLiteral("ben"), std::max(0, ben[id - 1]), ben[id - 1] < 0,
                                ben[id - 1] < 0 ? "exclude" : "accept"));
        }
        AgreementReport r = annotatorAgreement(log, 2);
        QCOMPARE(r.pairs.size(), std::size_t(1));
        QCOMPARE(r.pairs[0].a, QStringLiteral("ana"));
        QCOMPARE(r.pairs[0].samples, 10);
        QCOMPARE(r.pairs[0].agreed, 8);
        QVERIFY(std::abs(r.pairs[0].kappa - 0.38 / 0.58) < 1e-12);
        QCOMPARE(r.conflicts, (std::vector<qint64>{5, 9}));
        QCOMPARE(r.doublyReviewed, 10);
        QCOMPARE(r.classes.size(), std::size_t(2));
        QCOMPARE(r.classes[0].samples, 5);
        QCOMPARE(r.classes[0].agreed, 4); // sample 5
        QCOMPARE(r.classes[1].agreed, 4); // sample 9

        // A third person rules on 5; ana changes her mind on 9: both leave the queue. ben
        // deciding 5 again after the ruling puts it back only if he differs from the ruling.
        log.push_back(logEvent(5, QStringLiteral("cleo"), 1));
        log.push_back(logEvent(9, QStringLiteral("ana"), 0));
        r = annotatorAgreement(log, 2);
        QVERIFY(r.conflicts.empty());
        QCOMPARE(r.pairs.size(), std::size_t(3)); // ana–ben, ana–cleo, ben–cleo
        QCOMPARE(r.pairs[0].agreed, 9);
        log.push_back(logEvent(5, QStringLiteral("ben"), 1));
        QVERIFY(annotatorAgreement(log, 2).conflicts.empty());
        log.push_back(logEvent(5, QStringLiteral("ben"), 0));
        QCOMPARE(annotatorAgreement(log, 2).conflicts, std::vector<qint64>{5});

        // κ is undefined when both annotators only ever chose one category.
        std::vector<LabelEvent> same = {logEvent(1, QStringLiteral("a"), 1), logEvent(1, QStringLiteral("b"), 1)};
        QVERIFY(std::isnan(annotatorAgreement(same, 2).pairs[0].kappa));
    }

    // Two annotators review through the store with double review claims; the report reads the
    // project's own log.
    void fromAProject()
    {
        QTemporaryDir dir;
        ProjectStore store;
        QString error;
        QVERIFY2(store.open(dir.filePath(QStringLiteral("p.lsproj")), &error), qPrintable(error));
        QVERIFY2(store.importDataset(testing::makeDataset(40, 3), &error), qPrintable(error));
        std::vector<qint64> ranked;
        for (qint64 id = 1; id <= 40; ++id)
            ranked.push_back(id);
        const std::vector<qint64> first = store.claimSamples(ranked, 6, QStringLiteral("ana"), 1800, 2).value();
        for (qint64 id : first)
            QVERIFY(store.applyDecisions({{id, int(id % 3), false, QStringLiteral("relabel")}}, QStringLiteral("ana"), &error));
        QVERIFY(store.releaseClaims(QStringLiteral("ana")));
        // With a second review, ben is offered ana's samples first, ana never her own again.
        const std::vector<qint64> second = store.claimSamples(ranked, 6, QStringLiteral("ben"), 1800, 2).value();
        QCOMPARE(second, first);
        QVERIFY(store.claimSamples(first, 6, QStringLiteral("ana"), 1800, 2).value().empty());
        for (qint64 id : second)
            QVERIFY(store.applyDecisions({{id, id == second.front() ? int((id + 1) % 3) : int(id % 3), false,
                                           QStringLiteral("relabel")}},
                                         QStringLiteral("ben"), &error));
        // Decided twice now: nobody is offered them in a second review.
        QVERIFY(store.claimSamples(first, 6, QStringLiteral("cleo"), 1800, 2).value().empty());
        const AgreementReport r = annotatorAgreement(store.events(), int(store.classes().size()));
        QCOMPARE(r.doublyReviewed, 6);
        QCOMPARE(r.pairs.size(), std::size_t(1));
        QCOMPARE(r.pairs[0].agreed, 5);
        QCOMPARE(r.conflicts, std::vector<qint64>{second.front()});
    }
};

QTEST_GUILESS_MAIN(TestAgreement)
#include "tst_agreement.moc"
