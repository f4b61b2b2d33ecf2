#!/usr/bin/env bash
# Takes the README's screenshot of the lab report with Debian's headless Chromium (no network, no browser download).
# Usage: docs/screenshot.sh [REPORT_FOLDER=lab] [OUTPUT=docs/lab-report.png] [WIDTH=1200] [HEIGHT=1800]
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-lab}
output=${2:-docs/lab-report.png}
width=${3:-1200}
height=${4:-1800}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
if [ ! -f "$report/index.html" ]; then
  echo "$report/index.html does not exist; run 'descent lab' first" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$width,$height" --screenshot="$(realpath -m "$output")" "file://$(realpath "$report")/index.html"
echo "wrote $output"
