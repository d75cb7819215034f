#!/usr/bin/env python3
"""Generate the emulator's library of real CAD parts with CadQuery.

Every part is modelled as a B-rep solid and exported to the four formats the
Makistry API serves: STEP (exact geometry), binary STL, GLB (binary glTF with
per-part colours) and 3MF, each by CadQuery's own exporters exactly as a CadQuery
pipeline writes them, with no post-processing: the emulator serves what the real
service would, so the app and the tests meet real files. The emulator embeds the
results (src/emulator/parts.rs) and picks one by what a prompt mentions.

Run from anywhere (needs `pip install cadquery`, tested with CadQuery 2.8):

    python3 -m venv /tmp/cq && /tmp/cq/bin/pip install cadquery
    /tmp/cq/bin/python assets/parts/generate.py

The files are committed, so neither CI nor users need CadQuery. All lengths are
millimetres.
"""

import math
import pathlib

import cadquery as cq

OUT = pathlib.Path(__file__).resolve().parent
# Linear / angular tessellation tolerances for the mesh formats: fine enough to
# look round in a viewer, coarse enough to keep every file well under 1 MB.
TOLERANCE = 0.05
ANGULAR_TOLERANCE = 0.2


def lens_cap():
    """A 60 mm lens cap with a 52 mm snap-fit lip and a grip ring."""
    cap = cq.Workplane("XY").circle(30).extrude(3)
    skirt = cq.Workplane("XY").workplane(offset=3).circle(30).circle(28).extrude(5)
    lip = cq.Workplane("XY").workplane(offset=3).circle(26).circle(24.5).extrude(7)
    snap_ring = cq.Workplane("XY").workplane(offset=8.5).circle(26.6).circle(26).extrude(1)
    cap = cap.union(skirt).union(lip).union(snap_ring)
    cap = cap.faces("<Z").edges().fillet(1.0)
    # Shallow grip ribs on the outer skirt.
    for i in range(24):
        a = 2 * math.pi * i / 24
        rib = (
            cq.Workplane("XY")
            .workplane(offset=3.5)
            .center(30 * math.cos(a), 30 * math.sin(a))
            .circle(0.6)
            .extrude(4)
        )
        cap = cap.union(rib)
    return cap


def l_bracket():
    """An aluminium L-bracket, 60x40x40 mm, 4 mm thick, with M5 clearance holes and a gusset."""
    t = 4.0
    base = cq.Workplane("XY").box(60, 40, t, centered=(True, False, False))
    upright = cq.Workplane("XY").box(60, t, 40, centered=(True, False, False))
    bracket = base.union(upright)
    gusset = (
        cq.Workplane("YZ")
        .polyline([(t, t), (30, t), (t, 30)])
        .close()
        .extrude(2.5, both=True)
    )
    bracket = bracket.union(gusset)
    # M5 clearance holes (5.5 mm) in both legs, 15 mm from the sides.
    bracket = (
        bracket.faces(">Z[-2]").workplane(centerOption="CenterOfBoundBox")
        .pushPoints([(-20, 4), (20, 4)])
        .hole(5.5)
    )
    bracket = (
        bracket.faces("<Y").workplane(centerOption="CenterOfBoundBox")
        .pushPoints([(-20, 4), (20, 4)])
        .hole(5.5)
    )
    return bracket.edges("|X").fillet(0.8)


def box_with_hole():
    """A 40x20x10 mm block with a 5 mm through hole and chamfered top edges."""
    return (
        cq.Workplane("XY")
        .box(40, 20, 10)
        .edges(">Z").chamfer(1)
        .faces(">Z").workplane().hole(5)
    )


def enclosure():
    """An 80x50x30 mm electronics enclosure: 2 mm walls, four M3 screw bosses, a cable slot."""
    shell = (
        cq.Workplane("XY")
        .box(80, 50, 30, centered=(True, True, False))
        .edges("|Z").fillet(4)
        .faces(">Z").shell(-2)
    )
    bosses = (
        cq.Workplane("XY")
        .workplane(offset=2)
        .rect(66, 36, forConstruction=True)
        .vertices()
        .circle(3.5)
        .circle(1.25)
        .extrude(22)
    )
    slot = (
        cq.Workplane("YZ")
        .workplane(offset=38)
        .center(0, 20)
        .slot2D(16, 6)
        .extrude(5)
    )
    return shell.union(bosses).cut(slot)


def gear():
    """A gear-like disc: 24 teeth, 50 mm tip diameter, 8 mm thick, 8 mm bore with a keyway."""
    teeth, r_root, r_tip = 24, 22.0, 25.0
    pts = []
    for i in range(teeth):
        a0 = 2 * math.pi * i / teeth
        step = 2 * math.pi / teeth
        for frac, r in ((0.0, r_root), (0.15, r_tip), (0.45, r_tip), (0.6, r_root)):
            a = a0 + frac * step
            pts.append((r * math.cos(a), r * math.sin(a)))
    disc = cq.Workplane("XY").polyline(pts).close().extrude(8)
    hub = cq.Workplane("XY").circle(8).extrude(12)
    body = disc.union(hub).faces(">Z").workplane().hole(8)
    key = cq.Workplane("XY").center(4.5, 0).rect(3, 2.5).extrude(12)
    lightening = (
        cq.Workplane("XY")
        .polarArray(14.5, 0, 360, 6)
        .circle(3.5)
        .extrude(8)
    )
    return body.cut(key).cut(lightening)


def assembly_parts():
    """A 3-part enclosure assembly: base, PCB on the bosses, and a lid, each in its own colour.

    Returns (name, shape, location, rgba) per part; the shapes are modelled at the origin and
    placed by their locations, so the exported files carry real node/build transforms.
    """
    base = (
        cq.Workplane("XY")
        .box(70, 45, 20, centered=(True, True, False))
        .edges("|Z").fillet(3)
        .faces(">Z").shell(-2)
        .union(
            cq.Workplane("XY").workplane(offset=2)
            .rect(58, 33, forConstruction=True).vertices()
            .circle(3).circle(1.2).extrude(8)
        )
    )
    pcb = (
        cq.Workplane("XY")
        .box(62, 37, 1.6, centered=(True, True, False))
        .faces(">Z").workplane()
        .rect(58, 33, forConstruction=True).vertices().hole(3)
        .union(cq.Workplane("XY").workplane(offset=1.6).center(-12, 0).box(14, 10, 4, centered=(True, True, False)))
    )
    lid = (
        cq.Workplane("XY")
        .box(70, 45, 3, centered=(True, True, False))
        .edges("|Z").fillet(3)
        .faces(">Z").workplane()
        .rect(58, 33, forConstruction=True).vertices().cboreHole(3.2, 6, 1.5)
    )
    return [
        ("base", base, cq.Location(cq.Vector(0, 0, 0)), (0.20, 0.40, 0.75, 1.0)),
        ("pcb", pcb, cq.Location(cq.Vector(0, 0, 10)), (0.10, 0.55, 0.25, 1.0)),
        ("lid", lid, cq.Location(cq.Vector(0, 0, 24)), (0.85, 0.85, 0.82, 1.0)),
    ]


SINGLE_PARTS = {
    "lens_cap": (lens_cap, (0.15, 0.15, 0.17, 1.0)),
    "l_bracket": (l_bracket, (0.75, 0.77, 0.80, 1.0)),
    "box_with_hole": (box_with_hole, (0.90, 0.55, 0.15, 1.0)),
    "enclosure": (enclosure, (0.30, 0.32, 0.36, 1.0)),
    "gear": (gear, (0.70, 0.60, 0.30, 1.0)),
}


def export_single(name, shape, rgba):
    """One part, each format through CadQuery's own exporter, untouched afterwards."""
    cq.exporters.export(shape, str(OUT / f"{name}.step"))
    cq.exporters.export(shape, str(OUT / f"{name}.stl"), tolerance=TOLERANCE, angularTolerance=ANGULAR_TOLERANCE)
    cq.exporters.export(shape, str(OUT / f"{name}.3mf"), tolerance=TOLERANCE, angularTolerance=ANGULAR_TOLERANCE)
    # glTF carries colours only through an assembly, which is how CadQuery writes GLB.
    assy = cq.Assembly(name=f"{name}_model")
    assy.add(shape, name=name, color=cq.Color(*rgba))
    assy.export(str(OUT / f"{name}.glb"), tolerance=TOLERANCE, angularTolerance=ANGULAR_TOLERANCE)


def export_assembly(name, parts):
    """A coloured assembly: STEP, GLB and STL from `Assembly.export`; 3MF (which the assembly
    exporter does not write) from `cq.exporters.export` of the assembly's compound."""
    assy = cq.Assembly(name=name)
    for part_name, shape, location, rgba in parts:
        assy.add(shape, name=part_name, loc=location, color=cq.Color(*rgba))
    assy.export(str(OUT / f"{name}.step"))
    assy.export(str(OUT / f"{name}.glb"), tolerance=TOLERANCE, angularTolerance=ANGULAR_TOLERANCE)
    assy.export(str(OUT / f"{name}.stl"), tolerance=TOLERANCE, angularTolerance=ANGULAR_TOLERANCE)
    cq.exporters.export(
        assy.toCompound(), str(OUT / f"{name}.3mf"), tolerance=TOLERANCE, angularTolerance=ANGULAR_TOLERANCE
    )


def main():
    for name, (build, rgba) in SINGLE_PARTS.items():
        export_single(name, build(), rgba)
        print(f"wrote {name}")
    export_assembly("enclosure_assembly", assembly_parts())
    print("wrote enclosure_assembly")


if __name__ == "__main__":
    main()
