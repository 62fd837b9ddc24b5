#pragma once
// A backbone's sidecar: the JSON file beside a TorchScript backbone (FILE.pt → FILE.json) that
// says how images must be prepared for it and what it returns. Torch-free (app/ and ui/ include
// it); loading the module itself is core/ml/backbone.h.
//
// Sidecar fields (JSON object):
//   name           string, required: a label for people ("resnet18-imagenet", "fashion-cnn")
//   input_size     int, required, 8..1024: the square side H = W the module takes
//   channels       int, required, 1 or 3: C of the module's input (grey or RGB)
//   mean, std      arrays of `channels` numbers, required, in [0, 1] pixel units: the module's
//                  input is (pixel / 255 − mean[c]) / std[c] (torchvision's convention); std > 0
//   embedding_dim  int, required, >= 1: D of forward()'s output [B, D]
//   resize         string, optional (default "stretch"): how an image becomes input_size²:
//                  "stretch" (both sides scaled to input_size, aspect ratio not kept; what
//                  Labelscope's own training does) or "resize_center_crop" (shorter side scaled
//                  to resize_size, then the central input_size² cut out; torchvision's
//                  ImageNet evaluation transform)
//   resize_size    int, optional (default input_size × 256 / 224, rounded): for resize_center_crop
//   tta            string, optional (default "none"): "hflip" makes an image's embedding the mean
//                  of the module's outputs on the image and on its mirror image (test-time
//                  augmentation, for a backbone trained with horizontal flips; it doubles the
//                  extraction time). Opt-in: on Fashion-MNIST with export-model's networks
//                  it moved F1 of hard by at most .002 (RESULTS.md, session 15)
//   classes        array of strings, optional: class names of a classifier exported by
//                  `labelscope export-model` (its logits(x) method returns [B, len(classes)]);
//                  with a classify(e) method from embeddings [B, D] to logits [B, len(classes)],
//                  the embedding analysis of a dataset with these classes also uses the module's
//                  own predictions (learned from other, labelled data)
//   provenance     object, optional: how the file was made (`labelscope pretrain` writes its
//                  method, network, epochs, data and final loss); kept, not interpreted
// Unknown fields are ignored. Grey images are given to a 3-channel backbone with the grey value
// in each channel; a colour image given to a 1-channel backbone is an error.

#include "base/result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace labelscope {

/// How an image is brought to the backbone's input_size (see the file comment).
enum class BackboneResize { Stretch, ResizeCenterCrop };

struct BackboneSidecar {
    QString name;
    int inputSize = 0;
    int channels = 0;
    std::vector<double> mean, std; ///< [channels] each, pixel units in [0, 1]
    int embeddingDim = 0;
    BackboneResize resize = BackboneResize::Stretch;
    int resizeSize = 0;            ///< for ResizeCenterCrop (filled with its default when absent)
    bool ttaHflip = false;         ///< "tta": "hflip"
    QStringList classes;           ///< optional
    QJsonObject provenance;        ///< optional
    QJsonObject toJson() const;
};

/// The sidecar path of a backbone file: FILE.pt → FILE.json (any other suffix: FILE + ".json").
QString backboneSidecarPath(const QString &backboneFile);

/// Reads and checks the sidecar of BACKBONEFILE. Errors name the sidecar file and the field
/// ("…/enc.json: missing \"input_size\"", "…: \"mean\" has 1 value, channels is 3", ...).
Result<BackboneSidecar> readBackboneSidecar(const QString &backboneFile);

/// Checks a sidecar's values (the same rules as readBackboneSidecar); `where` prefixes errors.
Result<> checkBackboneSidecar(const BackboneSidecar &sidecar, const QString &where);

/// Writes the sidecar of BACKBONEFILE (atomically). Error names the file.
Result<> writeBackboneSidecar(const QString &backboneFile, const BackboneSidecar &sidecar);

/// Checks that a backbone can be written to OUTFILE before any work: a name is given, it is not a
/// folder, its folder exists. Errors name the file ("give the output file (--out FILE.pt)", …).
Result<> checkBackboneOutFile(const QString &outFile);

/// Hex SHA-256 of a file's bytes, or an error naming it.
Result<QString> fileSha256(const QString &file);

/// The key under which a backbone's embeddings are cached in a project: the file's SHA-256 and
/// every sidecar field that changes the pixels the module sees or what it returns.
QString backboneCacheKey(const QString &sha256, const BackboneSidecar &sidecar);

} // namespace labelscope
