//! What a child does with its engine after the untimed checking run: one timed run, rounds on
//! demand, or a fixed number of untimed executions for instruction counting.

use std::io::BufRead;

/// What to do after the checking run.
pub enum Plan<'a> {
    /// One timed run of about this many seconds; its record is the result.
    Once(f64),
    /// Warm up for `warmup` seconds (untimed; reported on the `ready` line), then time one round
    /// per `round SECONDS` line read from `commands`, printing each round's record, until end
    /// of input.
    Rounds {
        warmup: f64,
        commands: &'a mut dyn BufRead,
    },
    /// Make `executions` inputs, then (when `run`) execute them one after another, untimed and
    /// unchecked: what `valgrind --tool=callgrind` counts. Running it with `run` false too
    /// gives the count to subtract (start-up, loading, the checking run, the inputs).
    Count { executions: u64, run: bool },
}

/// The next round's length in seconds from `commands` (`round SECONDS`), `None` at end of
/// input or on a blank line.
pub fn next_round(commands: &mut dyn BufRead) -> Result<Option<f64>, String> {
    let mut line = String::new();
    commands
        .read_line(&mut line)
        .map_err(|e| format!("cannot read a round command: {e}"))?;
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    line.strip_prefix("round ")
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Some)
        .ok_or_else(|| format!("bad round command {line:?} (want `round SECONDS`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_round_commands_until_the_end() {
        let mut input: &[u8] = b"round 0.5\nround 2\n\nround 1\n";
        assert_eq!(next_round(&mut input), Ok(Some(0.5)));
        assert_eq!(next_round(&mut input), Ok(Some(2.0)));
        assert_eq!(next_round(&mut input), Ok(None), "a blank line ends");
        let mut empty: &[u8] = b"";
        assert_eq!(next_round(&mut empty), Ok(None));
        for bad in ["run 1\n", "round x\n", "round -1\n", "round\n"] {
            let mut input = bad.as_bytes();
            let err = next_round(&mut input).unwrap_err();
            assert!(err.contains("bad round command"), "{bad}: {err}");
        }
    }
}
