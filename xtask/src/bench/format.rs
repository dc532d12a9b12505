//! Numbers, ratios and aligned tables as the bench prints them.

use std::fmt::Write as _;

pub(super) fn failed_row(engine: &str, error: &str) -> Vec<String> {
    vec![engine.to_owned(), format!("FAILED: {error}")]
}

/// Renders rows under `header`: the first column left-aligned, the others right-aligned.
/// A row shorter than the header (a failure) prints its cells as they are.
pub(crate) fn render_table(header: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        if r.len() == header.len() {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        } else if let Some(first) = r.first() {
            widths[0] = widths[0].max(first.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(indent);
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i == 0 {
                let _ = write!(s, "{c:<w$}");
            } else {
                let _ = write!(s, "  {c:>w$}");
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        if r.len() == header.len() {
            out.push_str(&line(r));
        } else {
            let first = format!(
                "{:<w$}",
                r.first().map_or("", String::as_str),
                w = widths[0]
            );
            let rest: Vec<&str> = r.iter().skip(1).map(String::as_str).collect();
            let _ = writeln!(out, "{indent}{first}  {}", rest.join("  "));
        }
    }
    out
}

/// `a / b`, when both are positive and finite.
pub(super) fn ratio(a: f64, b: f64) -> Option<f64> {
    (a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0).then(|| a / b)
}

/// A ratio: `181×`, `32×`, `3.2×`, `0.14×`, `0.007×`.
pub(super) fn fmt_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{}×", fmt_count(r))
    } else if r >= 1.0 {
        format!("{r:.1}×")
    } else if r >= 0.01 {
        format!("{r:.2}×")
    } else {
        format!("{r:.3}×")
    }
}

/// A rate: thousands separators; one decimal under 100, two under 10.
pub(super) fn fmt_rate(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x >= 100.0 {
        fmt_count(x)
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `x` rounded to a whole number, with thousands separators: `1,234,567`.
pub(crate) fn fmt_count(x: f64) -> String {
    let digits = format!("{:.0}", x.round().abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 && x.round() != 0.0 {
        out.insert(0, '-');
    }
    out
}

/// A duration given in microseconds: `1.42 µs`, `45.0 µs`, `345 µs`, `13.9 ms`, `1.23 s`.
pub(super) fn fmt_us(us: f64) -> String {
    if !us.is_finite() {
        return "n/a".into();
    }
    let three = |v: f64, unit: &str| {
        if v >= 100.0 {
            format!("{v:.0} {unit}")
        } else if v >= 10.0 {
            format!("{v:.1} {unit}")
        } else {
            format!("{v:.2} {unit}")
        }
    };
    if us < 1_000.0 {
        three(us, "µs")
    } else if us < 1_000_000.0 {
        three(us / 1e3, "ms")
    } else {
        three(us / 1e6, "s")
    }
}

/// Bytes as MiB (`14.4 MiB`), or GiB from 1 GiB on (`1.23 GiB`).
pub(super) fn fmt_bytes(b: u64) -> String {
    let mib = b as f64 / 1_048_576.0;
    if mib >= 1024.0 {
        format!("{:.2} GiB", mib / 1024.0)
    } else if mib >= 100.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}
