//! The API docs page in a real browser: headless Chromium loads `/rest_api/docs/` with
//! every host but loopback unresolvable, runs the vendored Swagger UI and renders one
//! operation block per operation of the served OpenAPI document.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pdc_tests::Server;
use pdc_tests::python::TempDir;

/// `PDC_TEST_CHROMIUM`, else `chromium` / `chromium-browser` on PATH. Panics if none:
/// the test must not pass without a browser.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("PDC_TEST_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "chromium not found on PATH: install it (Debian: apt-get install chromium; .ci/run does) \
         or set PDC_TEST_CHROMIUM"
    );
}

/// The DOM after the page's scripts ran (`--dump-dom`).
fn rendered_dom(url: &str) -> String {
    let profile = TempDir::new("chromium");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Nothing but loopback resolves: a page that needs a CDN renders nothing.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .env("HOME", profile.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes while waiting: the DOM is larger than a pipe buffer.
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let dom = stdout.join().expect("stdout reader");
    let err = stderr.join().expect("stderr reader");
    assert!(
        status.success() && !dom.is_empty(),
        "chromium failed ({status}): {err}"
    );
    dom
}

/// Text between `start` and the next `end` in `s`.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

/// (method, path, element id) of every Swagger UI operation block.
fn opblocks(dom: &str) -> Vec<(String, String, String)> {
    dom.split("<div class=\"opblock opblock-")
        .skip(1)
        .map(|block| {
            // The block's own summary comes first; stop at the next block anyway.
            let method = between(block, "opblock-summary-method\">", "<").unwrap_or("");
            let path = between(block, "data-path=\"", "\"").unwrap_or("");
            let id = between(block, "id=\"", "\"").unwrap_or("");
            (method.to_string(), path.to_string(), id.to_string())
        })
        .collect()
}

#[tokio::test]
async fn docs_page_renders_every_operation_offline() {
    let s = Server::start().await;
    let dom = rendered_dom(&format!("{}/rest_api/docs/", s.url));

    let blocks = opblocks(&dom);
    for op in [("GET", "arches_list"), ("POST", "arches_create")] {
        assert!(
            blocks.iter().any(|(m, p, id)| m == op.0
                && p == "/rest_api/v1/arches/"
                && id == &format!("operations-arches-{}", op.1)),
            "no {op:?} block for /rest_api/v1/arches/ in {blocks:?}\n{dom}"
        );
    }
    assert!(dom.contains("Product Definition Center"), "{dom}");

    // One block per operation of the served document, each with its own id.
    let spec = s.get("/rest_api/openapi.json").await.json();
    let mut want = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            want.insert((method.to_uppercase(), path.clone()));
        }
    }
    let got: BTreeSet<(String, String)> = blocks
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(got, want, "rendered operations differ from the document");
    assert_eq!(blocks.len(), want.len(), "duplicate blocks: {blocks:?}");
    let ids: BTreeSet<&String> = blocks.iter().map(|(_, _, id)| id).collect();
    assert_eq!(ids.len(), blocks.len(), "operation ids repeat: {blocks:?}");

    // Everything the page loaded came from the server itself.
    for attr in ["src=\"http", "href=\"http"] {
        for (i, _) in dom.match_indices(attr) {
            let rest = &dom[i + attr.len() - 4..];
            assert!(
                rest.starts_with(&s.url),
                "external reference: {}",
                &rest[..rest.len().min(120)]
            );
        }
    }
}
