//! The STEP mesher's two ways in: the quick path (the file's PMI left out of what OpenCascade
//! parses, lighter healing, every face at once) must show what OpenCascade's full read shows,
//! and hand over to the careful path whenever it leaves a face bare.

use std::path::{Path, PathBuf};
use std::process::Command;

use makistry::model::load_path;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every STEP file of `../shared/corpus` (other tools' files) and of `assets/parts` (CadQuery's).
fn step_files() -> Vec<PathBuf> {
    let shared = root().join("../shared/corpus");
    if !shared.is_dir() {
        let note = format!(
            "../shared/corpus is not beside the project ({}): STEP files other tools wrote \
             were NOT checked",
            shared.display()
        );
        assert!(std::env::var_os("CI").is_none(), "{note}");
        eprintln!("NOTE: {note}");
    }
    let folders = [
        shared.join("wild/step"),
        shared.join("step"),
        root().join("assets/parts"),
    ];
    let mut files: Vec<PathBuf> = folders
        .iter()
        .filter_map(|folder| std::fs::read_dir(folder).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "step" | "stp"))
        })
        .collect();
    files.sort();
    files
}

fn mesher_answer(file: &Path, flags: &[&str]) -> (bool, Vec<u8>) {
    let output = Command::new(env!("CARGO_BIN_EXE_makistry-step-mesher"))
        .arg(file)
        .args(flags)
        .output()
        .unwrap();
    (output.status.success(), output.stdout)
}

/// Byte for byte: the pruned file gives OpenCascade exactly the shapes, names and colours.
#[test]
fn leaving_the_pmi_out_changes_no_byte_of_the_mesh() {
    let mut pruned = 0;
    let mut differ = Vec::new();
    for file in step_files() {
        let text = std::fs::read(&file).unwrap();
        if makistry::model::step_prune::prune(&text).is_some() {
            pruned += 1;
        }
        if mesher_answer(&file, &[]) != mesher_answer(&file, &["--whole-file"]) {
            differ.push(file.display().to_string());
        }
    }
    assert!(differ.is_empty(), "the PMI changed the mesh of {differ:?}");
    if root().join("../shared/corpus").is_dir() {
        // CTC-02 and the CAx-IF files with GD&T, at least: the check is not vacuous.
        assert!(pruned >= 5, "only {pruned} files had PMI to leave out");
    }
}

/// What a mesher's answer holds: parts with triangles, their box, and faces left bare.
struct Answer {
    parts: usize,
    min: [f32; 3],
    max: [f32; 3],
    bare: usize,
}

/// Reads the mesher's answer (format in `src/bin/makistry-step-mesher/occt_mesher.cpp`).
fn read_answer(answer: &[u8]) -> Option<Answer> {
    let mut rest = answer.strip_prefix(b"MKSTEP2\n")?;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    let number = |bytes: &[u8]| u32::from_le_bytes(bytes.try_into().unwrap()) as usize;
    let mut read = Answer {
        parts: 0,
        min: [f32::MAX; 3],
        max: [f32::MIN; 3],
        bare: 0,
    };
    for _ in 0..number(take(4)?) {
        let name = number(take(4)?);
        take(name + 17)?;
        let vertices = number(take(4)?);
        for xyz in take(vertices * 12)?.chunks_exact(12) {
            for (i, c) in xyz.chunks_exact(4).enumerate() {
                let c = f32::from_le_bytes(c.try_into().unwrap());
                read.min[i] = read.min[i].min(c);
                read.max[i] = read.max[i].max(c);
            }
        }
        let triangles = number(take(4)?);
        take(triangles * 12)?;
        let colour_runs = number(take(4)?);
        take(colour_runs * 20)?;
        read.parts += usize::from(triangles > 0);
    }
    read.bare = number(take(4)?);
    Some(read)
}

/// What the app shows of each file (the quick path, and the careful one where it hands over)
/// is what OpenCascade gives reading the whole file carefully: the same parts, in the same
/// place, the same faces left bare.
#[test]
fn the_quick_path_shows_what_the_careful_path_shows() {
    let mut disagree = Vec::new();
    for file in step_files() {
        let careful = read_answer(&mesher_answer(&file, &["--careful", "--whole-file"]).1);
        let Some(careful) = careful.filter(|c| c.parts > 0) else {
            continue; // no solids: tessellated or external parts, read without the mesher
        };
        let shown = match load_path(&file) {
            Ok(model) => model,
            Err(e) => {
                disagree.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let diagonal = (0..3)
            .map(|i| (careful.max[i] - careful.min[i]).powi(2))
            .sum::<f32>()
            .sqrt();
        let off = (0..3)
            .map(|i| {
                (shown.bounds.min[i] - careful.min[i])
                    .abs()
                    .max((shown.bounds.max[i] - careful.max[i]).abs())
            })
            .fold(0.0f32, f32::max);
        if shown.parts.len() != careful.parts
            || off > 0.001 * diagonal
            || shown.unmeshed.len() != careful.bare
        {
            disagree.push(format!(
                "{}: shown {} parts, box {:?}..{:?}, {} bare; careful {} parts, box {:?}..{:?}, {} bare",
                file.display(),
                shown.parts.len(),
                shown.bounds.min,
                shown.bounds.max,
                shown.unmeshed.len(),
                careful.parts,
                careful.min,
                careful.max,
                careful.bare
            ));
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
}

/// Faces the file colours apart keep their colours: FreeCAD's cube with six, the CAx-IF
/// part with two, and KiCad's board, whose parts are placed many times.
#[test]
fn each_face_keeps_the_colour_the_file_gives_it() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        let note = "../shared/corpus is not beside the project: face colours were NOT checked";
        assert!(std::env::var_os("CI").is_none(), "{note}");
        eprintln!("NOTE: {note}");
        return;
    }
    let distinct = |part: &makistry::model::Part| {
        let mut colours: Vec<[u32; 4]> = part.colors.iter().map(|c| c.map(f32::to_bits)).collect();
        colours.sort_unstable();
        colours.dedup();
        colours.len()
    };
    for (file, colours) in [
        ("step/ocjs_test_testfiles_cube-fcstd_cube2.step", 6),
        ("step/caxif_io1-cm-214.stp", 2),
    ] {
        let model = load_path(&corpus.join(file)).unwrap();
        assert_eq!(model.parts.len(), 1, "{file}");
        assert_eq!(distinct(&model.parts[0]), colours, "{file}");
        assert_eq!(model.parts[0].colors.len(), model.parts[0].positions.len());
    }
    let board = load_path(&corpus.join("wild/step/freecad_kicadstepup_demo_board.step")).unwrap();
    let two_tone = board.parts.iter().filter(|p| distinct(p) >= 2).count();
    assert!(
        two_tone >= 4,
        "{two_tone} of the board's parts have faces of their own colour"
    );
}

/// A CAx-IF assembly that keeps its parts in other files: those found beside it are shown, the
/// others named with the folder they were looked for in; with none there, it is refused,
/// naming them all, and not called broken.
#[test]
fn an_assembly_shows_the_part_files_found_and_names_the_others() {
    let assembly = root().join("../shared/corpus/step/caxif_s1-c5-214.stp");
    if !assembly.is_file() {
        let note = "../shared/corpus is not beside the project: the assembly with external \
                    parts was NOT checked";
        assert!(std::env::var_os("CI").is_none(), "{note}");
        eprintln!("NOTE: {note}");
        return;
    }
    let refused = load_path(&assembly).unwrap_err().to_string();
    for file in [
        "TAIL.stp",
        "HEAD.stp",
        "MAINBODY.stp",
        "FOOT.stp",
        "none is there",
    ] {
        assert!(refused.contains(file), "{refused}");
    }
    assert!(!refused.contains("broken"), "{refused}");

    // Two of its four part files, stood in for by parts other programs wrote.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("s1-c5-214.stp");
    std::fs::copy(&assembly, &copy).unwrap();
    let tail = root().join("../shared/corpus/step/foxtrot_cuboid.step");
    std::fs::copy(tail, dir.path().join("TAIL.stp")).unwrap();
    std::fs::copy(
        root().join("assets/parts/gear.step"),
        dir.path().join("HEAD.stp"),
    )
    .unwrap();
    let model = load_path(&copy).unwrap();
    let names: Vec<&str> = model.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["TAIL", "HEAD"]);
    let folder = dir.path().display();
    assert_eq!(
        model.missing_files,
        [
            format!("MAINBODY.stp (looked for in {folder})"),
            format!("FOOT.stp (looked for in {folder})")
        ]
    );
}

/// A quick path that fails (here a mesher that refuses every file unless asked to be careful)
/// is not the last word: the careful path reads the whole file and the part shows.
#[cfg(unix)]
#[test]
fn a_quick_path_that_fails_hands_over_to_the_careful_one() {
    let dir = tempfile::tempdir().unwrap();
    let mesher = dir.path().join("quick-fails-mesher");
    crate::support::cli::executable_script(
        &mesher,
        &format!(
            "case \"$*\" in\n  *--careful*) exec '{}' \"$@\" ;;\n  \
             *) echo 'error it is not a STEP file OpenCascade can read' >&2; exit 2 ;;\nesac\n",
            env!("CARGO_BIN_EXE_makistry-step-mesher")
        ),
    );
    let gear = root().join("assets/parts/gear.step");
    let summary = crate::support::cli::inspect_with_mesher(&gear, &mesher, None);
    assert!(
        summary["triangles"].as_u64().unwrap_or(0) > 100,
        "{summary}"
    );
}
