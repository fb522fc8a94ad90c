"""Writes the hostile uploads the site test feeds the page: `bomb.zip` (a ratings.dat of 1 GiB
of zeros, deflated to about 1 MB), `lying.zip` (the same bomb, its headers claiming 100 bytes)
and `huge/ratings.dat` (65 MiB, sparse: larger than any MovieLens-1M file).

Usage: make_bad_zips.py OUT_DIR
"""
import os
import sys
import zipfile

out = sys.argv[1]
bomb = os.path.join(out, "bomb.zip")
with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("ml-1m/ratings.dat", "w", force_zip64=True) as f:
        block = bytes(1 << 20)
        for _ in range(1024):
            f.write(block)
    z.writestr("ml-1m/movies.dat", "1::A (1990)::Drama\n")

data = bytearray(open(bomb, "rb").read())
# Local headers: uncompressed size at offset 22; central directory entries: at offset 24. With a
# 32-bit size other than 0xFFFFFFFF, readers ignore the zip64 field that holds the true size.
for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
    start = data.find(signature)
    while start != -1:
        data[start + offset:start + offset + 4] = (100).to_bytes(4, "little")
        start = data.find(signature, start + 4)
with open(os.path.join(out, "lying.zip"), "wb") as f:
    f.write(data)

os.makedirs(os.path.join(out, "huge"), exist_ok=True)
with open(os.path.join(out, "huge", "ratings.dat"), "wb") as f:
    f.truncate(65 << 20)
