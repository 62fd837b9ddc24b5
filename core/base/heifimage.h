#pragma once
// Internal to core/base: HEIF images (HEIC, as iPhones save photos) and AVIF, read with libheif
// (Debian's libheif-dev; OpenCV 4.6 reads neither). The sniffer parses the container only (no
// decoding) for the primary image's size, so that decodeImageFile can refuse an oversized image
// before allocating it, as it does for the other formats.

#include "dataset.h"
#include "imageheader.h"

#include <QByteArray>
#include <QString>

namespace labelscope {

/// True when BYTES start with an ISO-BMFF 'ftyp' box whose major brand is HEIF's (heic, heix,
/// hevc, hevx, heim, heis, mif1, msf1) or AVIF's (avif, avis); *format is then "HEIF" or "AVIF".
bool isHeifFamily(const QByteArray &bytes, QString *format);

/// The primary image's size (after its rotation, mirror and crop properties) and channels (3:
/// it is decoded as RGB) from the container. False with *error for a malformed container, a file
/// without a primary image, or AVIF when this libheif has no AV1 decoder (named).
bool sniffHeif(const QByteArray &bytes, const QString &format, ImageHeaderInfo *info, QString *error);

/// Decodes the primary image as 8-bit interleaved RGB (alpha dropped, 10- and 12-bit reduced to
/// 8), its transformations applied (irot/imir/clap: the image as the camera meant it upright),
/// after checking its size against maxPixels (pixelLimitError) as sniffHeif reads it.
/// minSide > 0: the smallest thumbnail item whose both sides are at least minSide, when the file
/// has one (an iPhone's HEIC holds a 320 × 240 one), instead of the primary image, with
/// out->fullWidth/fullHeight the primary's size (decodeImageFile's minSide: libde265 takes about
/// a second for 7 megapixels). False with *error ("cannot decode HEIF: <libheif's message>") on
/// failure. Thread-safe.
bool decodeHeif(const QByteArray &bytes, const QString &format, qint64 maxPixels, int minSide, DecodedImage *out,
                QString *error);

} // namespace labelscope
