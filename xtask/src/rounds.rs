//! Interleaved rounds: every engine of one workload (stepfn's and the peer) runs in a process
//! of its own that checks its output, warms up and then waits; the driver asks each in turn
//! for one short timed round (interpreter, peer, compiled, durable, interpreter, peer, …), so a
//! noisy minute on a shared machine hits all of them. A figure is the median of its rounds; a
//! ratio is taken per round (the two sides ran seconds apart) and its median reported.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// How many rounds, how long each, and the untimed warm-up before them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub rounds: usize,
    pub round_seconds: f64,
    pub warmup_seconds: f64,
}

/// `cargo xtask bench`: 11 rounds of 1 s after a 1 s warm-up. The peer's rounds are what need
/// this many: on the 2-core machines, one of node's rounds of 0.6 s could be 2.5× another (and
/// stepfn's ±17%), so the medians of 5 such rounds moved by up to 30% between runs; 11 rounds of
/// 1 s kept them within 15% (figures in the session 8 note of issue 20).
pub const FULL: Schedule = Schedule {
    rounds: 11,
    round_seconds: 1.0,
    warmup_seconds: 1.0,
};

impl Schedule {
    /// The schedule of a workload without the peer (the typed chain): 4× the rounds, each a
    /// quarter as long. Shorter rounds put stepfn's engines closer in time (this machine's speed
    /// moved by up to 1.5× between rounds of 1 s: the interpreter alone read 330k and 480k
    /// transitions/s in one process), and only the peer needed long rounds.
    pub fn without_peer(self) -> Schedule {
        Schedule {
            rounds: self.rounds * 4,
            round_seconds: self.round_seconds / 4.0,
            ..self
        }
    }
}

/// `--quick` (CI): 3 rounds of 0.15 s.
pub const QUICK: Schedule = Schedule {
    rounds: 3,
    round_seconds: 0.15,
    warmup_seconds: 0.1,
};

/// One engine's process, checked and warmed up, waiting for round commands.
pub struct Contender {
    pub label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The `ready` line: the warm-up's executions and seconds.
    pub warmup: (u64, f64),
}

impl Contender {
    /// Spawns `cmd` and waits for its `ready` line. `Err` holds the line it printed instead
    /// (a failure or `unsupported` record, for the caller to parse) or, when it printed
    /// none, a failure record naming `name`.
    pub fn start(label: &str, name: &str, mut cmd: Command) -> Result<Contender, String> {
        eprintln!("bench: {name} ({label}): check and warm-up ...");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| failure(name, label, &format!("cannot start: {e}")))?;
        let stdin = child.stdin.take();
        let Some(stdout) = child.stdout.take().map(BufReader::new) else {
            return Err(failure(name, label, "no stdout"));
        };
        let mut c = Contender {
            label: label.to_owned(),
            child,
            stdin,
            stdout,
            warmup: (0, 0.0),
        };
        let line = c.read_line(name)?;
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v.get("ready").and_then(serde_json::Value::as_bool) != Some(true) {
            c.finish();
            return Err(line);
        }
        c.warmup = (
            v.get("warmup_executions")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
            v.get("warmup_seconds")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0),
        );
        Ok(c)
    }

    /// Times one round of ~`seconds`: its record line, or the failure line.
    pub fn round(&mut self, name: &str, seconds: f64) -> Result<String, String> {
        let sent = self
            .stdin
            .as_mut()
            .map(|s| writeln!(s, "round {seconds}").and_then(|()| s.flush()));
        if !matches!(sent, Some(Ok(()))) {
            return Err(failure(name, &self.label, "the process stopped reading"));
        }
        let line = self.read_line(name)?;
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v.get("error").is_some() || v.get("executions").is_none() {
            return Err(line);
        }
        Ok(line)
    }

    /// The next non-blank stdout line, or a failure record when the process ended.
    fn read_line(&mut self, name: &str) -> Result<String, String> {
        let mut line = String::new();
        loop {
            line.clear();
            match self.stdout.read_line(&mut line) {
                Ok(0) => {
                    let status = self.child.wait().map_or("?".into(), |s| s.to_string());
                    return Err(failure(
                        name,
                        &self.label,
                        &format!("the process ended without a result ({status})"),
                    ));
                }
                Ok(_) if line.trim().is_empty() => continue,
                Ok(_) => return Ok(line.trim().to_owned()),
                Err(e) => return Err(failure(name, &self.label, &format!("cannot read: {e}"))),
            }
        }
    }

    /// Closes its stdin (the end of the rounds) and waits for it to exit.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut self.stdout, &mut rest);
        let _ = self.child.wait();
    }
}

/// A failure record as both runners print them.
fn failure(name: &str, label: &str, error: &str) -> String {
    serde_json::json!({ "name": name, "engine": label, "error": error }).to_string()
}

/// The median of `v` (the mean of the middle two when even); `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// A figure over rounds: its median and its range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub rounds: usize,
}

impl Spread {
    pub fn of(v: &[f64]) -> Option<Spread> {
        let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        Some(Spread {
            median: median(&finite)?,
            min: finite.iter().copied().fold(f64::INFINITY, f64::min),
            max: finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            rounds: finite.len(),
        })
    }

    /// The per-round ratios `a[i] / b[i]` when both ran the same rounds, else `a / b` of the
    /// single figures given.
    pub fn ratio(a: (&[f64], f64), b: (&[f64], f64)) -> Option<Spread> {
        let ok = |x: f64, y: f64| x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0;
        if !a.0.is_empty() && a.0.len() == b.0.len() {
            let r: Vec<f64> = a.0.iter().zip(b.0).map(|(x, y)| x / y).collect();
            if a.0.iter().zip(b.0).all(|(x, y)| ok(*x, *y)) {
                return Spread::of(&r);
            }
            return None;
        }
        ok(a.1, b.1).then(|| Spread::of(&[a.1 / b.1]))?
    }

    /// The range relative to the median: `-4%..+6%`; `-` for a single round.
    pub fn range_percent(&self) -> String {
        if self.rounds < 2 || self.median <= 0.0 {
            return "-".into();
        }
        let pct = |x: f64| (x / self.median - 1.0) * 100.0;
        format!("{:+.0}%..{:+.0}%", pct(self.min), pct(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_spreads() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
        let s = Spread::of(&[100.0, 90.0, 120.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.rounds), (100.0, 90.0, 120.0, 3));
        assert_eq!(s.range_percent(), "-10%..+20%");
        assert_eq!(Spread::of(&[7.0]).unwrap().range_percent(), "-");
    }

    #[test]
    fn ratios_are_taken_per_round() {
        // Round 2 is slow on both sides: the per-round ratios stay at 10.
        let a = [100.0, 50.0, 110.0];
        let b = [10.0, 5.0, 11.0];
        let r = Spread::ratio((&a, 0.0), (&b, 0.0)).unwrap();
        assert_eq!((r.median, r.min, r.max), (10.0, 10.0, 10.0));
        // The median of the ratios (10, 2, 3), not the ratio of the medians (100 / 20).
        let a = [100.0, 100.0, 60.0];
        let b = [10.0, 50.0, 20.0];
        let r = Spread::ratio((&a, 0.0), (&b, 0.0)).unwrap();
        assert_eq!((r.median, r.min, r.max), (3.0, 2.0, 10.0));
        // No rounds on one side: the single figures.
        let r = Spread::ratio((&[], 30.0), (&b, 3.0)).unwrap();
        assert_eq!(r.median, 10.0);
        assert_eq!(Spread::ratio((&[], 1.0), (&[], 0.0)), None);
        assert_eq!(Spread::ratio((&[1.0], 1.0), (&[0.0], 1.0)), None);
    }

    #[test]
    fn drives_a_process_through_rounds() {
        // A stand-in runner in sh: ready, then one record per round command.
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            r#"echo '{"name":"w","ready":true,"warmup_executions":7,"warmup_seconds":0.5}'
               while read cmd s; do echo "{\"name\":\"w\",\"executions\":1,\"s\":$s}"; done
               echo '{"name":"w","rounds":2}'"#,
        ]);
        let mut c = Contender::start("fake", "w", cmd).unwrap();
        assert_eq!(c.warmup, (7, 0.5));
        assert_eq!(
            c.round("w", 0.25).unwrap(),
            r#"{"name":"w","executions":1,"s":0.25}"#
        );
        assert!(c.round("w", 1.0).unwrap().contains(r#""s":1"#));
        c.finish();

        // A runner that fails its check prints its failure instead of `ready`.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", r#"echo '{"name":"w","error":"wrong output"}'"#]);
        let err = Contender::start("fake", "w", cmd).err().unwrap();
        assert_eq!(err, r#"{"name":"w","error":"wrong output"}"#);

        // One that dies mid-way is a failure naming the engine.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", r#"echo '{"name":"w","ready":true}'; read x; exit 3"#]);
        let mut c = Contender::start("fake", "w", cmd).unwrap();
        let err = c.round("w", 0.1).unwrap_err();
        assert!(err.contains("ended without a result"), "{err}");
        assert!(err.contains(r#""engine":"fake""#), "{err}");
    }
}
