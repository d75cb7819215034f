//! CAD meshes for previewing: GLB, STL, 3MF and STEP files into render-ready [`Part`]s (positions,
//! normals, indices, colour, bounds), in the file's own coordinates and units, with node and
//! build-item transforms applied and no axis swap. No GL and no egui here: the viewer uploads
//! what this produces, and `makistry inspect` prints it.
//!
//! Loading is CPU and memory work: run it off the UI thread. Every loader checks counts
//! against the bytes actually present before allocating, refuses NaN or infinite coordinates,
//! and reports a broken file as a [`LoadError`], never a panic.

pub mod export;
mod gltf;
mod gltf_component;
mod gltf_draco;
mod gltf_meshopt;
mod gltf_prepare;
mod normals;
pub mod overlay;
mod pick;
mod progress;
mod simplify;
pub mod step;
mod step_file;
pub mod step_prune;
mod step_tessellated;
mod stl;
mod summary;
mod three_mf;

pub use progress::LoadProgress;

use std::io::Read as _;
use std::path::Path;
use std::sync::atomic::Ordering;

pub use pick::{Hit, pick};
pub use simplify::simplified;
pub use summary::ModelSummary;

/// One part: a mesh with one colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Name from the file (node, mesh, object or solid name), or a numbered default.
    pub name: String,
    /// Vertex positions.
    pub positions: Vec<[f32; 3]>,
    /// Unit normals, one per position; empty for a part whose every triangle is flat (STL),
    /// which the viewer shades by each triangle's own normal.
    pub normals: Vec<[f32; 3]>,
    /// Triangles, three indices each.
    pub indices: Vec<u32>,
    /// Base colour, linear RGBA: the part's own, or the one most of its surface has.
    pub color: [f32; 4],
    /// Colour of each vertex, linear RGBA, where the file colours faces or triangles apart
    /// (a STEP face, a 3MF triangle); empty when the whole part is `color`.
    pub colors: Vec<[f32; 4]>,
    /// Bounding box of the positions.
    pub bounds: Bounds,
}

impl Part {
    /// Builds a part, computing its bounds.
    pub fn new(
        name: String,
        positions: Vec<[f32; 3]>,
        normals: Vec<[f32; 3]>,
        indices: Vec<u32>,
        color: [f32; 4],
    ) -> Self {
        let bounds = Bounds::of(&positions);
        Self::with_bounds(name, positions, normals, indices, color, bounds)
    }

    /// Builds a part whose bounds the reader found while reading it.
    pub(crate) fn with_bounds(
        name: String,
        positions: Vec<[f32; 3]>,
        normals: Vec<[f32; 3]>,
        indices: Vec<u32>,
        color: [f32; 4],
        bounds: Bounds,
    ) -> Self {
        Self {
            name,
            positions,
            normals,
            indices,
            color,
            colors: Vec::new(),
            bounds,
        }
    }

    /// The part with a colour per vertex (one per position), where they are not all one
    /// (none given: the part's colour throughout).
    pub(crate) fn with_vertex_colors(mut self, colors: Vec<[f32; 4]>) -> Self {
        debug_assert!(colors.is_empty() || colors.len() == self.positions.len());
        let first = colors.first().copied();
        if colors.len() == self.positions.len() && colors.iter().any(|c| Some(*c) != first) {
            self.colors = colors;
        }
        self
    }

    /// Number of triangles.
    pub fn triangles(&self) -> usize {
        self.indices.len() / 3
    }
}

/// An axis-aligned box; `empty()` until a point is added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Smallest corner.
    pub min: [f32; 3],
    /// Largest corner.
    pub max: [f32; 3],
}

impl Bounds {
    /// The box that contains nothing.
    pub fn empty() -> Self {
        Self {
            min: [f32::INFINITY; 3],
            max: [f32::NEG_INFINITY; 3],
        }
    }

    /// The box of `points`.
    pub fn of(points: &[[f32; 3]]) -> Self {
        let mut bounds = Self::empty();
        for p in points {
            bounds.add(*p);
        }
        bounds
    }

    /// Grows the box to contain `p`.
    pub fn add(&mut self, p: [f32; 3]) {
        for (axis, value) in p.into_iter().enumerate() {
            self.min[axis] = self.min[axis].min(value);
            self.max[axis] = self.max[axis].max(value);
        }
    }

    /// Grows the box to contain `other`.
    pub fn union(&mut self, other: &Bounds) {
        if !other.is_empty() {
            self.add(other.min);
            self.add(other.max);
        }
    }

    /// True when it contains nothing.
    pub fn is_empty(&self) -> bool {
        self.min[0] > self.max[0]
    }

    /// Size along each axis (zero when empty).
    pub fn size(&self) -> [f32; 3] {
        if self.is_empty() {
            [0.0; 3]
        } else {
            [0, 1, 2].map(|a| self.max[a] - self.min[a])
        }
    }
}

/// A loaded file. Two models are equal when they hold the same parts, whatever their ids; a
/// clone is a new model, with an id of its own.
#[derive(Debug)]
pub struct Model {
    /// Which model this is (given when it is made, never reused).
    pub id: ModelId,
    /// The parts, in file order.
    pub parts: Vec<Part>,
    /// Bounds of all parts.
    pub bounds: Bounds,
    /// Surfaces the file has that could not be meshed, named for the user ("face 3 of lid"):
    /// shown beside the part, never dropped silently. Only STEP has any.
    pub unmeshed: Vec<String>,
    /// Parts an assembly keeps in other files that are not there, each with where it was
    /// looked for: the parts found are shown, these are named. Only STEP has any.
    pub missing_files: Vec<String>,
    /// The unit of the coordinates, as the format defines it.
    pub units: Units,
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        self.parts == other.parts
            && self.bounds == other.bounds
            && self.unmeshed == other.unmeshed
            && self.missing_files == other.missing_files
            && self.units == other.units
    }
}

impl Clone for Model {
    fn clone(&self) -> Self {
        Self {
            id: ModelId::next(),
            parts: self.parts.clone(),
            bounds: self.bounds,
            unmeshed: self.unmeshed.clone(),
            missing_files: self.missing_files.clone(),
            units: self.units,
        }
    }
}

/// Which model this is: given when a model is made and never reused, so the view and its
/// caches tell models apart by it (an address is reused once its model is freed, and a path
/// names a file, which may be read again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelId(u64);

impl ModelId {
    fn next() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Self(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// The number, for keys.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The unit a file's coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Millimetres: STEP (OpenCascade reads it in mm), 3MF (converted from its `unit`), glTF
    /// written by OpenCascade (CadQuery's, so Makistry's: mm, against glTF's metres), and every
    /// file of a Makistry job.
    #[default]
    Millimetres,
    /// Metres: glTF's unit, for glTF files from other writers.
    Metres,
    /// STL stores no unit; millimetres by custom.
    Unstated,
}

impl Units {
    /// The symbol lengths are shown with.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Metres => "m",
            Self::Millimetres | Self::Unstated => "mm",
        }
    }
}

impl Model {
    /// Builds a model from its parts.
    pub fn new(parts: Vec<Part>) -> Self {
        let mut bounds = Bounds::empty();
        for part in &parts {
            bounds.union(&part.bounds);
        }
        Self {
            id: ModelId::next(),
            parts,
            bounds,
            unmeshed: Vec::new(),
            missing_files: Vec::new(),
            units: Units::Millimetres,
        }
    }

    /// Triangles over all parts.
    pub fn triangles(&self) -> usize {
        self.parts.iter().map(Part::triangles).sum()
    }

    /// Vertices over all parts.
    pub fn vertices(&self) -> usize {
        self.parts.iter().map(|p| p.positions.len()).sum()
    }
}

/// The formats the viewer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshFormat {
    /// Binary glTF.
    Glb,
    /// Binary or ASCII STL.
    Stl,
    /// 3D Manufacturing Format.
    ThreeMf,
    /// STEP (ISO 10303-21), meshed by OpenCascade in a child process.
    Step,
}

impl std::fmt::Display for MeshFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl MeshFormat {
    /// By file extension (any case).
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "glb" => Some(Self::Glb),
            "stl" => Some(Self::Stl),
            "3mf" => Some(Self::ThreeMf),
            "step" | "stp" => Some(Self::Step),
            _ => None,
        }
    }

    /// By the file's content where it says (STEP's header), else by its extension. A file
    /// that cannot be read is judged by its extension (reading it then says why it failed).
    pub fn of_file(path: &Path) -> Option<Self> {
        match step_header(path) {
            Some(true) => Some(Self::Step),
            _ => Self::from_path(path),
        }
    }

    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Glb => "GLB",
            Self::Stl => "STL",
            Self::ThreeMf => "3MF",
            Self::Step => "STEP",
        }
    }
}

/// A file that could not be read, in words (no OS error numbers).
fn io_error(error: &std::io::Error) -> LoadError {
    LoadError::Io(match error.kind() {
        std::io::ErrorKind::NotFound => "it is not there any more (moved or deleted)".into(),
        std::io::ErrorKind::PermissionDenied => "this account is not allowed to read it".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder".into(),
        kind => kind.to_string(),
    })
}

/// Whether the file starts like a STEP file; `None` when it cannot be read.
fn step_header(path: &Path) -> Option<bool> {
    let mut start = [0u8; 64];
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.read(&mut start))
        .ok()?;
    Some(step::is_step(&start[..read]))
}

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The extension is not one the viewer reads.
    #[error("{0} files cannot be previewed (STEP, GLB, STL and 3MF can)")]
    Unsupported(String),
    /// STEP needs the `makistry-step-mesher` program, and it is not there.
    #[error(
        "STEP files cannot be previewed by this installation: its STEP mesher \
         (makistry-step-mesher, built with OpenCascade) is missing; reinstall the app, or open \
         a GLB, STL or 3MF file"
    )]
    NoStepKernel,
    /// The file could not be read.
    #[error("the file could not be read: {0}")]
    Io(String),
    /// The file is not a valid file of its format.
    #[error("this {format} file is broken: {reason}")]
    Malformed {
        /// GLB, STL, 3MF or STEP.
        format: MeshFormat,
        /// What is wrong.
        reason: String,
    },
    /// The file uses a feature (an extension, an old version of its format) this app cannot
    /// read yet: not the file's fault.
    #[error("this {format} file uses {feature}, which this app cannot read yet")]
    NotYetReadable {
        /// The format's name.
        format: MeshFormat,
        /// The feature, e.g. "the glTF extension KHR_texture_basisu".
        feature: String,
    },
    /// A STEP assembly's parts are all in other files, which it refers to by name, and none
    /// of them is there.
    #[error("this {format} file keeps its parts in other files ({}); put them in its folder and open it again", files.join(", "))]
    ExternalFiles {
        /// The format's name.
        format: MeshFormat,
        /// The files it names.
        files: Vec<String>,
    },
    /// The file is valid but holds nothing the viewer can draw (only beams or slices, say).
    #[error("this {format} file has nothing to preview: {reason}")]
    NothingToShow {
        /// The format's name.
        format: MeshFormat,
        /// What it holds instead.
        reason: String,
    },
    /// The load was abandoned (another file was opened).
    #[error("opening the file was stopped")]
    Cancelled,
    /// The file asks for more than the viewer will hold.
    #[error("this {format} file is too large to preview: {reason}")]
    TooLarge {
        /// GLB, STL, 3MF or STEP.
        format: MeshFormat,
        /// What is too large.
        reason: String,
    },
}

impl LoadError {
    fn malformed(format: MeshFormat, reason: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

/// A STEP part's colour where the file gives none: a neutral grey.
pub(crate) const STEP_DEFAULT_COLOUR: [f32; 4] = [0.55, 0.57, 0.6, 1.0];

/// Most triangles one file may hold (about 1.5 GB of vertex data): beyond it, a header is more
/// likely lying than the part is real.
pub const MAX_TRIANGLES: usize = 50_000_000;

/// Bytes read between progress updates and cancellation checks.
const READ_CHUNK: usize = 4 << 20;

/// Loads a file; its header (STEP) or else its extension picks the format.
pub fn load_path(path: &Path) -> Result<Model, LoadError> {
    load_path_with(path, &LoadProgress::default())
}

/// How finely a STEP file's exact surfaces are cut into triangles (mesh formats are read as
/// they are).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Detail {
    /// As the 3D view wants them: smooth when the part fills a screen.
    #[default]
    Full,
    /// Enough for a small picture (a thumbnail): about 8 times coarser, and quicker.
    Coarse,
    /// As an export asks: triangles at most `chord_mm` from the surface, and at most
    /// `angle_deg` between neighbours' normals.
    Chord {
        /// Largest distance to the surface, in millimetres.
        chord_mm: f32,
        /// Largest angle between neighbouring normals, in degrees.
        angle_deg: f32,
    },
}

/// [`load_path`] at `detail`.
pub fn load_path_at(path: &Path, detail: Detail) -> Result<Model, LoadError> {
    load_path_in(path, &LoadProgress::default(), detail)
}

/// [`load_path`], reporting how far it got in `progress` and stopping when it is cancelled.
pub fn load_path_with(path: &Path, progress: &LoadProgress) -> Result<Model, LoadError> {
    load_path_in(path, progress, Detail::Full)
}

fn load_path_in(path: &Path, progress: &LoadProgress, detail: Detail) -> Result<Model, LoadError> {
    let format = MeshFormat::of_file(path).ok_or_else(|| {
        LoadError::Unsupported(
            path.extension()
                .map_or_else(|| "These".into(), |e| e.to_string_lossy().to_uppercase()),
        )
    })?;
    let mut model = read_as(path, format, progress, detail)?;
    if format == MeshFormat::Stl {
        model.units = Units::Unstated;
    }
    Ok(model)
}

fn read_as(
    path: &Path,
    format: MeshFormat,
    progress: &LoadProgress,
    detail: Detail,
) -> Result<Model, LoadError> {
    if format == MeshFormat::Step {
        return match step_header(path) {
            Some(true) => step::load(path, progress, detail),
            Some(false) => Err(LoadError::malformed(
                format,
                "it does not start with ISO-10303-21, so it is not a STEP file",
            )),
            None => Err(std::fs::File::open(path).err().map_or_else(
                || LoadError::Io("it could not be read".into()),
                |e| io_error(&e),
            )),
        };
    }
    let io = |e: std::io::Error| io_error(&e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    progress.total.store(size, Ordering::Relaxed);
    if format == MeshFormat::Stl
        && let Some(model) = stl::read_binary_file(&mut file, size, progress)?
    {
        return Ok(model);
    }
    // The size is only a hint (the file may change while it is read): never trust it for more
    // than the capacity, and read to the real end.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 32));
    loop {
        if progress.is_cancelled() {
            return Err(LoadError::Cancelled);
        }
        let read = (&mut file)
            .take(READ_CHUNK as u64)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        progress.read.store(bytes.len() as u64, Ordering::Relaxed);
        if read == 0 {
            break;
        }
    }
    progress.reading_done.store(true, Ordering::Relaxed);
    let model = load_bytes(format, &bytes)?;
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled);
    }
    Ok(model)
}

/// Loads a mesh file already in memory (STEP is meshed from its path: [`load_path`]).
pub fn load_bytes(format: MeshFormat, bytes: &[u8]) -> Result<Model, LoadError> {
    let model = match format {
        MeshFormat::Stl => stl::load(bytes)?,
        MeshFormat::Glb => gltf::load(bytes)?,
        MeshFormat::ThreeMf => three_mf::load(bytes)?,
        MeshFormat::Step => {
            return Err(LoadError::Io(
                "STEP is meshed from a file on disk, not from memory".into(),
            ));
        }
    };
    let finite = model
        .parts
        .iter()
        .flat_map(|p| p.positions.iter())
        .all(|p| p.iter().all(|c| c.is_finite()));
    if !finite {
        return Err(LoadError::malformed(
            format,
            "it has NaN or infinite coordinates",
        ));
    }
    Ok(model)
}

/// sRGB (as files store colours) to linear (as lighting wants them).
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// A linear RGBA colour (as models store it) as 8-bit sRGB (as screens and GL's sRGB colours
/// take it), each channel clamped to 0..1 first: the one conversion every view uses.
pub fn linear_to_srgb8(linear: [f32; 4]) -> [u8; 4] {
    let [r, g, b, a] = linear.map(|c| c.clamp(0.0, 1.0));
    let [r, g, b] = [r, g, b].map(|c| (linear_to_srgb(c) * 255.0).round() as u8);
    [r, g, b, (a * 255.0).round() as u8]
}

/// Linear to sRGB, one channel.
pub fn linear_to_srgb(c: f32) -> f32 {
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}
