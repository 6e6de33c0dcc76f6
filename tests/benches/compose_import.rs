//! Compose import throughput and memory: the 89,198-entry Fedora-24 RPM
//! manifest and a generated 1,000,000-entry one, through the API (streamed
//! request body) and through `pdc import-compose`; prints entries/s and
//! peak RSS. Then read throughput of RPM queries with those RPMs stored.
//!
//!     cargo build --release --bins && cargo bench -p pdc-tests --bench compose_import
//!
//! Knobs: BENCH_ENTRIES (generated manifest size, default 1000000),
//! BENCH_SECONDS and BENCH_CONCURRENCY for the read part.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt, stream};
use pdc_tests::bench::report as drive;
use pdc_tests::{Server, json, pdc_bin};
use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/compose/Fedora-24-20151130.n.2/compose/metadata"
);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident set size of a process (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Resets the peak RSS counter (Linux: write 5 to clear_refs).
fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// Writes a synthetic compose (3 variants x 4 arches) with about `entries`
/// RPM manifest entries into `dir`; returns the exact number of entries.
/// Each SRPM has its source, two arch packages and a noarch package that
/// every arch of the variant shares, so RPMs repeat across trees as in
/// real composes.
fn generate(dir: &Path, compose_id: &str, respin: u32, entries: usize) -> usize {
    let meta = dir.join("compose/metadata");
    std::fs::create_dir_all(&meta).unwrap();
    let variants = ["Server", "Client", "Everything"];
    let arches = ["x86_64", "aarch64", "ppc64le", "s390x"];
    let mut vs = serde_json::Map::new();
    for v in variants {
        let packages: serde_json::Map<String, Value> = arches
            .iter()
            .map(|a| (a.to_string(), json!(format!("{v}/{a}/os/Packages"))))
            .collect();
        vs.insert(
            v.into(),
            json!({"id": v, "uid": v, "name": v, "type": "variant", "arches": arches,
                   "paths": {"packages": packages}}),
        );
    }
    let compose =
        json!({"id": compose_id, "date": "20251125", "type": "nightly", "respin": respin});
    let ci = json!({"header": {"type": "productmd.composeinfo", "version": "1.2"},
                    "payload": {"compose": compose,
                                "release": {"name": "Bench", "short": "bench", "version": "1", "type": "ga",
                                            "is_layered": false, "internal": false},
                                "variants": vs}});
    std::fs::write(meta.join("composeinfo.json"), ci.to_string()).unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(meta.join("rpms.json")).unwrap());
    write!(
        out,
        "{{\"header\":{{\"type\":\"productmd.rpms\",\"version\":\"1.2\"}},\"payload\":{{\"compose\":{compose},\"rpms\":{{"
    )
    .unwrap();
    let srpms = entries / (variants.len() * arches.len() * 4);
    for (vi, v) in variants.iter().enumerate() {
        write!(out, "{}\"{v}\":{{", if vi > 0 { "," } else { "" }).unwrap();
        for (ai, a) in arches.iter().enumerate() {
            write!(out, "{}\"{a}\":{{", if ai > 0 { "," } else { "" }).unwrap();
            for s in 0..srpms {
                let src = format!("pkg{s}-0:1.{s}-1.fc42.src");
                write!(out, "{}\"{src}\":{{", if s > 0 { "," } else { "" }).unwrap();
                let rpms = [
                    (
                        src.clone(),
                        "source",
                        format!("{v}/source/tree/Packages/p/pkg{s}-1.{s}-1.fc42.src.rpm"),
                    ),
                    (
                        format!("pkg{s}-0:1.{s}-1.fc42.{a}"),
                        "binary",
                        format!("{v}/{a}/os/Packages/p/pkg{s}-1.{s}-1.fc42.{a}.rpm"),
                    ),
                    (
                        format!("pkg{s}-libs-0:1.{s}-1.fc42.{a}"),
                        "binary",
                        format!("{v}/{a}/os/Packages/p/pkg{s}-libs-1.{s}-1.fc42.{a}.rpm"),
                    ),
                    (
                        format!("pkg{s}-doc-0:1.{s}-1.fc42.noarch"),
                        "binary",
                        format!("{v}/{a}/os/Packages/p/pkg{s}-doc-1.{s}-1.fc42.noarch.rpm"),
                    ),
                ];
                for (i, (nevra, cat, path)) in rpms.iter().enumerate() {
                    write!(
                        out,
                        "{}\"{nevra}\":{{\"category\":\"{cat}\",\"path\":\"{path}\",\"sigkey\":\"a15b79cc\"}}",
                        if i > 0 { "," } else { "" }
                    )
                    .unwrap();
                }
                write!(out, "}}").unwrap();
            }
            write!(out, "}}").unwrap();
        }
        write!(out, "}}").unwrap();
    }
    write!(out, "}}}}}}").unwrap();
    out.flush().unwrap();
    srpms * 4 * variants.len() * arches.len()
}

/// POSTs `{"release_id", "composeinfo", "rpm_manifest"}` with the manifest
/// streamed from disk; returns the answer and the elapsed time.
async fn api_import(s: &Server, release: &str, meta: &Path) -> (Value, Duration) {
    let ci = std::fs::read_to_string(meta.join("composeinfo.json")).unwrap();
    let head = format!("{{\"release_id\":\"{release}\",\"composeinfo\":{ci},\"rpm_manifest\":");
    let file = tokio::fs::File::open(meta.join("rpms.json")).await.unwrap();
    let manifest = file_stream(file);
    let body = chain(head.into_bytes(), manifest, b"}".to_vec());
    let started = Instant::now();
    let resp = s
        .client
        .post(s.api("compose-rpms/"))
        .header("Authorization", format!("Token {}", s.token))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("import request");
    let status = resp.status();
    let answer: Value = resp.json().await.expect("JSON answer");
    assert_eq!(status.as_u16(), 201, "{answer}");
    (answer, started.elapsed())
}

/// The file as a stream of 256 KiB chunks.
fn file_stream(file: tokio::fs::File) -> impl Stream<Item = std::io::Result<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    {
        futures::stream::unfold(file, |mut f| async move {
            let mut buf = vec![0u8; 256 * 1024];
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(buf), f))
                }
                Err(e) => Some((Err(e), f)),
            }
        })
    }
}

/// `head`, then `middle`, then `tail`.
fn chain(
    head: Vec<u8>,
    middle: impl Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
    tail: Vec<u8>,
) -> impl Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
    stream::once(async move { Ok(head) })
        .chain(middle)
        .chain(stream::once(async move { Ok(tail) }))
}

fn report(what: &str, entries: usize, elapsed: Duration, rss: f64) {
    println!(
        "{what:<46} {entries:>9} entries {:>7.2} s {:>9.0} entries/s  peak RSS {rss:>6.1} MiB",
        elapsed.as_secs_f64(),
        entries as f64 / elapsed.as_secs_f64()
    );
}

async fn cli_import(s: &Server, dir: &Path) -> (Duration, f64) {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg(pdc_bin())
        .arg("import-compose")
        .arg(dir)
        .env("PDC_DATABASE_URL", &s.database_url)
        .env("PDC_LOG", "warn")
        .output()
        .expect("pdc import-compose runs (needs /usr/bin/time)");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let max_kb: f64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0.0);
    (elapsed, max_kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let entries = env_or("BENCH_ENTRIES", 1_000_000) as usize;
    let s = Server::start().await;
    let pid = s.pid();
    assert_eq!(
        s.post("arches/", json!({"name": "armhfp"})).await.status,
        201
    );
    let fixture = Path::new(FIXTURE);
    let ci: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("composeinfo.json")).unwrap())
            .unwrap();
    assert_eq!(
        s.post("rpc/release/import-from-composeinfo/", ci)
            .await
            .status,
        201
    );

    println!("compose import, loopback, same machine (server and PostgreSQL share the 2 cores)");
    reset_peak(pid);
    let (answer, elapsed) = api_import(&s, "fedora-24", fixture).await;
    let n = answer["imported rpms"].as_u64().unwrap() as usize;
    report(
        "API  Fedora-24-20151130.n.2 rpms.json",
        n,
        elapsed,
        peak_rss_mib(pid),
    );
    reset_peak(pid);
    let (_, elapsed) = api_import(&s, "fedora-24", fixture).await;
    report(
        "API  same manifest again (nothing new)",
        n,
        elapsed,
        peak_rss_mib(pid),
    );

    let tmp = std::env::temp_dir().join(format!("pdc-bench-{}", std::process::id()));
    let api_dir = tmp.join("api");
    let cli_dir = tmp.join("cli");
    let t = Instant::now();
    let generated = generate(&api_dir, "Bench-1-20251125.n.0", 0, entries);
    generate(&cli_dir, "Bench-1-20251125.n.1", 1, entries);
    println!(
        "(generated 2 manifests of {generated} entries, {:.0} MiB each, in {:.1?})",
        std::fs::metadata(api_dir.join("compose/metadata/rpms.json"))
            .unwrap()
            .len() as f64
            / 1048576.0,
        t.elapsed()
    );
    let bench_ci: Value = serde_json::from_str(
        &std::fs::read_to_string(api_dir.join("compose/metadata/composeinfo.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        s.post("rpc/release/import-from-composeinfo/", bench_ci)
            .await
            .status,
        201
    );
    reset_peak(pid);
    let (answer, elapsed) = api_import(&s, "bench-1", &api_dir.join("compose/metadata")).await;
    assert_eq!(
        answer["imported rpms"].as_u64().unwrap() as usize,
        generated
    );
    report(
        "API  generated manifest",
        generated,
        elapsed,
        peak_rss_mib(pid),
    );
    let (elapsed, rss) = cli_import(&s, &cli_dir).await;
    report(
        "CLI  pdc import-compose, generated manifest",
        generated,
        elapsed,
        rss,
    );
    let _ = std::fs::remove_dir_all(&tmp);

    // Reads over what was imported: about 1.1M RPMs in three composes.
    let srpms = generated / 48;
    let spread = |n: usize| (0..n).map(move |i| i * 7919 % srpms);
    drive(
        &s,
        vec![
            (
                "composes/{id}/rpm-mapping/pkgN/ (1M-entry compose)",
                spread(200)
                    .map(|n| format!("composes/Bench-1-20251125.n.0/rpm-mapping/pkg{n}/"))
                    .collect(),
            ),
            (
                "rpms/?srpm_name=pkgN",
                spread(200)
                    .map(|n| format!("rpms/?srpm_name=pkg{n}"))
                    .collect(),
            ),
        ],
    )
    .await;
}
