// Tests of the active-learning YAML config (core/ml/alconfig.h): Active-Labeler files load,
// defaults fill missing sections, unknown keys and values are errors naming them and the line.

#include "ml/alconfig.h"

#include <QTemporaryDir>
#include <QTest>

using namespace labelscope;

class TestAlConfig final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void activeLabelerFileLoads()
    {
        // configs/config_csv_pytorch.yaml of spaceml-org/Active-Labeler, with the README's values.
        const QByteArray yaml =
            "model:\n"
            "  model : Rnet # model and model_path need not be specified if using SSL.\n"
            "  model_path : null\n"
            "  device  : cuda\n"
            "data:\n"
            "  dataset : csv\n"
            "  path : configs/merced_test.csv\n"
            "train:\n"
            "  optimizer :\n"
            "    name : SGD\n"
            "    config :\n"
            "      momentum : 0\n"
            "      lr : 1.0e-3\n"
            "  loss_fn :\n"
            "    name : CrossEntropyLoss\n"
            "  batch_size : 64\n"
            "  epochs : 5\n"
            "active_learner :\n"
            "  iterations : 30\n"
            "  strategy : margin_based\n"
            "  num_labelled : 20\n"
            "  diversity_sampling : iterative_proximity_sampling\n"
            "  limit : -1\n"
            "  preindex : False\n";
        AlConfig c;
        QString error;
        QVERIFY2(parseAlConfig(yaml, QStringLiteral("al.yaml"), &c, &error), qPrintable(error));
        QCOMPARE(c.model, QStringLiteral("small_resnet"));
        QCOMPARE(c.device, QStringLiteral("cuda"));
        QCOMPARE(c.dataset, QStringLiteral("csv"));
        QCOMPARE(c.path, QStringLiteral("configs/merced_test.csv"));
        QCOMPARE(c.momentum, 0.0);
        QCOMPARE(c.lr, 1e-3);
        QCOMPARE(c.batchSize, 64);
        QCOMPARE(c.epochs, 5);
        QCOMPARE(c.iterations, 30);
        QCOMPARE(c.strategy, QStringLiteral("margin_based"));
        QCOMPARE(c.numLabelled, 20);
        QCOMPARE(c.diversity, QStringLiteral("iterative_proximity_sampling"));
        QCOMPARE(c.limit, qint64(-1));
        QCOMPARE(c.preindex, false);
        QVERIFY(c.warnings.join(QLatin1Char('\n')).contains(QLatin1String("al.yaml:2")));
    }

    void valueNames_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<QString>("diversity");
        for (const char *s : {"least_confidence", "margin_based", "entropy_based", "random_sampling", "bald"})
            for (const char *d : {"pick_top_n", "iterative_proximity_sampling", "clustering_sampling", "random_sampling",
                                  "coreset", "ranked_batch", "badge"})
                QTest::addRow("%s/%s", s, d) << QString::fromLatin1(s) << QString::fromLatin1(d);
    }
    void valueNames()
    {
        QFETCH(QString, strategy);
        QFETCH(QString, diversity);
        const QByteArray yaml = QStringLiteral("active_learner:\n  strategy: %1\n  diversity_sampling: %2\n")
                                    .arg(strategy, diversity).toUtf8();
        AlConfig c;
        QString error;
        QVERIFY2(parseAlConfig(yaml, QStringLiteral("x.yaml"), &c, &error), qPrintable(error));
        QCOMPARE(c.strategy, strategy);
        QCOMPARE(c.diversity, diversity);
    }

    void uncertaintySamplingAlias()
    {
        AlConfig c;
        QString error;
        QVERIFY(parseAlConfig("active_learner:\n  strategy : uncertainty_sampling\n", QStringLiteral("x"), &c, &error));
        QCOMPARE(c.strategy, QStringLiteral("least_confidence"));
    }

    void defaults()
    {
        AlConfig c;
        QString error;
        QVERIFY(parseAlConfig("", QStringLiteral("empty.yaml"), &c, &error));
        const AlConfig d;
        QCOMPARE(c.strategy, d.strategy);
        QCOMPARE(c.numLabelled, d.numLabelled);
        QVERIFY(parseAlConfig("train:\n  epochs: 7\n", QStringLiteral("t.yaml"), &c, &error));
        QCOMPARE(c.epochs, 7);
        QCOMPARE(c.iterations, d.iterations);
        QCOMPARE(c.batchSize, d.batchSize);
        // Adam without an lr gets Adam's usual 1e-3.
        QVERIFY(parseAlConfig("train:\n  optimizer:\n    name: Adam\n", QStringLiteral("t.yaml"), &c, &error));
        QCOMPARE(c.lr, 1e-3);
        // Labelscope's own training keys.
        QVERIFY(parseAlConfig("model:\n  model: small_resnet\ntrain:\n  pseudo_label_scope: pool\n  strong_augment: True\n"
                              "  ema_decay: 0.99\n  tta: True\n", QStringLiteral("t.yaml"), &c, &error));
        QCOMPARE(c.model, QStringLiteral("small_resnet"));
        QCOMPARE(c.pseudoLabelScope, QStringLiteral("pool"));
        QVERIFY(c.strongAugment);
        QCOMPARE(c.emaDecay, 0.99);
        QVERIFY(c.tta);
        QVERIFY(!d.strongAugment && d.emaDecay == 0.0 && !d.tta && d.pseudoLabelScope == QStringLiteral("scored"));
        // FixMatch's three keys; off by default.
        QVERIFY(parseAlConfig("train:\n  consistency_weight: 1.5\n  unlabelled_ratio: 5\n  consistency_threshold: 0.9\n",
                              QStringLiteral("t.yaml"), &c, &error));
        QCOMPARE(c.consistencyWeight, 1.5);
        QCOMPARE(c.unlabelledRatio, 5);
        QCOMPARE(c.consistencyThreshold, 0.9);
        QCOMPARE(d.consistencyWeight, 0.0);
        QVERIFY(!parseAlConfig("train:\n  unlabelled_ratio: 0\n", QStringLiteral("t.yaml"), &c, &error));
        QVERIFY2(error.contains(QLatin1String("train.unlabelled_ratio")), qPrintable(error));
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("expected"); // every word must appear in the message
        QTest::newRow("unknown section") << QByteArray("model:\n  device: cpu\ntrainer:\n  epochs: 3\n") << QStringLiteral("bad.yaml:3 trainer");
        QTest::newRow("unknown key") << QByteArray("active_learner:\n  iterations: 3\n  num_labeled: 20\n") << QStringLiteral("bad.yaml:3 num_labeled active_learner");
        QTest::newRow("unknown strategy") << QByteArray("active_learner:\n  strategy: smallest_margin\n") << QStringLiteral("bad.yaml:2 smallest_margin margin_based");
        QTest::newRow("unknown diversity") << QByteArray("active_learner:\n\n  diversity_sampling: kmeans\n") << QStringLiteral("bad.yaml:3 kmeans clustering_sampling");
        QTest::newRow("unknown model") << QByteArray("model:\n  model: VGG16\n") << QStringLiteral("bad.yaml:2 VGG16");
        QTest::newRow("not a number") << QByteArray("train:\n  epochs: many\n") << QStringLiteral("bad.yaml:2 epochs many");
        QTest::newRow("not a bool") << QByteArray("active_learner:\n  preindex: perhaps\n") << QStringLiteral("bad.yaml:2 preindex");
        QTest::newRow("nested unknown") << QByteArray("train:\n  optimizer:\n    name: SGD\n    config:\n      lrate: 0.1\n") << QStringLiteral("bad.yaml:5 lrate");
        QTest::newRow("syntax") << QByteArray("train:\n  epochs: [3\n") << QStringLiteral("bad.yaml");
        QTest::newRow("top not map") << QByteArray("- a\n- b\n") << QStringLiteral("bad.yaml:1 mapping");
        QTest::newRow("range") << QByteArray("active_learner:\n  num_labelled: 0\n") << QStringLiteral("bad.yaml num_labelled");
        QTest::newRow("limit") << QByteArray("active_learner:\n  limit: 0\n") << QStringLiteral("bad.yaml:2 limit");
        QTest::newRow("tfds") << QByteArray("data:\n  dataset: tfds\n") << QStringLiteral("bad.yaml:2 tfds");
        QTest::newRow("pseudo-label scope") << QByteArray("train:\n  pseudo_label_scope: everything\n") << QStringLiteral("bad.yaml:2 everything scored pool");
        QTest::newRow("ema range") << QByteArray("train:\n  ema_decay: 1.5\n") << QStringLiteral("bad.yaml ema_decay");
        QTest::newRow("lr nan") << QByteArray("train:\n  optimizer:\n    config:\n      lr: .nan\n") << QStringLiteral("bad.yaml:4 lr finite .nan");
        QTest::newRow("momentum -inf") << QByteArray("train:\n  optimizer:\n    config:\n      momentum: -.Inf\n") << QStringLiteral("bad.yaml:4 momentum finite");
        QTest::newRow("ema nan") << QByteArray("train:\n  ema_decay: .NaN\n") << QStringLiteral("bad.yaml:2 ema_decay finite");
        QTest::newRow("plateau inf") << QByteArray("active_learner:\n  plateau_delta: .inf\n") << QStringLiteral("bad.yaml:2 plateau_delta finite");
    }
    void errors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, expected);
        AlConfig c;
        QString error;
        QVERIFY(!parseAlConfig(yaml, QStringLiteral("bad.yaml"), &c, &error));
        for (const QString &word : expected.split(QLatin1Char(' ')))
            QVERIFY2(error.contains(word), qPrintable(QStringLiteral("'%1' lacks '%2'").arg(error, word)));
    }

    void fileErrors()
    {
        AlConfig c;
        QString error;
        QVERIFY(!loadAlConfig(QStringLiteral("/nonexistent/al.yaml"), &c, &error));
        QVERIFY(error.contains(QLatin1String("/nonexistent/al.yaml")));
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("al.yaml"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("active_learner:\n  strategy: entropy_based\n  budget: 2500\n  target_accuracy: 0.9\n");
        f.close();
        QVERIFY2(loadAlConfig(file, &c, &error), qPrintable(error));
        QCOMPARE(c.strategy, QStringLiteral("entropy_based"));
        QCOMPARE(c.budget, 2500);
        QCOMPARE(c.targetAccuracy, 0.9);
    }
};

QTEST_GUILESS_MAIN(TestAlConfig)
#include "tst_alconfig.moc"
