//! `export [--check]`: writes this crate's `Checkout.asl.json` and `template.json` (what
//! `cargo xtask template` runs); with `--check`, writes nothing and exits 1 when one is stale.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let files = match stepfn_example_lambda::exported() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
            if !check {
                if let Err(e) = std::fs::write(&path, text) {
                    eprintln!("{}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    }
    match (stale.is_empty(), check) {
        (true, _) => println!("up to date"),
        (false, true) => {
            eprintln!(
                "stale or missing: {} (run `cargo xtask template`)",
                stale.join(", ")
            );
            return ExitCode::FAILURE;
        }
        (false, false) => println!("wrote {}", stale.join(", ")),
    }
    ExitCode::SUCCESS
}
