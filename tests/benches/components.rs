//! Lookup throughput on a large component catalogue: 100,000 global
//! components, 300,000 release components (each global component in 3 of
//! 30 releases) and 50,000 people, filled with set-based SQL, then
//! concurrent loopback GETs of the filters clients use to find one object.
//!
//!     cargo build --release --bins && cargo bench -p pdc-tests --bench components
//!
//! Knobs: BENCH_SECONDS (per scenario, default 10), BENCH_CONCURRENCY (default 16).

use std::time::Instant;

use pdc_tests::bench::report;
use pdc_tests::{Server, json};

const GLOBAL: usize = 100_000;
const RELEASES: usize = 30;
const PER_COMPONENT: usize = 3;
const PEOPLE: usize = 50_000;

async fn fill(s: &Server) {
    let t = Instant::now();
    let releases: Vec<_> = (0..RELEASES)
        .map(|n| json!({"name": "Bench", "short": "bench", "version": n.to_string(), "release_type": "ga"}))
        .collect();
    let r = s.post("releases/", json!(releases)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.sql(&format!(
        "INSERT INTO global_component (name) SELECT 'pkg-' || g FROM generate_series(1, {GLOBAL}) g;
         INSERT INTO release_component (release_pk, global_component_pk, name)
           SELECT r.id, g.id, g.name
           FROM global_component g
           JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM release) r
             ON r.n IN (g.id % {RELEASES}, (g.id + 10) % {RELEASES}, (g.id + 20) % {RELEASES});
         WITH c AS (INSERT INTO contact (kind) SELECT 'person' FROM generate_series(1, {PEOPLE}) RETURNING id)
         INSERT INTO person (contact_pk, username, email)
           SELECT id, 'user' || id, 'user' || id || '@example.com' FROM c;
         ANALYZE;"
    ));
    let count = s.sql_value("SELECT count(*) FROM release_component");
    assert_eq!(count, (GLOBAL * PER_COMPONENT).to_string());
    println!(
        "filled {GLOBAL} global components, {count} release components, {PEOPLE} people in {:.1?}",
        t.elapsed()
    );
}

#[tokio::main]
async fn main() {
    let s = Server::start_with(&[("PDC_MAX_CONNECTIONS", "16")]).await;
    fill(&s).await;
    // Spread over the whole catalogue (primes keep the picks apart).
    let picks = |n: usize| (0..1000).map(move |i| 1 + (i * 7919) % n);
    let first_person: usize = s
        .sql_value("SELECT min(contact_pk) FROM person")
        .parse()
        .expect("person id");
    let scenarios: Vec<(&str, Vec<String>)> = vec![
        (
            "global-components/?name=pkg-N",
            picks(GLOBAL)
                .map(|g| format!("global-components/?name=pkg-{g}"))
                .collect(),
        ),
        (
            "release-components/?release=bench-R&global_component=pkg-N",
            picks(GLOBAL)
                .map(|g| {
                    format!(
                        "release-components/?release=bench-{}&global_component=pkg-{g}",
                        g % RELEASES
                    )
                })
                .collect(),
        ),
        (
            "contacts/people/?username=userN",
            picks(PEOPLE)
                .map(|p| format!("contacts/people/?username=user{}", first_person + p - 1))
                .collect(),
        ),
    ];
    report(&s, scenarios).await;
}
