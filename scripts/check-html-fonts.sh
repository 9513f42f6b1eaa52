#!/usr/bin/env bash
# Checks that HTML reports read the same on a machine without Chinese fonts: renders each page
# in headless Chromium with a fontconfig that sees only a Latin font folder (DejaVu), and checks
#   1. no CJK font is visible to Chromium;
#   2. the embedded PeilianSansSC loads (document.fonts says loaded, no OTS rejection logged);
#   3. the screenshot differs from one of the same page with the @font-face taken out (where the
#      Chinese shows as empty boxes).
# The screenshots stay in DIR for a look. Not part of `cargo test` (it needs Chromium).
# Usage: scripts/check-html-fonts.sh [DIR [PAGE.html...]]
#   without pages: writes a trainee and a team report from demo data (scripts/demo-data.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "FAILED: $*" >&2; exit 1; }

if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
latin=/usr/share/fonts/truetype/dejavu
if [ ! -d "$latin" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
fi

out="${1:-$(mktemp -d)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
shift || true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
  bin="${PEILIAN_BIN:-$CARGO_TARGET_DIR/release/peilian}"
  [ -x "$bin" ] || cargo build --release --locked --quiet
  PEILIAN_BIN="$bin" scripts/demo-data.sh "$work/demo.db" >/dev/null
  "$bin" report --trainee 王芳 --db "$work/demo.db" --html "$out/trainee.html"
  "$bin" report --db "$work/demo.db" --html "$out/team.html"
  pages=("$out/trainee.html" "$out/team.html")
fi

# A fontconfig that knows only the Latin folder: what a machine without CJK fonts has.
cat >"$work/fonts.conf" <<EOF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>$latin</dir>
  <cachedir>$work/fc-cache</cachedir>
</fontconfig>
EOF
export FONTCONFIG_FILE="$work/fonts.conf"
cjk="$(fc-list :lang=zh family | wc -l)"
[ "$cjk" -eq 0 ] || fail "fontconfig still sees $cjk CJK font(s)"
echo "fontconfig sees $(fc-list | wc -l) font(s), none for Chinese"

chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$(mktemp -d -p "$work")" --enable-logging=stderr --v=0 "$@" 2>>"$work/chrome.log"
}

cat >"$work/probe.js" <<'EOF'
<script>
addEventListener("load", async () => {
  let faces = 0;
  try { faces = (await document.fonts.load("16px PeilianSansSC", "练")).length; } catch (e) {}
  const status = [...document.fonts].map(f => f.family.replace(/"/g, "") + ":" + f.status).join(",");
  document.body.setAttribute("data-probe", "faces=" + faces + ";" + status + ";check=" + document.fonts.check("16px PeilianSansSC", "练"));
});
</script>
EOF

for page in "${pages[@]}"; do
  name="$(basename "$page" .html)"
  grep -q '@font-face' "$page" || fail "$page has no embedded font"
  cp "$page" "$work/$name.html"
  # The same page without the embedded font (the @font-face is one <style> element).
  perl -pe 's#<style>\@font-face.*?</style>##' "$page" >"$work/$name-nofont.html"
  grep -q '@font-face' "$work/$name-nofont.html" && fail "could not take the font out of $page"
  PROBE="$work/probe.js" perl -0pe 'BEGIN { local $/; open my $f, "<", $ENV{PROBE} or die; $p = <$f> } s#</body>#$p</body>#' \
    "$page" >"$work/$name-probe.html"

  : >"$work/chrome.log"
  chrome --window-size=1100,1600 --screenshot="$out/$name.png" "file://$work/$name.html" >/dev/null
  chrome --window-size=1100,1600 --screenshot="$out/$name-nofont.png" "file://$work/$name-nofont.html" >/dev/null
  dom="$(chrome --virtual-time-budget=10000 --dump-dom "file://$work/$name-probe.html")"
  result="$(printf '%s' "$dom" | grep -o 'data-probe="[^"]*"' || true)"
  echo "$name: $result"
  grep -q 'OTS parsing error' "$work/chrome.log" && fail "$name: Chromium rejected the font: $(grep 'OTS' "$work/chrome.log" | head -1)"
  case "$result" in
    *"faces=1;PeilianSansSC:loaded;check=true"*) ;;
    *) fail "$name: the embedded font did not load" ;;
  esac
  cmp -s "$out/$name.png" "$out/$name-nofont.png" && fail "$name: the page looks the same without its font"
  echo "$name: ok — $out/$name.png (with the font) differs from $out/$name-nofont.png (without)"
done
echo "all pages read without CJK system fonts; screenshots in $out"
