//! Latency statistics: a log-linear histogram, percentiles, peak RSS.

use super::*;

/// Latency figures of the timed executions.
#[derive(Debug, PartialEq)]
pub(crate) struct Stats {
    pub(crate) executions: u64,
    pub(crate) total: Duration,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) mean_us: f64,
    pub(crate) min_us: f64,
    pub(crate) max_us: f64,
}

/// Sub-buckets per power of two in [`Latencies`]: a recorded latency is known to within
/// 1/128 (under 0.8 %); below 128 ns exactly.
pub(crate) const SUB_BITS: u32 = 7;
pub(crate) const SUB: u64 = 1 << SUB_BITS;
pub(crate) const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) << SUB_BITS;

/// A log-linear histogram of latencies in nanoseconds (~59 KB, whatever the number of
/// executions), so the harness's memory does not grow with the executions it times and
/// peak RSS stays the engine's. Sum, min and max are exact; percentiles are the midpoint
/// of the bucket holding the nearest-rank sample.
pub(crate) struct Latencies {
    pub(crate) counts: Vec<u64>,
    pub(crate) count: u64,
    pub(crate) total_ns: u128,
    pub(crate) min_ns: u64,
    pub(crate) max_ns: u64,
}

impl Latencies {
    pub(crate) fn new() -> Latencies {
        Latencies {
            counts: vec![0; BUCKETS],
            count: 0,
            total_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }

    pub(crate) fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket(ns)] += 1;
        self.count += 1;
        self.total_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Nearest-rank percentile, ns; 0 when nothing was recorded.
    pub(crate) fn percentile_ns(&self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil() as u64;
        let rank = rank.clamp(1, self.count);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = bucket_range(b);
                let mid = low as f64 + (width - 1) as f64 / 2.0;
                // The true sample lies in the bucket and within [min, max].
                return mid.clamp(self.min_ns as f64, self.max_ns as f64);
            }
        }
        self.max_ns as f64
    }

    /// Must have recorded at least one latency.
    pub(crate) fn stats(&self) -> Stats {
        let us = |ns: f64| ns / 1e3;
        Stats {
            executions: self.count,
            total: Duration::from_nanos(u64::try_from(self.total_ns).unwrap_or(u64::MAX)),
            p50_us: us(self.percentile_ns(50.0)),
            p99_us: us(self.percentile_ns(99.0)),
            mean_us: us(self.total_ns as f64 / self.count as f64),
            min_us: us(self.min_ns as f64),
            max_us: us(self.max_ns as f64),
        }
    }
}

/// The histogram bucket of `ns`.
pub(crate) fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let msb = 63 - ns.leading_zeros();
    let shift = msb - SUB_BITS;
    let mantissa = (ns >> shift) - SUB;
    (((shift + 1) as usize) << SUB_BITS) + mantissa as usize
}

/// The lowest value of bucket `b` and how many values it holds.
pub(crate) fn bucket_range(b: usize) -> (u64, u64) {
    if (b as u64) < SUB {
        return (b as u64, 1);
    }
    let shift = (b >> SUB_BITS) as u32 - 1;
    let mantissa = (b as u64 & (SUB - 1)) + SUB;
    (mantissa << shift, 1 << shift)
}

/// The process's peak resident set size (`VmHWM` in `/proc/self/status`); `None` where
/// that file does not exist (not Linux).
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

pub(crate) fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line["VmHWM:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}
