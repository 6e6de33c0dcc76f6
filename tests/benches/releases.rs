//! Read throughput of the release API: fills 1,000 releases (with variants
//! and arches) through the real server, then drives concurrent loopback
//! GETs and prints req/s and latency percentiles.
//!
//!     cargo build --release --bins && cargo bench -p pdc-tests --bench releases
//!
//! Knobs: BENCH_SECONDS (per scenario, default 10), BENCH_CONCURRENCY (default 16).

use std::time::Instant;

use pdc_tests::bench::report;
use pdc_tests::{Server, json};

const RELEASES: usize = 1000;

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
         SELECT v.id, a.id FROM variant v, arch a WHERE a.name IN ('x86_64', 'ppc64le', 's390x');
         ANALYZE;",
    );
    println!(
        "filled {RELEASES} releases with 3 variants x 3 arches in {:.1?}",
        t.elapsed()
    );
}

#[tokio::main]
async fn main() {
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
    report(&s, scenarios).await;
}
