//! Read throughput of the release API: fills 1,000 releases (with variants
//! and arches) through the real server, then drives concurrent loopback
//! GETs and prints req/s and latency percentiles.
//!
//!     cargo build --release --bins && cargo bench -p pdc-tests --bench releases
//!
//! Knobs: BENCH_SECONDS (per scenario, default 10), BENCH_CONCURRENCY (default 16).

use std::time::{Duration, Instant};

use pdc_tests::{Server, json};

const RELEASES: usize = 1000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn fill(s: &Server) {
    let t = Instant::now();
    let r = s
        .post("products/", json!({"name": "Bench", "short": "bench"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let versions: Vec<_> = (0..10)
        .map(|v| json!({"name": "Bench", "short": "bench", "version": v.to_string(), "product": "bench"}))
        .collect();
    assert_eq!(
        s.post("product-versions/", json!(versions)).await.status,
        201
    );
    for chunk in 0..RELEASES / 100 {
        let batch: Vec<_> = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                json!({
                    "name": "Bench", "short": "bench", "version": format!("{}.{}", n / 100, n % 100),
                    "release_type": "ga", "product_version": format!("bench-{}", n / 100),
                    "active": n % 7 != 0, "bugzilla": {"product": "Bench"}, "dist_git": {"branch": format!("b{n}")},
                })
            })
            .collect();
        let r = s.post("releases/", json!(batch)).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // Three variants with three arches each per release.
    s.sql(
        "INSERT INTO variant (release_pk, variant_id, variant_uid, variant_name, variant_type_pk)
         SELECT r.id, v, v, v, 1 FROM release r, unnest(ARRAY['Server','Client','Workstation']) v;
         INSERT INTO variant_arch (variant_pk, arch_pk)
         SELECT v.id, a.id FROM variant v, arch a WHERE a.name IN ('x86_64', 'ppc64le', 's390x');",
    );
    println!(
        "filled {RELEASES} releases with 3 variants x 3 arches in {:.1?}",
        t.elapsed()
    );
}

struct Stats {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn drive(s: &Server, paths: &[String], seconds: u64, concurrency: usize) -> Stats {
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

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let seconds = env_or("BENCH_SECONDS", 10);
    let concurrency = env_or("BENCH_CONCURRENCY", 16) as usize;
    let s = Server::start_with(&[("PDC_MAX_CONNECTIONS", "16")]).await;
    fill(&s).await;
    let scenarios: Vec<(&str, Vec<String>)> = vec![
        ("list releases/ (page of 20)", vec!["releases/".into()]),
        (
            "filtered list releases/?active=true&product_version=bench-N",
            (0..10)
                .map(|v| format!("releases/?active=true&product_version=bench-{v}"))
                .collect(),
        ),
        (
            "detail releases/bench-X.Y/",
            (0..RELEASES)
                .step_by(7)
                .map(|n| format!("releases/bench-{}.{}/", n / 100, n % 100))
                .collect(),
        ),
        (
            "list release-variants-like join: releases/?ordering=-release_id&page=7",
            vec!["releases/?ordering=-release_id&page=7".into()],
        ),
    ];
    println!("{concurrency} concurrent clients, {seconds} s per scenario, loopback, same machine");
    println!(
        "{:<62} {:>9} {:>9} {:>9}",
        "scenario", "req/s", "p50", "p99"
    );
    for (name, paths) in scenarios {
        let st = drive(&s, &paths, seconds, concurrency).await;
        println!(
            "{:<62} {:>9.0} {:>9.2?} {:>9.2?}",
            name,
            st.requests as f64 / st.elapsed.as_secs_f64(),
            pct(&st.latencies, 0.50),
            pct(&st.latencies, 0.99)
        );
    }
}
