#pragma once
// Image datasets for Labelscope: one in-memory table of samples plus their pixels at the
// training resolution, read from IDX files, an ImageFolder tree or a CSV manifest.
//
// Readers never throw and never crash on bad input: a corrupt, empty, truncated, oversized or
// missing image is skipped and listed in Dataset::skipped (file, place, reason); a malformed
// container (truncated IDX, unreadable CSV, unknown spec) is refused with LoadResult::error,
// which names the file and the byte offset or line. Every size a file declares is checked
// against the bytes present (gzip included) before it sizes an allocation, the number of
// classes against kMaxClasses (sizelimits.h), and a FIFO, socket or device is refused before
// it is opened (a FIFO would block the reader forever).

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <vector>

namespace labelscope {

/// One input that was skipped or refused while reading.
struct SkippedItem {
    QString file;      ///< the file concerned (absolute path where known)
    QString location;  ///< "line 12", "byte 16", "" when the whole file is concerned
    QString reason;    ///< human-readable reason ("not an image", "truncated", ...)
    /// {"file", "location", "reason"}: the form every JSON summary lists skipped inputs in.
    QJsonObject toJson() const;
};

/// One sample as read from a source. Labels are class indices into Dataset::classes.
struct Sample {
    QString source;     ///< "idx", "folder" or "csv"
    QString path;       ///< image file, or the IDX images file for source "idx"
    qint64 offset = -1; ///< index of the image inside the IDX file; -1 for files
    QString split;      ///< "train", "test" or "" (unassigned; treated as train)
    int label = -1;     ///< given label; -1 = unlabelled
    int trueLabel = -1; ///< known true label (after noise injection); -1 = unknown
};

/// A dataset held in memory. pixels is uint8 [N, C, H, W] row-major, N = samples.size(), at the
/// training resolution (IDX keeps its native size; images from files are resized to
/// LoadOptions::imageSize). The Dataset owns all its memory.
struct Dataset {
    QString spec;                   ///< the spec it was loaded from
    QStringList classes;            ///< class names, index = label
    std::vector<Sample> samples;
    int channels = 1, height = 0, width = 0;
    std::vector<std::uint8_t> pixels;
    std::vector<SkippedItem> skipped;

    std::size_t imageBytes() const { return std::size_t(channels) * height * width; }
    const std::uint8_t *image(std::size_t i) const { return pixels.data() + i * imageBytes(); }
};

/// Which samples a limit keeps from image files (ImageFolder, CSV manifest).
enum class LimitOrder {
    /// In turn from each class (then the unlabelled), each in file order: a subset of a folder
    /// sorted by class holds every class, not the first few.
    AcrossClasses,
    /// The first in file order (how projects made before "limit_order" was stored were read).
    FileOrder,
};
/// Project metadata "limit_order" values: "classes", "file".
QString limitOrderName(LimitOrder order);
/// LimitOrder of a stored name; "" (a project made before the key existed) is FileOrder.
LimitOrder limitOrderFromName(const QString &name);

struct LoadOptions {
    /// At most this many samples per split; -1 = all. IDX files keep their first ones; image
    /// files are picked as limitOrder says (a class none of whose images was tried is kept).
    qint64 limit = -1;
    LimitOrder limitOrder = LimitOrder::AcrossClasses;
    int imageSize = 32;           ///< side of the square training resolution for file images
    qint64 maxPixels = 40000000;  ///< refuse an image whose header claims more pixels than this
    /// Threads decoding image files side by side (this one included); 0 = one per core. The
    /// dataset is the same whatever the number: samples, order, skipped entries and pixels.
    int threads = 0;
    /// Called now and then with (done, total); return false to cancel (LoadResult::error = "cancelled").
    std::function<bool(qint64, qint64)> progress;
};

struct LoadResult {
    Dataset dataset;
    QString error; ///< empty on success
    bool ok() const { return error.isEmpty(); }
};

/// Resolves SPEC and reads it: "fashion-mnist" (→ /usr/share/datasets/fashion-mnist/), "mnist",
/// a folder of IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz], labels
/// beside them; both splits read), an ImageFolder root (root/<class>/<image> or
/// root/<split>/<class>/<image>; PNG, JPEG, BMP, WebP, TIFF, PNM, HEIC/HEIF and AVIF),
/// or a CSV manifest (path,label[,split]; header optional).
LoadResult loadDataset(const QString &spec, const LoadOptions &options = {});

/// A key that identifies a sample's image across a dataset load and a project ("path#offset").
QString sampleKey(const Sample &sample);

/// True when every class name is a number (digits): horizontal flips would change their meaning,
/// so augmentation leaves them out. Clothes, animals and objects stay themselves when flipped.
bool looksLikeDigits(const QStringList &classes);

/// Reads one IDX images file (+ optional labels file, "" for none), gzipped or not, as `split`.
LoadResult readIdx(const QString &imagesFile, const QString &labelsFile, const QString &split,
                   const LoadOptions &options = {});
/// Reads root/<class>/<image> (images in nested folders of a class belong to it). Files directly
/// in root are unlabelled samples; hidden entries and files without an image extension are
/// ignored. When every folder of root that holds images is named as a split (train/training →
/// "train"; test/testing/val/valid/validation/eval → "test", the held-out split; any case), the
/// layout is root/<split>/<class>/<image>: the classes are the union of the class folders, and
/// images directly in a split folder are unlabelled samples of that split. A root/classes.txt of
/// "folder<TAB>class name" lines (what Labelscope's ImageFolder export writes) names the classes
/// and fixes their order (listed classes without a folder kept; folders it does not list follow,
/// by name); a classes.txt in another format is listed in skipped as not used, one naming a folder
/// or a class twice is an error. A root whose only content is one folder of folders (two or more,
/// or splits), as an archive unpacks, is read as that folder. Listed in Dataset::skipped, never dropped silently: names that are not valid UTF-8
/// (shown with \xNN escapes), symbolic link loops, broken links named as images, FIFOs, sockets
/// and devices, unreadable folders, symbolic links to folders inside a class (not followed), and
/// a class folder none of whose images could be read (the class is then not created). More than
/// kMaxClasses class folders is an error.
LoadResult readImageFolder(const QString &root, const LoadOptions &options = {});
/// Reads a CSV manifest path,label[,split]; or, when the first row is a header naming "path" and
/// "label", the columns by name (any order; "split" and "excluded" used when present, a row with
/// excluded = 1 left out and listed; other columns ignored: Labelscope's CSV export re-imports);
/// relative paths resolve against the CSV's folder; splits as splitOfName (imagejobs.h) names them, val held out;
/// an empty label means unlabelled. Class names are taken in order of first appearance unless
/// a classes.txt (one name a line) lies beside the CSV, in which case other labels are errors.
/// A path given again (after cleaning, e.g. "./a.png" = "a.png") is imported once, from its first
/// row; every later row of it is listed in skipped as "duplicate of line N", saying which label
/// and split were kept when they differ. A derived class none of whose images could be read is
/// not created (listed at the line of its first row). More than kMaxClasses classes is an error.
LoadResult readCsvManifest(const QString &csvFile, const LoadOptions &options = {});

/// A decoded image, interleaved HWC uint8 (channels 1 or 3, RGB order), upright: a JPEG's EXIF
/// orientation is applied (OpenCV's imdecode does it), so a phone photo taken upright is upright.
struct DecodedImage {
    int width = 0, height = 0, channels = 0;
    /// The image's own size, upright, when it was decoded reduced (decodeImageFile's minSide);
    /// 0 when width × height is its own size. sourceWidth()/sourceHeight() give it either way.
    int fullWidth = 0, fullHeight = 0;
    std::vector<std::uint8_t> pixels;

    int sourceWidth() const { return fullWidth > 0 ? fullWidth : width; }
    int sourceHeight() const { return fullHeight > 0 ? fullHeight : height; }
};

/// The smallest side the whole-picture pixel statistics (the health checks, the statistics page)
/// decode an image at (decodeImageFile's minSide): a camera JPEG at 1/8 (504 × 378 of 4032 ×
/// 3024) or an iPhone HEIC's 320 × 240 thumbnail item qualify.
constexpr int kMeasureMinSide = 240;

/// Decodes an image file with OpenCV after checking its header's claimed size against
/// maxPixels. Returns false and sets *error (without the file name) on failure ("file not
/// found", "a FIFO (named pipe), not a regular file", a header or decoding problem).
///
/// minSide > 0 lets a JPEG be decoded reduced, for a caller that will shrink it anyway: at 1/2,
/// 1/4 or 1/8 of its size (libjpeg's scaled inverse DCT, OpenCV's IMREAD_REDUCED_*; at 1/8 each
/// pixel is the exact mean of its 8×8 block), the smallest scale whose both sides are still at
/// least minSide. A 12-megapixel photo decodes about 3× faster at 1/8 (RESULTS.md, session 22).
/// A HEIC or AVIF comes as its smallest thumbnail item with both sides at least minSide when it
/// has one (heifimage.h). Other formats, and a JPEG too small to reduce, are decoded whole.
/// out->fullWidth/fullHeight then hold the image's own size.
bool decodeImageFile(const QString &file, qint64 maxPixels, DecodedImage *out, QString *error, int minSide = 0);

/// Pixels of one sample (IDX files are read once and cached per process; thread-safe), at its
/// native resolution, or reduced as decodeImageFile's minSide allows (files only). Returns false
/// and sets *error on failure.
bool loadSampleImage(const Sample &sample, DecodedImage *out, QString *error, int minSide = 0);

/// Class names of Fashion-MNIST, in label order.
QStringList fashionMnistClasses();

/// The spec as a project stores it, so that it means the same from any working directory: a
/// keyword of loadDataset ("fashion-mnist", "mnist", in any of their accepted spellings) in its
/// canonical spelling; anything else (a folder, a CSV manifest, an IDX file) as an absolute,
/// clean path resolved against the current directory (symlinks are kept). Empty stays empty.
QString canonicalDataSpec(const QString &spec);

} // namespace labelscope
