#pragma once
// Active-learning configuration, read from YAML with the four sections of the SpaceML
// Active-Labeler config (github.com/spaceml-org/Active-Labeler, README "Configs"): `model`,
// `data`, `train`, `active_learner`, with its key and value names, so that an existing
// Active-Labeler file loads. Labelscope's additions use names in the same style.
//
// Missing sections and keys take the defaults below. An unknown section, key or value is an
// error that names it, the file and the line. Keys that Labelscope accepts but cannot honour
// (pretrained weights, SSL encoders, BCELoss) are listed in AlConfig::warnings.
// Parsing uses yaml-cpp. Torch-free.

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace labelscope {

struct AlConfig {
    // model:
    QString model = QStringLiteral("auto"); ///< auto | small_cnn | medium_cnn | small_resnet (Active-Labeler's Rnet, ResNet18 map to small_resnet)
    QString modelPath;                      ///< accepted, not loaded (no pretrained weights): warning
    QString device = QStringLiteral("auto"); ///< auto | cpu | cuda
    int numClasses = 0;                     ///< 0 = from the data
    // data:
    QString dataset;                        ///< csv | tfds (refused: no TensorFlow) | idx | folder | spec; "" = from the command line
    QString path;                           ///< dataset spec or path ("" = from the command line)
    QStringList classes;                    ///< optional class names (checked against the data)
    // train:
    QString optimizer = QStringLiteral("SGD"); ///< SGD | Adam
    double lr = 0.05;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    bool nesterov = true;
    QString lossFn = QStringLiteral("CrossEntropyLoss"); ///< CrossEntropyLoss | NLLLoss | BCELoss (→ softmax cross-entropy, warning)
    int batchSize = 64;
    int epochs = 30;                        ///< epochs per round over the labelled set
    int minSteps = 400;                     ///< ours: at least this many SGD steps per round (small labelled sets)
    bool augment = true;                    ///< ours: random crop (padding 2) + horizontal flip
    bool hflip = true;                      ///< ours
    bool warmStart = false;                 ///< ours: continue from the previous round's weights
    double pseudoLabelThreshold = 0.0;      ///< ours: add pool samples predicted with p ≥ this (0 = off)
    int pseudoLabelMax = 0;                 ///< ours: at most this many pseudo-labels per round (0 = no cap)
    QString pseudoLabelScope = QStringLiteral("scored"); ///< ours: pseudo-labels from the scored `limit` subset, or from the whole unlabelled `pool`
    bool strongAugment = false;             ///< ours: pseudo-labelled images get a strong augmentation (affine + erasing)
    double emaDecay = 0.0;                  ///< ours: > 0 = predict with the moving average of the weights (e.g. 0.999)
    bool tta = false;                       ///< ours: predictions average the image and its mirror (with hflip)
    int mcSamples = 10;                     ///< ours: MC-dropout passes for bald
    // active_learner:
    int iterations = 10;
    QString strategy = QStringLiteral("margin_based");     ///< an uncertainty name (querystrategy.h)
    int numLabelled = 250;                  ///< labels queried per round
    QString diversity = QStringLiteral("pick_top_n");      ///< a diversity name (querystrategy.h)
    qint64 limit = -1;                      ///< score a random subset of the pool of this size; -1 = all
    bool preindex = false;                  ///< FAISS: the first batch = nearest unlabelled neighbours of the labelled seed
    QString testDataset;                    ///< accepted; Labelscope evaluates on the data's test split
    int initialLabelled = 500;              ///< ours: cold-start labels (round 0)
    QString coldStart = QStringLiteral("stratified_random"); ///< ours: stratified_random | random_sampling | kmeans
    int clusters = 10;                      ///< ours: k for clustering_sampling
    int budget = 0;                         ///< ours: stop when this many labels are used (0 = iterations only)
    double targetAccuracy = 0.0;            ///< ours: stop at this test/validation accuracy (0 = off)
    int plateauRounds = 0;                  ///< ours: stop after this many rounds without gain > plateauDelta (0 = off)
    double plateauDelta = 0.002;
    quint64 seed = 1;

    QStringList warnings;                   ///< accepted but not honoured, with file:line

    QJsonObject toJson() const;
};

/// Parses YAML text; `source` names it in messages (a file name). False with *error
/// "SOURCE:LINE: ..." on a syntax error, an unknown section/key/value, or a value of the wrong type.
bool parseAlConfig(const QByteArray &yaml, const QString &source, AlConfig *out, QString *error);

/// Reads FILE and parses it.
bool loadAlConfig(const QString &file, AlConfig *out, QString *error);

} // namespace labelscope
