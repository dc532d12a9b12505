//! The peer side of `cargo xtask bench`: installs and drives `aws-local-stepfunctions`
//! 3.0.0 (npm), the engine stepfn is compared against.
//!
//! * [`ensure_installed`] puts the peer into `<target>/bench-peer/` with the machine's
//!   `npm` (from the npm registry only, pinned by `xtask/peer/package-lock.json`), once.
//! * [`rounds_command`] is `node xtask/peer/run.mjs --rounds …`: one workload in a node
//!   process that checks its output against `<name>.expected.json`, warms up, then times
//!   executions one after another in the rounds `cargo xtask bench` asks for, one JSON line
//!   per round; [`parse_line`] turns those lines into [`PeerResult`]s.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The npm package and version the bench compares against.
pub const PEER_PACKAGE: &str = "aws-local-stepfunctions";
/// Exact version of [`PEER_PACKAGE`]; `xtask/peer/package.json` pins the same.
pub const PEER_VERSION: &str = "3.0.0";
/// Folder under the cargo target dir that holds the installed peer.
pub const INSTALL_DIR_NAME: &str = "bench-peer";

/// One workload's figures as measured on the peer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PeerResult {
    pub name: String,
    /// Timed executions (the untimed correctness run not included); at least 1.
    pub executions: u64,
    /// Wall time of the timed executions, seconds.
    pub seconds: f64,
    pub executions_per_sec: f64,
    /// `executions_per_sec` times the workload's transitions from `manifest.json`.
    pub transitions_per_sec: f64,
    /// Median latency of one execution, microseconds.
    pub p50_us: f64,
    /// 99th percentile (nearest rank) latency of one execution, microseconds.
    pub p99_us: f64,
    /// Peak resident set size of the node process that ran only this workload.
    pub peak_rss_bytes: u64,
    /// Extra fields run.mjs prints; absent from older outputs.
    #[serde(default)]
    pub mean_us: Option<f64>,
    /// Latency of the untimed first (checking) execution, microseconds.
    #[serde(default)]
    pub first_run_us: Option<f64>,
    /// Peak RSS after loading, validating and one execution, before the timed ones.
    /// Comparable across run lengths, unlike `peak_rss_bytes`: the peer keeps ~20-30 KB
    /// per execution of a Parallel and ~20 MB per `c_map_10k` execution alive.
    #[serde(default)]
    pub first_run_peak_rss_bytes: Option<u64>,
    /// e.g. "aws-local-stepfunctions@3.0.0".
    #[serde(default)]
    pub peer: Option<String>,
    /// Node version, e.g. "v20.20.2".
    #[serde(default)]
    pub node: Option<String>,
    /// The node process's CPU time (all its threads) over the timed batches.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    /// Transitions/s of each timed round, in order (filled in by `cargo xtask bench`, which
    /// puts the median of the rounds in the fields above).
    #[serde(default)]
    pub round_tps: Vec<f64>,
    /// The untimed warm-up before the rounds: executions and seconds.
    #[serde(default)]
    pub warmup: Option<(u64, f64)>,
}

/// A workload the peer could not run: bad definition, failed execution, wrong output,
/// missing files, or a crashed node process.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PeerFailure {
    pub name: String,
    pub error: String,
}

/// What run.mjs reported for one workload.
pub type PeerOutcome = Result<PeerResult, PeerFailure>;

/// `xtask/peer/`, holding `package.json`, `package-lock.json` and `run.mjs`.
pub fn peer_source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peer")
}

/// Makes sure `aws-local-stepfunctions@3.0.0` is installed in `<target_dir>/bench-peer/`
/// and returns that folder (pass it to [`run`]).
///
/// `target_dir` is the cargo target directory (e.g. `<workspace>/target`). When the
/// package is missing, has another version, or `xtask/peer/package-lock.json` changed
/// since the last install, this copies `package.json` and `package-lock.json` there and
/// runs `npm ci` (or `npm install` without a lockfile) with install scripts off. Uses
/// the `node` and `npm` on `PATH`; downloads nothing but npm packages.
pub fn ensure_installed(target_dir: &Path) -> Result<PathBuf, String> {
    let source = peer_source_dir();
    let dest = target_dir.join(INSTALL_DIR_NAME);
    let src_lock = source.join("package-lock.json");
    let dest_lock = dest.join("package-lock.json");
    let want_lock = fs::read(&src_lock).ok();

    if installed_version(&dest).as_deref() == Some(PEER_VERSION)
        && (want_lock.is_none() || fs::read(&dest_lock).ok() == want_lock)
    {
        return Ok(dest);
    }

    tool_version("node")?;
    fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    copy(&source.join("package.json"), &dest.join("package.json"))?;
    let mut npm = npm_command();
    npm.current_dir(&dest);
    if want_lock.is_some() {
        copy(&src_lock, &dest_lock)?;
        npm.arg("ci");
    } else {
        npm.args([
            "install",
            &format!("{PEER_PACKAGE}@{PEER_VERSION}"),
            "--save-exact",
        ]);
    }
    npm.args(["--no-audit", "--no-fund", "--ignore-scripts", "--omit=dev"]);
    eprintln!(
        "bench: installing {PEER_PACKAGE}@{PEER_VERSION} into {}",
        dest.display()
    );
    let status = npm
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
    if !status.success() {
        return Err(format!("npm failed in {} ({status})", dest.display()));
    }
    match installed_version(&dest) {
        Some(v) if v == PEER_VERSION => Ok(dest),
        Some(v) => Err(format!(
            "npm installed {PEER_PACKAGE} {v}, want {PEER_VERSION}"
        )),
        None => Err(format!(
            "npm ran but {PEER_PACKAGE} is not in {}",
            dest.display()
        )),
    }
}

/// The command that runs workload `name` (found in `workload_dir`) on the peer installed in
/// `peer_dir` (from [`ensure_installed`]) in one node process serving timed rounds: it checks
/// the output, warms up for `warmup` seconds (untimed: the JIT's warm-up), prints a `ready`
/// line, then times one round per `round SECONDS` line on its stdin (see `run.mjs`).
pub fn rounds_command(peer_dir: &Path, workload_dir: &Path, name: &str, warmup: f64) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(peer_source_dir().join("run.mjs"))
        .arg("--workloads")
        .arg(workload_dir)
        .arg("--peer-dir")
        .arg(peer_dir)
        .args(["--rounds", &warmup.to_string(), name]);
    cmd
}

/// Parses one line of run.mjs's output.
pub fn parse_line(line: &str) -> Result<PeerOutcome, String> {
    let value: serde_json::Value =
        serde_json::from_str(line.trim()).map_err(|e| format!("not JSON ({e}): {line}"))?;
    if value.get("error").is_some() {
        return serde_json::from_value(value)
            .map(Err)
            .map_err(|e| format!("bad failure record ({e}): {line}"));
    }
    let result: PeerResult =
        serde_json::from_value(value).map_err(|e| format!("bad result record ({e}): {line}"))?;
    if result.executions == 0 {
        return Err(format!("{}: zero executions", result.name));
    }
    Ok(Ok(result))
}

/// Version of the peer package installed under `dir`, if any.
fn installed_version(dir: &Path) -> Option<String> {
    let manifest = dir
        .join("node_modules")
        .join(PEER_PACKAGE)
        .join("package.json");
    let text = fs::read_to_string(manifest).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("version")?.as_str().map(str::to_owned)
}

fn tool_version(tool: &str) -> Result<String, String> {
    let out = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{tool} --version` (is Node.js installed?): {e}"))?;
    if !out.status.success() {
        return Err(format!("`{tool} --version` failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn npm_command() -> Command {
    // npm is a .cmd shim on Windows, which Command does not resolve by itself.
    if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", "npm"]);
        c
    } else {
        Command::new("npm")
    }
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK_LINE: &str = r#"{"name":"t_trivial_3","executions":18301,"seconds":0.500016083,"executions_per_sec":36600.822697937096,"transitions_per_sec":109802.46809381129,"p50_us":20.287,"p99_us":82.329,"peak_rss_bytes":125673472,"transitions_per_execution":3,"mean_us":27.19,"min_us":16.577,"max_us":7404.717,"first_run_us":2623.595,"first_run_peak_rss_bytes":96000000,"peer":"aws-local-stepfunctions@3.0.0","node":"v20.20.2"}"#;

    #[test]
    fn parses_a_result_line() {
        let r = parse_line(OK_LINE).unwrap().unwrap();
        assert_eq!(r.name, "t_trivial_3");
        assert_eq!(r.executions, 18301);
        assert_eq!(r.seconds, 0.500016083);
        assert_eq!(r.executions_per_sec, 36600.822697937096);
        assert_eq!(r.transitions_per_sec, 109802.46809381129);
        assert_eq!(r.p50_us, 20.287);
        assert_eq!(r.p99_us, 82.329);
        assert_eq!(r.peak_rss_bytes, 125_673_472);
        assert_eq!(r.mean_us, Some(27.19));
        assert_eq!(r.first_run_us, Some(2623.595));
        assert_eq!(r.first_run_peak_rss_bytes, Some(96_000_000));
        assert_eq!(r.peer.as_deref(), Some("aws-local-stepfunctions@3.0.0"));
        assert_eq!(r.node.as_deref(), Some("v20.20.2"));
    }

    #[test]
    fn parses_the_minimal_result_fields() {
        let line = r#"{"name":"c_map_10k","executions":1,"seconds":1.2,"executions_per_sec":0.83,"transitions_per_sec":8300.5,"p50_us":1200000,"p99_us":1200000,"peak_rss_bytes":1000000000}"#;
        let r = parse_line(line).unwrap().unwrap();
        assert_eq!(r.name, "c_map_10k");
        assert_eq!(r.p50_us, 1_200_000.0);
        assert_eq!(r.peak_rss_bytes, 1_000_000_000);
        assert_eq!(r.mean_us, None);
        assert_eq!(r.first_run_peak_rss_bytes, None);
        assert_eq!(r.peer, None);
    }

    #[test]
    fn parses_a_failure_line() {
        let line = r#"{"name":"e_retry_catch","error":"wrong output: $.error: missing"}"#;
        let f = parse_line(line).unwrap().unwrap_err();
        assert_eq!(
            f,
            PeerFailure {
                name: "e_retry_catch".into(),
                error: "wrong output: $.error: missing".into()
            }
        );
    }

    #[test]
    fn rejects_non_json_and_incomplete_records() {
        let err = parse_line("node: warning").unwrap_err();
        assert!(err.starts_with("not JSON"), "{err}");
        // A result with a field missing.
        let err = parse_line(r#"{"name":"a","executions":3,"seconds":1.0}"#).unwrap_err();
        assert!(err.contains("bad result record"), "{err}");
        // A failure without a name.
        let err = parse_line(r#"{"error":"boom"}"#).unwrap_err();
        assert!(err.contains("bad failure record"), "{err}");
        // Wrong types.
        let bad = OK_LINE.replace("\"executions\":18301", "\"executions\":\"many\"");
        assert!(parse_line(&bad).is_err());
        let bad = OK_LINE.replace("125673472", "-1");
        assert!(parse_line(&bad).is_err());
    }

    #[test]
    fn rejects_zero_executions() {
        let bad = OK_LINE.replace("\"executions\":18301", "\"executions\":0");
        let err = parse_line(&bad).unwrap_err();
        assert!(err.contains("zero executions"), "{err}");
    }

    #[test]
    fn peer_sources_are_next_to_the_crate() {
        let dir = peer_source_dir();
        assert!(dir.join("run.mjs").is_file());
        let pkg: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
        assert_eq!(pkg["dependencies"][PEER_PACKAGE], PEER_VERSION);
    }
}
