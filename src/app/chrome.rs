//! The window around the panels: which side panels the user showed, focus, the About window,
//! and what diagnostics report (the GL renderer, the last errors, the first frame's time).

/// The window's chrome and diagnostics.
pub(super) struct Chrome {
    /// Side panels the user showed or hid.
    pub panels: super::layout::PanelChoice,
    /// The window has the keyboard focus.
    pub focused: bool,
    /// The first frame has been drawn (and its time logged).
    pub first_frame_drawn: bool,
    /// The About window is open.
    pub about_open: bool,
    /// The GL renderer, for diagnostics.
    pub gl_renderer: String,
    /// The last errors shown, with their times, for diagnostics.
    pub recent_errors: Vec<String>,
    /// The window's title, as last set.
    pub title: String,
    /// The window's egui context (textures are made with it).
    pub ctx: egui::Context,
}

impl Chrome {
    /// A window that has drawn nothing yet, on the GL renderer named.
    pub fn new(ctx: egui::Context, gl_renderer: String) -> Self {
        Self {
            panels: super::layout::PanelChoice::default(),
            focused: true,
            first_frame_drawn: false,
            about_open: false,
            gl_renderer,
            recent_errors: Vec::new(),
            title: super::APP_NAME.to_string(),
            ctx,
        }
    }
}
