//! `stepfn template FILE`: prints an AWS SAM template deploying a definition and its Rust
//! handlers as Lambda functions (see [`crate::template`]).

use crate::template::{self, Architecture, Options, StateMachineType};
use serde_json::Value;
use std::path::PathBuf;

/// Arguments of `stepfn template`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The ASL definition (JSON), e.g. a `workflow!`'s exported `definitions/Name.asl.json`.
    pub file: PathBuf,
    /// The state machine's name (default: the file name without `.asl.json`).
    #[arg(long)]
    pub name: Option<String>,
    /// A handler served as a Lambda function, substituted for `${NAME}` (repeatable; default:
    /// every `${NAME}` Task resource).
    #[arg(long = "handler", value_name = "NAME")]
    pub handlers: Vec<String>,
    /// STANDARD or EXPRESS.
    #[arg(long = "type", value_enum, default_value_t = StateMachineType::Standard)]
    pub kind: StateMachineType,
    /// The functions' architecture.
    #[arg(long, value_enum, default_value_t = Architecture::Arm64)]
    pub arch: Architecture,
    /// The directory where cargo-lambda builds the handler binaries (`<DIR><handler>/bootstrap`),
    /// relative to the template.
    #[arg(long, value_name = "DIR", default_value = "target/lambda/")]
    pub code_uri: String,
    /// Write the template to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Runs `stepfn template`; returns the exit code (2: unreadable file, 1: no template possible).
pub fn run(args: &Args) -> i32 {
    if let Err(e) = super::load(&args.file) {
        return match e.report(&args.file) {
            super::Status::Unreadable => 2,
            _ => 1,
        };
    }
    let asl: Value = match std::fs::read_to_string(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{}: {e}", args.file.display());
            return 2;
        }
    };
    let name = args.name.clone().unwrap_or_else(|| {
        args.file
            .file_name()
            .map(|s| {
                s.to_string_lossy()
                    .trim_end_matches(".json")
                    .trim_end_matches(".asl")
                    .to_string()
            })
            .unwrap_or_else(|| "StateMachine".into())
    });
    let handlers = if args.handlers.is_empty() {
        template::handlers_in(&asl)
    } else {
        args.handlers.clone()
    };
    let options = Options {
        kind: args.kind,
        architecture: args.arch,
        code_uri: args.code_uri.clone(),
        ..Options::default()
    };
    let text = match template::template(&name, &asl, &handlers, &options) {
        Ok(t) => format!("{}\n", serde_json::to_string_pretty(&t).unwrap_or_default()),
        Err(e) => {
            eprintln!("{}: {e}", args.file.display());
            return 1;
        }
    };
    match &args.output {
        None => {
            if super::write_stdout(&text) {
                0
            } else {
                2
            }
        }
        Some(p) => match std::fs::write(p, text) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{}: cannot write: {e}", p.display());
                2
            }
        },
    }
}
