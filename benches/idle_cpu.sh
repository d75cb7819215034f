#!/usr/bin/env bash
# The window's CPU while a job waits (issues 23 and 26's measure): a prompt typed and sent
# with Ctrl+Enter, the job left waiting at the emulator's real pace, the focus left in the
# prompt, and the window's CPU time over 20 s, as a share of one core:
#   benches/idle_cpu.sh [HISTORY_DIR]   (after cargo build --release; needs xvfb openbox
#                                        xdotool dbus gnome-keyring bc)
# HISTORY_DIR's jobs.db (e.g. target/bench-data/history-10000) is copied in first; without
# it the data directory starts empty.
set -euo pipefail
cd "$(dirname "$0")/.."
HISTORY_DIR=${1:-} source benches/support/window_session.sh
# The key from a real Secret Service, as a user's window gets it.
dbus-run-session -- bash -c "
  echo '' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  echo $key | target/release/makistry key set >/dev/null 2>&1
  target/release/makistry-desktop >'$data/app.log' 2>&1 & app=\$!
  sleep 6
  window=\$(xdotool search --pid \$app | tail -1)
  xdotool windowsize \$window 1180 760; sleep 1
  eval \$(xdotool getwindowgeometry --shell \$window)
  xdotool mousemove \$((X + 150)) \$((Y + 110)) click 1; sleep 0.5
  xdotool type --delay 20 'A 40 mm cube with a 10 mm hole through it'; sleep 0.5
  xdotool key ctrl+Return; sleep 2
  before=\$(awk '{print \$14 + \$15}' /proc/\$app/stat); sleep 20
  after=\$(awk '{print \$14 + \$15}' /proc/\$app/stat)
  echo \"window CPU over 20 s: \$(echo \"scale=2; (\$after - \$before) / 20\" | bc) % of a core\"
  kill \$app
" 2>/dev/null
