//! Job thumbnails: a 256-pixel PNG of each finished job's part as the viewport first frames
//! it (no grid, a transparent background), made off screen by whichever process downloaded
//! the file (the window or the CLI) and kept in the data dir beside the history, named by the
//! job's id. The history's cards and `makistry jobs --json` find them there.

use std::path::{Path, PathBuf};

/// Pixels on a side.
pub const THUMBNAIL_SIZE: u32 = 256;

/// Where job `job_id`'s thumbnail is kept in the history's `data_dir`.
pub fn thumbnail_path(data_dir: &Path, job_id: &str) -> PathBuf {
    data_dir.join("thumbnails").join(format!("{job_id}.png"))
}

/// A job's thumbnail: [`make_sized`] at [`THUMBNAIL_SIZE`].
pub fn make(file: &Path, out: &Path) -> Result<(), String> {
    make_sized(file, out, THUMBNAIL_SIZE)
}

/// Reads `file`, renders it `size` pixels on a side and writes the PNG to `out` (whole or not
/// at all). The reason in words where it cannot: an unreadable file, no off-screen GL.
pub fn make_sized(file: &Path, out: &Path, size: u32) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let model = crate::model::load_path_at(file, crate::model::Detail::Coarse)
            .map_err(|e| e.to_string())?;
        let camera = super::opening_view(file, &model);
        let look = super::Look {
            hide_grid: true,
            ..Default::default()
        };
        let image =
            super::headless::render_and_drop(model, &camera, &look, size, size, [0, 0, 0, 0])
                .map_err(|e| e.to_string())?;
        let mut png = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        crate::atomic_file::write(out, &png).map_err(|e| e.to_string())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, out, size);
        Err("thumbnails need EGL, which this build has only on Linux".into())
    }
}
