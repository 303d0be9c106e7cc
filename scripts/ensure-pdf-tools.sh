#!/usr/bin/env bash
# The PDF documents (ketaclinic.documents) are rendered by WeasyPrint, which needs Debian's pango (and its cairo and
# harfbuzz) and the DejaVu fonts; the tests turn a few pages into PNG with poppler's pdftoppm. Install them when
# missing; in CI (CI=true) a missing part is an error, elsewhere a loud warning (the PDF tests skip).
set -u
have_all() {
  [ -x /usr/bin/pdftoppm ] && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
    && ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' && ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'
}
if have_all; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing the Debian packages WeasyPrint and the PDF tests need (pango, DejaVu fonts, poppler-utils)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    fonts-dejavu-core poppler-utils >/dev/null
fi
if have_all; then exit 0; fi
if [ "${CI:-}" = "true" ]; then
  echo "ERROR: pango, the DejaVu fonts or poppler-utils are missing and could not be installed; CI requires the PDF tests." >&2
  exit 1
fi
echo "!!! WARNING: pango, the DejaVu fonts or pdftoppm (poppler-utils) are missing: the PDF tests will be SKIPPED !!!" >&2
exit 0
