//! A lighter stand-in of a large model, drawn while the user turns or zooms the view so it
//! follows the mouse even on a software renderer; the full model is drawn as soon as the view
//! is still. meshoptimizer does the work: weld the vertices that share a position (STL shares
//! none), then collapse edges while the shape allows (it keeps the topology, so no holes
//! open, which vertex clustering left as dark specks), then compact. Normals are recomputed
//! smooth: fine for a view in motion. A few hundred milliseconds for a million triangles, on
//! a background task.

use super::normals::smooth;
use super::{Model, Part};

/// A copy of `model` with about `target` triangles (the parts keep their index, name and
/// colours, each reduced by the same ratio), or `None` when it is already that small.
pub fn simplified(model: &Model, target: usize) -> Option<Model> {
    let triangles = model.triangles();
    if triangles <= target || model.bounds.is_empty() {
        return None;
    }
    let ratio = target as f64 / triangles as f64;
    let parts = model
        .parts
        .iter()
        .map(|part| reduce(part, ratio))
        .collect::<Option<Vec<_>>>()?;
    let mut stand_in = Model::new(parts);
    stand_in.units = model.units;
    Some(stand_in)
}

/// Largest shape error allowed, relative to the part's size: past it the simplifier stops
/// short of the target rather than deform the part.
const MAX_ERROR: f32 = 0.01;

/// A vertex as the simplifier sees it: its position, then its colour (all ones for a part of
/// one colour), so that vertices weld only where their colours agree too.
type Vertex = [f32; 7];

fn reduce(part: &Part, ratio: f64) -> Option<Part> {
    if part.indices.is_empty() {
        return Some(part.clone());
    }
    let vertices: Vec<Vertex> = part
        .positions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let c = part.colors.get(i).copied().unwrap_or([1.0; 4]);
            [p[0], p[1], p[2], c[0], c[1], c[2], c[3]]
        })
        .collect();
    let (count, remap) = meshopt::generate_vertex_remap(&vertices, Some(&part.indices));
    let welded: Vec<Vertex> = meshopt::remap_vertex_buffer(&vertices, count, &remap);
    let indices = meshopt::remap_index_buffer(Some(&part.indices), count, &remap);
    let adapter =
        meshopt::VertexDataAdapter::new(bytemuck::cast_slice(&welded), size_of::<Vertex>(), 0)
            .ok()?;
    let target_indices = ((indices.len() as f64 * ratio) as usize / 3).max(1) * 3;
    let mut reduced = meshopt::simplify(
        &indices,
        &adapter,
        target_indices,
        MAX_ERROR,
        meshopt::SimplifyOptions::None,
        None,
    );
    let kept = meshopt::optimize_vertex_fetch(&mut reduced, &welded);
    let positions: Vec<[f32; 3]> = kept.iter().map(|v| [v[0], v[1], v[2]]).collect();
    let normals = smooth(&positions, &reduced);
    let reduced_part = Part::new(part.name.clone(), positions, normals, reduced, part.color);
    if part.colors.is_empty() {
        return Some(reduced_part);
    }
    Some(reduced_part.with_vertex_colors(kept.iter().map(|v| [v[3], v[4], v[5], v[6]]).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat `n`×`n` grid of unit squares in the XY plane, two triangles each.
    fn sheet(n: u32) -> Model {
        let positions = (0..=n)
            .flat_map(|y| (0..=n).map(move |x| [x as f32, y as f32, 0.0]))
            .collect();
        let mut indices = Vec::new();
        for y in 0..n {
            for x in 0..n {
                let i = y * (n + 1) + x;
                indices.extend_from_slice(&[i, i + 1, i + n + 1, i + 1, i + n + 2, i + n + 1]);
            }
        }
        let count = ((n + 1) * (n + 1)) as usize;
        Model::new(vec![Part::new(
            "sheet".into(),
            positions,
            vec![[0.0, 0.0, 1.0]; count],
            indices,
            [0.2, 0.4, 0.6, 1.0],
        )])
    }

    #[test]
    fn a_large_mesh_gets_fewer_triangles_in_the_same_place() {
        let model = sheet(300); // 180,000 triangles
        let light = simplified(&model, 20_000).expect("simplified");
        let triangles = light.triangles();
        assert!(
            triangles > 1_000 && triangles <= 20_000,
            "{triangles} triangles"
        );
        let part = &light.parts[0];
        assert_eq!(
            (part.name.as_str(), part.color),
            ("sheet", [0.2, 0.4, 0.6, 1.0])
        );
        // Same place and size, within a cell.
        for axis in 0..2 {
            assert!(light.bounds.min[axis] < 10.0 && light.bounds.max[axis] > 290.0);
        }
        assert!(part.normals.iter().all(|n| (n[2] - 1.0).abs() < 1e-5));
        assert!(
            part.indices
                .iter()
                .all(|&i| (i as usize) < part.positions.len())
        );
    }

    /// A closed UV sphere of radius 10 with `rings` × `segments` quads (poles shared).
    fn sphere(rings: u32, segments: u32) -> Model {
        let mut positions = vec![[0.0, 0.0, 10.0], [0.0, 0.0, -10.0]];
        for ring in 1..rings {
            let theta = std::f32::consts::PI * ring as f32 / rings as f32;
            for segment in 0..segments {
                let phi = std::f32::consts::TAU * segment as f32 / segments as f32;
                positions.push([
                    10.0 * theta.sin() * phi.cos(),
                    10.0 * theta.sin() * phi.sin(),
                    10.0 * theta.cos(),
                ]);
            }
        }
        let at = |ring: u32, segment: u32| 2 + (ring - 1) * segments + segment % segments;
        let mut indices = Vec::new();
        for segment in 0..segments {
            indices.extend_from_slice(&[0, at(1, segment), at(1, segment + 1)]);
            indices.extend_from_slice(&[1, at(rings - 1, segment + 1), at(rings - 1, segment)]);
            for ring in 1..rings - 1 {
                let (a, b) = (at(ring, segment), at(ring, segment + 1));
                let (c, d) = (at(ring + 1, segment), at(ring + 1, segment + 1));
                indices.extend_from_slice(&[a, c, d, a, d, b]);
            }
        }
        let normals = smooth(&positions, &indices);
        Model::new(vec![Part::new(
            "ball".into(),
            positions,
            normals,
            indices,
            [1.0; 4],
        )])
    }

    #[test]
    fn a_closed_part_stays_closed() {
        let model = sphere(200, 400); // 159,600 triangles
        // Edges used by only one triangle: the rims of holes.
        let rims = |part: &Part| {
            let mut edges = std::collections::HashMap::new();
            for t in part.indices.chunks_exact(3) {
                for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
                    *edges.entry((a.min(b), a.max(b))).or_insert(0) += 1;
                }
            }
            edges.values().filter(|&&count| count == 1).count()
        };
        assert_eq!(rims(&model.parts[0]), 0, "the test sphere is closed");
        let light = simplified(&model, 10_000).expect("simplified");
        let part = &light.parts[0];
        assert!(light.triangles() <= 10_000 && light.triangles() > 2_000);
        // No hole opened (vertex clustering, tried first, left thousands of rims here).
        assert_eq!(rims(part), 0, "edges of a hole");
        // Still the same ball.
        for p in &part.positions {
            let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            assert!((r - 10.0).abs() < 0.2, "a vertex at radius {r}");
        }
    }

    #[test]
    fn a_small_or_empty_mesh_is_left_alone() {
        assert!(simplified(&sheet(10), 20_000).is_none());
        assert!(simplified(&Model::new(Vec::new()), 10).is_none());
    }
}
