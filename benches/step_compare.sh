#!/usr/bin/env bash
# STEP, whole process, median of 3 (RUNS=n for more), on the same files: `makistry inspect` (read + mesh in the
# makistry-step-mesher child), `makistry render` (that, and an 800x600 PNG through EGL) and
# f3d (Debian's f3d, which reads STEP with OpenCascade too) writing an 800x600 PNG.
#   benches/step_compare.sh [FILE.step ...]     (after cargo build --release; needs f3d, xvfb)
set -u
cd "$(git rev-parse --show-toplevel)" || exit 1
bin=target/release/makistry
[ -x "$bin" ] && [ -x target/release/makistry-step-mesher ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v f3d >/dev/null || { echo "needs f3d: apt-get install f3d" >&2; exit 1; }
files=("$@")
[ ${#files[@]} -eq 0 ] && files=(assets/parts/*.step tests/corpus/*/*.STEP tests/corpus/*/*.step)
out=$(mktemp -d); trap 'kill $xvfb 2>/dev/null; rm -rf "$out"' EXIT
Xvfb :93 -screen 0 1024x768x24 >/dev/null 2>&1 & xvfb=$!; sleep 1
runs=${RUNS:-3}
median() { # median wall time in ms of $runs runs of "$@"
  local t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
  done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
printf "%-48s %10s %12s %12s %10s %8s\n" file triangles inspect_ms render_ms f3d_ms render/f3d
for f in "${files[@]}"; do
  tris=$("$bin" inspect --json "$f" 2>/dev/null | sed -n 's/.*"triangles":\([0-9]*\).*/\1/p')
  i=$(median "$bin" inspect --json "$f")
  r=$(median "$bin" render "$f" --out "$out/m.png" --size 800x600)
  g=$(median env DISPLAY=:93 f3d --output "$out/f.png" --resolution 800,600 "$f")
  printf "%-48s %10s %12s %12s %10s %7s%%\n" "$(basename "$f")" "${tris:-?}" "$i" "$r" "$g" "$(( 100 * r / g ))"
done
