//! The per-request cost of the in-memory limits, with few and with many live entries: the reveal
//! limit's `check` with 10 and with 100,000 user buckets, and the failed-authentication limit's
//! lookup with 10 and with the full 1,024 tracked addresses. O(1) per request means the ratios
//! printed stay near 1 (what is left is the cache: 100,000 buckets do not fit in it).
//!
//! `cargo bench --bench ratelimit` (`-- --quick` for fewer rounds). Run on demand, not in CI:
//! timings are for reading, not asserting.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use vaultty::server::ratelimit::{AuthFailures, MAX_ADDRESSES, RevealLimiter};

mod common;
use common::Stats;

/// A fixed "now" inside one generation: the cost measured is the lookup, not a rotation.
const NOW: i64 = 1_800_000_000_000;
/// Calls per sample: one call is too short to time alone.
const BATCH: u32 = 1_000;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 200 } else { 2_000 };
    Stats::header();

    let few = reveal_case(10, rounds);
    let many = reveal_case(100_000, rounds);
    println!(
        "reveal check, 100,000 buckets against 10: {:.2}x (p50)",
        ratio(many.percentile(50.0), few.percentile(50.0))
    );

    let few = auth_case(10, rounds);
    let many = auth_case(MAX_ADDRESSES as u32, rounds);
    println!(
        "failed-auth lookup, {MAX_ADDRESSES} addresses against 10: {:.2}x (p50)",
        ratio(many.percentile(50.0), few.percentile(50.0))
    );
}

/// `check` over `users` live buckets, each call a different user in turn.
fn reveal_case(users: i64, rounds: usize) -> Stats {
    let limiter = RevealLimiter::new(u32::MAX);
    for user in 0..users {
        limiter.check(user, NOW).unwrap();
    }
    let mut next = 0;
    let stats = per_call(rounds, || {
        std::hint::black_box(limiter.check(next, NOW)).unwrap();
        next = (next + 7919) % users;
    });
    assert_eq!(
        limiter.buckets(),
        users as usize,
        "no bucket made or dropped while timing"
    );
    stats.print(&format!("reveal check, {users} live buckets (per call)"));
    stats
}

/// `retry_after` over `addresses` tracked addresses (the check a failed authentication makes).
fn auth_case(addresses: u32, rounds: usize) -> Stats {
    let failures = AuthFailures::new(1_000_000);
    let ip = |n: u32| Some(IpAddr::from((0x0a00_0000 + n).to_be_bytes()));
    for n in 0..addresses {
        failures.record(ip(n), None, NOW);
    }
    let mut next = 0;
    let stats = per_call(rounds, || {
        std::hint::black_box(failures.retry_after(ip(next), NOW));
        next = (next + 7919) % addresses;
    });
    stats.print(&format!("failed-auth lookup, {addresses} tracked addresses (per call)"));
    stats
}

/// Times `rounds` batches of `BATCH` calls; each sample is a batch's time divided by `BATCH`.
fn per_call(rounds: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..BATCH {
        f();
    }
    let started = Instant::now();
    let samples = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            t.elapsed() / BATCH
        })
        .collect();
    // Divided too, so that `per second` counts calls, not batches.
    Stats::new(samples, started.elapsed() / BATCH)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}
