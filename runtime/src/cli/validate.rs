//! `stepfn validate FILE...`: check definitions, report every problem of every file.

use std::path::PathBuf;

use super::{load, Status};

/// Arguments of `stepfn validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ASL definition files (`*.asl.json`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Validates each file; the status is the worst over all files.
pub fn run(args: &Args) -> Status {
    let mut status = Status::Ok;
    for file in &args.files {
        let s = match load(file) {
            Ok(_) => {
                if super::write_stdout(&format!("{}: valid\n", file.display())) {
                    Status::Ok
                } else {
                    Status::Unreadable
                }
            }
            Err(e) => e.report(file),
        };
        status = status.max(s);
    }
    status
}
