//! Timing helpers shared by the benches: plain loops, percentiles, one line per case.

use std::path::Path;
use std::time::{Duration, Instant};

/// Latencies of one case, and the wall time they took together (for throughput).
pub struct Stats {
    samples: Vec<Duration>,
    wall: Duration,
}

impl Stats {
    pub fn new(mut samples: Vec<Duration>, wall: Duration) -> Stats {
        samples.sort_unstable();
        Stats { samples, wall }
    }

    pub fn header() {
        println!("{:<58} {:>10} {:>10} {:>12}", "case", "p50", "p99", "per second");
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.samples.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.samples.len() as f64 * p / 100.0).ceil() as usize).clamp(1, self.samples.len()) - 1;
        self.samples[i]
    }

    pub fn per_second(&self) -> f64 {
        self.samples.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    pub fn print(&self, case: &str) {
        println!(
            "{:<58} {:>10} {:>10} {:>12.0}",
            case,
            show(self.percentile(50.0)),
            show(self.percentile(99.0)),
            self.per_second()
        );
    }
}

/// `1.23 µs`, `4.56 ms`: three significant digits in the unit that fits.
pub fn show(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// Times `f` `iters` times, after a short warm-up.
#[allow(dead_code)]
pub fn time_each(iters: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..iters.min(100) {
        f();
    }
    let mut samples = Vec::with_capacity(iters);
    let started = Instant::now();
    for _ in 0..iters {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    Stats::new(samples, started.elapsed())
}

/// fsync after a 4 KiB append, `n` times, in `dir`: the floor under every durable commit.
#[allow(dead_code)]
pub fn fsync_latency(dir: &Path, n: usize) -> Stats {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("create the fsync probe");
    let block = [0x5au8; 4096];
    let mut samples = Vec::with_capacity(n);
    let started = Instant::now();
    for _ in 0..n {
        f.write_all(&block).expect("write the fsync probe");
        let t = Instant::now();
        f.sync_all().expect("fsync");
        samples.push(t.elapsed());
    }
    let _ = std::fs::remove_file(&path);
    Stats::new(samples, started.elapsed())
}

/// Whether a case runs: `BENCH_ONLY=substring` keeps the cases whose name contains it (for a
/// profile of one case).
#[allow(dead_code)]
pub fn wanted(case: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| case.contains(&only))
}
