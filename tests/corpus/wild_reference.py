#!/usr/bin/env python3
"""What reference readers say about the 60 files other tools wrote in ../shared/corpus/wild/
(never copied into the project): written to wild_reference.json, which tests/corpus_wild.rs
compares the app's readers against.

- Meshes: trimesh (as reference.py: triangles, parts, box; 3MF units applied). GLB files that
  trimesh cannot read (meshopt, EXT_meshopt_compression) or misreads (a quantized Draco mesh:
  it ignores `normalized`) get their box from the file's own accessor min/max through the
  node transforms, as glTF defines them, and their triangles from the index accessors.
- STEP: OpenCascade (cadquery-ocp), as reference.py.
- Files no reader shows, and why: `refused` names the app's answer the test expects.

    pip install trimesh networkx lxml cadquery-ocp DracoPy && python3 tests/corpus/wild_reference.py
"""

import json
import pathlib
import struct
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reference  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
WILD = (HERE.parent.parent.parent / "shared" / "corpus" / "wild").resolve()
# What the app says instead of a part, where no reader shows one.
REFUSED = {
    "glb/khronos_gltf1_Box.glb": "not_yet_readable",  # glTF 1.0: trimesh refuses it too
    "3mf/3mfc_beamlattice_pyramid.3mf": "nothing_to_show",  # beams only
}
# AP242 tessellated STEP: OpenCascade 7.7+ reads it with read.step.tessellated on.
TESSELLATED = {
    "step/catia_v5_ap242_tessellated_cube.stp",
    "step/hoops_exchange_split_edges.step",
}
# trimesh cannot read these (meshopt) or reads them wrong (normalized Draco positions).
FROM_ACCESSORS = {
    "glb/gltfpack_BoxMeshopt.glb",
    "glb/gltfpack_pirate_meshopt.glb",
    "glb/gltftransform_DenseSphere_draco_quantized.glb",
}


def node_matrix(node):
    if "matrix" in node:
        return np.array(node["matrix"], dtype=float).reshape(4, 4).T
    t = np.eye(4)
    t[:3, 3] = node.get("translation", [0, 0, 0])
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    r = np.eye(4)
    r[:3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    s = np.diag(list(node.get("scale", [1, 1, 1])) + [1])
    return t @ r @ s


def accessor_reference(path):
    data = path.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    doc = json.loads(data[20 : 20 + length])
    accessors = doc["accessors"]
    points, triangles, parts = [], 0, 0

    def visit(index, parent):
        nonlocal triangles, parts
        node = doc["nodes"][index]
        world = parent @ node_matrix(node)
        if "mesh" in node:
            parts += 1
            for primitive in doc["meshes"][node["mesh"]]["primitives"]:
                position = accessors[primitive["attributes"]["POSITION"]]
                low, high = np.array(position["min"], float), np.array(position["max"], float)
                if position.get("normalized"):
                    scale = {5120: 127, 5121: 255, 5122: 32767, 5123: 65535}[position["componentType"]]
                    low, high = low / scale, high / scale
                for corner in range(8):
                    p = [high[a] if corner >> a & 1 else low[a] for a in range(3)]
                    points.append((world @ np.array(p + [1.0]))[:3])
                triangles += accessors[primitive["indices"]]["count"] // 3
        for child in node.get("children", []):
            visit(child, world)

    for root in doc["scenes"][doc.get("scene", 0)]["nodes"]:
        visit(root, np.eye(4))
    points = np.array(points)
    return {
        "parts": parts,
        "triangles": int(triangles),
        "min": points.min(axis=0).tolist(),
        "max": points.max(axis=0).tolist(),
        "reader": "the file's accessor min/max through its node transforms",
    }


def declared_namespaces_reference(path):
    """A 3MF whose model uses a namespace prefix it never declares (the 3MF Consortium's
    multiproperties sample): lenient readers read it; trimesh's XML parser stops. The
    reference is trimesh's reading of the same file with that prefix declared."""
    import re
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as folder:
        fixed = pathlib.Path(folder) / path.name
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(fixed, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename.lower().endswith(".model"):
                    text = data.decode("utf-8")
                    used = set(re.findall(r"<(\w+):", text)) | set(re.findall(r"\s(\w+):\w+=", text))
                    declared = set(re.findall(r"xmlns:(\w+)=", text))
                    missing = sorted(used - declared - {"xml", "xmlns"})
                    extra = "".join(f' xmlns:{p}="urn:undeclared:{p}"' for p in missing)
                    text = re.sub(r"<model\b", "<model" + extra, text, count=1)
                    data = text.encode("utf-8")
                target.writestr(item, data)
        entry = reference.mesh_reference(fixed)
    entry["reader"] += " (its undeclared namespace prefix declared)"
    return entry


def cr_line_ends_reference(path):
    """An ASCII STL whose lines end with CR alone (MeshLab's; PrusaSlicer's tests load it):
    trimesh stops on it. The reference is trimesh's reading of the same text with LF ends."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        fixed = pathlib.Path(folder) / path.name
        fixed.write_bytes(path.read_bytes().replace(b"\r", b"\n"))
        entry = reference.mesh_reference(fixed)
    entry["reader"] += " (its CR line ends made LF)"
    return entry


def tessellated_reference(path):
    """Triangles and box of a STEP file's tessellated faces, as OpenCascade reads them."""
    from OCP.Bnd import Bnd_Box
    from OCP.BRep import BRep_Tool
    from OCP.BRepBndLib import BRepBndLib
    from OCP.Interface import Interface_Static
    from OCP.STEPControl import STEPControl_Reader
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS

    Interface_Static.SetIVal_s("read.step.tessellated", 1)
    reader = STEPControl_Reader()
    reader.ReadFile(str(path))
    reader.TransferRoots()
    shape = reader.OneShape()
    triangles = 0
    faces = TopExp_Explorer(shape, TopAbs_FACE)
    while faces.More():
        mesh = BRep_Tool.Triangulation_s(TopoDS.Face(faces.Current()), TopLoc_Location())
        triangles += mesh.NbTriangles() if mesh is not None else 0
        faces.Next()
    box = Bnd_Box()
    BRepBndLib.Add_s(shape, box, True)
    low, high = box.CornerMin(), box.CornerMax()
    return {
        "parts": 1,
        "triangles": triangles,
        "min": [low.X(), low.Y(), low.Z()],
        "max": [high.X(), high.Y(), high.Z()],
        "reader": "OpenCascade (cadquery-ocp) with read.step.tessellated",
    }


def main():
    entries = {}
    for path in sorted(WILD.rglob("*")):
        suffix = path.suffix.lower()
        key = str(path.relative_to(WILD))
        if key in REFUSED:
            entries[key] = {"refused": REFUSED[key]}
        elif key in TESSELLATED:
            entries[key] = tessellated_reference(path)
        elif key in FROM_ACCESSORS:
            entries[key] = accessor_reference(path)
        elif suffix in reference.MESH_EXTENSIONS:
            try:
                entries[key] = reference.mesh_reference(path)
            except Exception as error:  # noqa: BLE001 - one file's XML, said and handled
                if "Namespace prefix" in str(error):
                    entries[key] = declared_namespaces_reference(path)
                elif b"\n" not in path.read_bytes() and b"\r" in path.read_bytes():
                    entries[key] = cr_line_ends_reference(path)
                else:
                    raise
        elif suffix in reference.STEP_EXTENSIONS:
            entries[key] = reference.step_reference(path)
        else:
            continue
        print(key, json.dumps(entries[key])[:160], file=sys.stderr)
    (HERE / "wild_reference.json").write_text(json.dumps(entries, indent=1) + "\n")


if __name__ == "__main__":
    main()
