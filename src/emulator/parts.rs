//! The library of real CAD parts the emulator serves (made by `assets/parts/generate.py` with
//! CadQuery), and the choice of one by what a prompt mentions.

use super::wire::{Brainstorm, DesignMode, OutputFormat};

/// One part in all four formats, with the brainstorm the emulator reports for it.
#[derive(Debug)]
pub struct Part {
    /// File stem, e.g. `lens_cap`.
    pub slug: &'static str,
    /// Lower-case words that select this part when a prompt contains one.
    pub keywords: &'static [&'static str],
    files: PartFiles,
    project_name: &'static str,
    key_features: &'static [&'static str],
    design_components: &'static [&'static str],
    optimal_geometry: &'static str,
    material_recommendations: &'static str,
    suggestions: &'static [&'static str],
}

impl Part {
    /// The file's bytes in `format`.
    pub fn bytes(&self, format: OutputFormat) -> &'static [u8] {
        match format {
            OutputFormat::Step => self.files.step,
            OutputFormat::Stl => self.files.stl,
            OutputFormat::Glb => self.files.glb,
            OutputFormat::ThreeMf => self.files.three_mf,
        }
    }

    /// File name of the download, e.g. `lens_cap.glb`.
    pub fn file_name(&self, format: OutputFormat) -> String {
        format!("{}.{}", self.slug, format.extension())
    }

    /// The brainstorm object for a job that produced this part.
    pub fn brainstorm(&self) -> Brainstorm {
        let strings = |items: &[&str]| items.iter().map(|s| (*s).to_string()).collect();
        Brainstorm {
            project_name: self.project_name.into(),
            key_features: strings(self.key_features),
            design_components: strings(self.design_components),
            optimal_geometry: self.optimal_geometry.into(),
            material_recommendations: self.material_recommendations.into(),
            suggestions: strings(self.suggestions),
        }
    }
}

/// One part's four files, embedded in the binary.
#[derive(Debug)]
struct PartFiles {
    step: &'static [u8],
    stl: &'static [u8],
    glb: &'static [u8],
    three_mf: &'static [u8],
}

macro_rules! part_files {
    ($slug:literal) => {
        PartFiles {
            step: include_bytes!(concat!("../../assets/parts/", $slug, ".step")),
            stl: include_bytes!(concat!("../../assets/parts/", $slug, ".stl")),
            glb: include_bytes!(concat!("../../assets/parts/", $slug, ".glb")),
            three_mf: include_bytes!(concat!("../../assets/parts/", $slug, ".3mf")),
        }
    };
}

/// Every part, in the order keywords are tried. The last one is the fallback.
pub static PARTS: [Part; 6] = [
    Part {
        slug: "enclosure_assembly",
        keywords: &["assembly", "lid", "pcb", "multi-part", "multipart"],
        files: part_files!("enclosure_assembly"),
        project_name: "Enclosure Assembly — 70×45 mm base, PCB and lid",
        key_features: &[
            "four M3 bosses",
            "counterbored lid screws",
            "1.6 mm PCB on standoffs",
        ],
        design_components: &["base", "pcb", "lid"],
        optimal_geometry: "Shelled base with fillets; PCB and lid modelled at the origin and placed by transforms.",
        material_recommendations: "PETG or ABS for base and lid; FR-4 for the board.",
        suggestions: &[
            "Add a snap-fit lip to the lid instead of screws",
            "Add ventilation slots to the base side walls",
            "Add a USB-C cut-out aligned with the board edge",
        ],
    },
    Part {
        slug: "lens_cap",
        keywords: &["lens", "cap"],
        files: part_files!("lens_cap"),
        project_name: "Lens Cap — 60mm OD",
        key_features: &["snap-fit ring", "52 mm lip", "grip ribs on the skirt"],
        design_components: &["cap body", "snap-fit ring"],
        optimal_geometry: "Revolved disc with a thin lip; the snap ring is a 0.6 mm bead on the lip.",
        material_recommendations: "PETG or ABS; TPU for a softer snap.",
        suggestions: &[
            "Add a lanyard tab on the skirt",
            "Emboss a logo on the top face",
            "Make the lip 0.2 mm tighter for a firmer snap",
        ],
    },
    Part {
        slug: "l_bracket",
        keywords: &["bracket", "angle", "l-bracket"],
        files: part_files!("l_bracket"),
        project_name: "L-Bracket — 60×40×40 mm with gusset",
        key_features: &["M5 clearance holes", "triangular gusset", "4 mm wall"],
        design_components: &["bracket body", "gusset"],
        optimal_geometry: "Two plates joined at 90° with a central gusset; holes 15 mm from the sides.",
        material_recommendations: "6061-T6 aluminium; PETG-CF if printed.",
        suggestions: &[
            "Add slotted holes for adjustment",
            "Increase the wall to 5 mm for higher loads",
            "Add a second gusset near each end",
        ],
    },
    Part {
        slug: "gear",
        keywords: &["gear", "sprocket", "cog", "disc", "disk", "pulley", "wheel"],
        files: part_files!("gear"),
        project_name: "Gear Disc — 24 teeth, Ø50 mm",
        key_features: &["24 teeth", "8 mm bore with keyway", "six lightening holes"],
        design_components: &["gear disc", "hub"],
        optimal_geometry: "Extruded tooth profile with a raised hub; lightening holes on a 29 mm circle.",
        material_recommendations: "POM (acetal) or nylon for quiet running.",
        suggestions: &[
            "Switch to a true involute profile, module 2",
            "Add a set-screw hole through the hub",
            "Make it a double gear with 12 teeth on top",
        ],
    },
    Part {
        slug: "enclosure",
        keywords: &["enclosure", "case", "housing", "boss"],
        files: part_files!("enclosure"),
        project_name: "Electronics Enclosure — 80×50×30 mm",
        key_features: &["2 mm walls", "four M3 screw bosses", "cable slot"],
        design_components: &["enclosure shell", "screw bosses"],
        optimal_geometry: "Shelled box with vertical fillets; bosses extruded from the floor.",
        material_recommendations: "PETG or ABS; ASA outdoors.",
        suggestions: &[
            "Add a matching lid with countersunk screws",
            "Add mounting ears on the short sides",
            "Add a window for an LED",
        ],
    },
    Part {
        slug: "box_with_hole",
        keywords: &["box", "block", "cube", "hole", "plate"],
        files: part_files!("box_with_hole"),
        project_name: "Block — 40×20×10 mm with Ø5 hole",
        key_features: &["5 mm through hole", "1 mm chamfered top edges"],
        design_components: &["block"],
        optimal_geometry: "Extruded rectangle with a centred through hole.",
        material_recommendations: "PLA for prototypes; aluminium for a fixture.",
        suggestions: &[
            "Add a counterbore for an M4 socket head",
            "Round the vertical edges with 2 mm fillets",
            "Add two more holes 15 mm apart",
        ],
    },
];

/// The part a job produces: an assembly for `assembly` mode, otherwise the first part whose
/// keyword the prompt contains, otherwise the block.
pub fn choose(prompt: &str, mode: DesignMode) -> &'static Part {
    let prompt = prompt.to_lowercase();
    let by_keyword = PARTS
        .iter()
        .find(|p| p.keywords.iter().any(|k| prompt.contains(k)));
    match (mode, by_keyword) {
        (DesignMode::Assembly, _) => &PARTS[0],
        (_, Some(part)) => part,
        (_, None) => &PARTS[PARTS.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_pick_parts_by_keyword() {
        assert_eq!(
            choose("a 60 mm lens cap with a snap-fit lip", DesignMode::Standard).slug,
            "lens_cap"
        );
        assert_eq!(
            choose("An aluminium L-bracket with M5 holes", DesignMode::Pro).slug,
            "l_bracket"
        );
        assert_eq!(
            choose("spur gear, 24 teeth", DesignMode::Standard).slug,
            "gear"
        );
        assert_eq!(
            choose("a 40x20x10mm box with a 5mm hole", DesignMode::Standard).slug,
            "box_with_hole"
        );
        assert_eq!(
            choose("something vague", DesignMode::Standard).slug,
            "box_with_hole"
        );
        assert_eq!(
            choose("a lens cap", DesignMode::Assembly).slug,
            "enclosure_assembly"
        );
    }
}
