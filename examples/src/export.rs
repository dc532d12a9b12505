//! Writing the ASL of workflows to files: what `cargo xtask asl` and downstream build scripts do.

use std::path::Path;

/// Writes `<dir>/<Name>.asl.json` for each workflow (pretty JSON and a final newline). With
/// `check`, writes nothing and returns the names whose file is missing or stale.
pub fn write_asl(
    dir: &Path,
    workflows: &[(&str, &str)],
    check: bool,
) -> std::io::Result<Vec<String>> {
    let mut stale = Vec::new();
    if !check {
        std::fs::create_dir_all(dir)?;
    }
    for (name, asl) in workflows {
        let path = dir.join(format!("{name}.asl.json"));
        let text = format!("{asl}\n");
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text.as_str()) {
            stale.push((*name).to_string());
            if !check {
                std::fs::write(&path, text)?;
            }
        }
    }
    Ok(stale)
}
