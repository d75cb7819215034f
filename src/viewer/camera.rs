//! The viewport's camera as plain math (no GL, unit-tested): an orbit around a target, with
//! zoom-to-fit, standard views, pan, zoom toward the cursor, and perspective or orthographic
//! projection. Files differ in which axis is up: STL and 3MF are Z-up (3D printing), GLB is
//! Y-up (glTF); the camera takes the model's up axis so "front" and "top" mean the same for all.

/// Which model axis points up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpAxis {
    /// glTF's convention.
    Y,
    /// CAD and 3D printing's convention (STL, 3MF).
    Z,
}

/// A standard view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardView {
    /// Looking at the front face.
    Front,
    /// Looking down.
    Top,
    /// Looking at the right side.
    Right,
    /// Isometric, from front-right-top.
    Iso,
}

/// The largest elevation: straight down would leave the camera's "up" undefined.
const MAX_PITCH: f32 = 89.5_f32.to_radians();
/// Radians turned per pixel dragged.
const ORBIT_SPEED: f32 = 0.008;

/// An orbit camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitCamera {
    /// The point orbited around, in model units.
    pub target: [f32; 3],
    /// Turn around the up axis, radians; 0 looks at the front.
    pub yaw: f32,
    /// Elevation, radians; 0 is level, positive looks down.
    pub pitch: f32,
    /// Distance from target to eye.
    pub distance: f32,
    /// Vertical field of view, radians (perspective; orthographic matches its size at the
    /// target, so switching keeps the part the same size on screen).
    pub fov_y: f32,
    /// Orthographic projection instead of perspective.
    pub orthographic: bool,
    /// Which model axis is up.
    pub up_axis: UpAxis,
    /// Radius of the model's bounding sphere, for clipping planes.
    pub model_radius: f32,
}

impl OrbitCamera {
    /// A camera for a model with `up_axis`, looking isometrically at the unit cube.
    pub fn new(up_axis: UpAxis) -> Self {
        let mut camera = Self {
            target: [0.0; 3],
            yaw: 0.0,
            pitch: 0.0,
            distance: 1.0,
            fov_y: 35_f32.to_radians(),
            orthographic: false,
            up_axis,
            model_radius: 1.0,
        };
        camera.set_view(StandardView::Iso);
        camera.fit([-0.5; 3], [0.5; 3]);
        camera
    }

    /// Frames the box `min..max`: its bounding sphere fills the view with a small margin.
    pub fn fit(&mut self, min: [f32; 3], max: [f32; 3]) {
        let center = [0, 1, 2].map(|i| (min[i] + max[i]) / 2.0);
        let radius = (0..3)
            .map(|i| (max[i] - min[i]) / 2.0)
            .map(|h| h * h)
            .sum::<f32>()
            .sqrt()
            .max(1e-3);
        self.target = center;
        self.model_radius = radius;
        self.distance = radius * 1.08 / (self.fov_y / 2.0).sin();
    }

    /// Steps back where a view narrower than tall (`aspect` = width / height) would cut the
    /// framed part's sides: the sphere [`Self::fit`] framed then fills the narrower angle.
    pub fn fit_width(&mut self, aspect: f32) {
        if aspect.is_finite() && aspect > 0.0 && aspect < 1.0 {
            let half_x = ((self.fov_y / 2.0).tan() * aspect).atan();
            self.distance = self.model_radius * 1.08 / half_x.sin();
        }
    }

    /// Turns to a standard view (keeps target and distance).
    pub fn set_view(&mut self, view: StandardView) {
        (self.yaw, self.pitch) = match view {
            StandardView::Front => (0.0, 0.0),
            StandardView::Top => (0.0, MAX_PITCH),
            StandardView::Right => (90_f32.to_radians(), 0.0),
            StandardView::Iso => (45_f32.to_radians(), 35.264_f32.to_radians()),
        };
    }

    /// Orbits by a mouse drag of `dx`, `dy` pixels.
    pub fn orbit(&mut self, dx: f32, dy: f32) {
        self.yaw -= dx * ORBIT_SPEED;
        self.pitch = (self.pitch + dy * ORBIT_SPEED).clamp(-MAX_PITCH, MAX_PITCH);
    }

    /// Model units per pixel at the target, in a viewport `height` pixels tall.
    fn units_per_pixel(&self, height: f32) -> f32 {
        self.view_height() / height.max(1.0)
    }

    /// Height of the view at the target, in model units.
    pub fn view_height(&self) -> f32 {
        2.0 * self.distance * (self.fov_y / 2.0).tan()
    }

    /// Moves the view with a drag of `dx`, `dy` pixels (the part follows the mouse).
    pub fn pan(&mut self, dx: f32, dy: f32, viewport_height: f32) {
        let scale = self.units_per_pixel(viewport_height);
        let (right, up) = (self.right(), self.camera_up());
        for i in 0..3 {
            self.target[i] += (-dx * right[i] + dy * up[i]) * scale;
        }
    }

    /// Zooms by `factor` (< 1 closer) toward the point under the cursor, given as its offset
    /// from the viewport's centre in pixels (x right, y down), so that point stays put.
    pub fn zoom_toward(&mut self, factor: f32, cursor: [f32; 2], viewport_height: f32) {
        let factor = factor.clamp(0.05, 20.0);
        let scale = self.units_per_pixel(viewport_height);
        let (right, up) = (self.right(), self.camera_up());
        let shift = 1.0 - factor;
        for i in 0..3 {
            self.target[i] += (cursor[0] * right[i] - cursor[1] * up[i]) * scale * shift;
        }
        self.distance = (self.distance * factor).max(self.model_radius * 1e-3);
    }

    /// Unit vector from the target to the eye, in model coordinates.
    pub fn direction(&self) -> [f32; 3] {
        let (cp, sp) = (self.pitch.cos(), self.pitch.sin());
        let (cy, sy) = (self.yaw.cos(), self.yaw.sin());
        // Z-up: the front view looks from -Y toward +Y.
        let z_up = [cp * sy, -cp * cy, sp];
        self.model_axes(z_up)
    }

    /// The model's up axis.
    pub fn world_up(&self) -> [f32; 3] {
        self.model_axes([0.0, 0.0, 1.0])
    }

    /// Maps a Z-up vector to the model's axes (Y-up: x, z, -y — the front looks along -Z).
    fn model_axes(&self, v: [f32; 3]) -> [f32; 3] {
        match self.up_axis {
            UpAxis::Z => v,
            UpAxis::Y => [v[0], v[2], -v[1]],
        }
    }

    /// The eye's position.
    pub fn eye(&self) -> [f32; 3] {
        let d = self.direction();
        [0, 1, 2].map(|i| self.target[i] + d[i] * self.distance)
    }

    /// The screen's right, in model coordinates.
    pub fn right(&self) -> [f32; 3] {
        let forward = self.direction().map(|v| -v);
        normalize(cross(forward, self.world_up()))
    }

    /// The screen's up, in model coordinates.
    pub fn camera_up(&self) -> [f32; 3] {
        let forward = self.direction().map(|v| -v);
        cross(self.right(), forward)
    }

    /// Where a model point lands on screen, in normalised device coordinates (x right, y up,
    /// -1..1 across a viewport of `aspect` = width / height).
    pub fn project(&self, point: [f32; 3], aspect: f32) -> [f32; 2] {
        let eye = self.eye();
        let offset = [0, 1, 2].map(|i| point[i] - eye[i]);
        let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        let forward = self.direction().map(|v| -v);
        let (x, y) = (dot(offset, self.right()), dot(offset, self.camera_up()));
        let half_height = if self.orthographic {
            self.view_height() / 2.0
        } else {
            dot(offset, forward) * (self.fov_y / 2.0).tan()
        };
        [x / (half_height * aspect), y / half_height]
    }

    /// The ray through a point of the view given in normalised device coordinates (as
    /// [`Self::project`] returns them): its origin and unit direction, in model coordinates.
    /// Every point on it projects back to `ndc`.
    pub fn ray(&self, ndc: [f32; 2], aspect: f32) -> ([f32; 3], [f32; 3]) {
        let forward = self.direction().map(|v| -v);
        let (right, up) = (self.right(), self.camera_up());
        let eye = self.eye();
        if self.orthographic {
            let half_height = self.view_height() / 2.0;
            let (x, y) = (ndc[0] * half_height * aspect, ndc[1] * half_height);
            let origin = [0, 1, 2].map(|i| eye[i] + right[i] * x + up[i] * y);
            (origin, forward)
        } else {
            let tan = (self.fov_y / 2.0).tan();
            let (x, y) = (ndc[0] * tan * aspect, ndc[1] * tan);
            (
                eye,
                normalize([0, 1, 2].map(|i| forward[i] + right[i] * x + up[i] * y)),
            )
        }
    }

    /// Near and far clipping distances that keep the whole model visible.
    pub fn clip_planes(&self) -> (f32, f32) {
        let far = self.distance + self.model_radius * 4.0;
        let near = (self.distance - self.model_radius * 2.0).max(far * 1e-4);
        (near, far)
    }
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(v: [f32; 3]) -> [f32; 3] {
    let length = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if length < 1e-12 {
        [1.0, 0.0, 0.0]
    } else {
        v.map(|c| c / length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-4)
    }

    #[test]
    fn a_narrow_view_steps_back_so_the_part_fits_its_width() {
        let mut camera = OrbitCamera::new(UpAxis::Z);
        camera.fit([-30.0; 3], [30.0; 3]);
        let framed = camera.distance;
        camera.fit_width(1.5);
        assert_eq!(
            camera.distance, framed,
            "a wide view is fitted by its height"
        );
        camera.fit_width(0.5);
        assert!(
            camera.distance > framed * 1.8,
            "{} vs {framed}",
            camera.distance
        );
        // The sphere's edge is then at the view's side: half the width at the target equals
        // the sphere's radius with the margin.
        let half_width = camera.view_height() / 2.0 * 0.5;
        let radius = 30.0 * 3f32.sqrt();
        assert!(
            half_width > radius && half_width < radius * 1.2,
            "{half_width}"
        );
    }

    #[test]
    fn standard_views_look_from_where_cad_users_expect() {
        let mut z = OrbitCamera::new(UpAxis::Z);
        z.set_view(StandardView::Front);
        assert!(
            close(z.direction(), [0.0, -1.0, 0.0]),
            "front of a Z-up part is -Y"
        );
        assert!(close(z.camera_up(), [0.0, 0.0, 1.0]));
        z.set_view(StandardView::Right);
        assert!(close(z.direction(), [1.0, 0.0, 0.0]));
        z.set_view(StandardView::Top);
        assert!(z.direction()[2] > 0.999);

        let mut y = OrbitCamera::new(UpAxis::Y);
        y.set_view(StandardView::Front);
        assert!(
            close(y.direction(), [0.0, 0.0, 1.0]),
            "front of a glTF part is +Z"
        );
        assert!(close(y.camera_up(), [0.0, 1.0, 0.0]));
        y.set_view(StandardView::Top);
        assert!(y.direction()[1] > 0.999);
    }

    #[test]
    fn fitting_puts_the_whole_box_in_view() {
        let mut camera = OrbitCamera::new(UpAxis::Z);
        camera.fit([10.0, 0.0, 0.0], [70.0, 40.0, 8.0]);
        assert!(close(camera.target, [40.0, 20.0, 4.0]));
        // The bounding sphere is inside the view cone from any direction.
        let radius = (30.0f32 * 30.0 + 20.0 * 20.0 + 4.0 * 4.0).sqrt();
        assert!(camera.distance * (camera.fov_y / 2.0).sin() >= radius);
        let (near, far) = camera.clip_planes();
        assert!(near > 0.0 && near < camera.distance - radius);
        assert!(far > camera.distance + radius);
    }

    #[test]
    fn the_target_projects_to_the_centre_and_the_fitted_box_inside_the_view() {
        for orthographic in [false, true] {
            let mut camera = OrbitCamera::new(UpAxis::Y);
            camera.orthographic = orthographic;
            camera.fit([0.0, 0.0, 0.0], [70.0, 27.0, 45.0]);
            let [x, y] = camera.project(camera.target, 1.5);
            assert!(x.abs() < 1e-5 && y.abs() < 1e-5);
            for corner in 0..8 {
                let p = [
                    if corner & 1 == 0 { 0.0 } else { 70.0 },
                    if corner & 2 == 0 { 0.0 } else { 27.0 },
                    if corner & 4 == 0 { 0.0 } else { 45.0 },
                ];
                let [x, y] = camera.project(p, 1.5);
                assert!(x.abs() < 1.0 && y.abs() < 1.0, "{p:?} -> {x}, {y}");
            }
        }
    }

    #[test]
    fn a_ray_through_a_screen_point_projects_back_to_it() {
        for orthographic in [false, true] {
            let mut camera = OrbitCamera::new(UpAxis::Z);
            camera.orthographic = orthographic;
            camera.fit([0.0, 0.0, 0.0], [70.0, 27.0, 45.0]);
            camera.orbit(37.0, -12.0);
            for ndc in [[0.0, 0.0], [0.5, -0.25], [-0.9, 0.8]] {
                let (origin, direction) = camera.ray(ndc, 1.5);
                let length: f32 = direction.iter().map(|c| c * c).sum::<f32>().sqrt();
                assert!((length - 1.0).abs() < 1e-5);
                let point = [0, 1, 2].map(|i| origin[i] + direction[i] * camera.distance);
                let [x, y] = camera.project(point, 1.5);
                assert!(
                    (x - ndc[0]).abs() < 1e-4 && (y - ndc[1]).abs() < 1e-4,
                    "{ndc:?} -> {x}, {y} (orthographic: {orthographic})"
                );
            }
        }
    }

    #[test]
    fn orbit_pan_and_zoom_move_the_camera_as_the_mouse_does() {
        let mut camera = OrbitCamera::new(UpAxis::Z);
        camera.set_view(StandardView::Front);
        camera.orbit(0.0, 10_000.0);
        assert!(
            camera.pitch <= MAX_PITCH,
            "orbiting never flips over the top"
        );

        camera.set_view(StandardView::Front);
        let before = camera.target;
        // Dragging right moves the part right: the target moves left (-X from the front).
        camera.pan(100.0, 0.0, 500.0);
        assert!(camera.target[0] < before[0]);
        assert!((camera.target[2] - before[2]).abs() < 1e-5);

        // Zooming at the centre keeps the target; toward a point right of centre moves it right.
        let (target, distance) = (camera.target, camera.distance);
        camera.zoom_toward(0.5, [0.0, 0.0], 500.0);
        assert!(close(camera.target, target));
        assert!((camera.distance - distance * 0.5).abs() < 1e-4);
        camera.zoom_toward(0.5, [100.0, 0.0], 500.0);
        assert!(camera.target[0] > target[0]);
    }
}
