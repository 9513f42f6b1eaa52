#!/usr/bin/env python3
"""Builds assets/fonts/PeilianSansSC.otf: the Simplified Chinese face of Noto Sans CJK (SIL OFL
1.1), subset to GB2312 + ASCII/Latin-1 + CJK and general punctuation + the symbols the app uses +
every character found in the shipped texts (src/, scenarios/), and renamed (a modified version
may not carry the original's names). Beside it, assets/fonts/coverage.txt lists the non-ASCII
characters it has (in code point order, one line of UTF-8): `peilian lint` warns about text
the app could not show. Needs fontTools (pip) and Debian's fonts-noto-cjk.

    python3 -m venv /tmp/fv && /tmp/fv/bin/pip install fonttools && /tmp/fv/bin/python scripts/make-font.py
    /tmp/fv/bin/python scripts/make-font.py --coverage-only   # only rewrite coverage.txt
"""
import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

root = pathlib.Path(__file__).resolve().parent.parent
source = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
out = root / "assets" / "fonts" / "PeilianSansSC.otf"


def write_coverage(font_path):
    """assets/fonts/coverage.txt: the font's non-ASCII characters, read back from the file."""
    from fontTools.ttLib import TTFont
    covered = sorted(c for c in TTFont(str(font_path)).getBestCmap() if c > 0x7F)
    text = "".join(chr(c) for c in covered) + "\n"
    (font_path.parent / "coverage.txt").write_text(text, encoding="utf-8")


if len(sys.argv) > 1 and sys.argv[1] == "--coverage-only":
    write_coverage(out)
    sys.exit(0)

chars = set()
for hi in range(0xA1, 0xF8):  # GB2312: every decodable two-byte code
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF),
          (0x2500, 0x25FF), (0x2600, 0x26FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]
for a, b in ranges:
    chars.update(chr(c) for c in range(a, b + 1))
for folder in ("src", "scenarios", "assets/customer"):
    for f in (root / folder).rglob("*"):
        if f.suffix in (".rs", ".ron") and f.is_file():
            chars.update(f.read_text(encoding="utf-8"))

face = TTCollection(str(source)).fonts[2]
assert face["name"].getDebugName(1) == "Noto Sans CJK SC", face["name"].getDebugName(1)
cmap = face.getBestCmap()
wanted = sorted(ord(c) for c in chars if ord(c) in cmap)
missing = sorted(c for c in chars if ord(c) not in cmap and c.isprintable() and ord(c) > 0x7F)
options = subset.Options()
options.layout_features = ["*"]
options.name_IDs = ["*"]
options.notdef_outline = True
sub = subset.Subsetter(options)
sub.populate(unicodes=wanted)
sub.subset(face)
family, full, ps = "Peilian Sans SC", "Peilian Sans SC Regular", "PeilianSansSC-Regular"
for rec in face["name"].names:
    if rec.nameID in (1, 16):
        rec.string = family
    elif rec.nameID == 4:
        rec.string = full
    elif rec.nameID in (3, 6):
        rec.string = ps
    elif rec.nameID == 2:
        rec.string = "Regular"
if "CFF " in face:
    cff = face["CFF "].cff
    cff.fontNames = [ps]
out.parent.mkdir(parents=True, exist_ok=True)
face.save(str(out))
write_coverage(out)
print(f"{out}: {len(wanted)} characters, {out.stat().st_size} bytes")
if missing:
    print("not in the source font (rendered blank):", "".join(missing), file=sys.stderr)
