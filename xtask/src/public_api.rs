//! `cargo xtask public-api [--check]`: the public API of the `stepfn` library, one item a line,
//! in `runtime/public-api.txt`, so every change to it is a visible diff.
//!
//! The listing is made by the `public-api` crate from rustdoc's JSON output of the library with
//! its default features (`RUSTC_BOOTSTRAP=1 cargo rustdoc -p stepfn --lib -- -Z
//! unstable-options --output-format json`, in its own target directory
//! `<target>/public-api`). `public-api` 0.52.1 reads rustdoc JSON format 57, what rustc 1.95
//! emits; a toolchain emitting another format gets a clear error naming both.
//! Blanket implementations (`impl<T> From<T> for T` and the like) are left out.
//! `--check` fails, printing the lines that differ, when the committed listing is stale.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// The committed listing, relative to the workspace root.
const LISTING: &str = "runtime/public-api.txt";

/// The rustdoc JSON format `public-api` 0.52.1 reads (its `rustdoc-types` 0.57).
const FORMAT_VERSION: u64 = 57;

/// The listing's first lines.
const HEADER: &str = "\
# The public API of the `stepfn` library with its default features (cli, jsonata, sqlite):
# one item a line, from rustdoc JSON read by the `public-api` crate, blanket impls left out.
# Written by `cargo xtask public-api`; CI runs `cargo xtask public-api --check`.
";

/// `cargo xtask public-api [--check]`.
pub fn main(args: &[String]) -> ExitCode {
    let check = match args {
        [] => false,
        [a] if a == "--check" => true,
        _ => {
            eprintln!("usage: cargo xtask public-api [--check]");
            return ExitCode::from(2);
        }
    };
    let root = crate::root();
    let listing = match listing(&root) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cargo xtask public-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    let path = root.join(LISTING);
    if !check {
        return match std::fs::write(&path, &listing) {
            Ok(()) => {
                println!("{}: {} items", path.display(), item_count(&listing));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        };
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    match diff(&committed, &listing) {
        None => {
            println!("{LISTING}: up to date ({} items)", item_count(&listing));
            ExitCode::SUCCESS
        }
        Some(d) => {
            eprintln!(
                "{LISTING} differs from the library's public API (- committed, + now); if the \
                 change is meant, run `cargo xtask public-api` and commit the file:\n{d}"
            );
            ExitCode::FAILURE
        }
    }
}

/// The listing of the library's public API, header included.
fn listing(root: &Path) -> Result<String, String> {
    let json = rustdoc_json(root)?;
    check_format(&json)?;
    let api = public_api::Builder::from_rustdoc_json(&json)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| format!("cannot read {}: {e}", json.display()))?;
    let mut out = String::from(HEADER);
    for item in api.items() {
        out.push_str(&item.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// Runs rustdoc on the library; returns the JSON file's path.
fn rustdoc_json(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = crate::target_dir(root).join("public-api");
    let args = [
        "rustdoc",
        "-q",
        "-p",
        "stepfn",
        "--lib",
        "--",
        "-Z",
        "unstable-options",
        "--output-format",
        "json",
    ];
    eprintln!("public-api: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        // rustdoc's JSON output is unstable: allowed on the stable toolchain by this variable.
        .env("RUSTC_BOOTSTRAP", "1")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo rustdoc failed ({status})"));
    }
    let json = target.join("doc").join("stepfn.json");
    if !json.is_file() {
        return Err(format!("{} is missing after rustdoc", json.display()));
    }
    Ok(json)
}

/// Fails with both numbers when rustdoc wrote a JSON format `public-api` cannot read.
fn check_format(json: &Path) -> Result<(), String> {
    let text = std::fs::read(json).map_err(|e| format!("cannot read {}: {e}", json.display()))?;
    #[derive(serde::Deserialize)]
    struct Head {
        format_version: u64,
    }
    let head: Head = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: no format_version: {e}", json.display()))?;
    if head.format_version != FORMAT_VERSION {
        return Err(format!(
            "rustdoc wrote JSON format {}, the public-api crate reads format {FORMAT_VERSION}: \
             move xtask's public-api dependency to the version whose rustdoc-types reads {}",
            head.format_version, head.format_version
        ));
    }
    Ok(())
}

/// The listing's items: its lines less the header's comments.
fn item_count(listing: &str) -> usize {
    listing.lines().filter(|l| !l.starts_with('#')).count()
}

/// The lines only in `old` (`-`) and only in `new` (`+`), in order; `None` when equal.
fn diff(old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = String::new();
    for l in old.iter().filter(|l| !new.contains(l)) {
        out.push_str(&format!("- {l}\n"));
    }
    for l in new.iter().filter(|l| !old.contains(l)) {
        out.push_str(&format!("+ {l}\n"));
    }
    if out.is_empty() {
        out.push_str("  (the same lines in another order)\n");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_removed_and_added_lines() {
        assert_eq!(diff("a\nb\n", "a\nb\n"), None);
        let d = diff(
            "# h\npub fn a()\npub fn b()\n",
            "# h\npub fn b()\npub fn c()\n",
        );
        assert_eq!(d.as_deref(), Some("- pub fn a()\n+ pub fn c()\n"));
        let d = diff("a\nb\n", "b\na\n");
        assert_eq!(d.as_deref(), Some("  (the same lines in another order)\n"));
    }

    #[test]
    fn counts_items_without_the_header() {
        assert_eq!(item_count(&format!("{HEADER}pub fn a()\npub mod b\n")), 2);
    }
}
