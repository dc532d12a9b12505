//! `stepfn dsl FILE [--name NAME]`: prints an ASL definition as `workflow!` source, the way an
//! existing state machine moves into Rust. Task states keep their `resource`; bind them to Rust
//! handlers by writing `task my_handler` instead.

use super::{load, LoadError, Status};
use std::path::PathBuf;

/// Arguments of `stepfn dsl`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ASL definition (JSON).
    pub file: PathBuf,
    /// The workflow's name in the generated source (default: from the file name).
    #[arg(long)]
    pub name: Option<String>,
}

/// Runs `stepfn dsl`.
pub fn run(args: &Args) -> Status {
    let sm = match load(&args.file) {
        Ok(sm) => sm,
        Err(LoadError::Unreadable(msg)) => {
            eprintln!("{}: {msg}", args.file.display());
            return Status::Unreadable;
        }
        Err(e @ LoadError::Invalid(_)) => return e.report(&args.file),
    };
    let name = args.name.clone().unwrap_or_else(|| type_name(&args.file));
    if super::write_stdout(&stepfn_asl::dsl::render(&sm, &name)) {
        Status::Ok
    } else {
        Status::Unreadable
    }
}

/// `order-processing.asl.json` → `OrderProcessing`.
fn type_name(file: &std::path::Path) -> String {
    let stem = file
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let stem = stem.split('.').next().unwrap_or("Workflow");
    let mut out = String::new();
    let mut upper = true;
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Workflow");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_names() {
        assert_eq!(
            super::type_name("examples/order-processing.asl.json".as_ref()),
            "OrderProcessing"
        );
        assert_eq!(super::type_name("3d.json".as_ref()), "Workflow3d");
    }
}
