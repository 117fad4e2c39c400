#!/usr/bin/env bash
# One command for the shipped model's report: the ablation forest plot, the shipped model's held-out
# Tc and the learning curve first, then explain studies + evaluation summary, into
# docs/report/index.html (static, opens from disk), and a screenshot of its top part.
# Usage: bash scripts/report.sh [EVALUATION_DIR=docs/evaluation]
set -euo pipefail
cd "$(dirname "$0")/.."
evaluation=${1:-docs/evaluation}
rm -rf docs/report
.venv/bin/tcramp report --out docs/report --evaluation "$evaluation" \
    --model src/tcramp/shipped --snapshots data/records --learning-curve docs/learning_curve.md
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1600 \
        --screenshot="$PWD/docs/report-screenshot.png" "file://$PWD/docs/report/index.html" 2>/dev/null
else
    echo "chromium not found: no screenshot (scripts/test.sh installs it as root)" >&2
fi
