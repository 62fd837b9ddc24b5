#pragma once
// Active-learning configuration, read from YAML with the four sections of the SpaceML
// Active-Labeler config (github.com/spaceml-org/Active-Labeler, README "Configs"): `model`,
// `data`, `train`, `active_learner`, with its key and value names, so that an existing
// Active-Labeler file loads. Labelscope's additions use names in the same style.
//
// Missing sections and keys take the defaults below. An unknown section, key or value is an
// error that names it, the file, the line and the column. Every numeric key must be finite
// (.inf and .nan are refused) and within the range given in [brackets] below; the error names
// the dotted key ("train.optimizer.config.lr"), the range and the value. Keys that Labelscope accepts but cannot honour
// (pretrained weights, SSL encoders, BCELoss) are listed in AlConfig::warnings; a backbone (an
// encoder from `labelscope pretrain`, a model from `labelscope export-model`, or any TorchScript
// module with its sidecar) is model.backbone.
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
    int numClasses = 0;                     ///< 0 = from the data; else [2, kMaxClasses]
    QString backbone;                       ///< ours: a TorchScript backbone FILE.pt (sidecar FILE.json beside it): the
                                            ///< learner is a head on its embeddings, not a CNN on pixels ("" = CNN).
                                            ///< A relative path is relative to the config file's folder.
    QString head = QStringLiteral("mlp");   ///< ours: the head on the backbone's embeddings: mlp | logistic
    bool fineTune = false;                  ///< ours: the learner is the CNN, initialised from model.backbone's weights
                                            ///< (a network Labelscope made: core/ml/finetune.h) and trained whole
    // data:
    QString dataset;                        ///< csv | tfds (refused: no TensorFlow) | idx | folder | spec; "" = from the command line
    QString path;                           ///< dataset spec or path ("" = from the command line)
    QStringList classes;                    ///< optional class names (checked against the data)
    // train:
    QString optimizer = QStringLiteral("SGD"); ///< SGD | Adam
    double lr = 0.05;                       ///< (0, 10]
    double momentum = 0.9;                  ///< [0, 1)
    double weightDecay = 5e-4;              ///< [0, 1]
    bool nesterov = true;
    QString lossFn = QStringLiteral("CrossEntropyLoss"); ///< CrossEntropyLoss | NLLLoss | BCELoss (→ softmax cross-entropy, warning)
    int batchSize = 64;                     ///< [1, 65536]
    int epochs = 30;                        ///< epochs per round over the labelled set [1, 100000]
    int minSteps = 400;                     ///< ours: at least this many SGD steps per round (small labelled sets) [0, 1e8]
    bool augment = true;                    ///< ours: random crop (padding 2) + horizontal flip
    bool hflip = true;                      ///< ours
    bool warmStart = false;                 ///< ours: continue from the previous round's weights
    double pseudoLabelThreshold = 0.0;      ///< ours: add pool samples predicted with p ≥ this (0 = off) [0, 1]
    int pseudoLabelMax = 0;                 ///< ours: at most this many pseudo-labels per round (0 = no cap) [0, INT_MAX]
    QString pseudoLabelScope = QStringLiteral("scored"); ///< ours: pseudo-labels from the scored `limit` subset, or from the whole unlabelled `pool`
    bool strongAugment = false;             ///< ours: pseudo-labelled images get a strong augmentation (affine + erasing)
    double consistencyWeight = 0.0;         ///< ours: FixMatch's unlabelled-loss weight lambda_u on the pool (0 = off) [0, 100]
    int unlabelledRatio = 3;                ///< ours: FixMatch's mu, unlabelled images per labelled one in a step [1, 64]
    double consistencyThreshold = 0.95;     ///< ours: FixMatch's tau [0, 1]
    double emaDecay = 0.0;                  ///< ours: > 0 = predict with the moving average of the weights (e.g. 0.999) [0, 1)
    bool tta = false;                       ///< ours: predictions average the image and its mirror (with hflip)
    double fineTuneLrScale = 0.1;           ///< ours: with model.fine_tune, the backbone's layers learn at this share of lr [0, 1]
    int mcSamples = 10;                     ///< ours: MC-dropout passes for bald [1, 1000]; bald needs >= 2
    // active_learner:
    int iterations = 10;                    ///< [1, 100000]
    QString strategy = QStringLiteral("margin_based");     ///< an uncertainty name (querystrategy.h)
    int numLabelled = 250;                  ///< labels queried per round [1, INT_MAX]
    QString diversity = QStringLiteral("pick_top_n");      ///< a diversity name (querystrategy.h)
    qint64 limit = -1;                      ///< score a random subset of the pool of this size; -1 = all
    bool preindex = false;                  ///< FAISS: the first batch = nearest unlabelled neighbours of the labelled seed
    QString testDataset;                    ///< accepted; Labelscope evaluates on the data's test split
    int initialLabelled = 500;              ///< ours: cold-start labels (round 0) [0, INT_MAX]
    QString coldStart = QStringLiteral("stratified_random"); ///< ours: stratified_random | random_sampling | kmeans
    int clusters = 10;                      ///< ours: k for clustering_sampling [1, 100000]
    int budget = 0;                         ///< ours: stop when this many labels are used (0 = iterations only) [0, INT_MAX]
    double targetAccuracy = 0.0;            ///< ours: stop at this test/validation accuracy (0 = off) [0, 1]
    int plateauRounds = 0;                  ///< ours: stop after this many rounds without gain > plateauDelta (0 = off) [0, 100000]
    double plateauDelta = 0.002;            ///< [0, 1]
    quint64 seed = 1;

    QStringList warnings;                   ///< accepted but not honoured, with file:line

    /// True when the learner is a head on model.backbone's embeddings (a backbone, not fine-tuned).
    bool usesEmbeddings() const { return !backbone.isEmpty() && !fineTune; }

    QJsonObject toJson() const;
};

/// Parses YAML text; `source` names it in messages (a file name). False with *error
/// "SOURCE:LINE:COLUMN: ..." on a syntax error ("SOURCE:LINE: ..."), an unknown section/key/value,
/// a value of the wrong type, or a number that is not finite or out of its range.
bool parseAlConfig(const QByteArray &yaml, const QString &source, AlConfig *out, QString *error);

/// Reads FILE and parses it. A FIFO, socket or device is refused before it is opened.
bool loadAlConfig(const QString &file, AlConfig *out, QString *error);

} // namespace labelscope
