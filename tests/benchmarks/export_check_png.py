#!/usr/bin/env python3
# Usage: export_check_png.py FILE.csv /usr/share/datasets/fashion-mnist  (RESULTS.md, session 11: exports)
# Independent check of `labelscope export --csv FILE --images` on Fashion-MNIST: every CSV path
# is a PNG (decoded here with zlib alone) whose pixels equal the IDX image of that sample.
import csv, gzip, os, struct, sys, zlib
csvfile, idxdir = sys.argv[1], sys.argv[2]
def idx(name):
    b = gzip.open(os.path.join(idxdir, name)).read()
    n, r, c = struct.unpack('>III', b[4:16]); return b[16:], r * c
train, tr = idx('train-images-idx3-ubyte.gz'); test, _ = idx('t10k-images-idx3-ubyte.gz')
def png_gray(path):
    d = open(path, 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n', path
    pos, idat, ihdr = 8, b'', None
    while pos < len(d):
        ln, = struct.unpack('>I', d[pos:pos+4]); t = d[pos+4:pos+8]; body = d[pos+8:pos+8+ln]; pos += 12 + ln
        if t == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
        elif t == b'IDAT': idat += body
    w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    assert depth == 8 and ctype == 0 and ihdr[6] == 0, (path, ihdr)
    raw = zlib.decompress(idat); out = bytearray(); prev = bytearray(w)
    for y in range(h):
        f = raw[y*(w+1)]; line = bytearray(raw[y*(w+1)+1:(y+1)*(w+1)])
        for x in range(w):
            a = line[x-1] if x else 0; b = prev[x]; c = prev[x-1] if x else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line; prev = line
    return bytes(out)
base = os.path.dirname(os.path.abspath(csvfile)); stem = os.path.splitext(os.path.basename(csvfile))[0]; n = bad = 0
for row in csv.DictReader(open(csvfile)):
    i = int(row['id']) - 1; n += 1
    assert '#' not in row['path']
    assert row["path"] == "%s_images/%s/%s.png" % (stem, row["split"], row["id"]), row
    want = train[i*tr:(i+1)*tr] if i < 60000 else test[(i-60000)*tr:(i-59999)*tr]
    if png_gray(os.path.join(base, row['path'])) != want: bad += 1
print('rows', n, 'pixel mismatches', bad)
