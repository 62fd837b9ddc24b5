#pragma once
// Writes HEIC files with libheif's HEVC encoder, for the tests and the photo generator
// (tests/benchmarks/shapes_folder.cpp --photo): what an iPhone saves.

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <libheif/heif.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace labelscope::testing {

/// Writes BGR image STORED as HEIC (quality 90) with ORIENTATION, which libheif writes as
/// irot/imir boxes: a reader shows STORED so turned. THUMBNAIL > 0 adds a thumbnail item that fits
/// in THUMBNAIL × THUMBNAIL (an iPhone's is 320 × 240), turned the same way. False when it cannot.
inline bool writeHeic(const std::string &file, const cv::Mat &stored, heif_orientation orientation, int thumbnail = 0)
{
    heif_context *ctx = heif_context_alloc();
    heif_encoder *encoder = nullptr;
    heif_image *image = nullptr;
    heif_encoding_options *options = heif_encoding_options_alloc();
    bool ok = heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &encoder).code == heif_error_Ok
              && heif_encoder_set_lossy_quality(encoder, 90).code == heif_error_Ok
              && heif_image_create(stored.cols, stored.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &image).code == heif_error_Ok
              && heif_image_add_plane(image, heif_channel_interleaved, stored.cols, stored.rows, 8).code == heif_error_Ok;
    if (ok) {
        int stride = 0;
        std::uint8_t *plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
        cv::Mat rgb;
        cv::cvtColor(stored, rgb, cv::COLOR_BGR2RGB);
        for (int y = 0; y < rgb.rows; ++y)
            std::memcpy(plane + std::size_t(y) * std::size_t(stride), rgb.ptr(y), std::size_t(rgb.cols) * 3);
        options->image_orientation = orientation;
        heif_image_handle *handle = nullptr;
        ok = heif_context_encode_image(ctx, image, encoder, options, &handle).code == heif_error_Ok;
        if (ok && thumbnail > 0) {
            heif_image_handle *thumb = nullptr;
            ok = heif_context_encode_thumbnail(ctx, image, handle, encoder, options, thumbnail, &thumb).code == heif_error_Ok;
            if (thumb)
                heif_image_handle_release(thumb);
        }
        if (handle)
            heif_image_handle_release(handle);
        ok = ok && heif_context_write_to_file(ctx, file.c_str()).code == heif_error_Ok;
    }
    heif_encoding_options_free(options);
    if (image)
        heif_image_release(image);
    if (encoder)
        heif_encoder_release(encoder);
    heif_context_free(ctx);
    return ok;
}

} // namespace labelscope::testing
