//! Handing a part to a slicer: finding the installed ones and starting one on the part.
//!
//! On Linux a slicer is found by its desktop entry in the XDG data dirs (flatpak's exports
//! included), as the desktop's own menus find it; the entry's `Exec` line starts it, and its
//! `MimeType` says whether it takes 3MF (the part goes as 3MF: names, colours, millimetres) or
//! only STL. Windows and macOS register applications differently (the registry's App Paths and
//! `LSCopyApplicationURLsForBundleIdentifier`); neither is built yet, and `find` says so there.

use std::path::{Path, PathBuf};

/// The slicers looked for, by the names their desktop entries give.
pub const SUPPORTED: [&str; 5] = [
    "PrusaSlicer",
    "OrcaSlicer",
    "Bambu Studio",
    "UltiMaker Cura",
    "SuperSlicer",
];

/// An installed slicer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slicer {
    /// Its name, as [`SUPPORTED`] spells it.
    pub name: String,
    /// Its desktop entry.
    pub entry: PathBuf,
    /// The entry's command line, field codes and all.
    exec: String,
    /// It opens 3MF files (else STL only).
    pub takes_3mf: bool,
}

impl Slicer {
    /// The format the part is handed over in: 3MF where the slicer takes it.
    pub fn format(&self) -> crate::model::export::ExportFormat {
        if self.takes_3mf {
            crate::model::export::ExportFormat::ThreeMf
        } else {
            crate::model::export::ExportFormat::Stl
        }
    }

    /// The program and arguments that open `file` (the entry's `%f`, `%F`, `%u` or `%U`; the
    /// file at the end where it has none), quoted as the desktop entry spec says.
    pub fn command_for(&self, file: &Path) -> Option<(String, Vec<String>)> {
        let file = file.to_string_lossy().into_owned();
        let mut words = split_exec(&self.exec)?;
        let mut placed = false;
        words.retain_mut(|word| match word.as_str() {
            "%f" | "%F" | "%u" | "%U" => {
                *word = file.clone();
                placed = true;
                true
            }
            // Other field codes (icon, name, entry path) are dropped.
            code if code.len() == 2 && code.starts_with('%') => false,
            _ => {
                *word = word.replace("%%", "%");
                true
            }
        });
        if !placed {
            words.push(file);
        }
        let program = words.remove(0);
        Some((program, words))
    }
}

/// Writes `model` (read with Y up if so: see `export::read_with_y_up`) into `exports` as
/// `name` in the format `slicer` takes, and starts the slicer on it. The file it was handed;
/// the reason in words where it could not be.
pub fn hand_over(
    slicer: &Slicer,
    (model, y_up): (&crate::model::Model, bool),
    name: &str,
    exports: &Path,
) -> Result<PathBuf, String> {
    use crate::model::export;
    std::fs::create_dir_all(exports)
        .map_err(|e| format!("{} could not be made: {e}", exports.display()))?;
    let out = exports.join(format!("{name}.{}", slicer.format().extension()));
    export::write(model, y_up, slicer.format(), &out).map_err(|e| e.to_string())?;
    let (program, args) = slicer.command_for(&out).ok_or_else(|| {
        format!(
            "the desktop entry {} has no usable Exec line (reinstalling {} should mend it)",
            slicer.entry.display(),
            slicer.name
        )
    })?;
    let mut child = std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{} could not be started ({program}: {e})", slicer.name))?;
    // Waited for on a thread of its own, so a slicer the user closes leaves no zombie behind
    // in a window that keeps running.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(out)
}

/// The directories desktop entries are in, most important first: the user's own, the system's,
/// and flatpak's exports.
pub fn application_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".local/share")));
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    let mut dirs: Vec<PathBuf> = data_home.into_iter().collect();
    dirs.extend(
        data_dirs
            .split(':')
            .filter(|d| !d.is_empty())
            .map(PathBuf::from),
    );
    dirs.extend(home.map(|h| h.join(".local/share/flatpak/exports/share")));
    dirs.push(PathBuf::from("/var/lib/flatpak/exports/share"));
    let mut unique = Vec::new();
    for dir in dirs.into_iter().map(|d| d.join("applications")) {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

/// The supported slicers installed here, each once (the first entry found wins, as in the
/// desktop's menus), in [`SUPPORTED`]'s order.
pub fn find() -> Vec<Slicer> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    let mut found: Vec<Slicer> = Vec::new();
    for dir in application_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "desktop"))
            .collect();
        files.sort();
        for file in files {
            if let Some(slicer) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|text| parse_entry(&text, &file))
                && !found.iter().any(|s| s.name == slicer.name)
            {
                found.push(slicer);
            }
        }
    }
    found.sort_by_key(|s| SUPPORTED.iter().position(|n| *n == s.name));
    found
}

/// A desktop entry's slicer, if it is one of [`SUPPORTED`] that can be started.
fn parse_entry(text: &str, path: &Path) -> Option<Slicer> {
    let mut in_entry = false;
    let (mut name, mut exec, mut mime, mut hidden) = (None, None, String::new(), false);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
            continue;
        }
        let Some((key, value)) = line.split_once('=').filter(|_| in_entry) else {
            continue;
        };
        match key.trim() {
            "Name" => name = Some(value.trim().to_string()),
            "Exec" => exec = Some(value.trim().to_string()),
            "MimeType" => mime = value.to_ascii_lowercase(),
            "Hidden" | "NoDisplay" => hidden |= value.trim() == "true",
            _ => {}
        }
    }
    let name = name?;
    // "Bambu Studio" or "BambuStudio", "UltiMaker Cura" or "Ultimaker Cura 5.7".
    let squeezed = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    let known = SUPPORTED
        .iter()
        .find(|s| squeezed(&name).starts_with(&squeezed(s)))?;
    if hidden {
        return None;
    }
    Some(Slicer {
        name: (*known).to_string(),
        entry: path.to_path_buf(),
        exec: exec?,
        takes_3mf: mime.contains("3mf") || mime.is_empty(),
    })
}

/// The words of an `Exec` line: split at spaces, with double-quoted words kept whole
/// (backslash escapes inside quotes, as the desktop entry spec has them).
fn split_exec(exec: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut started) = (false, false);
    let mut chars = exec.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            '\\' if quoted => word.push(chars.next()?),
            ' ' | '\t' if !quoted => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => word.push(c),
        }
    }
    if quoted {
        return None;
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    (!words.is_empty()).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> Option<Slicer> {
        parse_entry(text, Path::new("/usr/share/applications/x.desktop"))
    }

    #[test]
    fn a_slicer_s_entry_gives_its_command_with_the_file_in_place() {
        let prusa = entry(
            "[Desktop Entry]\nName=PrusaSlicer\nExec=prusa-slicer --single-instance %F\n\
             MimeType=model/stl;application/vnd.ms-3mfdocument;\n[Desktop Action Gcode]\nName=G-code viewer\n",
        )
        .expect("a slicer");
        assert!(prusa.takes_3mf);
        let (program, args) = prusa.command_for(Path::new("/tmp/my part.3mf")).unwrap();
        assert_eq!(program, "prusa-slicer");
        assert_eq!(args, ["--single-instance", "/tmp/my part.3mf"]);

        let flatpak = entry(
            "[Desktop Entry]\nName=UltiMaker Cura\nExec=/usr/bin/flatpak run --command=cura \"com.ultimaker.cura\" %U\nMimeType=model/stl;\n",
        )
        .unwrap();
        assert!(!flatpak.takes_3mf, "STL only");
        let (_, args) = flatpak.command_for(Path::new("/p.stl")).unwrap();
        assert_eq!(
            args,
            ["run", "--command=cura", "com.ultimaker.cura", "/p.stl"]
        );
    }

    #[test]
    fn other_programs_and_hidden_entries_are_not_slicers() {
        assert!(entry("[Desktop Entry]\nName=Files\nExec=nautilus %U\n").is_none());
        assert!(entry("[Desktop Entry]\nName=OrcaSlicer\nExec=orca %f\nHidden=true\n").is_none());
        assert!(split_exec("broken \"quote").is_none());
    }
}
