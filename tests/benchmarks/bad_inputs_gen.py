#!/usr/bin/env python3
"""Generates the bad and hostile input files of tests/benchmarks/bad_inputs.sh and full_disk.sh.

    python3 tests/benchmarks/bad_inputs_gen.py DIR [KIND...]     (FASHION_MNIST=folder of the IDX .gz)

Standard library only (struct, gzip, zlib, sqlite3): numpy may be missing. Writes one folder per
kind of input under DIR; the shell scripts name the files and say what to expect of each.
Special files (FIFOs, sockets, device nodes, links) are made by the shell scripts per case.
"""
import gzip
import os
import random
import struct
import sys
import zlib

R = random.Random(14)


def write(path, data):
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


# ---------------------------------------------------------------- images
def png(w, h, pixels=None, color_type=0, bit_depth=8, ihdr=None):
    """PNG of w x h; pixels: bytes of the raw rows without filter bytes (grey by default)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4, 3: 1}[color_type]
    row = w * channels * bit_depth // 8
    if pixels is None:
        pixels = bytes(R.randrange(256) for _ in range(row * h))
    raw = b''.join(b'\0' + pixels[y * row:(y + 1) * row] for y in range(h))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    head = ihdr if ihdr is not None else struct.pack('>IIBBBBB', w, h, bit_depth, color_type, 0, 0, 0)
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', head)
    if color_type == 3:
        out += chunk(b'PLTE', bytes(range(256)) * 3)
    return out + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')


def bmp(w, h, height_field=None, bits=24):
    row = (w * 3 + 3) // 4 * 4
    data = bytes(R.randrange(256) for _ in range(row * h))
    info = struct.pack('<IiiHHIIiiII', 40, w, h if height_field is None else height_field, 1, bits, 0,
                       len(data), 2835, 2835, 0, 0)
    return b'BM' + struct.pack('<IHHI', 14 + 40 + len(data), 0, 0, 54) + info + data


def jpeg(w, h):
    """A grey baseline JPEG (one quantisation table of ones, one-symbol Huffman tables: every
    block is DC difference 0 + end of block, i.e. uniform grey)."""
    def seg(marker, payload):
        return b'\xff' + bytes([marker]) + struct.pack('>H', len(payload) + 2) + payload
    one_code = bytes([1] + [0] * 15) + b'\x00'
    blocks = ((w + 7) // 8) * ((h + 7) // 8)
    bits = '00' * blocks
    bits += '1' * (-len(bits) % 8)
    scan = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)).replace(b'\xff', b'\xff\x00')
    return (b'\xff\xd8' + seg(0xDB, b'\x00' + b'\x01' * 64)
            + seg(0xC0, struct.pack('>BHHB', 8, h, w, 1) + b'\x01\x11\x00')
            + seg(0xC4, b'\x00' + one_code) + seg(0xC4, b'\x10' + one_code)
            + seg(0xDA, b'\x01\x01\x00\x00\x3f\x00') + scan + b'\xff\xd9')


def tiff(w, h, claim=None):
    """An uncompressed 8-bit grey little-endian TIFF; CLAIM=(w, h) writes another size in its directory."""
    cw, ch = claim or (w, h)
    entries = [(256, 4, 1, cw), (257, 4, 1, ch), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, h), (279, 4, 1, w * h)]
    ifd = struct.pack('<H', len(entries)) + b''.join(struct.pack('<HHII', *e) for e in entries) + struct.pack('<I', 0)
    return b'II*\0' + struct.pack('<I', 8) + ifd + grey(w, h, 120)


def grey(w, h, level):
    return bytes(max(0, min(255, level + R.randrange(-40, 40))) for _ in range(w * h))


def image_folder(root):
    """root/a and root/b, 8 distinct 28x28 grey PNGs each: the good base that bad files join."""
    for cls, level in (('a', 60), ('b', 190)):
        for i in range(8):
            write(f'{root}/{cls}/{cls}{i}.png', png(28, 28, grey(28, 28, level)))


def bad_images(d):
    """One file per kind of broken or unusual image."""
    good = png(28, 28, grey(28, 28, 100))
    j = jpeg(16, 16)
    files = {
        'random.png': bytes(R.randrange(256) for _ in range(500)),
        'trunc.png': good[:len(good) // 2],
        'header-only.png': good[:33],
        'bad-crc.png': good[:29] + b'\0\0\0\0' + good[33:],
        'huge-ihdr.png': png(1, 1, b'\0', ihdr=struct.pack('>IIBBBBB', 100000, 100000, 8, 0, 0, 0, 0)),
        'max-ihdr.png': png(1, 1, b'\0', ihdr=struct.pack('>IIBBBBB', 0x7fffffff, 0x7fffffff, 8, 0, 0, 0, 0)),
        'zero-ihdr.png': png(1, 1, b'\0', ihdr=struct.pack('>IIBBBBB', 0, 0, 8, 0, 0, 0, 0)),
        'bad-depth.png': png(1, 1, b'\0', ihdr=struct.pack('>IIBBBBB', 28, 28, 7, 0, 0, 0, 0)),
        'one-pixel.png': png(1, 1, b'\x80'),
        'sixteen-bit.png': png(28, 28, bytes(R.randrange(256) for _ in range(28 * 28 * 2)), bit_depth=16),
        'alpha.png': png(28, 28, bytes(R.randrange(256) for _ in range(28 * 28 * 4)), color_type=6),
        'grey-alpha.png': png(28, 28, bytes(R.randrange(256) for _ in range(28 * 28 * 2)), color_type=4),
        'palette.png': png(28, 28, grey(28, 28, 90), color_type=3),
        'rgb.png': png(28, 28, bytes(R.randrange(256) for _ in range(28 * 28 * 3)), color_type=2),
        'wide.png': png(3000, 1, grey(3000, 1, 100)),
        'big.png': png(2000, 2000, bytes(2000 * 2000)),
        'empty.png': b'',
        'text.jpg': b'this is not a JPEG\n' * 10,
        'good.jpg': j,
        'trunc.jpg': j[:len(j) * 2 // 3],
        'header-only.jpg': j[:20],
        'huge.jpg': j.replace(struct.pack('>HH', 16, 16), struct.pack('>HH', 65000, 65000), 1),
        'zero.jpg': j.replace(struct.pack('>HH', 16, 16), struct.pack('>HH', 0, 0), 1),
        'garbage.jpg': b'\xff\xd8' + bytes(R.randrange(256) for _ in range(300)),
        'good.bmp': bmp(20, 20),
        'trunc.bmp': bmp(20, 20)[:100],
        'huge.bmp': bmp(2, 2)[:18] + struct.pack('<ii', 1000000, 1000000) + bmp(2, 2)[26:],
        'neg-height.bmp': bmp(20, 20, height_field=-20),
        'bad-bits.bmp': bmp(20, 20, bits=13),
        'gif.png': b'GIF89a\x01\x00\x01\x00\x00\x00\x00;',
        'nul-name-like.png': b'\0' * 64,
        # Session 19: WebP, TIFF and Netpbm are read; GIF and HEIC are named as formats not read.
        'good.ppm': b'P6\n20 20\n255\n' + bytes(R.randrange(256) for _ in range(20 * 20 * 3)),
        'good.pgm': b'P5 # comment\n20 20\n65535\n' + bytes(R.randrange(256) for _ in range(20 * 20 * 2)),
        'trunc.ppm': b'P6\n20 20\n255\n' + bytes(100),
        'huge.pgm': b'P5\n60000 60000\n255\n' + bytes(1000),
        'max.pgm': b'P5\n2147483647 2147483647\n255\n' + bytes(10),
        'neg.pgm': b'P5\n-20 20\n255\n' + bytes(400),
        'ascii-short.pgm': b'P2\n100 100\n255\n1 2 3\n',
        'good.tif': tiff(20, 20),
        'huge.tif': tiff(20, 20, claim=(100000, 100000)),
        'trunc.tif': tiff(20, 20)[:40],
        'ifd-outside.tif': b'II*\0' + struct.pack('<I', 0x7fffffff) + bytes(16),
        'bigtiff.tif': b'II+\0\x08\0\0\0' + bytes(32),
        'trunc.webp': b'RIFF' + struct.pack('<I', 1000) + b'WEBPVP8L' + struct.pack('<I', 5) + b'\x2f' + struct.pack('<I', 19 | (19 << 14)) + bytes(4),
        'huge.webp': b'RIFF' + struct.pack('<I', 30) + b'WEBPVP8X' + struct.pack('<I', 10) + b'\0\0\0\0' + b'\xff\xff\xff\xff\xff\xff' + bytes(8),
        'animated.webp': b'RIFF' + struct.pack('<I', 22) + b'WEBPVP8X' + struct.pack('<I', 10) + b'\x02\0\0\0' + bytes(6),
        'real.gif': b'GIF89a\x01\x00\x01\x00\x00\x00\x00;',
        'photo.heic': b'\0\0\0\x18ftypheic' + bytes(40),
    }
    for name, data in files.items():
        write(f'{d}/{name}', data)


# ---------------------------------------------------------------- IDX
def idx_images(n, rows, cols, data, magic=0x00000803):
    return struct.pack('>IIII', magic, n, rows, cols) + data


def idx_labels(labels, magic=0x00000801, count=None):
    return struct.pack('>II', magic, len(labels) if count is None else count) + bytes(labels)


def read_idx(path):
    with gzip.open(path) as f:
        return f.read()


def idx_sets(d, fm):
    timg = read_idx(f'{fm}/train-images-idx3-ubyte.gz')[16:16 + 120 * 784]
    tlab = list(read_idx(f'{fm}/train-labels-idx1-ubyte.gz')[8:8 + 120])
    simg = read_idx(f'{fm}/t10k-images-idx3-ubyte.gz')[16:16 + 40 * 784]
    slab = list(read_idx(f'{fm}/t10k-labels-idx1-ubyte.gz')[8:8 + 40])
    good = {'train-images-idx3-ubyte': idx_images(120, 28, 28, timg),
            'train-labels-idx1-ubyte': idx_labels(tlab),
            't10k-images-idx3-ubyte': idx_images(40, 28, 28, simg),
            't10k-labels-idx1-ubyte': idx_labels(slab)}
    for name, data in good.items():
        write(f'{d}/good/{name}', data)
        write(f'{d}/goodgz/{name}.gz', gzip.compress(data))
    img = good['train-images-idx3-ubyte']
    lab = good['train-labels-idx1-ubyte']
    images = {  # variant -> (images bytes, labels bytes)
        'empty': b'', 'short': img[:3], 'header-only': img[:16], 'trunc-half': img[:len(img) // 2],
        'trunc-1': img[:-1], 'magic-zero': b'\0\0\0\0' + img[4:], 'magic-labels': struct.pack('>I', 0x801) + img[4:],
        'magic-float': struct.pack('>I', 0xD03) + img[4:], 'magic-random': b'\xde\xad\xbe\xef' + img[4:],
        'ndims-4': struct.pack('>I', 0x804) + img[4:], 'ndims-255': struct.pack('>I', 0x8ff) + img[4:],
        'huge-count': idx_images(0x7fffffff, 28, 28, timg), 'huge-dims': idx_images(27000, 6000, 6000, timg[:100]),
        'u32-max': idx_images(0xffffffff, 0xffffffff, 0xffffffff, timg[:100]),
        'zero-dims': idx_images(120, 0, 0, b''), 'zero-count': idx_images(0, 28, 28, b''),
        'one-by-one': idx_images(120, 1, 1, timg[:120]), 'one-row': idx_images(120, 1, 100, timg[:12000]),
        'trailing': img + b'\x55' * 1000,
    }
    labels = {'labels-fewer': idx_labels(tlab[:100]), 'labels-magic': b'\0\0\0\0' + lab[4:],
              'labels-trunc': lab[:50], 'labels-huge-count': idx_labels(tlab, count=0x7fffffff),
              'labels-range': idx_labels([200] + tlab[1:]), 'labels-empty': b''}
    for name, data in images.items():
        for gz in ('', '.gz'):
            write(f'{d}/{name}{gz}/train-images-idx3-ubyte{gz}', gzip.compress(data) if gz else data)
            write(f'{d}/{name}{gz}/train-labels-idx1-ubyte', lab)
    for name, data in labels.items():
        write(f'{d}/{name}/train-images-idx3-ubyte', img)
        write(f'{d}/{name}/train-labels-idx1-ubyte', data)
    gz = gzip.compress(img)
    gz_only = {
        'gz-not-gzip': img, 'gz-corrupt': gz[:20] + bytes(R.randrange(256) for _ in range(len(gz) - 20)),
        'gz-trunc': gz[:len(gz) // 2], 'gz-bad-crc': gz[:-8] + b'\0\0\0\0' + gz[-4:],
        'gz-two-members': gzip.compress(img[:5000]) + gzip.compress(img[5000:]),
        'gz-lying-header': gzip.compress(idx_images(27000, 6000, 6000, b'\0' * 100)),
        'gz-trailing-junk': gz + b'junk' * 100,
    }
    for name, data in gz_only.items():
        write(f'{d}/{name}/train-images-idx3-ubyte.gz', data)
        write(f'{d}/{name}/train-labels-idx1-ubyte', lab)
    # gzip bombs: 1 GiB of zeros in about 1 MB. "honest" declares what the stream holds;
    # "lying" declares ten times more images than the stream holds.
    for name, count in (('gz-bomb-honest', (1 << 30) // 784), ('gz-bomb-lying', 10 * ((1 << 30) // 784))):
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [z.compress(struct.pack('>IIII', 0x803, count, 28, 28))]
        chunk = b'\0' * (1 << 24)
        for _ in range(64):
            parts.append(z.compress(chunk))
        parts.append(z.flush())
        write(f'{d}/{name}/train-images-idx3-ubyte.gz', b''.join(parts))
        write(f'{d}/{name}/train-labels-idx1-ubyte', idx_labels([i % 10 for i in range(min(count, (1 << 30) // 784))], count=count))


# ---------------------------------------------------------------- npy
def npy(shape, descr='<f4', data=None, fortran=False, version=(1, 0), header=None, magic=b'\x93NUMPY'):
    if header is None:
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %r, }" % (descr, 'True' if fortran else 'False', tuple(shape))
    header = header.encode('latin-1') if isinstance(header, str) else header
    lenfmt = '<H' if version[0] == 1 else '<I'
    pre = len(magic) + 2 + struct.calcsize(lenfmt)
    header += b' ' * ((64 - (pre + len(header) + 1) % 64) % 64) + b'\n'
    return magic + bytes(version) + struct.pack(lenfmt, len(header)) + header + (data or b'')


def f32(values):
    return struct.pack(f'<{len(values)}f', *values)


def probs(n, k, seed=1):
    r = random.Random(seed)
    out = []
    for _ in range(n):
        row = [r.random() + 1e-3 for _ in range(k)]
        s = sum(row)
        out += [v / s for v in row]
    return out


def npy_sets(d):
    n, k = 100, 3
    lab = [i % k for i in range(n)]
    pp = probs(n, k)
    x = [R.gauss(0, 1) for _ in range(200 * 10)]
    roles = {  # role -> (shape, descr, packed data) of its good array
        'labels': ((n,), '<i8', struct.pack(f'<{n}q', *lab)),
        'probs': ((n, k), '<f8', struct.pack(f'<{n * k}d', *pp)),
        'tsne': ((200, 10), '<f4', f32(x)),
        'similar': ((200, 10), '<f4', f32(x)),
    }
    for role, (shape, descr, data) in roles.items():
        good = npy(shape, descr, data)
        variants = {
            'good': good, 'bad-magic': b'\x93NUMPZ' + good[6:], 'version-3': npy(shape, descr, data, version=(3, 0)),
            'version-0': npy(shape, descr, data, version=(0, 1)), 'version-2': npy(shape, descr, data, version=(2, 0)),
            'hdrlen-huge': good[:8] + struct.pack('<H', 65535) + good[10:200],
            'hdr-not-dict': npy(shape, header='[1, 2, 3]', data=data),
            'hdr-garbage': npy(shape, header=bytes(R.randrange(128, 256) for _ in range(50)), data=data),
            'hdr-no-shape': npy(shape, header="{'descr': '%s', 'fortran_order': False, }" % descr, data=data),
            'big-endian': npy(shape, '>' + descr[1:], data), 'complex': npy(shape, '<c8', data),
            'object': npy(shape, '|O', data), 'unicode': npy(shape, '<U4', data), 'half': npy(shape, '<f2', data),
            'structured': npy(shape, header="{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (%d,), }" % shape[0], data=data),
            'fortran': npy(shape, descr, data, fortran=True), 'shape-huge': npy((1 << 40, 1 << 20), descr, data),
            'shape-neg': npy((-1,) + shape[1:], descr, data), 'shape-3d': npy((2,) + shape, descr, data + data),
            'shape-0d': npy((), descr, data[:8]), 'hdr-trailing-comma': npy(shape, header="{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, ''.join(f'{v}, ' for v in shape)), data=data), 'rows-0': npy((0,) + shape[1:], descr, b''),
            'truncated': good[:len(good) - len(data) // 2], 'header-only': good[:len(good) - len(data)],
            'empty': b'', 'magic-only': b'\x93NUMPY',
        }
        for name, blob in variants.items():
            write(f'{d}/{role}/{name}.npy', blob)
    # Role-specific arrays.
    spec = {
        'probs/nan': npy((n, k), '<f8', struct.pack(f'<{n * k}d', *([float('nan')] + pp[1:]))),
        'probs/inf': npy((n, k), '<f8', struct.pack(f'<{n * k}d', *([float('inf')] + pp[1:]))),
        'probs/negative': npy((n, k), '<f8', struct.pack(f'<{n * k}d', *([-0.5] + pp[1:]))),
        'probs/above-one': npy((n, k), '<f8', struct.pack(f'<{n * k}d', *([1.5] + pp[1:]))),
        'probs/unnormalised': npy((n, k), '<f8', struct.pack(f'<{n * k}d', *[v * 0.5 for v in pp])),
        'probs/wide-2x60000': npy((2, 60000), '<f4', f32(probs(2, 60000))),
        'probs/k-1': npy((n, 1), '<f8', struct.pack(f'<{n}d', *([1.0] * n))),
        'probs/int': npy((n, k), '<i8', struct.pack(f'<{n * k}q', *([0, 1, 0] * n))),
        'probs/one-d': npy((n * k,), '<f8', struct.pack(f'<{n * k}d', *pp)),
        'probs/fewer-rows': npy((50, k), '<f8', struct.pack(f'<{50 * k}d', *pp[:50 * k])),
        'probs/float32': npy((n, k), '<f4', f32(pp)),
        'labels/float': npy((n,), '<f8', struct.pack(f'<{n}d', *lab)),
        'labels/negative': npy((n,), '<i8', struct.pack(f'<{n}q', *([-1] + lab[1:]))),
        'labels/k-5000': npy((n,), '<i8', struct.pack(f'<{n}q', *([5000] + lab[1:]))),
        'labels/beyond-k': npy((n,), '<i8', struct.pack(f'<{n}q', *([3] + lab[1:]))),
        'labels/u64-max': npy((n,), '<u8', struct.pack(f'<{n}Q', *([2 ** 64 - 1] + lab[1:]))),
        'labels/bool': npy((n,), '|b1', bytes(v % 2 for v in lab)),
        'labels/uint8': npy((n,), '|u1', bytes(lab)),
        'labels/column': npy((n, 1), '<i8', struct.pack(f'<{n}q', *lab)),
        'labels/two-columns': npy((n, 2), '<i8', struct.pack(f'<{2 * n}q', *(lab + lab))),
        'labels/one-class': npy((n,), '<i8', struct.pack(f'<{n}q', *([0] * n))),
        'tsne/wide-50x20000': npy((50, 20000), '<f4', f32([R.gauss(0, 1) for _ in range(50 * 20000)])),
        'tsne/int': npy((200, 10), '<i8', struct.pack('<2000q', *range(2000))),
        'tsne/nan': npy((200, 10), '<f4', f32([float('nan')] + x[1:])),
        'tsne/inf': npy((200, 10), '<f4', f32([float('inf')] + x[1:])),
        'tsne/one-row': npy((1, 10), '<f4', f32(x[:10])),
        'tsne/two-rows': npy((2, 10), '<f4', f32(x[:20])),
        'tsne/one-column': npy((200, 1), '<f4', f32(x[:200])),
        'tsne/constant': npy((200, 10), '<f4', f32([1.0] * 2000)),
        'tsne/huge-values': npy((200, 10), '<f4', f32([3e38 if i % 2 else -3e38 for i in range(2000)])),
        'tsne/one-d': npy((2000,), '<f4', f32(x)),
        'similar/int': npy((200, 10), '<i8', struct.pack('<2000q', *range(2000))),
        'similar/nan': npy((200, 10), '<f4', f32([float('nan')] * 2000)),
        'similar/one-row': npy((1, 10), '<f4', f32(x[:10])),
        'similar/one-d': npy((2000,), '<f4', f32(x)),
    }
    for name, blob in spec.items():
        write(f'{d}/{name}.npy', blob)


# ---------------------------------------------------------------- CSV labels / pred_probs
def csv_sets(d):
    n, k = 100, 3
    lab = [str(i % k) for i in range(n)]
    pp = probs(n, k)
    rows = [','.join(f'{v:.6f}' for v in pp[i * k:(i + 1) * k]) for i in range(n)]
    labels = {
        'good': '\n'.join(lab) + '\n', 'header': 'label\n' + '\n'.join(lab) + '\n',
        'bom': '\ufeff' + '\n'.join(lab) + '\n', 'crlf': '\r\n'.join(lab) + '\r\n',
        'ragged': '\n'.join(lab[:50] + [lab[50] + ',7,9'] + lab[51:]) + '\n',
        'non-number': '\n'.join(lab[:50] + ['cat'] + lab[51:]) + '\n',
        'nan': '\n'.join(lab[:50] + ['nan'] + lab[51:]) + '\n',
        'negative': '\n'.join(lab[:50] + ['-3'] + lab[51:]) + '\n',
        'huge': '\n'.join(lab[:50] + ['99999999999999999999'] + lab[51:]) + '\n',
        'fraction': '\n'.join(lab[:50] + ['1.5'] + lab[51:]) + '\n',
        'blank-line': '\n'.join(lab[:50] + [''] + lab[50:]) + '\n', 'empty': '', 'header-only': 'label\n',
        'nul': '\n'.join(lab[:50] + ['1\0'] + lab[51:]) + '\n', 'long-line': '\n'.join(lab[:50] + ['1' * 1000000] + lab[51:]) + '\n',
        'k-5000': '\n'.join(lab[:50] + ['5000'] + lab[51:]) + '\n',
    }
    probs_csv = {
        'good': '\n'.join(rows) + '\n', 'header': 'p0,p1,p2\n' + '\n'.join(rows) + '\n',
        'bom': '\ufeff' + '\n'.join(rows) + '\n', 'crlf': '\r\n'.join(rows) + '\r\n',
        'ragged': '\n'.join(rows[:50] + ['0.5,0.5'] + rows[51:]) + '\n',
        'non-number': '\n'.join(rows[:50] + ['0.2,abc,0.3'] + rows[51:]) + '\n',
        'nan': '\n'.join(rows[:50] + ['nan,0.5,0.5'] + rows[51:]) + '\n',
        'inf': '\n'.join(rows[:50] + ['inf,0,0'] + rows[51:]) + '\n',
        'negative': '\n'.join(rows[:50] + ['-0.5,1,0.5'] + rows[51:]) + '\n',
        'huge': '\n'.join(rows[:50] + ['1e400,0,0'] + rows[51:]) + '\n',
        'empty': '', 'header-only': 'p0,p1,p2\n', 'semicolons': '\n'.join(r.replace(',', ';') for r in rows) + '\n',
        'transposed': '\n'.join(','.join(f'{pp[i * k + c]:.6f}' for i in range(n)) for c in range(k)) + '\n',
        'duplicate-rows': '\n'.join(rows[:50] + rows[:50]) + '\n',
        'fewer-rows': '\n'.join(rows[:60]) + '\n',
    }
    for name, text in labels.items():
        write(f'{d}/labels/{name}.csv', text.encode())
    for name, text in probs_csv.items():
        write(f'{d}/probs/{name}.csv', text.encode())
    write(f'{d}/labels/latin1.csv', ('\n'.join(lab[:50] + ['\xe9t\xe9'] + lab[51:]) + '\n').encode('latin-1'))
    write(f'{d}/probs/latin1.csv', ('\n'.join(rows[:50] + ['0.5,0.5,\xe9'] + rows[51:]) + '\n').encode('latin-1'))


# ---------------------------------------------------------------- CSV manifests
def manifest_sets(d):
    """d/img: the good images; d/<name>/manifest.csv refers to them as ../img/..."""
    image_folder(f'{d}/img')
    for i in range(6):  # unlabelled images for the active-learning project
        write(f'{d}/img/pool/p{i}.png', png(28, 28, grey(28, 28, 60 + 25 * i)))
    good = [f'../img/{c}/{c}{i}.png,{c}' for c in 'ab' for i in range(8)]
    m = {
        'good': good, 'header': ['path,label,split'] + good,
        'unlabelled': good + [f'../img/pool/p{i}.png,' for i in range(6)],
        'ragged-short': good + ['../img/a/a0.png'], 'ragged-long': good + ['x.png,a,train,extra'],
        'empty-path': good + [',a'], 'unknown-split': good + ['../img/b/b0.png,b,validation'],
        'missing-file': good + ['nope.png,a'], 'escaping': good + ['../../../../../../etc/passwd,a'],
        'absolute-dev': good + ['/dev/zero,a'], 'numeric-labels': [r.replace(',a', ',0').replace(',b', ',1') for r in good],
        'nan-label': good + ['../img/pool/p0.png,nan'], 'duplicate': good + [good[0]],
        'conflicting': good + ['../img/a/a0.png,b'], 'duplicate-dot': good + ['.././img/a/a0.png,a'],
        'conflicting-split': good + ['../img/a/a0.png,a,test'], 'unclosed-quote': good + ['"../img/a/a0.png,a'],
        'header-only': ['path,label'], 'all-bad': ['x.png', 'y.png,a,b,c,d'], 'one-class': good[:8],
        'quoted': [f'"{r.split(",")[0]}","{r.split(",")[1]}"' for r in good], 'long-path': good + ['a' * 100000 + '.png,a'],
        'nul': good + ['../img/a/a0.png\0,a'], 'classes-mismatch': good + ['../img/pool/p1.png,c'],
    }
    for name, rows in m.items():
        write(f'{d}/{name}/manifest.csv', ('\n'.join(rows) + '\n').encode())
    write(f'{d}/empty/manifest.csv', b'')
    write(f'{d}/bom/manifest.csv', ('\ufeff' + '\n'.join(good) + '\n').encode())
    write(f'{d}/crlf/manifest.csv', ('\r\n'.join(good) + '\r\n').encode())
    write(f'{d}/latin1/manifest.csv', ('\n'.join(good + ['../img/a/\xe9t\xe9.png,a']) + '\n').encode('latin-1'))
    write(f'{d}/latin1-label/manifest.csv', ('\n'.join(good + ['../img/pool/p2.png,\xe9t\xe9']) + '\n').encode('latin-1'))
    write(f'{d}/classes-mismatch/classes.txt', b'a\nb\n')
    write(f'{d}/classes-txt-too-many/manifest.csv', ('\n'.join(good) + '\n').encode())
    write(f'{d}/classes-txt-too-many/classes.txt', ''.join(f'c{i}\n' for i in range(5000)).encode())
    write(f'{d}/classes-txt-empty/manifest.csv', ('\n'.join(good) + '\n').encode())
    write(f'{d}/classes-txt-empty/classes.txt', b'')
    write(f'{d}/too-many-classes/manifest.csv', ''.join(f'x{i}.png,c{i}\n' for i in range(4097)).encode())


# ---------------------------------------------------------------- ImageFolders
def folder_sets(d):
    image_folder(f'{d}/base')
    for i in range(4097):
        write(f'{d}/many-classes/c{i}/x.png', png(2, 2, b'\0\0\0\0'))


# ---------------------------------------------------------------- YAML configs
def yaml_sets(d):
    write(f'{d}/nested.yaml', ('model:\n  model: ' + '[' * 100000 + '\n').encode())
    write(f'{d}/big-scalar.yaml', ('model:\n  model: ' + 'x' * 10000000 + '\n').encode())
    laughs = 'a: &a [x, x, x, x, x, x, x, x, x]\n' + ''.join(
        f'{c}: &{c} [' + ', '.join(['*' + p] * 9) + ']\n' for p, c in zip('abcdefgh', 'bcdefghi'))
    write(f'{d}/laughs.yaml', (laughs + 'model:\n  model: *i\n').encode())
    write(f'{d}/laughs-known.yaml', ('model:\n  model: &a [x, x, x, x, x, x, x, x, x]\n' + 'train:\n  epochs: *a\n').encode())


# ---------------------------------------------------------------- projects
def project_sets(d):
    import sqlite3
    write(f'{d}/text.lsproj', b'this is not a project\n' * 50)
    write(f'{d}/empty.lsproj', b'')
    write(f'{d}/random.lsproj', bytes(R.randrange(256) for _ in range(8192)))
    p = f'{d}/other-sqlite.lsproj'
    if os.path.exists(p):
        os.remove(p)
    db = sqlite3.connect(p)
    db.execute('CREATE TABLE foo(x)')
    db.execute('INSERT INTO foo VALUES (1)')
    db.commit()
    db.close()


def main():
    out = sys.argv[1]
    fm = os.environ.get('FASHION_MNIST', '/usr/share/datasets/fashion-mnist')
    kinds = {'images': bad_images, 'idx': lambda d: idx_sets(d, fm), 'npy': npy_sets, 'csv': csv_sets,
             'manifest': manifest_sets, 'folder': folder_sets, 'yaml': yaml_sets, 'project': project_sets}
    for kind in sys.argv[2:] or list(kinds):
        kinds[kind](f'{out}/{kind}')


if __name__ == '__main__':
    main()
