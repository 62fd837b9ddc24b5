#pragma once
// `labelscope pretrain`: a self-supervised image encoder learned from the images alone (no
// labels are read), written as a TorchScript backbone with its sidecar (backbonefile.h) that
// `--backbone FILE.pt` loads. Three methods of the field, on one of Labelscope's networks with an
// MLP projector. The representation trained and exported is the network's 128-d embedding layer
// before its ReLU (networks.h linearEmbed): after it, units that turned negative on every image
// never learned again (10,000 images, 15 epochs: 42 of 128 dead with SimCLR, 71 with SimSiam,
// all 128 with BYOL, a collapse; tests/benchmarks/RESULTS.md, session 14).
//  - SimCLR (Chen et al., ICML 2020): NT-Xent contrastive loss between two augmented views of
//    each image against the other 2B − 2 views of the batch, temperature τ.
//  - BYOL (Grill et al., NeurIPS 2020): an online network with a predictor regresses a target
//    network's projection of the other view; the target is an exponential moving average of
//    the online network (τ from 0.99 to 1 on a cosine schedule). No negatives.
//  - SimSiam (Chen & He, CVPR 2021): BYOL without the moving average: one network, a predictor
//    and a stop-gradient on the other view's projection.
// Augmentations (the field's standard set, applied per sample on the batch tensor):
//   random resized crop (scale [0.2, 1] of the area, aspect ratio [3/4, 4/3]; [0.3, 1] for images
//   up to 32 px, whose crops of a fifth lose the object), horizontal flip with p = 0.5 (not for
//   digits: looksLikeDigits), colour jitter with p = 0.8 (brightness, contrast 0.4; colour
//   images also saturation 0.4 — hue is not jittered), random grey with p = 0.2 (colour only),
//   Gaussian blur with p = 0.5 (images from 64 px up, σ in [0.1, 2] px, as SimCLR on ImageNet;
//   SimCLR leaves it out on 32-px CIFAR).
// This header is free of LibTorch (app/ and ui/ include it).

#include "base/dataset.h"
#include "base/enumnames.h"
#include "base/result.h"
#include "jobs/job.h"
#include "options.h"

#include <QMetaType>
#include <QString>

#include <vector>

namespace labelscope {

enum class PretrainMethod { SimClr, Byol, SimSiam };
inline constexpr EnumName<PretrainMethod> kPretrainMethodNames[] = {
    {PretrainMethod::SimClr, "simclr"}, {PretrainMethod::Byol, "byol"}, {PretrainMethod::SimSiam, "simsiam"}};

/// Which samples of the dataset are pretrained on: "train" (the training split and samples
/// without a split), "test" or "all".
enum class PretrainSplit { Train, Test, All };
inline constexpr EnumName<PretrainSplit> kPretrainSplitNames[] = {
    {PretrainSplit::Train, "train"}, {PretrainSplit::Test, "test"}, {PretrainSplit::All, "all"}};

struct PretrainParams {
    QString dataSpec;                 ///< a dataset spec (dataset.h loadDataset); labels are never read
    QString outFile;                  ///< FILE.pt; the sidecar goes to FILE.json
    PretrainMethod method = PretrainMethod::SimClr;
    PretrainSplit split = PretrainSplit::Train;
    int epochs = 0;                   ///< 0 = automatic: about 1.5 million augmented pairs, 5..200 epochs (resuming: the checkpoint's)
    int imageSize = 0;                ///< side the encoder takes; 0 = the dataset's (IDX native, files 32)
    Architecture model = Architecture::Auto; ///< the encoder network (networks.h); Auto as analyze
    int batchSize = 256;              ///< images per step (2 views each); 16..4096
    double lr = 0.0;                  ///< Adam learning rate; 0 = the method's default
    /// SimCLR's τ. 0.2: at batches of 64–256 it learned better features than SimCLR's 0.5 (a
    /// linear probe on Fashion-MNIST: .819 against .802 after 15 epochs on 3,000 images; the
    /// paper's 0.5 was for batches of thousands).
    double temperature = 0.2;
    quint64 seed = 1;
    qint64 limit = -1;                ///< at most this many samples per split; -1 = all
    DeviceChoice device = DeviceChoice::Auto;
    int threads = 0;                  ///< intra-op threads on CPU; 0 = measured default
    /// The resumable checkpoint; empty = FILE.pt + ".ckpt". Written every epoch and at most every
    /// `checkpointSeconds` within one, and when cancelled; removed once FILE.pt is written.
    QString checkpointFile;
    double checkpointSeconds = 60.0;
    bool restart = false;             ///< ignore (and replace) an existing checkpoint
};

struct PretrainResult {
    QString outFile, sidecarFile;
    QString model;                    ///< the encoder's network name (kArchitectureNames)
    qint64 images = 0;                ///< images trained on (unreadable ones skipped)
    std::vector<SkippedItem> skipped; ///< images that could not be read (file, reason)
    int epochs = 0;
    int resumedFromEpoch = -1;        ///< the epoch the checkpoint was at (its steps done), -1 = fresh
    double finalLoss = 0.0;           ///< mean loss of the last epoch
    double imagesPerSecond = 0.0;     ///< training throughput (images, each seen as 2 views)
    double seconds = 0.0;
};

/// The pretrain job (core/jobs/job.h), on the calling thread. Stages: "loading" (the images at
/// the encoder's side, held as uint8 [N, C, S, S]), "pretraining" (progress per step, detail
/// "epoch e/E, loss L, R images/s", ETA), "exporting". An existing checkpoint of the same data
/// and settings is resumed (from the step it was written at; the batches and augmentations
/// depend only on the seed, the epoch and the step, so a resumed run equals an uninterrupted
/// one); one of other settings is refused with a message naming what differs (params.restart
/// replaces it). The number of epochs is the one setting a resumed run may change (0 = the
/// checkpoint's): lengthened or shortened, its cosine learning rate goes on from the rate it has
/// to 0 at the new end (pretrain_p.h pretrainLearningRate; BYOL's target momentum follows the new
/// length); a length that ends before the checkpoint's epoch is refused. Cancellable per step
/// (well under a second): the checkpoint is written first.
/// Refused, nothing written: no output file given, an output folder that does not exist, a
/// dataset with fewer than 2 readable images in the split, an encoder that does not fit the
/// image size. Unreadable images are skipped and listed (PretrainResult::skipped).
Result<PretrainResult> runPretrain(const PretrainParams &params, JobContext &context);

} // namespace labelscope

Q_DECLARE_METATYPE(labelscope::PretrainResult)
