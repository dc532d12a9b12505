//! Retry and Catch as Step Functions applies them: the first matching retrier or catcher wins,
//! each retrier counts its own attempts, delays grow by `BackoffRate` up to `MaxDelaySeconds`,
//! and FULL jitter draws uniformly below the computed delay.

use crate::error::names;
use std::time::Duration;
use stepfn_asl::{Catcher, JitterStrategy, Retrier};

/// True when an `ErrorEquals` list matches `error`.
///
/// `States.ALL` matches everything but `States.Runtime` and `States.DataLimitExceeded`;
/// `States.TaskFailed` matches everything but `States.Timeout` (and those two).
pub fn matches(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|e| {
        e == error
            || (e == names::ALL && !is_terminal(error))
            || (e == names::TASK_FAILED
                && !is_terminal(error)
                && error != names::TIMEOUT
                && error != names::HEARTBEAT_TIMEOUT)
            || (e == names::TIMEOUT && error == names::HEARTBEAT_TIMEOUT)
    })
}

/// Errors no retrier or catcher handles through `States.ALL`.
pub fn is_terminal(error: &str) -> bool {
    error == names::RUNTIME || error == names::DATA_LIMIT_EXCEEDED
}

/// The index of the first retrier whose `ErrorEquals` matches.
pub fn find_retrier(retry: &[Retrier], error: &str) -> Option<usize> {
    if error == names::RUNTIME {
        return None;
    }
    retry.iter().position(|r| matches(&r.error_equals, error))
}

/// The index of the first catcher whose `ErrorEquals` matches.
pub fn find_catcher(catch: &[Catcher], error: &str) -> Option<usize> {
    if error == names::RUNTIME {
        return None;
    }
    catch.iter().position(|c| matches(&c.error_equals, error))
}

/// The delay before the `n`-th retry (n = 1, 2, …) by `r`, before jitter.
pub fn base_delay(r: &Retrier, n: u64) -> Duration {
    let exp = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX);
    let mut secs = r.interval() as f64 * r.backoff().powi(exp);
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max as f64);
    }
    // A year bounds every wait in Step Functions; also keeps Duration::from_secs_f64 from panicking.
    let secs = if secs.is_finite() {
        secs.clamp(0.0, 31_622_400.0)
    } else {
        31_622_400.0
    };
    Duration::from_secs_f64(secs)
}

/// The delay before the `n`-th retry, with jitter applied; `unit` is a uniform draw in [0, 1).
pub fn delay(r: &Retrier, n: u64, unit: f64) -> Duration {
    let d = base_delay(r, n);
    match r.jitter_strategy {
        Some(JitterStrategy::Full) => d.mul_f64(unit.clamp(0.0, 1.0)),
        _ => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Number;

    fn retrier(
        interval: u64,
        rate: f64,
        max_delay: Option<u64>,
        jitter: Option<JitterStrategy>,
    ) -> Retrier {
        Retrier {
            error_equals: vec!["States.ALL".into()],
            interval_seconds: Some(interval),
            max_attempts: Some(5),
            backoff_rate: Number::from_f64(rate),
            max_delay_seconds: max_delay,
            jitter_strategy: jitter,
            comment: None,
        }
    }

    #[test]
    fn delay_sequence_without_cap() {
        let r = retrier(3, 1.5, None, None);
        let d: Vec<f64> = (1..=3).map(|n| base_delay(&r, n).as_secs_f64()).collect();
        assert_eq!(d, vec![3.0, 4.5, 6.75]);
    }

    #[test]
    fn delay_sequence_with_cap() {
        let r = retrier(1, 2.0, Some(5), None);
        let d: Vec<f64> = (1..=5).map(|n| base_delay(&r, n).as_secs_f64()).collect();
        assert_eq!(d, vec![1.0, 2.0, 4.0, 5.0, 5.0]);
    }

    #[test]
    fn full_jitter_stays_below_the_delay() {
        let r = retrier(10, 2.0, None, Some(JitterStrategy::Full));
        assert_eq!(delay(&r, 2, 0.0), Duration::ZERO);
        assert_eq!(delay(&r, 2, 0.5), Duration::from_secs(10));
        assert!(delay(&r, 2, 0.999_999) < Duration::from_secs(20));
        let none = retrier(10, 2.0, None, Some(JitterStrategy::None));
        assert_eq!(delay(&none, 2, 0.1), Duration::from_secs(20));
    }

    #[test]
    fn huge_backoff_does_not_panic() {
        let r = retrier(99_999_999, 1e300, None, None);
        assert_eq!(base_delay(&r, 1000), Duration::from_secs(31_622_400));
    }

    #[test]
    fn matching_rules() {
        let all = vec!["States.ALL".to_string()];
        assert!(matches(&all, "Custom.Boom"));
        assert!(!matches(&all, "States.Runtime"));
        assert!(!matches(&all, "States.DataLimitExceeded"));
        let tf = vec!["States.TaskFailed".to_string()];
        assert!(matches(&tf, "Lambda.Unknown"));
        assert!(!matches(&tf, "States.Timeout"));
        let to = vec!["States.Timeout".to_string()];
        assert!(matches(&to, "States.HeartbeatTimeout"));
        let explicit = vec!["States.DataLimitExceeded".to_string()];
        assert!(matches(&explicit, "States.DataLimitExceeded"));
    }
}
