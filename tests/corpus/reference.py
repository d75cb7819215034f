#!/usr/bin/env python3
"""What reference readers say about every file of the corpus: written to reference.json,
which tests/corpus.rs compares the app's readers against.

- Meshes (STL, GLB, 3MF): trimesh, the reader most Python CAD tools use, with `process=False`
  so it keeps the file's triangles as they are. Triangle count and bounding box, in millimetres
  (3MF's `unit` applied: trimesh records it in metadata and leaves coordinates as they are).
- STEP: OpenCascade (cadquery-ocp), the kernel that wrote most of these files and that f3d and
  FreeCAD read them with. Exact bounding box (BRepBndLib.AddOptimal) in millimetres.

Run it when the corpus changes (`pip install trimesh networkx lxml cadquery-ocp`):

    python3 tests/corpus/reference.py

The files are committed with their licences beside them; neither CI nor users need Python.
"""

import json
import pathlib
import sys

import trimesh

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The emulator's parts (CadQuery's own exporters) and the public files.
FOLDERS = [ROOT / "assets" / "parts", HERE / "trimesh", HERE / "3mf-samples", HERE / "cadquery"]
MESH_EXTENSIONS = {".stl", ".glb", ".3mf"}
STEP_EXTENSIONS = {".step", ".stp"}
UNIT_MM = {"micron": 0.001, "millimeter": 1.0, "centimeter": 10.0, "inch": 25.4, "foot": 304.8, "meter": 1000.0}


def three_mf_unit(path):
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.lower().endswith(".model"):
                head = archive.read(name)[:2000].decode("utf-8", "replace")
                match = re.search(r'<(?:\w+:)?model[^>]*\sunit="([a-z]+)"', head)
                return UNIT_MM.get(match.group(1), 1.0) if match else 1.0
    return 1.0


def mesh_reference(path):
    loaded = trimesh.load(str(path), process=False)
    meshes = loaded.dump() if isinstance(loaded, trimesh.Scene) else [loaded]
    meshes = [m for m in meshes if isinstance(m, trimesh.Trimesh) and len(m.faces) > 0]
    triangles = sum(len(m.faces) for m in meshes)
    if not meshes:
        return {"triangles": 0}
    bounds = trimesh.util.concatenate(meshes).bounds
    scale = three_mf_unit(path) if path.suffix.lower() == ".3mf" else 1.0
    return {
        "parts": len(meshes),
        "triangles": int(triangles),
        "min": [float(v) * scale for v in bounds[0]],
        "max": [float(v) * scale for v in bounds[1]],
        "reader": f"trimesh {trimesh.__version__}",
    }


def step_reference(path):
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib
    from OCP.IFSelect import IFSelect_RetDone
    from OCP.STEPControl import STEPControl_Reader

    reader = STEPControl_Reader()
    if reader.ReadFile(str(path)) != IFSelect_RetDone:
        return {"refused": True}
    reader.TransferRoots()
    shape = reader.OneShape()
    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape, box, False, False)
    if box.IsVoid():
        return {"empty": True, "reader": "OpenCascade (cadquery-ocp)"}
    # Bnd_Box.Get() does not cross into Python in newer OCP builds; the corners do.
    low, high = box.CornerMin(), box.CornerMax()
    return {
        "min": [low.X(), low.Y(), low.Z()],
        "max": [high.X(), high.Y(), high.Z()],
        "reader": "OpenCascade (cadquery-ocp)",
    }


def main():
    entries = {}
    for folder in FOLDERS:
        for path in sorted(folder.iterdir()):
            suffix = path.suffix.lower()
            key = str(path.relative_to(ROOT))
            if suffix in MESH_EXTENSIONS:
                entries[key] = mesh_reference(path)
            elif suffix in STEP_EXTENSIONS:
                entries[key] = step_reference(path)
            else:
                continue
            print(key, entries[key].get("triangles", ""), file=sys.stderr)
    (HERE / "reference.json").write_text(json.dumps(entries, indent=1) + "\n")


if __name__ == "__main__":
    main()
