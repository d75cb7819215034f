//! What a STEP file says beyond OpenCascade's answer, read from its text: the parts an
//! assembly keeps in other files (and whether they are beside it), AP242 tessellated geometry
//! where there are no solids, and names for the parts OpenCascade leaves unnamed.

use std::path::{Path, PathBuf};

use super::{LoadError, MeshFormat, Model};

/// The model as the user sees it: anonymous parts named after the file, and the parts the
/// file keeps in other files that are not beside it named (OpenCascade shows those found).
pub(super) fn finished(mut model: Model, path: &Path) -> Model {
    name_anonymous_parts(&mut model, path);
    if let Some(text) = scanned_text(path) {
        let folder = folder_of(path);
        model.missing_files = referenced_files(&text)
            .into_iter()
            .filter(|file| !folder.join(file).is_file())
            .map(|file| format!("{file} (looked for in {})", folder.display()))
            .collect();
    }
    model
}

/// The folder a file is in, in full: where the parts it refers to are looked for.
fn folder_of(path: &Path) -> PathBuf {
    std::path::absolute(path)
        .ok()
        .and_then(|full| full.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The file as text, for what OpenCascade does not say of it (which files it refers to,
/// tessellated geometry); `None` past 64 MiB or when it cannot be read.
fn scanned_text(path: &Path) -> Option<String> {
    const LARGEST_SCANNED: u64 = 64 << 20;
    if std::fs::metadata(path).ok()?.len() > LARGEST_SCANNED {
        return None;
    }
    Some(String::from_utf8_lossy(&std::fs::read(path).ok()?).into_owned())
}

/// A file in which OpenCascade found nothing to mesh, read for what the file says instead: its
/// parts are other files (an error naming them), or its geometry is AP242 tessellation
/// (triangles without exact surfaces, read by [`super::step_tessellated`]).
pub(super) fn read_without_solids(path: &Path) -> Option<Result<Model, LoadError>> {
    let text = scanned_text(path)?;
    let files = referenced_files(&text);
    if !files.is_empty() {
        let folder = folder_of(path);
        let found: Vec<&String> = files.iter().filter(|f| folder.join(f).is_file()).collect();
        let named = format!(
            "{}; looked for beside it in {}: {}",
            files.join(", "),
            folder.display(),
            if found.is_empty() {
                "none is there".to_string()
            } else {
                let found: Vec<&str> = found.iter().map(|f| f.as_str()).collect();
                format!("{} there (open each on its own)", found.join(", "))
            }
        );
        return Some(Err(LoadError::ExternalFiles {
            format: MeshFormat::Step,
            files: vec![named],
        }));
    }
    if !text.contains("TRIANGULATED_") {
        return None;
    }
    let name = path
        .file_stem()
        .map_or_else(|| "part".into(), |s| s.to_string_lossy().into_owned());
    Some(
        super::step_tessellated::load(&text, &name).ok_or_else(|| LoadError::NotYetReadable {
            format: MeshFormat::Step,
            feature: "AP242 tessellated geometry in a form this app does not read".into(),
        }),
    )
}

/// The files an assembly's `DOCUMENT_FILE` entities name, each once, in order.
fn referenced_files(text: &str) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for (at, _) in text.match_indices("DOCUMENT_FILE(") {
        let rest = &text[at + "DOCUMENT_FILE(".len()..];
        let Some(name) = rest
            .strip_prefix('\'')
            .and_then(|r| r.split_once('\''))
            .map(|(name, _)| name.trim().to_string())
        else {
            continue;
        };
        if !name.is_empty() && !files.contains(&name) {
            files.push(name);
        }
    }
    files
}

/// OpenCascade names a product it wrote without a name after itself ("Open CASCADE STEP
/// translator 7.9 1", as in every single-part CadQuery file): such parts take the file's name.
pub(super) fn name_anonymous_parts(model: &mut Model, path: &Path) {
    let stem = path
        .file_stem()
        .map_or_else(|| "part".to_string(), |s| s.to_string_lossy().into_owned());
    // OpenCascade's own name for a product it wrote unnamed, and the placeholder other
    // writers leave in a product's name ("(Unsaved)": a SolidWorks document never saved).
    let anonymous = |name: &str| {
        name.starts_with("Open CASCADE STEP translator") || name == "(Unsaved)" || name.is_empty()
    };
    let count = model.parts.iter().filter(|p| anonymous(&p.name)).count();
    let mut number = 0;
    for part in model.parts.iter_mut().filter(|p| anonymous(&p.name)) {
        number += 1;
        let named = if count == 1 {
            stem.clone()
        } else {
            format!("{stem} {number}")
        };
        // The faces that could not be meshed are named by their part: "face 5 of <part>".
        let old = format!(" of {}", part.name);
        for face in &mut model.unmeshed {
            if let Some(at) = face.find(&old) {
                let end = at + old.len();
                if face[end..].is_empty() || face[end..].starts_with(' ') {
                    face.replace_range(at..end, &format!(" of {named}"));
                }
            }
        }
        part.name = named;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Part, STEP_DEFAULT_COLOUR as DEFAULT_COLOUR};

    #[test]
    fn a_placeholder_part_name_becomes_the_files_and_its_unmeshed_faces_follow() {
        let part = |name: &str| {
            Part::new(
                name.into(),
                vec![[0.0; 3]; 3],
                vec![],
                vec![0, 1, 2],
                DEFAULT_COLOUR,
            )
        };
        let mut model = Model::new(vec![part("(Unsaved)"), part("bracket")]);
        model.unmeshed = vec![
            "face 5 of (Unsaved) (OpenCascade made no triangles for it)".into(),
            "face 2 of bracket".into(),
        ];
        name_anonymous_parts(&mut model, Path::new("/parts/cone.step"));
        assert_eq!(model.parts[0].name, "cone");
        assert_eq!(
            model.unmeshed,
            [
                "face 5 of cone (OpenCascade made no triangles for it)",
                "face 2 of bracket"
            ]
        );
    }
}
