//! From the screen to the workshop: `makistry convert` as a user runs it. The lens cap's STEP
//! becomes a closed STL at its true size (checked on the file's bytes: every edge between two
//! triangles), and the enclosure assembly a 3MF of three named objects in millimetres.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

fn convert(input: &str, output: &Path) {
    convert_with(input, output, &[]);
}

fn convert_with(input: &str, output: &Path, options: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let done = Command::new(env!("CARGO_BIN_EXE_makistry"))
        .env("RUST_LOG", "warn")
        .arg("convert")
        .arg(root.join(input))
        .arg(output)
        .args(options)
        .output()
        .expect("makistry runs");
    assert!(done.status.success(), "{done:?}");
}

/// Edges of `triangles` (points joined by their bits) not shared by exactly two triangles.
fn open_edges(triangles: &[[[f32; 3]; 3]]) -> usize {
    let mut ids: HashMap<[u32; 3], usize> = HashMap::new();
    let mut edges: HashMap<(usize, usize), u32> = HashMap::new();
    for triangle in triangles {
        let corners = triangle.map(|p| {
            let next = ids.len();
            *ids.entry(p.map(f32::to_bits)).or_insert(next)
        });
        for k in 0..3 {
            let (a, b) = (corners[k], corners[(k + 1) % 3]);
            *edges.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    edges.values().filter(|&&n| n != 2).count()
}

/// The triangles of a binary STL, as read from its bytes.
fn stl_triangles(bytes: &[u8]) -> Vec<[[f32; 3]; 3]> {
    let count = u32::from_le_bytes(bytes[80..84].try_into().unwrap()) as usize;
    assert_eq!(
        bytes.len(),
        84 + 50 * count,
        "a binary STL of {count} triangles"
    );
    (0..count)
        .map(|t| {
            let at = 84 + 50 * t + 12;
            let float = |i: usize| {
                f32::from_le_bytes(bytes[at + 4 * i..at + 4 * i + 4].try_into().unwrap())
            };
            [0, 1, 2].map(|v| [float(3 * v), float(3 * v + 1), float(3 * v + 2)])
        })
        .collect()
}

#[test]
fn a_step_solid_becomes_a_closed_stl_at_its_true_size() {
    let dir = tempfile::tempdir().unwrap();
    let stl = dir.path().join("cap.stl");
    convert("assets/parts/lens_cap.step", &stl);
    let triangles = stl_triangles(&std::fs::read(&stl).unwrap());
    assert!(triangles.len() > 1000);

    // Closed: with each point once, every edge belongs to exactly two triangles.
    assert_eq!(open_edges(&triangles), 0);

    let (mut min, mut max) = ([f32::MAX; 3], [f32::MIN; 3]);
    for p in triangles.iter().flatten() {
        for axis in 0..3 {
            min[axis] = min[axis].min(p[axis]);
            max[axis] = max[axis].max(p[axis]);
        }
    }
    let size = [0, 1, 2].map(|a| max[a] - min[a]);
    for (got, want) in size.iter().zip([61.2, 61.2, 10.0]) {
        assert!((got - want).abs() <= 0.2, "size {size:?} mm");
    }
}

/// The export's quality, as slicers' dialogs have it: a finer chord tolerance gives more
/// triangles, a coarser one fewer, and both stay closed.
#[test]
fn a_tolerance_sets_how_finely_the_solid_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let count = |options: &[&str]| {
        let stl = dir.path().join("cap.stl");
        convert_with("assets/parts/lens_cap.step", &stl, options);
        let triangles = stl_triangles(&std::fs::read(&stl).unwrap());
        assert_eq!(open_edges(&triangles), 0, "{options:?}");
        triangles.len()
    };
    let (shown, fine, draft) = (
        count(&[]),
        count(&["--tolerance", "0.01", "--angle", "10"]),
        count(&["--tolerance", "0.5", "--angle", "40"]),
    );
    assert!(fine > shown && shown > draft, "{fine} > {shown} > {draft}");
}

#[test]
fn an_assembly_becomes_a_3mf_of_its_parts_in_millimetres() {
    let dir = tempfile::tempdir().unwrap();
    let three_mf = dir.path().join("enclosure.3mf");
    convert("assets/parts/enclosure_assembly.step", &three_mf);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&three_mf).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("3D/3dmodel.model").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("unit=\"millimeter\""));
    let names: Vec<&str> = xml
        .split("<object ")
        .skip(1)
        .filter_map(|object| object.split("name=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(names, ["base", "pcb", "lid"]);
    // Read back as any file is: three parts, 70 mm long.
    let model = makistry::model::load_path(&three_mf).unwrap();
    assert_eq!(model.parts.len(), 3);
    let length = model.bounds.size()[0];
    assert!((length - 70.0).abs() < 0.01, "{length} mm");

    // As GLB: glTF's metres and Y up (the enclosure is 27 mm tall), read back by the gltf
    // crate's own checks.
    let glb = dir.path().join("enclosure.glb");
    convert("assets/parts/enclosure_assembly.step", &glb);
    let model = makistry::model::load_path(&glb).unwrap();
    assert_eq!(model.parts.len(), 3);
    let [x, y, z] = model.bounds.size();
    assert!((x - 0.070).abs() < 1e-4 && (y - 0.027).abs() < 1e-4 && (z - 0.045).abs() < 1e-4);
    let (document, _, _) = gltf::import(&glb).expect("a valid glTF");
    assert_eq!(document.meshes().count(), 3);

    // And a GLB (Y up) to STL turns Z up, as slicers have it: 27 mm tall on Z.
    let stl = dir.path().join("from-glb.stl");
    convert("assets/parts/enclosure_assembly.glb", &stl);
    let triangles = stl_triangles(&std::fs::read(&stl).unwrap());
    let height = triangles
        .iter()
        .flatten()
        .map(|p| p[2])
        .fold(f32::MIN, f32::max)
        - triangles
            .iter()
            .flatten()
            .map(|p| p[2])
            .fold(f32::MAX, f32::min);
    assert!((height - 27.0).abs() < 0.01, "{height} mm tall");
}

/// `makistry slicer` with a desktop entry named PrusaSlicer (in a data dir of the test's own)
/// whose program records its arguments: `list` finds it, and `open` hands it a 3MF holding the
/// part at its true size.
#[test]
fn a_part_goes_to_the_slicer_whose_desktop_entry_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let applications = dir.path().join("share/applications");
    std::fs::create_dir_all(&applications).unwrap();
    let recorded = dir.path().join("arguments.txt");
    let program = dir.path().join("prusa-slicer");
    crate::support::cli::executable_script(
        &program,
        // Written whole, then named: the test reads it once it is there.
        &format!(
            "printf '%s\\n' \"$@\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            recorded.display()
        ),
    );
    std::fs::write(
        applications.join("PrusaSlicer.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nName=PrusaSlicer\nExec=\"{}\" --single-instance %F\n\
             MimeType=model/stl;application/vnd.ms-3mfdocument;model/3mf;\n",
            program.display()
        ),
    )
    .unwrap();
    let slicer = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_makistry"))
            .env("XDG_DATA_HOME", dir.path().join("share"))
            .env("XDG_DATA_DIRS", dir.path().join("none"))
            .env("HOME", dir.path())
            .env("MAKISTRY_DATA_DIR", dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .arg("slicer")
            .args(args)
            .output()
            .expect("makistry runs")
    };
    let listed = slicer(&["list"]);
    assert!(listed.status.success(), "{listed:?}");
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with("PrusaSlicer\t3MF\t"));

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let step = root.join("assets/parts/lens_cap.step");
    let opened = slicer(&["open", &step.to_string_lossy()]);
    assert!(opened.status.success(), "{opened:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !recorded.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let arguments = std::fs::read_to_string(&recorded).expect("the slicer was started");
    let arguments: Vec<&str> = arguments.lines().collect();
    assert_eq!(arguments.len(), 2, "{arguments:?}");
    assert_eq!(arguments[0], "--single-instance");
    let handed = Path::new(arguments[1]);
    assert_eq!(handed.extension().unwrap(), "3mf");
    let model = makistry::model::load_path(handed).unwrap();
    let size = model.bounds.size();
    for (got, want) in size.iter().zip([61.2, 61.2, 10.0]) {
        assert!((got - want).abs() <= 0.2, "size {size:?} mm");
    }

    // With none installed, it says which it looks for and where.
    let none = Command::new(env!("CARGO_BIN_EXE_makistry"))
        .env("XDG_DATA_HOME", dir.path().join("empty"))
        .env("XDG_DATA_DIRS", dir.path().join("none"))
        .env("HOME", dir.path())
        .args(["slicer", "list"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&none.stderr);
    assert!(
        !none.status.success() && said.contains("PrusaSlicer, OrcaSlicer"),
        "{said}"
    );
}
