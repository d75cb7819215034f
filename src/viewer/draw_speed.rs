//! How fast this computer's GL draws, learnt from the frames it drew: how much of a big part's
//! picture a frame can draw (the rest follows in the next frames), and whether a large model
//! needs a lighter stand-in to follow the mouse. A stand-in costs about a second of CPU for a
//! million triangles, so it is made only where frames would be slow: on a GPU that draws the
//! full part in a few milliseconds it never is.

/// The longest frame that still follows the mouse (20 frames a second).
pub const FRAME_BUDGET_MS: f32 = 50.0;

/// The frame time slices of a big part's picture aim at (the window's own drawing included).
const SLICE_FRAME_MS: f32 = 40.0;

/// Triangles a software renderer draws per frame before its speed is measured: one of the
/// view's chunks, about 12 ms with llvmpipe on 2 cores (the first frames also upload).
const SOFTWARE_SLICE: usize = 65_536;

/// Below this many triangles no GL needs a stand-in.
const SMALL: usize = 100_000;

/// The smallest slice of a picture: one of the view's chunks (the least one draw call draws).
/// Frames that drew fewer triangles are not counted: they are mostly the window's drawing.
const MIN_SLICE: usize = super::part_mesh::CHUNK_TRIANGLES;

/// Before any frame was measured, a software renderer gets a stand-in for models above this
/// many triangles (llvmpipe on 2 cores draws 1.3 M in 150–300 ms), so it is ready before the
/// first turn of the view.
const SOFTWARE_STAND_IN_ABOVE: usize = 400_000;

/// What the view knows of the GL's speed.
#[derive(Debug, Clone, Default)]
pub struct DrawSpeed {
    /// The renderer draws on the CPU (Mesa's llvmpipe or softpipe, SwiftShader, Windows'
    /// basic renderer): known from its name at start-up.
    software: bool,
    /// Milliseconds per million triangles, from the frames measured (the window's own share
    /// of each frame included, so it errs slow).
    ms_per_million: Option<f32>,
    /// Triangles a frame can draw in [`SLICE_FRAME_MS`], as the measured frames found.
    slice: Option<usize>,
}

impl DrawSpeed {
    /// The speed expected of the GL named `renderer` (`GL_RENDERER`), before any frame.
    pub fn of_renderer(renderer: &str) -> Self {
        let renderer = renderer.to_ascii_lowercase();
        let software = [
            "llvmpipe",
            "softpipe",
            "swiftshader",
            "basic render",
            "gdi generic",
        ]
        .iter()
        .any(|name| renderer.contains(name));
        Self {
            software,
            ms_per_million: None,
            slice: None,
        }
    }

    /// A frame that drew `triangles` took `frame_ms`. Frames that drew less than a chunk
    /// are mostly the window's own drawing and say little about triangles: not counted. The estimate
    /// follows the frames (half the last one's), so one slow frame (the CPU busy elsewhere)
    /// does not mark the GL slow for good.
    pub fn measured(&mut self, triangles: usize, frame_ms: f32) {
        if triangles < MIN_SLICE || !frame_ms.is_finite() || frame_ms <= 0.0 {
            return;
        }
        let rate = frame_ms / (triangles as f32 / 1e6);
        self.ms_per_million = Some(
            self.ms_per_million
                .map_or(rate, |known| (known + rate) / 2.0),
        );
        // Frame time is the window's own share plus the triangles': scaling the slice toward
        // the aim, a step at a time, finds the size whatever that share is.
        let step = (SLICE_FRAME_MS / frame_ms).clamp(0.5, 2.0);
        self.slice = Some(((triangles as f32 * step) as usize).max(MIN_SLICE));
    }

    /// Triangles a frame may draw of a big part's picture, the rest following in the next
    /// frames: all of them on a GL not known to be slow.
    pub fn slice_triangles(&self) -> usize {
        match self.slice {
            Some(slice) => slice,
            None if self.software => SOFTWARE_SLICE,
            None => usize::MAX,
        }
    }

    /// Whether a model of `triangles` needs a stand-in to move smoothly: its frame, as
    /// measured or expected, would take longer than [`FRAME_BUDGET_MS`].
    pub fn needs_stand_in(&self, triangles: usize) -> bool {
        if triangles <= SMALL {
            return false;
        }
        match self.ms_per_million {
            Some(rate) => rate * triangles as f32 / 1e6 > FRAME_BUDGET_MS,
            None => self.software && triangles > SOFTWARE_STAND_IN_ABOVE,
        }
    }
}

/// A large model's lighter stand-in, made only where the GL draws it too slowly to follow
/// the mouse (see [`DrawSpeed`]).
#[derive(Debug, Clone, Default)]
pub enum StandIn {
    /// None asked for.
    #[default]
    None,
    /// Being made on a background task.
    Making,
    /// Made.
    Ready(std::sync::Arc<crate::model::Model>),
}

impl StandIn {
    /// The stand-in, once made.
    pub fn ready(&self) -> Option<&std::sync::Arc<crate::model::Model>> {
        match self {
            Self::Ready(model) => Some(model),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gpu_never_gets_a_stand_in_and_software_gl_gets_one_before_the_first_frame() {
        let gpu = DrawSpeed::of_renderer("NVIDIA H100 80GB HBM3/PCIe/SSE2");
        assert!(!gpu.needs_stand_in(1_310_720), "not before measuring");
        let mut measured = gpu.clone();
        measured.measured(1_310_720, 3.4);
        assert!(
            !measured.needs_stand_in(10_000_000),
            "3.4 ms for 1.3 M: 26 ms for 10 M"
        );
        assert!(measured.needs_stand_in(20_000_000));

        let llvmpipe = DrawSpeed::of_renderer("llvmpipe (LLVM 15.0.6, 256 bits)");
        assert!(llvmpipe.needs_stand_in(1_310_720));
        assert!(!llvmpipe.needs_stand_in(300_000), "expected fast enough");
    }

    #[test]
    fn a_slow_gl_draws_a_big_part_in_slices_of_its_measured_speed() {
        assert_eq!(
            DrawSpeed::of_renderer("NVIDIA H100").slice_triangles(),
            usize::MAX
        );
        let mut llvmpipe = DrawSpeed::of_renderer("llvmpipe (LLVM 15.0.6, 256 bits)");
        assert_eq!(llvmpipe.slice_triangles(), SOFTWARE_SLICE);
        llvmpipe.measured(300_000, 60.0);
        assert_eq!(llvmpipe.slice_triangles(), 200_000, "toward 40 ms a frame");
        llvmpipe.measured(200_000, 20.0);
        assert_eq!(
            llvmpipe.slice_triangles(),
            400_000,
            "at most twice as many a step"
        );
    }

    #[test]
    fn a_measured_frame_overrides_the_guess_from_the_name() {
        let mut slow_gpu = DrawSpeed::of_renderer("Intel(R) UHD Graphics 620");
        slow_gpu.measured(1_000_000, 80.0);
        assert!(slow_gpu.needs_stand_in(700_000), "56 ms expected");
        let mut fast_software = DrawSpeed::of_renderer("llvmpipe");
        fast_software.measured(2_000_000, 40.0);
        assert!(!fast_software.needs_stand_in(1_310_720));
        fast_software.measured(50_000, 900.0);
        assert!(
            !fast_software.needs_stand_in(1_310_720),
            "small frames are not counted"
        );
    }
}
