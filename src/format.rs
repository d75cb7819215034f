//! How numbers read in the window: durations, sizes, lengths. Pure functions, unit-tested.

use std::time::Duration;

/// "0:42", "12:05", "1:02:03".
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// "30 s–2 min", the typical duration of a mode.
pub fn duration_range((lo, hi): (Duration, Duration)) -> String {
    let (lo, hi) = (rough(lo), rough(hi));
    if lo == hi { lo } else { format!("{lo}–{hi}") }
}

/// "45 s", "2 min", "15 min".
pub fn rough(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else if s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{:.1} min", s as f64 / 60.0)
    }
}

/// "812 B", "14.2 KiB", "3.4 MiB", "1.2 GiB": powers of 1024, named so, as the API's limits
/// are ("10 MiB"), so a size and the limit it is held to read alike everywhere.
pub fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let n = n as f64;
    if n < K {
        format!("{n} B")
    } else if n < K * K {
        format!("{:.1} KiB", n / K)
    } else if n < K * K * K {
        format!("{:.1} MiB", n / (K * K))
    } else {
        format!("{:.1} GiB", n / (K * K * K))
    }
}

/// "60.0 × 60.0 × 8.5 mm (2.36 × 2.36 × 0.33 in)".
pub fn size_mm(size: [f32; 3]) -> String {
    let mm = size.map(|v| format!("{v:.1}"));
    let inches = size.map(|v| format!("{:.2}", v / 25.4));
    format!(
        "{} × {} × {} mm ({} × {} × {} in)",
        mm[0], mm[1], mm[2], inches[0], inches[1], inches[2]
    )
}

/// A size in the model's units: "60.0 × 60.0 × 8.5 mm (2.36 × 2.36 × 0.33 in)", or
/// "4.900 × 2.600 × 2.800 m (192.9 × 102.4 × 110.2 in)".
pub fn size(size: [f32; 3], units: crate::model::Units) -> String {
    if units != crate::model::Units::Metres {
        return size_mm(size);
    }
    let m = size.map(|v| format!("{v:.3}"));
    let inches = size.map(|v| format!("{:.1}", v * 1000.0 / 25.4));
    format!(
        "{} × {} × {} m ({} × {} × {} in)",
        m[0], m[1], m[2], inches[0], inches[1], inches[2]
    )
}

/// A measured length in the model's units: "42.31 mm (1.666 in)" or "1.250 m (49.21 in)".
pub fn length(value: f32, units: crate::model::Units) -> String {
    match units {
        crate::model::Units::Metres => format!("{value:.3} m ({:.2} in)", value * 1000.0 / 25.4),
        _ => length_mm(value),
    }
}

/// "42.31 mm (1.666 in)": a measured length, to a hundredth of a millimetre.
pub fn length_mm(mm: f32) -> String {
    format!("{mm:.2} mm ({:.3} in)", mm / 25.4)
}

/// "1,310,720".
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(clock(Duration::from_secs(42)), "0:42");
        assert_eq!(clock(Duration::from_secs(725)), "12:05");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(
            duration_range((Duration::from_secs(12), Duration::from_secs(12))),
            "12 s",
            "a fixed time once (the demo's)"
        );
        assert_eq!(
            duration_range((Duration::from_secs(30), Duration::from_secs(120))),
            "30 s–2 min"
        );
        assert_eq!(rough(Duration::from_secs(90)), "1.5 min");
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(14_540), "14.2 KiB");
        assert_eq!(bytes(10 * 1024 * 1024), "10.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(count(1_310_720), "1,310,720");
        assert_eq!(count(12), "12");
        assert_eq!(length_mm(25.4), "25.40 mm (1.000 in)");
        assert_eq!(
            size_mm([60.0, 25.4, 8.5]),
            "60.0 × 25.4 × 8.5 mm (2.36 × 1.00 × 0.33 in)"
        );
    }
}
