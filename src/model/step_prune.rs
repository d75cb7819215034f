//! What the STEP preview hands OpenCascade: the records its shapes, placements, names and
//! colours come from, without the product manufacturing information (PMI) beside them.
//!
//! AP242 files carry GD&T, dimensions, datums, annotation polylines, saved views and
//! validation properties next to the shape; in NIST's CTC-02 that is 68 % of the records. The
//! mesher reads none of it (XDE's GD&T, view, property, layer and material modes are off), yet
//! OpenCascade's parser still reads every record, and parsing was the largest part of its read.
//! [`prune`] keeps the records reachable from every root that is not PMI, byte for byte, except
//! that annotations are taken out of the lists that hold them: a `DRAUGHTING_MODEL` lists the
//! colours of the shapes (AP203 files keep them there) beside the annotation curves. So what
//! OpenCascade builds is the same: `tests/step_mesher.rs` checks that the mesher's output is
//! identical, byte for byte, with and without pruning, on every STEP file of the corpus.

use std::collections::HashMap;

/// Root entities the preview never reads: GD&T, dimensions, datums, annotations, saved views,
/// properties and layers. A complex root with any of these parts is PMI too, as is any type
/// ending in `_TOLERANCE` (the geometric tolerance family).
const PMI_ROOTS: &[&str] = &[
    "ALL_AROUND_SHAPE_ASPECT",
    "ANGULAR_LOCATION",
    "ANGULAR_SIZE",
    "ANNOTATION_CURVE_OCCURRENCE",
    "ANNOTATION_FILL_AREA_OCCURRENCE",
    "ANNOTATION_OCCURRENCE",
    "ANNOTATION_PLANE",
    "ANNOTATION_TEXT_OCCURRENCE",
    "BETWEEN_SHAPE_ASPECT",
    "CAMERA_MODEL_D3",
    "CAMERA_MODEL_D3_MULTI_CLIPPING",
    "CENTRE_OF_SYMMETRY",
    "COMMON_DATUM",
    "COMPOSITE_GROUP_SHAPE_ASPECT",
    "COMPOSITE_SHAPE_ASPECT",
    "CONTINUOUS_SHAPE_ASPECT",
    "DATUM",
    "DATUM_FEATURE",
    "DATUM_REFERENCE",
    "DATUM_REFERENCE_COMPARTMENT",
    "DATUM_REFERENCE_ELEMENT",
    "DATUM_SYSTEM",
    "DATUM_TARGET",
    "DIMENSIONAL_CHARACTERISTIC_REPRESENTATION",
    "DIMENSIONAL_LOCATION",
    "DIMENSIONAL_LOCATION_WITH_PATH",
    "DIMENSIONAL_SIZE",
    "DIMENSIONAL_SIZE_WITH_PATH",
    "DIRECTED_DIMENSIONAL_LOCATION",
    "DRAUGHTING_CALLOUT",
    "DRAUGHTING_CALLOUT_RELATIONSHIP",
    "DRAUGHTING_MODEL_ITEM_ASSOCIATION",
    "DRAUGHTING_MODEL_ITEM_ASSOCIATION_WITH_PLACEHOLDER",
    "GEOMETRIC_ITEM_SPECIFIC_USAGE",
    "ITEM_IDENTIFIED_REPRESENTATION_USAGE",
    "LIMITS_AND_FITS",
    "MECHANICAL_DESIGN_AND_DRAUGHTING_RELATIONSHIP",
    "NON_UNIFORM_ZONE_DEFINITION",
    "PLACED_DATUM_TARGET_FEATURE",
    "PLUS_MINUS_TOLERANCE",
    "PRESENTATION_LAYER_ASSIGNMENT",
    "PROJECTED_ZONE_DEFINITION",
    "PROPERTY_DEFINITION",
    "PROPERTY_DEFINITION_REPRESENTATION",
    "RUNOUT_ZONE_DEFINITION",
    "SHAPE_ASPECT",
    "SHAPE_ASPECT_DERIVING_RELATIONSHIP",
    "SHAPE_ASPECT_RELATIONSHIP",
    "TESSELLATED_ANNOTATION_OCCURRENCE",
    "TOLERANCE_VALUE",
    "TOLERANCE_ZONE",
    "TOLERANCE_ZONE_DEFINITION",
];

/// Annotations: styled items and views of PMI, which a `DRAUGHTING_MODEL` lists beside the
/// shapes' colours. Where a list holds one it is taken out of the list.
const ANNOTATIONS: &[&str] = &[
    "ANNOTATION_CURVE_OCCURRENCE",
    "ANNOTATION_FILL_AREA_OCCURRENCE",
    "ANNOTATION_OCCURRENCE",
    "ANNOTATION_PLACEHOLDER_OCCURRENCE",
    "ANNOTATION_PLANE",
    "ANNOTATION_TEXT_OCCURRENCE",
    "CAMERA_MODEL_D3",
    "CAMERA_MODEL_D3_MULTI_CLIPPING",
    "DRAUGHTING_CALLOUT",
    "TESSELLATED_ANNOTATION_OCCURRENCE",
];

/// Where OpenCascade finds the shapes' colours: it looks through every record of these types,
/// whether anything refers to it or not, so each is kept as if it were a root.
const COLOUR_HOLDERS: &[&str] = &[
    "DRAUGHTING_MODEL",
    "MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION",
    "MECHANICAL_DESIGN_SHADED_PRESENTATION_REPRESENTATION",
];

/// Pruning pays only when it drops at least this share of the records (in thousandths):
/// otherwise the file is read as it is.
const WORTHWHILE_PER_MILLE: usize = 100;

/// One `#id = …;` record of the DATA section.
struct Record<'a> {
    id: u64,
    /// The record's text, from `#` to `;` inclusive.
    text: &'a [u8],
    /// The entity type, or every part's type of a complex entity.
    types: Vec<&'a [u8]>,
    /// What it refers to.
    refers_to: Vec<Reference>,
}

/// One `#id` inside a record.
struct Reference {
    id: u64,
    /// Where `#id` is in the record's text.
    span: std::ops::Range<usize>,
    /// Whether it is an element of a list (else an attribute of its own).
    in_list: bool,
}

/// The file without its PMI, or `None` where there is little to drop or the file is not laid
/// out as this reader expects (one `DATA;` section of `#id = …;` records): then it is read as
/// it is.
pub fn prune(file: &[u8]) -> Option<Vec<u8>> {
    let mut scan = Scanner { text: file, at: 0 };
    let data_start = scan.find_data_section()?;
    let mut records = Vec::new();
    let data_end = loop {
        scan.skip_blank();
        if scan.rest().starts_with(b"ENDSEC") {
            break scan.at;
        }
        records.push(scan.record()?);
    };
    // A second DATA section (AP242 edition 2 allows several) is beyond this reader.
    if contains_data_section(&file[data_end..]) {
        return None;
    }
    let kept = Kept::find(&records);
    let dropped = records.len() - kept.records.iter().filter(|k| **k).count();
    if dropped * 1000 < records.len() * WORTHWHILE_PER_MILLE {
        return None;
    }
    let mut out = Vec::with_capacity(file.len());
    out.extend_from_slice(&file[..data_start]);
    out.push(b'\n');
    for (i, record) in records.iter().enumerate() {
        if kept.records[i] {
            write_without(&mut out, record, &kept.cut_from[i]);
            out.push(b'\n');
        }
    }
    out.extend_from_slice(&file[data_end..]);
    Some(out)
}

/// Writes `record` with the list elements at `cut` (indices into its references) taken out,
/// each with the comma that parted it from its neighbour.
fn write_without(out: &mut Vec<u8>, record: &Record, cut: &[usize]) {
    let text = record.text;
    let mut from = 0;
    for &r in cut {
        let span = &record.refers_to[r].span;
        let after = skip_spaces(text, span.end);
        let (start, end) = if text.get(after) == Some(&b',') {
            (span.start, skip_spaces(text, after + 1))
        } else {
            let before = text[..span.start]
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .unwrap_or(0);
            let start = if text[before] == b',' {
                before
            } else {
                span.start
            };
            (start.max(from), span.end)
        };
        out.extend_from_slice(&text[from..start]);
        from = end;
    }
    out.extend_from_slice(&text[from..]);
}

fn skip_spaces(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// What the preview needs of the records (by position).
struct Kept {
    /// Whether each record is kept.
    records: Vec<bool>,
    /// For each record, which of its references (indices, in order) are cut from its lists.
    cut_from: Vec<Vec<usize>>,
}

impl Kept {
    /// The records reachable from a root that is not PMI (a root: a record no other record
    /// refers to) or from a colour holder, not through a list's annotation.
    fn find(records: &[Record]) -> Self {
        let position: HashMap<u64, usize> =
            records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let mut referred = vec![false; records.len()];
        for reference in records.iter().flat_map(|r| &r.refers_to) {
            if let Some(&i) = position.get(&reference.id) {
                referred[i] = true;
            }
        }
        let mut kept = Self {
            records: vec![false; records.len()],
            cut_from: vec![Vec::new(); records.len()],
        };
        let mut stack: Vec<usize> = (0..records.len())
            .filter(|&i| {
                (!referred[i] && !is_pmi_root(&records[i])) || is_any(&records[i], COLOUR_HOLDERS)
            })
            .collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut kept.records[i], true) {
                continue;
            }
            for (r, reference) in records[i].refers_to.iter().enumerate() {
                let Some(&j) = position.get(&reference.id) else {
                    continue;
                };
                if reference.in_list && is_any(&records[j], ANNOTATIONS) {
                    kept.cut_from[i].push(r);
                } else if !kept.records[j] {
                    stack.push(j);
                }
            }
        }
        kept
    }
}

/// Whether `record` is a root the preview never reads (any part of it, if complex).
fn is_pmi_root(record: &Record) -> bool {
    record.types.iter().any(|name| {
        name.ends_with(b"_TOLERANCE") || PMI_ROOTS.iter().any(|t| t.as_bytes() == *name)
    })
}

/// Whether `record` is of one of `types` (any part of it, if complex).
fn is_any(record: &Record, types: &[&str]) -> bool {
    record
        .types
        .iter()
        .any(|name| types.iter().any(|t| t.as_bytes() == *name))
}

fn contains_data_section(text: &[u8]) -> bool {
    let mut scan = Scanner { text, at: 0 };
    scan.find_data_section().is_some()
}

/// A cursor over STEP text that knows strings (`'…'`, `''` inside) and comments (`/* */`).
struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.text[self.at..]
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Skips white space and comments.
    fn skip_blank(&mut self) {
        loop {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.at += 1;
            }
            if !self.rest().starts_with(b"/*") {
                return;
            }
            self.at = match find(self.rest(), b"*/") {
                Some(end) => self.at + end + 2,
                None => self.text.len(),
            };
        }
    }

    /// Skips a string starting at the cursor (on its opening quote).
    fn skip_string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            let close = self.rest().iter().position(|&b| b == b'\'')?;
            self.at += close + 1;
            if self.peek() != Some(b'\'') {
                return Some(());
            }
            self.at += 1;
        }
    }

    fn word(&mut self) -> &'a [u8] {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.at += 1;
        }
        &self.text[start..self.at]
    }

    /// Moves past the `DATA;` keyword, returning where it ends; `None` if there is none, or
    /// if the section is the named kind (`DATA('…', …);`).
    fn find_data_section(&mut self) -> Option<usize> {
        loop {
            self.skip_blank();
            match self.peek()? {
                b'\'' => self.skip_string()?,
                b if b.is_ascii_alphabetic() => {
                    if self.word() == b"DATA" {
                        self.skip_blank();
                        return (self.peek() == Some(b';')).then(|| {
                            self.at += 1;
                            self.at
                        });
                    }
                }
                _ => self.at += 1,
            }
        }
    }

    /// Reads one `#id = …;` record.
    fn record(&mut self) -> Option<Record<'a>> {
        let start = self.at;
        if self.peek()? != b'#' {
            return None;
        }
        self.at += 1;
        let id = parse_id(self.word())?;
        self.skip_blank();
        if self.peek()? != b'=' {
            return None;
        }
        self.at += 1;
        self.skip_blank();
        let mut types = Vec::new();
        let mut refers_to = Vec::new();
        let complex = self.peek()? == b'(';
        if !complex {
            types.push(self.word());
        }
        // Attributes sit one parenthesis deep, a complex entity's two: deeper is a list.
        let attribute_depth = if complex { 2 } else { 1 };
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'\'' => self.skip_string()?,
                b'/' if self.rest().starts_with(b"/*") => self.skip_blank(),
                b'#' => {
                    let at = self.at;
                    self.at += 1;
                    refers_to.push(Reference {
                        id: parse_id(self.word())?,
                        span: at - start..self.at - start,
                        in_list: depth > attribute_depth,
                    });
                }
                b'(' => {
                    depth += 1;
                    self.at += 1;
                }
                b')' => {
                    depth = depth.checked_sub(1)?;
                    self.at += 1;
                }
                b';' if depth == 0 => {
                    self.at += 1;
                    break;
                }
                b if complex && depth == 1 && b.is_ascii_alphabetic() => types.push(self.word()),
                b if b.is_ascii_alphanumeric() || b == b'_' => {
                    self.word();
                }
                _ => self.at += 1,
            }
        }
        Some(Record {
            id,
            text: &self.text[start..self.at],
            types,
            refers_to,
        })
    }
}

fn parse_id(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::prune;

    /// A part with one face, its colour, and a GD&T callout on that face with an annotation
    /// polyline: the shape's records and the colours stay (one in a draughting model, as AP203
    /// files keep it, which only a PMI record refers to), the PMI goes.
    const WITH_PMI: &str = "ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('a part; with GD&T'),'2;1');
FILE_NAME('part.stp','2026-12-06T00:00:00',('me'),(''),'x','y','');
FILE_SCHEMA(('AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF'));
ENDSEC;
DATA;
#1=PRODUCT('plate','plate ''#9; not a reference''','',(#2));
#2=PRODUCT_CONTEXT('',#3,'mechanical');
#3=APPLICATION_CONTEXT('managed model based 3d engineering');
#4=PRODUCT_DEFINITION_SHAPE('','',#5);
#5=PRODUCT_DEFINITION('design','',#6,#7);
#6=PRODUCT_DEFINITION_FORMATION('','',#1);
#7=PRODUCT_DEFINITION_CONTEXT('part definition',#3,'design');
#8=SHAPE_DEFINITION_REPRESENTATION(#4,#9);
#9=ADVANCED_BREP_SHAPE_REPRESENTATION('',(#10),#11);
#10=MANIFOLD_SOLID_BREP('',#12);
/* a comment; with #99 in it */
#11=( GEOMETRIC_REPRESENTATION_CONTEXT(3) GLOBAL_UNIT_ASSIGNED_CONTEXT((#13)) REPRESENTATION_CONTEXT('','') );
#12=CLOSED_SHELL('',(#14));
#13=( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT(.MILLI.,.METRE.) );
#14=ADVANCED_FACE('',(),#15,.T.);
#15=PLANE('',#16);
#16=AXIS2_PLACEMENT_3D('',#17,$,$);
#17=CARTESIAN_POINT('',(0.,0.,0.));
#18=MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION('',(#19),#11);
#19=STYLED_ITEM('',(#20),#10);
#20=COLOUR_RGB('',1.,0.,0.);
#21=GEOMETRIC_ITEM_SPECIFIC_USAGE('','',#22,#9,#14);
#22=SHAPE_ASPECT('','',#4,.T.);
#23=FLATNESS_TOLERANCE('flat','',#24,#22);
#24=LENGTH_MEASURE_WITH_UNIT(LENGTH_MEASURE(0.1),#13);
#25=DRAUGHTING_MODEL('',(#26, #32),#11);
#26=ANNOTATION_CURVE_OCCURRENCE('',(),#27);
#27=POLYLINE('',(#28,#29));
#28=CARTESIAN_POINT('',(1.,0.,0.));
#29=CARTESIAN_POINT('',(2.,0.,0.));
#30=( GEOMETRIC_TOLERANCE('pos','',#24,#22) GEOMETRIC_TOLERANCE_WITH_DATUM_REFERENCE((#31)) POSITION_TOLERANCE() );
#31=DATUM_SYSTEM('','',#4,.F.,());
#32=STYLED_ITEM('',(#20),#14);
#33=DRAUGHTING_MODEL_ITEM_ASSOCIATION('','',#22,#25,#14);
ENDSEC;
END-ISO-10303-21;
";

    fn ids(text: &str) -> Vec<u32> {
        let data = &text[text.find("DATA;").unwrap()..];
        data.lines()
            .filter_map(|line| line.strip_prefix('#'))
            .filter_map(|line| line.split('=').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn the_shape_and_its_colour_stay_and_the_pmi_goes() {
        let pruned = prune(WITH_PMI.as_bytes()).expect("there is PMI to drop");
        let pruned = String::from_utf8(pruned).unwrap();
        let mut expected: Vec<u32> = (1..=20).collect();
        expected.extend([25, 32]);
        assert_eq!(ids(&pruned), expected);
        assert!(pruned.contains("#25=DRAUGHTING_MODEL('',(#32),#11);"));
        // Records are kept byte for byte, header and end included.
        assert!(pruned.starts_with(&WITH_PMI[..WITH_PMI.find("DATA;").unwrap() + 5]));
        assert!(pruned.contains("#1=PRODUCT('plate','plate ''#9; not a reference''','',(#2));"));
        assert!(pruned.contains("#11=( GEOMETRIC_REPRESENTATION_CONTEXT(3)"));
        assert!(pruned.ends_with("ENDSEC;\nEND-ISO-10303-21;\n"));
    }

    #[test]
    fn a_file_without_pmi_is_read_as_it_is() {
        let end = WITH_PMI.find("#21=").unwrap();
        let plain = format!("{}ENDSEC;\nEND-ISO-10303-21;\n", &WITH_PMI[..end]);
        assert_eq!(prune(plain.as_bytes()), None);
    }

    #[test]
    fn a_file_laid_out_otherwise_is_read_as_it_is() {
        let unclosed = WITH_PMI.replace("#17=CARTESIAN_POINT('',(0.,0.,0.));", "#17=PLANE('");
        assert_eq!(prune(unclosed.as_bytes()), None);
        let named_sections = WITH_PMI.replace("DATA;", "DATA('a',());");
        assert_eq!(prune(named_sections.as_bytes()), None);
        let two_sections = WITH_PMI.replace(
            "END-ISO-10303-21;",
            "DATA;\n#40=CARTESIAN_POINT('',(0.,0.,0.));\nENDSEC;\nEND-ISO-10303-21;",
        );
        assert_eq!(prune(two_sections.as_bytes()), None);
        assert_eq!(prune(b"solid cube\nendsolid cube\n"), None);
    }
}
