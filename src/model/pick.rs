//! Which surface point a ray from the eye meets first: what the viewport's measuring tool
//! asks when the user clicks on the part. A plain pass over the triangles (tens of
//! milliseconds for a million of them), so it runs on a background task, not the UI thread.

use super::{Bounds, Model};

/// Where a ray met the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The surface point, in the model's coordinates.
    pub point: [f32; 3],
    /// Index of the part it lies on.
    pub part: usize,
    /// Distance from the ray's origin.
    pub distance: f32,
    /// Unit normal of the triangle hit, on the side the ray came from (so the point shows
    /// from where its normal points).
    pub normal: [f32; 3],
}

/// The nearest point where the ray `origin + t · direction` (t > 0) meets a triangle of a
/// part for which `shown(index)` is true.
pub fn pick(
    model: &Model,
    origin: [f32; 3],
    direction: [f32; 3],
    shown: impl Fn(usize) -> bool,
) -> Option<Hit> {
    let mut nearest: Option<Hit> = None;
    for (index, part) in model.parts.iter().enumerate() {
        if !shown(index) || !ray_meets_box(origin, direction, &part.bounds) {
            continue;
        }
        for triangle in part.indices.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| part.positions[triangle[k] as usize]);
            if let Some(t) = ray_triangle(origin, direction, a, b, c)
                && nearest.is_none_or(|hit| t < hit.distance)
            {
                let mut normal = super::normals::normalize(super::normals::face_normal(a, b, c));
                if normal[0] * direction[0] + normal[1] * direction[1] + normal[2] * direction[2]
                    > 0.0
                {
                    normal = normal.map(|n| -n);
                }
                nearest = Some(Hit {
                    point: [0, 1, 2].map(|i| origin[i] + direction[i] * t),
                    part: index,
                    distance: t,
                    normal,
                });
            }
        }
    }
    nearest
}

/// Whether the ray passes through the box (slab test), so a part it misses costs nothing.
fn ray_meets_box(origin: [f32; 3], direction: [f32; 3], bounds: &Bounds) -> bool {
    if bounds.is_empty() {
        return false;
    }
    let (mut near, mut far) = (0.0f32, f32::INFINITY);
    for axis in 0..3 {
        let inverse = 1.0 / direction[axis];
        let t1 = (bounds.min[axis] - origin[axis]) * inverse;
        let t2 = (bounds.max[axis] - origin[axis]) * inverse;
        // NaN (a ray parallel to the slab, starting on its face) keeps the current interval.
        near = near.max(t1.min(t2));
        far = far.min(t1.max(t2));
    }
    near <= far * (1.0 + 1e-5)
}

/// Möller–Trumbore: the distance along the ray to triangle `a b c`, seen from either side.
fn ray_triangle(
    origin: [f32; 3],
    direction: [f32; 3],
    a: [f32; 3],
    b: [f32; 3],
    c: [f32; 3],
) -> Option<f32> {
    let sub = |p: [f32; 3], q: [f32; 3]| [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
    let cross = |u: [f32; 3], v: [f32; 3]| {
        [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ]
    };
    let dot = |u: [f32; 3], v: [f32; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    let (edge1, edge2) = (sub(b, a), sub(c, a));
    let p = cross(direction, edge2);
    let determinant = dot(edge1, p);
    if determinant.abs() < f32::EPSILON * dot(edge1, edge1).max(dot(edge2, edge2)) {
        return None; // parallel to the triangle, or a degenerate triangle
    }
    let inverse = 1.0 / determinant;
    let s = sub(origin, a);
    let u = dot(s, p) * inverse;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = cross(s, edge1);
    let v = dot(direction, q) * inverse;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = dot(edge2, q) * inverse;
    (t > 0.0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::super::Part;
    use super::*;

    /// Two unit squares facing +Z, at z = 0 (part 0) and z = 5 (part 1).
    fn two_plates() -> Model {
        let plate = |z: f32, name: &str| {
            Part::new(
                name.into(),
                vec![[0.0, 0.0, z], [1.0, 0.0, z], [1.0, 1.0, z], [0.0, 1.0, z]],
                vec![[0.0, 0.0, 1.0]; 4],
                vec![0, 1, 2, 0, 2, 3],
                [0.5; 4],
            )
        };
        Model::new(vec![plate(0.0, "low"), plate(5.0, "high")])
    }

    #[test]
    fn the_nearest_shown_surface_is_hit() {
        let model = two_plates();
        let down = [0.0, 0.0, -1.0];
        let hit = pick(&model, [0.25, 0.5, 10.0], down, |_| true).expect("hits");
        assert_eq!(hit.part, 1);
        assert!((hit.distance - 5.0).abs() < 1e-5);
        assert_eq!(hit.point, [0.25, 0.5, 5.0]);
        assert_eq!(hit.normal, [0.0, 0.0, 1.0], "facing the ray");

        // With the top plate hidden the ray goes through to the lower one.
        let hit = pick(&model, [0.25, 0.5, 10.0], down, |i| i != 1).expect("hits");
        assert_eq!((hit.part, hit.point[2]), (0, 0.0));

        // From below, through the back faces.
        let hit = pick(&model, [0.75, 0.25, -3.0], [0.0, 0.0, 1.0], |_| true).expect("hits");
        assert_eq!(hit.part, 0);
        assert_eq!(hit.normal, [0.0, 0.0, -1.0], "the side the ray came from");

        // Beside the plates, behind the origin, and parallel to them: nothing.
        assert_eq!(pick(&model, [2.0, 0.5, 10.0], down, |_| true), None);
        assert_eq!(pick(&model, [0.5, 0.5, -3.0], down, |_| true), None);
        assert_eq!(
            pick(&model, [-1.0, 0.5, 0.0], [1.0, 0.0, 0.0], |_| true),
            None
        );
        assert_eq!(
            pick(&Model::new(Vec::new()), [0.0; 3], down, |_| true),
            None
        );
    }

    #[test]
    fn a_slanted_ray_hits_where_geometry_says() {
        let model = two_plates();
        let length = 2f32.sqrt();
        let direction = [1.0 / length, 0.0, -1.0 / length];
        let hit = pick(&model, [-4.5, 0.5, 5.0], direction, |i| i == 0).expect("hits");
        assert!((hit.point[0] - 0.5).abs() < 1e-5 && hit.point[2].abs() < 1e-5);
        assert!((hit.distance - 5.0 * length).abs() < 1e-4);
    }
}
