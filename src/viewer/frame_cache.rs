//! The 3D view's last picture, kept in a texture: a frame whose view has not changed (the
//! window repainting for a key typed in the prompt, a hover, a clock) copies it instead of
//! drawing the part again. With a software renderer a 1.3 M-triangle part takes 150–300 ms
//! to draw and the copy under a millisecond, so typing beside a big part no longer stutters.

use std::sync::Arc;

use three_d::{
    Blend, ClearState, ColorTexture, Context, CopyEffect, DepthTexture2D, Interpolation,
    RenderTarget, ScissorBox, Texture2D, Viewport, Wrapping, WriteMask,
};

use super::Look;
use super::camera::OrbitCamera;
use crate::model::Model;

/// What a picture shows: equal keys, equal pictures.
#[derive(Clone, PartialEq)]
pub(super) struct FrameKey {
    /// The model drawn (the part or its stand-in), by address, and how far its upload had
    /// got (frames of upload so far, or `usize::MAX` once complete).
    pub drawn: (usize, usize),
    pub orbit: OrbitCamera,
    pub look: Look,
    /// The view's size in pixels.
    pub size: (u32, u32),
}

impl FrameKey {
    pub(super) fn new(
        drawn: &Arc<Model>,
        upload: usize,
        orbit: &OrbitCamera,
        look: &Look,
        viewport: Viewport,
    ) -> Self {
        Self {
            drawn: (Arc::as_ptr(drawn) as usize, upload),
            orbit: *orbit,
            look: look.clone(),
            size: (viewport.width, viewport.height),
        }
    }
}

/// The picture, with what it shows.
pub(super) struct FrameCache {
    key: Option<FrameKey>,
    color: Texture2D,
    depth: DepthTexture2D,
}

impl FrameCache {
    fn new(context: &Context, (width, height): (u32, u32)) -> Self {
        Self {
            key: None,
            color: Texture2D::new_empty::<[u8; 4]>(
                context,
                width,
                height,
                Interpolation::Nearest,
                Interpolation::Nearest,
                None,
                Wrapping::ClampToEdge,
                Wrapping::ClampToEdge,
            ),
            depth: DepthTexture2D::new::<f32>(
                context,
                width,
                height,
                Wrapping::ClampToEdge,
                Wrapping::ClampToEdge,
            ),
        }
    }

    /// The picture for `key`: kept from an earlier frame, or drawn now by `draw` into a
    /// cleared target the size of the view (transparent where nothing is drawn).
    pub(super) fn picture<'a>(
        cache: &'a mut Option<Self>,
        context: &Context,
        key: FrameKey,
        draw: impl FnOnce(&RenderTarget<'_>, ScissorBox),
    ) -> &'a Texture2D {
        let fits = cache
            .as_ref()
            .is_some_and(|c| (c.color.width(), c.color.height()) == key.size);
        if !fits {
            *cache = None;
        }
        let cache = cache.get_or_insert_with(|| Self::new(context, key.size));
        if cache.key.as_ref() != Some(&key) {
            let target = RenderTarget::new(
                cache.color.as_color_target(None),
                cache.depth.as_depth_target(),
            );
            target.clear(ClearState::color_and_depth(0.0, 0.0, 0.0, 0.0, 1.0));
            draw(&target, ScissorBox::new_at_origo(key.size.0, key.size.1));
            cache.key = Some(key);
        }
        &cache.color
    }

    /// Copies `picture` over what egui drew (the backdrop) in the view's `viewport`, only
    /// where it shows (`scissor`).
    pub(super) fn show(
        picture: &Texture2D,
        screen: &RenderTarget<'_>,
        scissor: ScissorBox,
        viewport: Viewport,
    ) {
        let copy = CopyEffect {
            write_mask: WriteMask::COLOR,
            blend: Blend::STANDARD_TRANSPARENCY,
        };
        let camera = three_d::Camera::new_2d(viewport);
        screen.apply_screen_effect_partially(
            scissor,
            &copy,
            &camera,
            &[],
            Some(ColorTexture::Single(picture)),
            None,
        );
    }
}
