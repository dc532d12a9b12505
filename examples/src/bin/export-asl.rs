//! `export-asl DIR [--check]`: writes the ASL of every example workflow to DIR (what
//! `cargo xtask asl` runs). With `--check`, exits 1 when a file is missing or stale.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    let Some(dir) = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
    else {
        eprintln!("usage: export-asl DIR [--check]");
        return ExitCode::from(2);
    };
    match stepfn_examples::export::write_asl(&dir, &stepfn_examples::all_asl(), check) {
        Ok(stale) if stale.is_empty() => {
            println!("{}: up to date", dir.display());
            ExitCode::SUCCESS
        }
        Ok(stale) if check => {
            eprintln!(
                "{}: stale or missing: {} (run `cargo xtask asl`)",
                dir.display(),
                stale.join(", ")
            );
            ExitCode::FAILURE
        }
        Ok(stale) => {
            println!("{}: wrote {}", dir.display(), stale.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
