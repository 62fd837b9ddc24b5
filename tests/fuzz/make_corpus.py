#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/): small valid files of
each format, and a few near misses. Python standard library only; the two JPEGs are embedded
(made with OpenCV's cv::imencode, 4x6 grey baseline and 5x3 colour progressive).
Usage: tests/fuzz/make_corpus.py   (rewrites the corpus folders' seed_* files)"""
import base64, gzip, os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
JPEG_GREY = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/"
    "wAALCAAEAAYBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0Kx"
    "wRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2"
    "t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/ALXguFPsXT+Gv//Z")
JPEG_COLOUR = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/"
    "2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wgARCAAFAAMDASIAAhEBAxEB/8QAFQAB"
    "AQAAAAAAAAAAAAAAAAAAAAX/xAAVAQEBAAAAAAAAAAAAAAAAAAADBf/aAAwDAQACEAMQAAABniin/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABBQJ//8QA"
    "FBEBAAAAAAAAAAAAAAAAAAAAAP/aAAgBAwEBPwF//8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAgBAgEBPwF//8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAG"
    "PwJ//8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPyF//9oADAMBAAIAAwAAABD7/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAgBAwEBPxB//8QAFBEBAAAA"
    "AAAAAAAAAAAAAAAAAP/aAAgBAgEBPxB//8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxB//9k=")


# WebP (lossy VP8, lossless VP8L) and TIFF (LZW, colour and grey) made by OpenCV 4.6 (cv::imencode).
WEBP_LOSSY = base64.b64decode(
    "UklGRjoAAABXRUJQVlA4IC4AAAAwAgCdASoEAAMAAUAmJaACdLoB+AH4AAToAADxj/2My3QEfmdf/az/OUf/JIAA"
)
WEBP_LOSSLESS = base64.b64decode(
    "UklGRh4AAABXRUJQVlA4TBEAAAAvA4AAAAdQ5HpUof+BiOh/AAA="
)
TIFF_RGB = base64.b64decode(
    "SUkqABoAAACAB5kAoAQWDQaBQSDweEwuDwEMAAABAwABAAAABAAAAAEBAwABAAAAAwAAAAIBAwADAAAAsAAAAAMBAwABAAAABQAAAAYBAwABAAAAAgAAABEB"
    "BAABAAAACAAAABUBAwABAAAAAwAAABYBAwABAAAAAwAAABcBBAABAAAAEgAAABwBAwABAAAAAQAAAD0BAwABAAAAAgAAAFMBAwADAAAAtgAAAAAAAAAIAAgA"
    "CAABAAEAAQA="
)
TIFF_GREY = base64.b64decode(
    "SUkqABAAAACAE0AACBACAgwAAAEDAAEAAAADAAAAAQEDAAEAAAACAAAAAgEDAAEAAAAIAAAAAwEDAAEAAAAFAAAABgEDAAEAAAABAAAAEQEEAAEAAAAIAAAA"
    "FQEDAAEAAAABAAAAFgEDAAEAAAACAAAAFwEEAAEAAAAIAAAAHAEDAAEAAAABAAAAPQEDAAEAAAACAAAAUwEDAAEAAAABAAAAAAAAAA=="
)

def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def gz(data):
    return gzip.compress(data, mtime=0)


# --- IDX: flags byte, [labels length (LE16), labels], images -------------------------------------
def idx_images(count, rows, cols):
    return struct.pack(">IIII", 0x803, count, rows, cols) + bytes((i * 37) % 256 for i in range(count * rows * cols))


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def idx_input(flags, images, labels=None):
    head = bytes([flags])
    if labels is not None:
        head += struct.pack("<H", len(labels)) + labels
    return head + images


imgs, labs = idx_images(3, 2, 2), idx_labels([0, 7, 3])
write("idx", "plain_images", idx_input(0, imgs))
write("idx", "plain_with_labels", idx_input(2, imgs, labs))
write("idx", "harness_gzips_both", idx_input(1 | 2 | 4, imgs, labs))
write("idx", "limit", idx_input(2 | 8, idx_images(5, 3, 1), idx_labels([1, 2, 3, 4, 11])))
write("idx", "gzip_file", idx_input(2, gz(imgs), gz(labs)))
write("idx", "gzip_two_members", idx_input(0, gz(imgs[:10]) + gz(imgs[10:])))
write("idx", "truncated", idx_input(0, imgs[:-3]))
write("idx", "label_count_mismatch", idx_input(2, imgs, idx_labels([1, 2])))

# --- .npy ----------------------------------------------------------------------------------------
def npy(descr, shape, payload, version=1, fortran=False):
    dims = ",".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, "True" if fortran else "False", dims)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode("latin-1") + payload


probs = struct.pack("<6f", 0.9, 0.1, 0.2, 0.8, 0.5, 0.5)
write("npy", "f4_2d", npy("<f4", (3, 2), probs))
write("npy", "f8_1d", npy("<f8", (2,), struct.pack("<2d", 0.25, 1.0)))
write("npy", "i8", npy("<i8", (4,), struct.pack("<4q", 0, 1, 2, 9)))
write("npy", "u1_col", npy("|u1", (3, 1), bytes([1, 2, 3])))
write("npy", "b1", npy("|b1", (2,), bytes([0, 1])))
write("npy", "i4_v2", npy("<i4", (2,), struct.pack("<2i", -1, 5), version=2))
write("npy", "u8", npy("<u8", (1,), struct.pack("<Q", 2**63)))
write("npy", "scalar", npy("<f4", (), struct.pack("<f", 1.5)))
write("npy", "fortran", npy("<f4", (1, 1), struct.pack("<f", 0.5), fortran=True))

# --- find-issues inputs: flags byte (bit 0 pred_probs, bit 1 .npy), file -------------------------
write("labelfiles", "labels_csv", b"\x00" + b"0\n1\n2\n1\n")
write("labelfiles", "labels_csv_header", b"\x00" + b"label,extra\n3,x\n0,y\n")
write("labelfiles", "probs_csv", b"\x01" + b"p0,p1\n0.9,0.1\n0.25,0.75\n1e-3,0.999\n")
write("labelfiles", "labels_npy", b"\x02" + npy("<i8", (3,), struct.pack("<3q", 0, 1, 1)))
write("labelfiles", "probs_npy", b"\x03" + npy("<f4", (3, 2), probs))
write("labelfiles", "probs_csv_ragged", b"\x01" + b"0.5,0.5\n1\n")

# --- CSV manifest: flags byte (bit 0 classes.txt "cat, dog, bird", bit 1 limit 2), the CSV --------
write("manifest", "basic", b"\x00" + b"path,label,split\na.png,cat,train\nb.jpg,dog,test\nc.bmp,cat,\nsub/d.png,bird,training\n")
write("manifest", "classes_txt", b"\x01" + b"a.png,dog\nb.jpg,cat\nc.bmp,fish\n")
write("manifest", "limit", b"\x02" + b"a.png,cat\nb.jpg,cat\nc.bmp,dog\nsub/d.png,,test\n")
write("manifest", "quoted", b"\x00" + '\ufeff"a.png","c,a ""t"""\r\n"sub/d.png", "dog"\r\n'.encode())
write("manifest", "skipped", b"\x00" + b"a.png\nmissing.png,cat\nbig.png,cat\nempty.png,cat\nbad.png,cat\nb.jpg,dog,val\nb.jpg,dog,test,x\n,cat\nb.jpg,dog\n")
write("manifest", "unclosed_quote", b"\x00" + b'a.png,"cat\n')

# --- active-learning YAML -------------------------------------------------------------------------
for name in ("al_fashion.yaml", "al_fashion_medium.yaml", "al_fashion_long.yaml", "al_score57k.yaml"):
    with open(os.path.join(HERE, "..", "benchmarks", name), "rb") as f:
        write("alconfig", name.replace(".yaml", ""), f.read())
write("alconfig", "active_labeler", """model:
  model : Rnet
  model_path : null
  device  : cuda
data:
  dataset : csv
  path : configs/merced_test.csv
  classes: [a, b]
train:
  optimizer :
    name : Adam
    config :
      momentum : 0
      nesterov: False
  loss_fn :
    name : BCELoss
  batch_size : 64
  epochs : 5
active_learner :
  iterations : 30
  strategy : uncertainty_sampling
  num_labelled : 20
  diversity_sampling : clustering_sampling
  limit : -1
  preindex : False
  test_dataset: test.csv
""")
write("alconfig", "bald", "train: {mc_samples: 4, ema_decay: 0.999, tta: true, strong_augment: true, pseudo_label_scope: pool}\n"
      "active_learner: {strategy: bald, diversity_sampling: badge, cold_start: kmeans, target_accuracy: 0.9,"
      " plateau_rounds: 2, plateau_delta: 0.001, seed: 7, clusters: 5}\nmodel: {ssl: {encoder: simclr}, num_classes: 10}\n")
write("alconfig", "unknown_key", "train:\n  epochs: 3\n  lr: 0.1\n")

# --- image headers --------------------------------------------------------------------------------
def png(width, height, colour_type, depth=8):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    rows = b"".join(b"\x00" + bytes((x * 50 + y * 9) % 256 for x in range(width * channels * depth // 8)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0))
    if colour_type == 3:
        out += chunk(b"PLTE", bytes(range(0, 256, 32)) * 3)
    return out + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def bmp(width, height, bits=24, core=False, top_down=False):
    stride = ((width * bits + 31) // 32) * 4
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256)) if bits == 8 else b""
    if core:
        palette = palette.replace(b"\x00", b"")[:0] if bits != 8 else b"".join(bytes([i, i, i]) for i in range(256))
    pixels = bytes((i * 13) % 256 for i in range(stride * height))
    dib = (struct.pack("<IHHHH", 12, width, height, 1, bits) if core else
           struct.pack("<IiiHHIIiiII", 40, width, -height if top_down else height, 1, bits, 0, len(pixels), 2835, 2835, 0, 0))
    offset = 14 + len(dib) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + dib + palette + pixels


write("imageheader", "png_grey", png(4, 3, 0))
write("imageheader", "png_rgb", png(3, 2, 2))
write("imageheader", "png_palette", png(2, 2, 3))
write("imageheader", "png_grey16", png(2, 2, 0, depth=16))
write("imageheader", "png_rgba", png(2, 1, 6))
write("imageheader", "bmp_24", bmp(3, 2))
write("imageheader", "bmp_8_topdown", bmp(4, 2, bits=8, top_down=True))
write("imageheader", "bmp_core", bmp(2, 2, core=True))
write("imageheader", "jpeg_grey", JPEG_GREY)
write("imageheader", "jpeg_progressive", JPEG_COLOUR)
write("imageheader", "webp_lossy", WEBP_LOSSY)
write("imageheader", "webp_lossless", WEBP_LOSSLESS)
write("imageheader", "tiff_rgb", TIFF_RGB)
write("imageheader", "tiff_grey", TIFF_GREY)
write("imageheader", "pnm_p6", b"P6\n3 2\n255\n" + bytes(range(18)))
write("imageheader", "pnm_p5_16bit_comment", b"P5 # grey\n2 2 65535\n" + bytes(8))
write("imageheader", "pnm_p2_ascii", b"P2\n2 2\n9\n0 3\n6 9\n")
write("imageheader", "pnm_p4_bitmap", b"P4\n9 2\n" + bytes([0xAA, 0x80, 0x55, 0x00]))
