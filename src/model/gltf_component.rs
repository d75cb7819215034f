//! glTF's component types read as floats: the one reader of quantized attributes, for plain
//! accessors and Draco streams alike.

/// Reads one component from its bytes as a float; the flag says whether the integers are
/// normalized (scaled to [-1, 1] or [0, 1], as glTF defines).
pub(super) type ComponentReader = fn(&[u8], bool) -> f32;

/// The size and reader of a glTF component type (5120 `BYTE` … 5126 `FLOAT`).
pub(super) fn component_reader(component: u64) -> Option<(usize, ComponentReader)> {
    Some(match component {
        5126 => (4, |b, _| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        5120 => (1, |b, n| {
            let v = f32::from(b[0] as i8);
            if n { (v / 127.0).max(-1.0) } else { v }
        }),
        5121 => (1, |b, n| {
            if n {
                f32::from(b[0]) / 255.0
            } else {
                f32::from(b[0])
            }
        }),
        5122 => (2, |b, n| {
            let v = f32::from(i16::from_le_bytes([b[0], b[1]]));
            if n { (v / 32767.0).max(-1.0) } else { v }
        }),
        5123 => (2, |b, n| {
            let v = f32::from(u16::from_le_bytes([b[0], b[1]]));
            if n { v / 65535.0 } else { v }
        }),
        _ => return None,
    })
}
