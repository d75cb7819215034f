#!/usr/bin/env bash
# The benchmark sphere (1.3 M triangles, made by `cargo bench --bench model_loading`) as STL
# (65.5 MB) and GLB (23.6 MB), whole processes, best of 3, on this machine:
#  - load: trimesh (Python, the reference reader) against `makistry inspect`, and the peak
#    memory of `makistry inspect` beside the file's size;
#  - render: f3d (Debian's, `--output`, 800x600) against `makistry render` (800x600, EGL), with
#    each one's time and peak memory.
# Needs: python3 with trimesh, numpy and scipy (pip install trimesh numpy scipy: without scipy
# trimesh computes vertex normals in a Python loop that takes minutes); f3d and Xvfb (f3d 1.3
# needs an X display even for --output).
#   benches/compare.sh            (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
data=target/bench-data
[ -f "$data/sphere-1.3M.stl" ] || cargo bench --bench model_loading
cargo build --release --bin makistry >/dev/null 2>&1
bin=./target/release/makistry
out=$(mktemp -d)
xvfb=""
if [ -z "${DISPLAY:-}" ]; then
  Xvfb :94 -screen 0 1024x768x24 >/dev/null 2>&1 & xvfb=$!
  export DISPLAY=:94
  sleep 1
fi
trap '[ -n "$xvfb" ] && kill $xvfb 2>/dev/null; rm -rf "$out"' EXIT

# Best wall time (ms) and the peak RSS (KiB) of that run, of 3 runs of "$@".
best() {
  local best_ms=999999 best_kib=0 line ms kib
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>&1
    line=$(tail -1 "$out/time")
    ms=$(awk '{printf "%d", $1 * 1000}' <<<"$line"); kib=${line#* }
    if [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; best_kib=$kib; fi
  done
  echo "$best_ms $best_kib"
}

for file in "$data/sphere-1.3M.stl" "$data/sphere-1.3M.glb"; do
  size_kib=$(( $(stat -c %s "$file") / 1024 ))
  echo "== $(basename "$file") ($(( size_kib / 1024 )) MiB)"
  "$python" - "$file" <<'PY'
import sys, time, trimesh
def load(t):
    trimesh.load(sys.argv[1])
    return time.perf_counter() - t
print(f"  trimesh.load: {min(load(time.perf_counter()) for _ in range(3)) * 1000:.0f} ms (best of 3)")
# trimesh computes normals lazily; the viewer's data includes them. This is the like-for-like
# time to render-ready data (positions, normals, indices).
def ready(t):
    scene = trimesh.load(sys.argv[1])
    for mesh in (scene.geometry.values() if hasattr(scene, "geometry") else [scene]):
        mesh.vertex_normals
    return time.perf_counter() - t
print(f"  trimesh.load + vertex_normals: {min(ready(time.perf_counter()) for _ in range(3)) * 1000:.0f} ms (best of 3)")
PY
  load_ms=999999
  for _ in 1 2 3; do
    ms=$("$bin" inspect --json "$file" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["load_ms"]))')
    [ "$ms" -lt "$load_ms" ] && load_ms=$ms
  done
  read -r _ inspect_kib <<<"$(best "$bin" inspect --json "$file")"
  echo "  makistry inspect: load ${load_ms} ms (best of 3); peak RSS ${inspect_kib} KiB," \
    "$(awk -v a="$inspect_kib" -v b="$size_kib" 'BEGIN { printf "%.2f", a / b }')x the file"
  read -r f3d_ms f3d_kib <<<"$(best f3d --output "$out/f3d.png" --resolution 800,600 "$file")"
  read -r our_ms our_kib <<<"$(best "$bin" render "$file" --out "$out/ours.png" --size 800x600)"
  echo "  render 800x600: f3d ${f3d_ms} ms, ${f3d_kib} KiB; makistry ${our_ms} ms, ${our_kib} KiB" \
    "($(awk -v a="$our_ms" -v b="$f3d_ms" 'BEGIN { printf "%.2f", a / b }')x the time," \
    "$(awk -v a="$our_kib" -v b="$f3d_kib" 'BEGIN { printf "%.2f", a / b }')x the memory)"
done
