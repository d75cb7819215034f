#!/usr/bin/env bash
# How long a key typed into the prompt takes to show, with a given history, and the window's
# resident memory (issue 23's measure):
#   benches/key_latency.sh [HISTORY_DIR]     (after cargo build --release; needs xvfb openbox
#                                             xdotool gcc libx11-dev libxtst-dev)
# HISTORY_DIR holds a jobs.db (default: the 10,000-job history `cargo bench --bench history`
# makes in target/bench-data/history-10000). The window runs on a copy, against the emulator,
# under Xvfb + openbox; keyprobe (benches/keyprobe.c) presses x by XTest 8 times and reads a
# 300x60 region of the screen until it changes: each key's milliseconds, then the median.
set -euo pipefail
cd "$(dirname "$0")/.."
history=${1:-target/bench-data/history-10000}
[ -f "$history/jobs.db" ] || { echo "no $history/jobs.db: run cargo bench --bench history first" >&2; exit 1; }
probe=target/keyprobe
gcc -O2 -o "$probe" benches/keyprobe.c -lX11 -lXtst
HISTORY_DIR=$history source benches/support/window_session.sh
export MAKISTRY_API_KEY=$key
target/release/makistry-desktop >"$data/app.log" 2>&1 & app=$!
sleep 8
window=$(xdotool search --pid $app | tail -1)
xdotool windowsize "$window" 1180 760; sleep 2
eval "$(xdotool getwindowgeometry --shell "$window")"
xdotool mousemove --window "$window" 150 90 click 1; sleep 1
# The prompt's first line, in root coordinates (openbox's frame included in Y).
"$probe" $((X + 12)) $((Y + 45)) 300 60 8
echo "resident: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$app/status)"
