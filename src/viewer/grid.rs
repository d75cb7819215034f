//! The floor grid under a part, as plain geometry (no GL): a round spacing in millimetres
//! (1, 2 or 5 times a power of ten) so the readout can say "grid 10 mm", lines covering the
//! part's footprint, on the plane under the part's lowest point.

use super::camera::UpAxis;

/// A round grid spacing giving about ten cells across `extent`.
pub fn grid_step(extent: f32) -> f32 {
    let raw = (extent / 10.0).max(1e-3);
    let power = 10f32.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw * 0.999)
        .unwrap_or(10.0 * power)
}

/// A line segment: its two end points.
pub type Segment = ([f32; 3], [f32; 3]);

/// The grid for the box `min..max`: its spacing and line segments.
pub fn grid_lines(min: [f32; 3], max: [f32; 3], up: UpAxis) -> (f32, Vec<Segment>) {
    // The two floor axes and the up axis.
    let (a, b, u) = match up {
        UpAxis::Z => (0, 1, 2),
        UpAxis::Y => (0, 2, 1),
    };
    let extent = (max[a] - min[a]).max(max[b] - min[b]);
    let step = grid_step(extent);
    let snap_down = |v: f32| (v / step).floor() * step - step;
    let snap_up = |v: f32| (v / step).ceil() * step + step;
    let (a0, a1) = (snap_down(min[a]), snap_up(max[a]));
    let (b0, b1) = (snap_down(min[b]), snap_up(max[b]));
    let floor = min[u];
    let point = |va: f32, vb: f32| {
        let mut p = [0.0; 3];
        p[a] = va;
        p[b] = vb;
        p[u] = floor;
        p
    };
    let mut lines = Vec::new();
    let count = |from: f32, to: f32| ((to - from) / step).round() as i32;
    for i in 0..=count(a0, a1) {
        let va = a0 + i as f32 * step;
        lines.push((point(va, b0), point(va, b1)));
    }
    for i in 0..=count(b0, b1) {
        let vb = b0 + i as f32 * step;
        lines.push((point(a0, vb), point(a1, vb)));
    }
    (step, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_millimetres() {
        assert_eq!(grid_step(60.0), 10.0);
        assert_eq!(grid_step(100.0), 10.0);
        assert_eq!(grid_step(150.0), 20.0);
        assert_eq!(grid_step(400.0), 50.0);
        assert!((grid_step(7.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_grid_covers_the_footprint_on_the_floor() {
        let (step, lines) = grid_lines([5.0, -3.0, 2.0], [65.0, 40.0, 12.0], UpAxis::Z);
        assert_eq!(step, 10.0);
        for (p, q) in &lines {
            assert_eq!((p[2], q[2]), (2.0, 2.0), "on the plane under the part");
        }
        let xs: Vec<f32> = lines
            .iter()
            .filter(|(p, q)| p[0] == q[0])
            .map(|(p, _)| p[0])
            .collect();
        assert_eq!(xs.first(), Some(&-10.0));
        assert_eq!(xs.last(), Some(&80.0));
        // Y-up: the floor is the x-z plane.
        let (_, lines) = grid_lines([0.0, 1.0, 0.0], [10.0, 5.0, 10.0], UpAxis::Y);
        assert!(lines.iter().all(|(p, q)| p[1] == 1.0 && q[1] == 1.0));
    }
}
