// HEIF and AVIF through libheif (heifimage.h).
#include "heifimage.h"

#include <libheif/heif.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace labelscope {

namespace {

void initialiseLibheif()
{
    static std::once_flag once;
    std::call_once(once, [] { heif_init(nullptr); }); // plugins; held for the process' life
}

struct ContextDeleter {
    void operator()(heif_context *c) const { heif_context_free(c); }
};
struct HandleDeleter {
    void operator()(const heif_image_handle *h) const { heif_image_handle_release(h); }
};
struct ImageDeleter {
    void operator()(const heif_image *i) const { heif_image_release(i); }
};
using Context = std::unique_ptr<heif_context, ContextDeleter>;
using Handle = std::unique_ptr<const heif_image_handle, HandleDeleter>;

/// The primary image's handle of BYTES (which must outlive the context), or null with *error.
Handle primaryImage(const QByteArray &bytes, const QString &format, Context *context, QString *error)
{
    initialiseLibheif();
    if (format == QLatin1String("AVIF") && !heif_have_decoder_for_format(heif_compression_AV1)) {
        *error = unreadFormatReason(QStringLiteral("AVIF")) + QStringLiteral(" (this libheif has no AV1 decoder)");
        return nullptr;
    }
    context->reset(heif_context_alloc());
    if (!*context) {
        *error = QStringLiteral("cannot read %1: out of memory").arg(format);
        return nullptr;
    }
    heif_context_set_max_decoding_threads(context->get(), 0); // images are decoded side by side already
    heif_error e = heif_context_read_from_memory_without_copy(context->get(), bytes.constData(), std::size_t(bytes.size()), nullptr);
    if (e.code != heif_error_Ok) {
        *error = QStringLiteral("malformed %1: %2").arg(format, QString::fromUtf8(e.message));
        return nullptr;
    }
    heif_image_handle *handle = nullptr;
    e = heif_context_get_primary_image_handle(context->get(), &handle);
    if (e.code != heif_error_Ok || !handle) {
        *error = QStringLiteral("malformed %1: no primary image (%2)").arg(format, QString::fromUtf8(e.message));
        return nullptr;
    }
    return Handle(handle);
}

} // namespace

bool isHeifFamily(const QByteArray &bytes, QString *format)
{
    if (bytes.size() < 12 || std::memcmp(bytes.constData() + 4, "ftyp", 4) != 0)
        return false;
    const QByteArray brand = bytes.mid(8, 4);
    if (brand == "avif" || brand == "avis") {
        *format = QStringLiteral("AVIF");
        return true;
    }
    for (const char *heif : {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"})
        if (brand == heif) {
            *format = QStringLiteral("HEIF");
            return true;
        }
    return false;
}

namespace {

/// INFO from the primary image's handle; false with *error for a size that is not positive.
bool headerOf(const heif_image_handle *primary, const QString &format, ImageHeaderInfo *info, QString *error)
{
    const int width = heif_image_handle_get_width(primary), height = heif_image_handle_get_height(primary);
    if (width <= 0 || height <= 0) {
        *error = QStringLiteral("malformed %1: invalid size %2x%3").arg(format).arg(width).arg(height);
        return false;
    }
    info->format = format;
    info->width = width;
    info->height = height;
    info->channels = 3;
    return true;
}

} // namespace

bool sniffHeif(const QByteArray &bytes, const QString &format, ImageHeaderInfo *info, QString *error)
{
    Context context;
    const Handle handle = primaryImage(bytes, format, &context, error);
    return handle && headerOf(handle.get(), format, info, error);
}

namespace {

/// The smallest thumbnail of PRIMARY whose both sides are at least minSide, or null.
Handle thumbnailFor(const heif_image_handle *primary, int minSide)
{
    const int count = heif_image_handle_get_number_of_thumbnails(primary);
    if (minSide <= 0 || count <= 0)
        return nullptr;
    std::vector<heif_item_id> ids(static_cast<std::size_t>(count));
    heif_image_handle_get_list_of_thumbnail_IDs(primary, ids.data(), count);
    Handle best;
    for (const heif_item_id id : ids) {
        heif_image_handle *thumb = nullptr;
        if (heif_image_handle_get_thumbnail(primary, id, &thumb).code != heif_error_Ok || !thumb)
            continue;
        Handle candidate(thumb);
        const int w = heif_image_handle_get_width(thumb), h = heif_image_handle_get_height(thumb);
        if (w >= minSide && h >= minSide
            && (!best || qint64(w) * h < qint64(heif_image_handle_get_width(best.get())) * heif_image_handle_get_height(best.get())))
            best = std::move(candidate);
    }
    return best;
}

} // namespace

bool decodeHeif(const QByteArray &bytes, const QString &format, qint64 maxPixels, int minSide, DecodedImage *out,
                QString *error)
{
    Context context;
    const Handle primary = primaryImage(bytes, format, &context, error);
    ImageHeaderInfo info;
    if (!primary || !headerOf(primary.get(), format, &info, error))
        return false;
    if (const QString over = pixelLimitError(info, maxPixels); !over.isEmpty()) {
        *error = over;
        return false;
    }
    const Handle thumbnail = thumbnailFor(primary.get(), minSide);
    const heif_image_handle *handle = thumbnail ? thumbnail.get() : primary.get();
    std::unique_ptr<heif_decoding_options, void (*)(heif_decoding_options *)> options(heif_decoding_options_alloc(),
                                                                                     heif_decoding_options_free);
    if (options && options->version >= 2)
        options->convert_hdr_to_8bit = 1;
    heif_image *decoded = nullptr;
    const heif_error e = heif_decode_image(handle, &decoded, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options.get());
    const std::unique_ptr<const heif_image, ImageDeleter> image(decoded);
    if (e.code != heif_error_Ok || !image) {
        *error = QStringLiteral("cannot decode %1: %2").arg(format, QString::fromUtf8(e.message));
        return false;
    }
    const int width = heif_image_get_width(image.get(), heif_channel_interleaved);
    const int height = heif_image_get_height(image.get(), heif_channel_interleaved);
    int stride = 0;
    const std::uint8_t *plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
    if (!plane || width <= 0 || height <= 0 || stride < 3 * width
        || heif_image_get_bits_per_pixel_range(image.get(), heif_channel_interleaved) != 8) {
        *error = QStringLiteral("cannot decode %1: unexpected %2x%3 image layout").arg(format).arg(width).arg(height);
        return false;
    }
    out->width = width;
    out->height = height;
    out->channels = 3;
    out->fullWidth = thumbnail ? heif_image_handle_get_width(primary.get()) : 0;
    out->fullHeight = thumbnail ? heif_image_handle_get_height(primary.get()) : 0;
    out->pixels.resize(std::size_t(width) * std::size_t(height) * 3);
    for (int y = 0; y < height; ++y)
        std::memcpy(out->pixels.data() + std::size_t(y) * std::size_t(width) * 3, plane + std::size_t(y) * std::size_t(stride),
                    std::size_t(width) * 3);
    return true;
}

} // namespace labelscope
