//! Rendering without a window (`makistry render`, job thumbnails, the pixel test): an EGL
//! device display with a surfaceless OpenGL 3.3 context (Mesa's llvmpipe works with no
//! display server), drawn by the same scene code as the viewport into an off-screen texture.
//!
//! This is the crate's one place with `unsafe`: creating an EGL display from a device and
//! loading GL function pointers are unsafe in glutin and glow.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::sync::Arc;

use glutin::api::egl::context::PossiblyCurrentContext;
use glutin::api::egl::device::Device;
use glutin::api::egl::display::Display;
use glutin::config::{Api, ConfigSurfaceTypes, ConfigTemplateBuilder};
use glutin::context::{ContextApi, ContextAttributesBuilder, Version};
use glutin::display::GlDisplay;
use three_d::{
    ClearState, ColorMaterial, Context, DepthTexture2D, Gm, Mesh, RenderTarget, ScissorBox,
    Texture2D, Viewport,
};

use super::camera::{OrbitCamera, UpAxis};
use super::{Lights, scene_grid, upload};
use crate::model::Model;

/// Why a headless render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No EGL, no device, or no GL 3.3 context.
    #[error(
        "no OpenGL without a window here: {0} (on Linux, install Mesa's EGL: libegl1 and libgl1-mesa-dri)"
    )]
    NoGl(String),
    /// The size is zero or too large.
    #[error("the image size {0}×{1} is not between 1 and 8192 pixels on a side")]
    BadSize(u32, u32),
}

/// A GL context with no window, current on this thread while the value lives.
struct Headless {
    _context: PossiblyCurrentContext,
    three_d: Context,
}

fn no_gl(e: impl std::fmt::Display) -> RenderError {
    RenderError::NoGl(e.to_string())
}

impl Headless {
    fn new() -> Result<Self, RenderError> {
        let mut last_error = RenderError::NoGl("no EGL device".into());
        for device in Device::query_devices().map_err(no_gl)? {
            match Self::on_device(&device) {
                Ok(headless) => return Ok(headless),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn on_device(device: &Device) -> Result<Self, RenderError> {
        // SAFETY: no raw display handle is passed, so there is nothing for EGL to misuse.
        let display = unsafe { Display::with_device(device, None) }.map_err(no_gl)?;
        let template = ConfigTemplateBuilder::new()
            .with_api(Api::OPENGL)
            .with_surface_type(ConfigSurfaceTypes::empty())
            .build();
        // SAFETY: the template is complete and the display valid.
        let config = unsafe { display.find_configs(template) }
            .map_err(no_gl)?
            .next()
            .ok_or_else(|| no_gl("no OpenGL configuration"))?;
        let attributes = ContextAttributesBuilder::new()
            .with_context_api(ContextApi::OpenGl(Some(Version::new(3, 3))))
            .build(None);
        // SAFETY: no window handle is involved (surfaceless).
        let context = unsafe { display.create_context(&config, &attributes) }.map_err(no_gl)?;
        let context = context.make_current_surfaceless().map_err(no_gl)?;
        // SAFETY: the context is current on this thread and the names come from GL itself.
        let gl = unsafe {
            egui_glow::glow::Context::from_loader_function(|name| {
                CString::new(name).map_or(std::ptr::null(), |name| {
                    display.get_proc_address(&name).cast()
                })
            })
        };
        let three_d = Context::from_gl_context(Arc::new(gl)).map_err(no_gl)?;
        Ok(Self {
            _context: context,
            three_d,
        })
    }
}

/// Renders `model` as seen by `camera` into a `width`×`height` RGBA image, top row first
/// (no grid: the part alone, as thumbnails want it).
pub fn render(
    model: &Model,
    camera: &OrbitCamera,
    width: u32,
    height: u32,
    background: [u8; 4],
) -> Result<image::RgbaImage, RenderError> {
    let look = super::Look {
        hide_grid: true,
        ..Default::default()
    };
    render_parts(model, camera, &look, width, height, background)
}

/// [`render`] as the viewport shows it: some parts hidden, grid and edges as `look` says.
pub fn render_parts(
    model: &Model,
    camera: &OrbitCamera,
    look: &super::Look,
    width: u32,
    height: u32,
    background: [u8; 4],
) -> Result<image::RgbaImage, RenderError> {
    let view = OffscreenView::new(model, camera.up_axis, width, height)?;
    view.picture(camera, look, background)
}

/// [`render_parts`] for a model needed only for this picture: its memory goes once the GPU
/// has it, before drawing (with Mesa's llvmpipe the GPU's copy is in this process's memory
/// too, so this halves the peak for a big part).
pub fn render_and_drop(
    model: Model,
    camera: &OrbitCamera,
    look: &super::Look,
    width: u32,
    height: u32,
    background: [u8; 4],
) -> Result<image::RgbaImage, RenderError> {
    let view = OffscreenView::new(&model, camera.up_axis, width, height)?;
    drop(model);
    view.picture(camera, look, background)
}

/// A model uploaded once to an off-screen GL context and drawn as often as asked: one
/// picture for [`render`], many frames for the viewport's frame-time benchmark.
pub struct OffscreenView {
    width: u32,
    height: u32,
    objects: super::scene::PartObjects,
    grid: Option<Gm<Mesh, ColorMaterial>>,
    color: Texture2D,
    depth: DepthTexture2D,
    /// Declared last: GL objects above are dropped while the context is still current.
    headless: Headless,
}

impl OffscreenView {
    /// Uploads `model` (whose up axis is `up`, for the grid) to a new context with a
    /// `width`×`height` target.
    pub fn new(model: &Model, up: UpAxis, width: u32, height: u32) -> Result<Self, RenderError> {
        if width == 0 || height == 0 || width > 8192 || height > 8192 {
            return Err(RenderError::BadSize(width, height));
        }
        let headless = Headless::new()?;
        let context = &headless.three_d;
        let (color, depth) = super::frame_cache::picture_textures(context, width, height);
        Ok(Self {
            width,
            height,
            objects: upload(context, model),
            grid: scene_grid(context, model, up),
            color,
            depth,
            headless,
        })
    }

    /// One frame as seen by `camera`, as an image (the view is used up).
    fn picture(
        mut self,
        camera: &OrbitCamera,
        look: &super::Look,
        background: [u8; 4],
    ) -> Result<image::RgbaImage, RenderError> {
        self.draw(camera, look, background);
        self.read()
    }

    /// Draws one frame and waits until the GL has finished it.
    pub fn draw(&mut self, camera: &OrbitCamera, look: &super::Look, background: [u8; 4]) {
        let context = &self.headless.three_d;
        let viewport = Viewport::new_at_origo(self.width, self.height);
        let three_d_camera = super::three_d_camera(camera, viewport);
        let lights = Lights::new(context, camera);
        let [r, g, b, a] = background.map(|c| f32::from(c) / 255.0);
        let target = RenderTarget::new(
            self.color.as_color_target(None),
            self.depth.as_depth_target(),
        );
        target.clear(ClearState::color_and_depth(r, g, b, a, 1.0));
        let grid = self.grid.as_ref().filter(|_| !look.hide_grid);
        let view = super::SceneView {
            camera: &three_d_camera,
            objects: &self.objects,
            grid,
            look,
            lights: &lights,
        };
        super::render_scene(
            context,
            &target,
            ScissorBox::new_at_origo(self.width, self.height),
            &view,
        );
        // SAFETY: a plain synchronisation call on the context current on this thread.
        unsafe { three_d::context::HasContext::finish(&***context) };
    }

    /// The last frame as an RGBA image, top row first.
    pub fn read(&mut self) -> Result<image::RgbaImage, RenderError> {
        let target = RenderTarget::new(
            self.color.as_color_target(None),
            self.depth.as_depth_target(),
        );
        // three-d's read_color already returns the top row first.
        let pixels: Vec<[u8; 4]> = target.read_color();
        let raw: Vec<u8> = pixels.into_iter().flatten().collect();
        image::RgbaImage::from_raw(self.width, self.height, raw)
            .ok_or_else(|| RenderError::NoGl("the rendered image has the wrong size".into()))
    }
}
