#!/usr/bin/env bash
# Time from the window's start until the jobs list's cards are on screen (issue 23's
# measure), by polling the screen where the first card is drawn:
#   benches/list_appears.sh [HISTORY_DIR]   (after cargo build --release; needs xvfb openbox
#                                            xdotool imagemagick)
# HISTORY_DIR holds a jobs.db (default: the 10,000-job history `cargo bench --bench history`
# makes in target/bench-data/history-10000).
set -euo pipefail
cd "$(dirname "$0")/.."
history=${1:-target/bench-data/history-10000}
[ -f "$history/jobs.db" ] || { echo "no $history/jobs.db: run cargo bench --bench history first" >&2; exit 1; }
HISTORY_DIR=$history source benches/support/window_session.sh
export MAKISTRY_API_KEY=$key
start=$(date +%s%N)
target/release/makistry-desktop >"$data/app.log" 2>&1 & app=$!
for _ in $(seq 1 200); do
  sleep 0.05
  # The first card's area (the jobs panel, top right at the default size) is no longer flat.
  if xwd -root -silent 2>/dev/null | convert xwd:- -crop 200x40+1000+120 \
      -format '%[fx:standard_deviation]' info: 2>/dev/null | awk '{exit !($1 > 0.05)}'; then
    echo "cards on screen $(( ($(date +%s%N) - start) / 1000000 )) ms after start"
    exit 0
  fi
done
echo "no cards within 10 s" >&2
exit 1
