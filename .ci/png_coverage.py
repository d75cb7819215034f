#!/usr/bin/env python3
"""png_coverage.py FILE: prints "WIDTH HEIGHT SHARE" of an 8-bit RGBA PNG, SHARE being the
part of its pixels that are opaque (alpha over 128): how much of a thumbnail the part covers.
Standard library only (CI checks the installed thumbnailer with it)."""
import struct, sys, zlib

data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, width = 8, b'', 0
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR':
        width, height, depth, colour = struct.unpack('>IIBB', body[:10])
        assert (depth, colour) == (8, 6), 'not 8-bit RGBA'
    elif kind == b'IDAT':
        idat += body
    pos += 12 + length
raw, stride, bpp = zlib.decompress(idat), width * 4, 4
rows, previous, offset = [], bytearray(stride), 0
for _ in range(height):
    kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
    offset += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = previous[i], (previous[i - bpp] if i >= bpp else 0)
        if kind == 1: line[i] = (line[i] + a) & 255
        elif kind == 2: line[i] = (line[i] + b) & 255
        elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    previous = line
opaque = sum(1 for row in rows for i in range(3, stride, 4) if row[i] > 128)
print(width, height, round(opaque / (width * height), 3))
