//! `stepfn graph FILE [--format mermaid|dot]`: draw a valid definition on stdout.

use std::path::PathBuf;

use super::{load, Status};
use crate::graph::{render, Format};

/// Output formats of `stepfn graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid `flowchart` (paste into a Markdown ```mermaid block).
    #[default]
    Mermaid,
    /// A Graphviz digraph (pipe into `dot -Tsvg`).
    Dot,
}

/// Arguments of `stepfn graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ASL definition file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

/// Prints the graph of a valid definition; invalid ones get their diagnostics instead.
pub fn run(args: &Args) -> Status {
    match load(&args.file) {
        Ok(sm) => {
            let format = match args.format {
                GraphFormat::Mermaid => Format::Mermaid,
                GraphFormat::Dot => Format::Dot,
            };
            if super::write_stdout(&render(&sm, format)) {
                Status::Ok
            } else {
                Status::Unreadable
            }
        }
        Err(e) => e.report(&args.file),
    }
}
