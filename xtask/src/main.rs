//! `cargo xtask`: the project's own chores, as subcommands of one small binary
//! (see https://github.com/matklad/cargo-xtask). Kept light: it depends on `stepfn-asl` only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod instructions;
mod peer;
mod public_api;
mod rounds;

const HELP: &str = "\
cargo xtask <COMMAND>

Commands:
  validate     check examples/*.asl.json with the stepfn validator
  asl          write the ASL of every workflow! to definitions/ (--check: fail when stale)
  template     write examples/lambda's ASL and SAM template (--check: fail when stale)
  bench        compare stepfn with aws-local-stepfunctions on ../shared/bench ([--quick] [WORKLOAD...]; --scaling;
               --instructions [--write-baseline | --check-baseline]: callgrind counts)
  public-api   write runtime/public-api.txt, the library's public API (--check: fail when stale)
  help         print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("validate") => validate(),
        Some("bench") => bench::main(&args[1..]),
        Some("asl" | "export") => asl(&args[1..]),
        Some("template") => template(&args[1..]),
        Some("public-api") => public_api::main(&args[1..]),
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

/// `cargo xtask asl [--check]`: runs the examples' exporter (a binary, so xtask stays light).
fn asl(args: &[String]) -> ExitCode {
    let definitions = root().join("definitions");
    let exporter = ["-p", "stepfn-examples", "--bin", "export-asl", "--"];
    run_exporter(&exporter, Some(&definitions), args)
}

/// `cargo xtask template [--check]`: runs examples/lambda's exporter.
fn template(args: &[String]) -> ExitCode {
    let exporter = ["-p", "stepfn-example-lambda", "--example", "export", "--"];
    run_exporter(&exporter, None, args)
}

/// `cargo run -q EXPORTER [OUT] [--check]` at the workspace root, with its exit code.
fn run_exporter(exporter: &[&str], out: Option<&Path>, args: &[String]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.current_dir(root()).args(["run", "-q"]).args(exporter);
    if let Some(out) = out {
        cmd.arg(out);
    }
    if args.iter().any(|a| a == "--check") {
        cmd.arg("--check");
    }
    match cmd.status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("cannot run cargo: {e}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    here.canonicalize().unwrap_or(here)
}

/// The cargo target directory: `$CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

/// Validates every `examples/*.asl.json`; prints `FILE: LOCATION: MESSAGE` per problem.
fn validate() -> ExitCode {
    let dir = root().join("examples");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
            .collect(),
        Err(e) => {
            eprintln!("{}: cannot read the directory: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    if files.is_empty() {
        eprintln!("{}: no *.asl.json files", dir.display());
        return ExitCode::FAILURE;
    }
    let mut failed = false;
    for f in &files {
        let shown = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{shown}: cannot read the file: {e}");
                failed = true;
                continue;
            }
        };
        match stepfn_asl::StateMachine::from_json_str(&text) {
            Ok(_) => println!("{shown}: valid"),
            Err(diags) => {
                failed = true;
                for d in diags {
                    eprintln!("{shown}: {d}");
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
