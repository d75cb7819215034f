//! Normals for meshes that come without them: smooth where triangles share vertices (the file
//! says those points are one), which is flat when they share none (STL).

/// Cross product of `b - a` and `c - a` (not normalised: its length weights by area).
pub fn face_normal(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

/// Scales to unit length; a zero vector becomes +Z (a degenerate triangle's normal).
pub fn normalize(n: [f32; 3]) -> [f32; 3] {
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len > f32::MIN_POSITIVE && len.is_finite() {
        [n[0] / len, n[1] / len, n[2] / len]
    } else {
        [0.0, 0.0, 1.0]
    }
}

/// Area-weighted vertex normals over shared vertices.
pub fn smooth(positions: &[[f32; 3]], indices: &[u32]) -> Vec<[f32; 3]> {
    let mut sums = vec![[0.0f32; 3]; positions.len()];
    for tri in indices.chunks_exact(3) {
        let [a, b, c] = [tri[0] as usize, tri[1] as usize, tri[2] as usize];
        let n = face_normal(positions[a], positions[b], positions[c]);
        for v in [a, b, c] {
            for axis in 0..3 {
                sums[v][axis] += n[axis];
            }
        }
    }
    sums.into_iter().map(normalize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_vertices_average_and_unshared_stay_flat() {
        // Two triangles folded along the x axis, sharing the edge (0,1).
        let positions = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        let normals = smooth(&positions, &[0, 1, 2, 1, 0, 3]);
        assert_eq!(normals[2], [0.0, 0.0, 1.0]);
        assert_eq!(normals[3], [0.0, 1.0, 0.0]);
        let s = std::f32::consts::FRAC_1_SQRT_2;
        assert!((normals[0][1] - s).abs() < 1e-6 && (normals[0][2] - s).abs() < 1e-6);
        assert_eq!(normalize([0.0; 3]), [0.0, 0.0, 1.0]);
    }
}
