#!/bin/sh
# Regenerates docs/img/report-q-learning.png and docs/img/report-bayesopt.png: trains the Gros &
# Zanon examples (Q-learning, Bayesian optimization) into a temporary folder and screenshots each
# report.html with headless Chromium (Debian: apt-get install chromium).
# Usage: docs/make-screenshots.sh [--reuse DIR]   (--reuse: use DIR/q and DIR/bo if present, only re-render)
set -eu
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[ -n "$CHROMIUM" ] || { echo "chromium not found (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }
if [ "${1:-}" = "--reuse" ]; then out=$2; else out=$(mktemp -d); fi
train() { # spec name
  if [ ! -f "$out/$2/summary.json" ]; then
    rm -rf "$out/$2"
    npx tsx cli/main.ts train "examples/gros_zanon/$1" --out "$out/$2" > "$out/$2.log"
  fi
  # re-render with the current report code (the run folder is unchanged)
  npx tsx -e "import('./runtime/report/html.ts').then((m) => m.writeReport('$out/$2'))"
}
shot() { # name height
  profile=$(mktemp -d)
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="docs/img/report-$1.png" --window-size="1280,$3" "file://$out/$2/report.html" 2>/dev/null
  rm -rf "$profile"
  echo "docs/img/report-$1.png"
}
train linear_mpc.mpcrl q
train linear_mpc_bayesopt.mpcrl bo
shot q-learning q 2400
shot bayesopt bo 2600
echo "run folders: $out"
