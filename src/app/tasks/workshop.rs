//! The workshop's work for the window: the installed slicers, found once at start; a part
//! exported as STL or 3MF where the user chooses; a part handed to a slicer.

use super::desktop::{ask_where, saved_notice};
use super::*;
use crate::model::Model;
use crate::model::export::{self, ExportFormat};
use crate::slicer::Slicer;

/// Looks for the installed slicers (desktop entries: file reads, off the UI thread).
pub async fn find_slicers(report: Reporter) {
    if let Some(found) = blocking(crate::slicer::find).await {
        report.send(Event::Preview(PreviewEvent::Slicers(found)));
    }
}

/// What to export.
#[derive(Debug)]
pub struct Export {
    /// The file shown.
    pub file: PathBuf,
    /// Its model as shown.
    pub model: Arc<Model>,
    /// The name to suggest, without extension.
    pub stem: String,
    /// The format.
    pub format: ExportFormat,
    /// How finely a STEP file is meshed for it (read again unless as shown).
    pub detail: crate::model::Detail,
}

/// Asks where, then writes the part there.
pub async fn export_as(export: Export, report: Reporter) {
    let Export {
        file,
        model,
        stem,
        format,
        detail,
    } = export;
    let name = format!("{stem}.{}", format.extension());
    let Some((to, asked)) = ask_where(&name, WithoutDialog::Export, &report).await else {
        return;
    };
    let target = to.clone();
    let written = blocking(move || {
        let is_step =
            crate::model::MeshFormat::from_path(&file) == Some(crate::model::MeshFormat::Step);
        let model = if is_step && detail != crate::model::Detail::Full {
            Arc::new(crate::model::load_path_at(&file, detail).map_err(|e| e.to_string())?)
        } else {
            model
        };
        export::write(&model, export::read_with_y_up(&file), format, &target)
            .map_err(|e| e.to_string())
    })
    .await;
    report.send(Event::Notice(saved_notice(to, asked, written)));
}

/// Writes `model` (read from `file`) into `exports` for `slicer` and starts it on the file.
pub async fn open_in_slicer(
    (file, model): (PathBuf, Arc<Model>),
    stem: String,
    slicer: Slicer,
    exports: PathBuf,
    report: Reporter,
) {
    let name = slicer.name.clone();
    let handed = blocking(move || {
        let y_up = export::read_with_y_up(&file);
        crate::slicer::hand_over(&slicer, (&model, y_up), &stem, &exports)
    })
    .await;
    match handed {
        Some(Ok(file)) => report.send(Event::Notice(Notice::InSlicer { slicer: name, file })),
        Some(Err(reason)) => report.send(Event::Notice(Notice::NotInSlicer {
            slicer: name,
            reason,
        })),
        None => {}
    }
}
