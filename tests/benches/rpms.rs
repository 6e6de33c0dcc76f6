//! Read throughput of `rpms/` over a million RPMs: stores 1,000,000 RPMs
//! (50,000 SRPMs of 20 binary packages each, bulk SQL) in the real
//! server's database, then drives concurrent loopback GETs of the lookups
//! clients make (by SRPM name, by name regex, detail) and prints req/s and
//! latency percentiles.
//!
//!     cargo build --release --bins && cargo bench -p pdc-tests --bench rpms
//!
//! Knobs: BENCH_SECONDS (per scenario, default 10), BENCH_CONCURRENCY
//! (default 16), BENCH_RPMS (default 1000000).

use std::time::Instant;

use pdc_tests::Server;
use pdc_tests::bench::{env_or, report};

const PER_SRPM: u64 = 20;

fn fill(s: &Server, rpms: u64) {
    let t = Instant::now();
    // pkgN-subM, version 1.x, 1.fcY; every 10th RPM has two dependencies.
    s.sql(&format!(
        "INSERT INTO rpm (name, epoch, version, release, arch, srpm_name, srpm_nevra, filename)
         SELECT 'pkg' || (i / {PER_SRPM}) || '-sub' || (i % {PER_SRPM}), 0, '1.' || (i % 7),
                '1.fc' || (i % 30), 'x86_64', 'pkg' || (i / {PER_SRPM}),
                'pkg' || (i / {PER_SRPM}) || '-0:1.' || (i % 7) || '-1.fc' || (i % 30) || '.src',
                'pkg' || (i / {PER_SRPM}) || '-sub' || (i % {PER_SRPM}) || '.rpm'
         FROM generate_series(0, {rpms} - 1) i;
         INSERT INTO rpm_dependency (rpm_pk, type, name, comparison, version)
         SELECT id, t, 'lib' || (id % 1000), '>=', '1.' || (id % 5)
         FROM rpm, (VALUES (1::smallint), (2::smallint)) AS d(t) WHERE id % 10 = 0;
         ANALYZE rpm; ANALYZE rpm_dependency;"
    ));
    println!("stored {rpms} RPMs in {:.1?}", t.elapsed());
}

#[tokio::main]
async fn main() {
    let rpms = env_or("BENCH_RPMS", 1_000_000);
    let srpms = rpms / PER_SRPM;
    let s = Server::start_with(&[("PDC_MAX_CONNECTIONS", "16")]).await;
    fill(&s, rpms);
    let spread = |n: u64| (0..n).map(move |i| i * 7919 % srpms);
    let scenarios: Vec<(&str, Vec<String>)> = vec![
        (
            "rpms/?srpm_name=pkgN (20 RPMs each)",
            spread(500)
                .map(|n| format!("rpms/?srpm_name=pkg{n}"))
                .collect(),
        ),
        (
            "rpms/?name=pkgN-subM (regex search, 1-11 RPMs)",
            spread(500)
                .map(|n| format!("rpms/?name=pkg{n}-sub{}", n % PER_SRPM))
                .collect(),
        ),
        (
            "rpms/?name=^pkgN-subM$ (exact name)",
            spread(500)
                .map(|n| format!("rpms/?name=%5Epkg{n}-sub{}%24", n % PER_SRPM))
                .collect(),
        ),
        (
            "rpms/{id}/",
            spread(500)
                .map(|n| format!("rpms/{}/", n * PER_SRPM + 1))
                .collect(),
        ),
        (
            "rpms/?requires=libN>=1.2 (dependency filter)",
            (0..50)
                .map(|n| format!("rpms/?requires=lib{}%3E%3D1.2", n * 17 % 1000))
                .collect(),
        ),
    ];
    report(&s, scenarios).await;
}
