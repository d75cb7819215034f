# Sourced by the window benchmarks (key_latency.sh, list_appears.sh, idle_cpu.sh): an Xvfb
# display with openbox (so typing works) and the emulator on a free port, over a fresh data
# directory holding a copy of HISTORY_DIR when one is given. Sets display, key, data, port
# and the MAKISTRY_* variables; `app` is the window's pid once the caller starts it. All of
# it is stopped, and the data directory removed, when the script exits.
display=:$((RANDOM % 300 + 300)); key=mk_pub_0123456789abcdef0123456789abcdef
data=$(mktemp -d)
if [ -n "${HISTORY_DIR:-}" ]; then cp -r "$HISTORY_DIR"/. "$data"/; fi
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 & xvfb=$!
sleep 1; DISPLAY=$display openbox >/dev/null 2>&1 & wm=$!
port=$((RANDOM % 1000 + 18000))
export DISPLAY=$display MAKISTRY_BASE_URL=http://127.0.0.1:$port/v1 MAKISTRY_DATA_DIR=$data
target/release/makistry emulator --addr 127.0.0.1:$port --api-key $key >"$data/emulator.log" 2>&1 & emulator=$!
app=""
trap 'kill $app $emulator $wm $xvfb 2>/dev/null; rm -rf "$data"' EXIT
sleep 1
