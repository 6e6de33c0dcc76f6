//! Test harness: each [`Server`] is the real `pdc` binary serving a fresh
//! PostgreSQL database that is dropped afterwards.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub mod bench;
pub mod python;

pub use serde_json::{Value, json};

pub mod fixtures;

/// Where test databases are created (`PDC_TEST_DATABASE_URL`, without a database name).
pub fn admin_url() -> String {
    std::env::var("PDC_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The `pdc` binary next to the test executable (built by `cargo build`).
pub fn pdc_bin() -> PathBuf {
    if let Ok(p) = std::env::var("PDC_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("pdc");
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build --workspace --bins), or run scripts/test",
        bin.display()
    );
    bin
}

/// Repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

pub struct Server {
    child: Child,
    pub url: String,
    pub database: String,
    pub database_url: String,
    /// Token of the superuser `admin`.
    pub token: String,
    pub client: reqwest::Client,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Runs `sql` against `database_url` and returns its first value (psql -At).
fn psql(database_url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .arg(database_url)
        .args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `pdc ARGS` against `database_url`.
fn run_pdc(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(pdc_bin())
        .args(args)
        .env("PDC_DATABASE_URL", database_url)
        .env("PDC_LOG", "warn")
        .output()
        .expect("pdc runs")
}

/// Runs `pdc ARGS` against `database_url`, asserts success and returns
/// its trimmed stdout.
fn run_pdc_ok(database_url: &str, args: &[&str]) -> String {
    let out = run_pdc(database_url, args);
    assert!(
        out.status.success(),
        "pdc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Server {
    /// Starts a server on a fresh database with extra environment variables.
    pub async fn start_with(env: &[(&str, &str)]) -> Server {
        let database = format!("pdc_test_{}", uuid::Uuid::new_v4().simple());
        let database_url = format!("{}/{database}", admin_url());
        let mut cmd = Command::new(pdc_bin());
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("PDC_DATABASE_URL", &database_url)
            .env("PDC_LOG", "warn,pdc=info")
            .env("PDC_MAX_CONNECTIONS", "5")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("pdc starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(i) = line.find("serving http://") {
                    let rest = &line[i + "serving ".len()..];
                    let url = rest.split("/rest_api").next().unwrap_or("").to_string();
                    let _ = tx.send(Ok(url));
                    sent = true;
                } else if !sent && line.contains("pdc:") {
                    let _ = tx.send(Err(line.clone()));
                }
                if std::env::var_os("PDC_TEST_SERVER_LOG").is_some() {
                    eprintln!("[pdc] {line}");
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(url)) => url,
            Ok(Err(line)) => panic!("pdc failed to start: {line}"),
            Err(_) => panic!("pdc did not start in time"),
        };
        let token = run_pdc_ok(
            &database_url,
            &[
                "token",
                "create",
                "--user",
                "admin",
                "--superuser",
                "--email",
                "admin@example.com",
            ],
        );
        Server {
            child,
            url,
            database,
            database_url,
            token,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    pub async fn start() -> Server {
        Self::start_with(&[]).await
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs SQL against this server's database (fixtures PDC has no API for).
    pub fn sql(&self, sql: &str) {
        self.sql_value(sql);
    }

    /// Gives `admin` and a plain user `alice` the fixed tokens the recorded
    /// scenarios use (`...0001` and `...0002`).
    pub fn fixed_tokens(&mut self) {
        for (user, key, superuser) in [
            ("admin", "0000000000000000000000000000000000000001", true),
            ("alice", "0000000000000000000000000000000000000002", false),
        ] {
            let mut args = vec!["token", "create", "--user", user, "--key", key];
            if superuser {
                args.push("--superuser");
            }
            run_pdc_ok(&self.database_url, &args);
        }
        self.token = "0000000000000000000000000000000000000001".into();
    }

    /// The first column of the first row of `sql` against this server's database.
    pub fn sql_value(&self, sql: &str) -> String {
        psql(&self.database_url, sql)
    }

    /// Creates a (non-superuser) user and returns its token.
    pub fn user_token(&self, user: &str, groups: &[&str]) -> String {
        let mut args = vec!["token", "create", "--user", user];
        for g in groups {
            args.extend(["--group", g]);
        }
        run_pdc_ok(&self.database_url, &args)
    }

    /// Runs `pdc ARGS` against this server's database.
    pub fn pdc(&self, args: &[&str]) -> std::process::Output {
        run_pdc(&self.database_url, args)
    }

    /// Absolute URL of an API path (`arches/` -> `http://.../rest_api/v1/arches/`).
    pub fn api(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.url)
        } else {
            format!("{}/rest_api/v1/{path}", self.url)
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, self.api(path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.expect("request sent");
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None, None, &[]).await
    }
    /// A write as the superuser.
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(&body), Some(&self.token.clone()), &[])
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send("PUT", path, Some(&body), Some(&self.token.clone()), &[])
            .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send("PATCH", path, Some(&body), Some(&self.token.clone()), &[])
            .await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, None, Some(&self.token.clone()), &[])
            .await
    }
    pub async fn delete_body(&self, path: &str, body: Value) -> Resp {
        self.send("DELETE", path, Some(&body), Some(&self.token.clone()), &[])
            .await
    }

    /// Number of changesets recorded so far.
    pub async fn changeset_count(&self) -> i64 {
        self.get("changesets/?page_size=1").await.json()["count"]
            .as_i64()
            .expect("count")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        psql(
            &format!("{}/postgres", admin_url()),
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.database),
        );
    }
}

/// Asserts status and JSON body together, showing both on failure.
#[macro_export]
macro_rules! assert_resp {
    ($resp:expr, $status:expr, $body:expr) => {{
        let r = &$resp;
        let expected: $crate::Value = $body;
        assert_eq!(
            (r.status, r.json()),
            ($status, expected),
            "response text: {}",
            r.text
        );
    }};
}
