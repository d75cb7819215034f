#!/usr/bin/env bash
# Times loading the benchmark sphere (made by `cargo bench --bench model_loading`) three ways
# on this machine: trimesh (Python, PyPI), `makistry inspect`, and peak memory of the latter.
# Needs: python3 -m venv /tmp/tm && /tmp/tm/bin/pip install trimesh numpy scipy (without scipy,
# trimesh computes vertex normals in a Python loop that takes minutes on this mesh)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/tmp/tm/bin/python}
data=target/bench-data
[ -f "$data/sphere-1.3M.stl" ] || cargo bench --bench model_loading
cargo build --release --bin makistry >/dev/null 2>&1
for file in "$data/sphere-1.3M.stl" "$data/sphere-1.3M.glb"; do
  echo "== $(basename "$file") ($(du -h "$file" | cut -f1))"
  "$python" - "$file" <<'PY'
import sys, time, trimesh
best = min((lambda t: (trimesh.load(sys.argv[1]), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
print(f"trimesh.load: {best * 1000:.0f} ms (best of 3)")
# trimesh computes normals lazily; the viewer's data includes them. This is the like-for-like
# time to render-ready data (positions, normals, indices).
def ready(t):
    scene = trimesh.load(sys.argv[1])
    for mesh in (scene.geometry.values() if hasattr(scene, "geometry") else [scene]):
        mesh.vertex_normals
    return time.perf_counter() - t
best = min(ready(time.perf_counter()) for _ in range(3))
print(f"trimesh.load + vertex_normals: {best * 1000:.0f} ms (best of 3)")
PY
  best=""
  for _ in 1 2 3; do
    ms=$(./target/release/makistry inspect --json "$file" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["load_ms"]))')
    best=$(( ${best:-$ms} < ms ? ${best:-$ms} : ms ))
  done
  echo "makistry inspect: ${best} ms (best of 3)"
  /usr/bin/time -f "makistry inspect peak RSS: %M KiB" ./target/release/makistry inspect --json "$file" >/dev/null
done
