//! The benchmark part, shared by the benches (each includes this file as a module): an
//! icosphere subdivided 8 times (1,310,720 triangles) with a little deterministic noise, so
//! no two triangles are alike, written once as binary STL (65 MB) and GLB into
//! `target/bench-data/`. Made here, not committed.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

/// An icosphere of radius 50 mm, subdivided `levels` times, with ±1 % radial noise.
fn noisy_sphere(levels: u32) -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let t = (1.0 + 5f32.sqrt()) / 2.0;
    let mut vertices: Vec<[f32; 3]> = vec![
        [-1.0, t, 0.0],
        [1.0, t, 0.0],
        [-1.0, -t, 0.0],
        [1.0, -t, 0.0],
        [0.0, -1.0, t],
        [0.0, 1.0, t],
        [0.0, -1.0, -t],
        [0.0, 1.0, -t],
        [t, 0.0, -1.0],
        [t, 0.0, 1.0],
        [-t, 0.0, -1.0],
        [-t, 0.0, 1.0],
    ];
    let mut faces: Vec<[u32; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    for _ in 0..levels {
        let mut midpoints: HashMap<(u32, u32), u32> = HashMap::new();
        let mut midpoint = |a: u32, b: u32, vertices: &mut Vec<[f32; 3]>| {
            *midpoints.entry((a.min(b), a.max(b))).or_insert_with(|| {
                let (p, q) = (vertices[a as usize], vertices[b as usize]);
                vertices.push([
                    (p[0] + q[0]) / 2.0,
                    (p[1] + q[1]) / 2.0,
                    (p[2] + q[2]) / 2.0,
                ]);
                (vertices.len() - 1) as u32
            })
        };
        let mut next = Vec::with_capacity(faces.len() * 4);
        for [a, b, c] in faces {
            let (ab, bc, ca) = (
                midpoint(a, b, &mut vertices),
                midpoint(b, c, &mut vertices),
                midpoint(c, a, &mut vertices),
            );
            next.extend_from_slice(&[[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
        }
        faces = next;
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for v in &mut vertices {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = 1.0 + ((seed % 2001) as f32 / 1000.0 - 1.0) * 0.01;
        let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        *v = v.map(|c| c / len * 50.0 * noise);
    }
    (vertices, faces)
}

fn write_stl(path: &PathBuf, vertices: &[[f32; 3]], faces: &[[u32; 3]]) {
    let mut out = Vec::with_capacity(84 + faces.len() * 50);
    out.extend_from_slice(&[0u8; 80]);
    out.extend_from_slice(&(faces.len() as u32).to_le_bytes());
    for face in faces {
        out.extend_from_slice(&[0u8; 12]);
        for &i in face {
            for c in vertices[i as usize] {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0, 0]);
    }
    std::fs::write(path, out).expect("STL written");
}

/// A minimal valid GLB: one mesh of positions and u32 indices (normals left to the loader).
fn write_glb(path: &PathBuf, vertices: &[[f32; 3]], faces: &[[u32; 3]]) {
    let mut bin: Vec<u8> = Vec::new();
    for v in vertices {
        for c in v {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    let positions_len = bin.len();
    for face in faces {
        for i in face {
            bin.extend_from_slice(&i.to_le_bytes());
        }
    }
    let (mut min, mut max) = ([f32::MAX; 3], [f32::MIN; 3]);
    for v in vertices {
        for a in 0..3 {
            min[a] = min[a].min(v[a]);
            max[a] = max[a].max(v[a]);
        }
    }
    let json = serde_json::json!({
        "asset": { "version": "2.0", "generator": "makistry benches" },
        "scene": 0,
        "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0, "name": "noisy sphere" }],
        "meshes": [{ "name": "noisy sphere", "primitives": [{ "attributes": { "POSITION": 0 }, "indices": 1 }] }],
        "buffers": [{ "byteLength": bin.len() }],
        "bufferViews": [
            { "buffer": 0, "byteOffset": 0, "byteLength": positions_len, "target": 34962 },
            { "buffer": 0, "byteOffset": positions_len, "byteLength": bin.len() - positions_len, "target": 34963 }
        ],
        "accessors": [
            { "bufferView": 0, "componentType": 5126, "count": vertices.len(), "type": "VEC3", "min": min, "max": max },
            { "bufferView": 1, "componentType": 5125, "count": faces.len() * 3, "type": "SCALAR" }
        ]
    });
    let mut json = serde_json::to_vec(&json).expect("json");
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    std::fs::write(path, out).expect("GLB written");
}

/// Makes (once) and returns the STL and GLB of the benchmark sphere.
pub fn bench_files() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let (stl, glb) = (dir.join("sphere-1.3M.stl"), dir.join("sphere-1.3M.glb"));
    if !stl.exists() || !glb.exists() {
        std::fs::create_dir_all(&dir).expect("bench dir");
        let (vertices, faces) = noisy_sphere(8);
        write_stl(&stl, &vertices, &faces);
        write_glb(&glb, &vertices, &faces);
    }
    (stl, glb)
}
