//! Load driving shared by the read benchmarks (`tests/benches`): concurrent
//! loopback GETs for a fixed time, then req/s and latency percentiles.

use std::time::{Duration, Instant};

use crate::Server;

/// An integer knob from the environment.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one scenario measured.
pub struct Stats {
    pub requests: usize,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
}

impl Stats {
    /// The latency below which the fraction `p` of requests finished.
    pub fn pct(&self, p: f64) -> Duration {
        let n = self.latencies.len();
        self.latencies[((n as f64 * p) as usize).min(n - 1)]
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// `concurrency` clients GET `paths` (round robin, each from its own
/// offset) for `seconds`; every answer must be 200.
pub async fn drive(s: &Server, paths: &[String], seconds: u64, concurrency: usize) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = s.client.clone();
        let urls: Vec<String> = paths.iter().map(|p| s.api(p)).collect();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = worker;
            while Instant::now() < deadline {
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                let resp = client.get(url).send().await.expect("request");
                assert_eq!(resp.status().as_u16(), 200, "{url}");
                resp.bytes().await.expect("body");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("worker"));
    }
    latencies.sort();
    Stats {
        requests: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    }
}

/// Runs each `(name, paths)` scenario and prints a table row for it.
pub async fn report(s: &Server, scenarios: Vec<(&str, Vec<String>)>) {
    let seconds = env_or("BENCH_SECONDS", 10);
    let concurrency = env_or("BENCH_CONCURRENCY", 16) as usize;
    println!("{concurrency} concurrent clients, {seconds} s per scenario, loopback, same machine");
    println!(
        "{:<62} {:>9} {:>9} {:>9}",
        "scenario", "req/s", "p50", "p99"
    );
    for (name, paths) in scenarios {
        let st = drive(s, &paths, seconds, concurrency).await;
        println!(
            "{:<62} {:>9.0} {:>9.2?} {:>9.2?}",
            name,
            st.per_second(),
            st.pct(0.50),
            st.pct(0.99)
        );
    }
}
