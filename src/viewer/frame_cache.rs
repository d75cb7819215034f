//! The 3D view's last picture, kept in a texture: a frame whose view has not changed (the
//! window repainting for a key typed in the prompt, a hover, a clock) copies it instead of
//! drawing the part again. With a software renderer a 1.3 M-triangle part takes 110–300 ms
//! to draw and the copy under a millisecond, so typing beside a big part no longer stutters.
//! A picture too big for one frame is drawn in slices over several (see [`FrameCache`]).

use std::ops::Range;
use std::sync::Arc;

use three_d::{
    Blend, BlendEquationType, BlendMultiplierType, ClearState, ColorTexture, Context, CopyEffect,
    DepthTexture2D, Interpolation, RenderTarget, ScissorBox, Texture2D, Viewport, Wrapping,
    WriteMask,
};

use super::Look;
use super::camera::OrbitCamera;
use crate::model::{Model, ModelId};

/// What a picture shows: equal keys, equal pictures.
#[derive(Clone, PartialEq)]
pub(super) struct FrameKey {
    /// The model drawn (the part or its stand-in), by its id, and how far its upload had
    /// got (frames of upload so far, or `usize::MAX` once complete).
    pub drawn: (ModelId, usize),
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
            drawn: (drawn.id, upload),
            orbit: *orbit,
            look: look.clone(),
            size: (viewport.width, viewport.height),
        }
    }
}

/// The colour (RGBA, 8 bits) and depth textures a picture of the view is drawn into: the
/// kept pictures' and the off-screen renderer's.
pub(super) fn picture_textures(
    context: &Context,
    width: u32,
    height: u32,
) -> (Texture2D, DepthTexture2D) {
    let color = Texture2D::new_empty::<[u8; 4]>(
        context,
        width,
        height,
        Interpolation::Nearest,
        Interpolation::Nearest,
        None,
        Wrapping::ClampToEdge,
        Wrapping::ClampToEdge,
    );
    let depth = DepthTexture2D::new::<f32>(
        context,
        width,
        height,
        Wrapping::ClampToEdge,
        Wrapping::ClampToEdge,
    );
    (color, depth)
}

/// Chunks of a picture's parts drawn in one frame: those in `chunks`, counted over the
/// parts in order; the `first` slice of a picture also draws the floor grid.
pub(super) struct Slice {
    pub first: bool,
    pub chunks: Range<usize>,
}

/// The picture, with what it shows and how much of it is drawn. A big part on a slow GL is
/// drawn over several frames, a slice of its chunks each, so no frame takes long; the depth
/// buffer is kept with the picture, so the slices join up as one drawing would.
pub(super) struct FrameCache {
    key: Option<FrameKey>,
    /// Chunks drawn so far.
    drawn: usize,
    complete: bool,
    color: Texture2D,
    depth: DepthTexture2D,
}

impl FrameCache {
    fn new(context: &Context, (width, height): (u32, u32)) -> Self {
        let (color, depth) = picture_textures(context, width, height);
        Self {
            key: None,
            drawn: 0,
            complete: false,
            color,
            depth,
        }
    }

    /// Brings the picture for `key` (of `total` chunks) closer to done: a new key starts
    /// it again, cleared (transparent where nothing is drawn); then `draw` draws the next
    /// slice of at most `budget` chunks (one at least). Returns whether it is complete.
    pub(super) fn refine(
        cache: &mut Option<Self>,
        context: &Context,
        key: FrameKey,
        total: usize,
        budget: usize,
        draw: impl FnOnce(&RenderTarget<'_>, ScissorBox, Slice),
    ) -> bool {
        let fits = cache
            .as_ref()
            .is_some_and(|c| (c.color.width(), c.color.height()) == key.size);
        if !fits {
            *cache = None;
        }
        let cache = cache.get_or_insert_with(|| Self::new(context, key.size));
        let target = RenderTarget::new(
            cache.color.as_color_target(None),
            cache.depth.as_depth_target(),
        );
        if cache.key.as_ref() != Some(&key) {
            target.clear(ClearState::color_and_depth(0.0, 0.0, 0.0, 0.0, 1.0));
            (cache.key, cache.drawn, cache.complete) = (Some(key.clone()), 0, false);
        }
        if !cache.complete {
            let end = cache.drawn.saturating_add(budget.max(1)).min(total);
            let slice = Slice {
                first: cache.drawn == 0,
                chunks: cache.drawn..end,
            };
            draw(
                &target,
                ScissorBox::new_at_origo(key.size.0, key.size.1),
                slice,
            );
            cache.drawn = end;
            cache.complete = end >= total;
        }
        cache.complete
    }

    /// Whether this is the whole picture of all of `model`.
    pub(super) fn shows_all_of(&self, model: &Arc<Model>) -> bool {
        self.complete
            && self
                .key
                .as_ref()
                .is_some_and(|k| k.drawn == (model.id, usize::MAX))
    }

    /// The picture as drawn so far.
    pub(super) fn picture(&self) -> &Texture2D {
        &self.color
    }

    /// Copies `picture` over what egui drew (the backdrop) in the view's `viewport`, only
    /// where it shows (`scissor`). The picture's colours are premultiplied by its alpha (see
    /// [`SEE_THROUGH`]; solid parts have alpha 1, the cleared rest 0).
    pub(super) fn show(
        picture: &Texture2D,
        screen: &RenderTarget<'_>,
        scissor: ScissorBox,
        viewport: Viewport,
    ) {
        let copy = CopyEffect {
            write_mask: WriteMask::COLOR,
            blend: PREMULTIPLIED_OVER,
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

/// How a see-through part is blended into the picture: "over" for the colour, and its
/// coverage added to the alpha too, so where it lies over nothing (the picture is cleared
/// to transparent, for the backdrop egui drew to show) the picture keeps it, premultiplied.
/// three-d's own transparency keeps the target's alpha, which left such pixels invisible.
pub(super) const SEE_THROUGH: Blend = Blend::Enabled {
    source_rgb_multiplier: BlendMultiplierType::SrcAlpha,
    source_alpha_multiplier: BlendMultiplierType::One,
    destination_rgb_multiplier: BlendMultiplierType::OneMinusSrcAlpha,
    destination_alpha_multiplier: BlendMultiplierType::OneMinusSrcAlpha,
    rgb_equation: BlendEquationType::Add,
    alpha_equation: BlendEquationType::Add,
};

/// A premultiplied picture over the screen.
const PREMULTIPLIED_OVER: Blend = Blend::Enabled {
    source_rgb_multiplier: BlendMultiplierType::One,
    source_alpha_multiplier: BlendMultiplierType::One,
    destination_rgb_multiplier: BlendMultiplierType::OneMinusSrcAlpha,
    destination_alpha_multiplier: BlendMultiplierType::OneMinusSrcAlpha,
    rgb_equation: BlendEquationType::Add,
    alpha_equation: BlendEquationType::Add,
};
