//! The `stepfn` command line: argument parsing and dispatch to one module per subcommand.
//!
//! Exit codes, shared by every subcommand: `0` success, `1` an invalid definition (one
//! `FILE:LINE:COLUMN: LOCATION: MESSAGE` line per problem on stderr, the line and column of the
//! offending key), `2` a file that cannot be read or is not JSON (and clap's own usage errors).

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stepfn_asl::{Diagnostic, StateMachine};

pub mod dsl;
pub mod executions;
pub mod graph;
pub mod history;
pub mod position;
pub mod run;
#[cfg(feature = "server")]
pub mod serve;
pub mod template;
pub mod validate;

/// AWS Step Functions as a Rust library: check, draw and run ASL state machines.
#[derive(Debug, Parser)]
#[command(name = "stepfn", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Each variant holds the arguments defined next to its implementation.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check ASL definitions; print every problem as `FILE:LINE:COLUMN: LOCATION: MESSAGE`.
    Validate(validate::Args),
    /// Draw an ASL definition as a Mermaid flowchart or a Graphviz digraph.
    Graph(graph::Args),
    /// Print an ASL definition as `workflow!` source, to move it into Rust.
    Dsl(dsl::Args),
    /// Run one execution of a definition; print `{"status": …, "output" | "error", "cause"}`.
    ///
    /// Exit 0 on SUCCEEDED, 1 on any other terminal status, 2 when the definition or the input
    /// is invalid (nothing runs).
    Run(run::RunArgs),
    /// Print the history of a durable execution (`{"events": [...]}`, GetExecutionHistory shape).
    History(history::Args),
    /// List the executions of a database (`{"executions": [...]}`, newest first).
    Executions(executions::Args),
    /// Serve the Step Functions API (AWS JSON 1.0) and a web console on 127.0.0.1:8083.
    #[cfg(feature = "server")]
    Serve(serve::Args),
    /// Print an AWS SAM template deploying a definition with its Rust handlers as Lambda
    /// functions (state machine, functions, least-privilege role, logging).
    Template(template::Args),
}

impl Cli {
    /// Runs the parsed command and returns the process exit code.
    pub fn run(self) -> ExitCode {
        let status = match self.command {
            Command::Validate(args) => validate::run(&args),
            Command::Graph(args) => graph::run(&args),
            Command::Dsl(args) => dsl::run(&args),
            Command::Run(args) => {
                return ExitCode::from(u8::try_from(run::run(&args)).unwrap_or(2))
            }
            Command::History(args) => {
                return ExitCode::from(u8::try_from(history::run(&args)).unwrap_or(2))
            }
            Command::Executions(args) => {
                return ExitCode::from(u8::try_from(executions::run(&args)).unwrap_or(2))
            }
            #[cfg(feature = "server")]
            Command::Serve(args) => {
                return ExitCode::from(u8::try_from(serve::run(&args)).unwrap_or(2))
            }
            Command::Template(args) => {
                return ExitCode::from(u8::try_from(template::run(&args)).unwrap_or(2))
            }
        };
        status.into()
    }
}

/// The `stepfn` binary: parse `std::env::args`, run, exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.traces() {
        init_tracing();
    }
    cli.run()
}

impl Command {
    /// True for the commands that run executions (`run`, `serve`): they print tracing output.
    fn traces(&self) -> bool {
        match self {
            Command::Run(_) => true,
            #[cfg(feature = "server")]
            Command::Serve(_) => true,
            _ => false,
        }
    }
}

/// Installs a tracing subscriber writing to stderr, filtered by `RUST_LOG` (e.g.
/// `RUST_LOG=stepfn=debug`); without `RUST_LOG`, nothing is printed. Spans are printed when
/// they close (a state's line when it ends).
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let Some(spec) = std::env::var_os(EnvFilter::DEFAULT_ENV) else {
        return;
    };
    let filter = match EnvFilter::try_new(spec.to_string_lossy()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("warning: RUST_LOG is not a valid filter ({e}); tracing is off");
            return;
        }
    };
    // Fails only when a subscriber is already installed: that one stays.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}

/// Writes `text` to stdout. A closed pipe (`stepfn executions … | head`) ends the output
/// quietly: the reader has what it wanted. Another write error is reported on stderr, and
/// `false` returned.
pub(crate) fn write_stdout(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            false
        }
    }
}

/// The outcome of a subcommand, ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Exit code 0.
    Ok,
    /// Exit code 1: a definition is invalid.
    Invalid,
    /// Exit code 2: a file could not be read or is not JSON.
    Unreadable,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        match s {
            Status::Ok => ExitCode::SUCCESS,
            Status::Invalid => ExitCode::from(1),
            Status::Unreadable => ExitCode::from(2),
        }
    }
}

/// Why a definition file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read, or is not JSON; the message says which.
    Unreadable(String),
    /// The definition was read but breaks the States Language rules: each problem, with the
    /// line and column of its key in the file when known.
    Invalid(Vec<(Diagnostic, Option<position::Position>)>),
}

impl LoadError {
    /// Prints the problem(s) to stderr, each line prefixed with the file name, and returns the
    /// matching status.
    pub fn report(&self, file: &Path) -> Status {
        match self {
            LoadError::Unreadable(msg) => {
                eprintln!("{}: {msg}", file.display());
                Status::Unreadable
            }
            LoadError::Invalid(diags) => {
                for (d, at) in diags {
                    match at {
                        Some(at) => eprintln!("{}:{at}: {d}", file.display()),
                        None => eprintln!("{}: {d}", file.display()),
                    }
                }
                Status::Invalid
            }
        }
    }
}

/// Reads, parses and validates a definition file.
pub fn load(file: &Path) -> Result<StateMachine, LoadError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| LoadError::Unreadable(format!("cannot read the file: {e}")))?;
    let unplaced = |diags: Vec<Diagnostic>| -> Vec<(Diagnostic, Option<position::Position>)> {
        diags.into_iter().map(|d| (d, None)).collect()
    };
    if text.len() > stepfn_asl::parse::MAX_DEFINITION_BYTES {
        // Too large to be a definition at all: that is a validation problem, not a read problem.
        return StateMachine::from_json_str(&text).map_err(|d| LoadError::Invalid(unplaced(d)));
    }
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| LoadError::Unreadable(format!("the file is not JSON: {e}")))?;
    StateMachine::from_json(&value).map_err(|diags| {
        let positions = position::Positions::new(&text);
        LoadError::Invalid(
            diags
                .into_iter()
                .map(|d| {
                    let at = positions.of(&d.location);
                    (d, at)
                })
                .collect(),
        )
    })
}
