//! The Python tools of the test venv (`scripts/python-env` builds it): pdc-client's
//! library and `pdc` CLI, and schemathesis. Everything here runs the real
//! programs as subprocesses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Server, Value, repo_root};

/// The venv: `PDC_TEST_VENV` (set by scripts/test) or `.venv` at the repository root.
/// Panics with what to run when it is missing: these tests never skip silently.
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("PDC_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    assert!(
        dir.join("bin/python").exists(),
        "no Python test venv at {}: run scripts/python-env (scripts/test does) or set PDC_TEST_VENV",
        dir.display()
    );
    dir
}

/// A program installed in the venv (`pdc`, `schemathesis`, `python`).
pub fn venv_bin(name: &str) -> PathBuf {
    let bin = venv().join("bin").join(name);
    assert!(
        bin.exists(),
        "{} is missing: the venv is incomplete, rerun scripts/python-env",
        bin.display()
    );
    bin
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("pdc-{tag}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server the client tests talk to: our `pdc` on a fresh database, or, when
/// `PDC_TEST_REFERENCE_URL` is set (with `PDC_TEST_REFERENCE_TOKEN`, a superuser's
/// token), an original PDC. The reference mode exists to record and re-check the
/// expected client output against the original (tests/python/README.md); it
/// expects a freshly migrated database with a group `releng`.
pub struct Target {
    /// Scheme, host and port, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// A superuser's token.
    pub token: String,
    pub server: Option<Server>,
}

impl Target {
    pub async fn start() -> Target {
        if let Ok(url) = std::env::var("PDC_TEST_REFERENCE_URL") {
            let token = std::env::var("PDC_TEST_REFERENCE_TOKEN")
                .expect("PDC_TEST_REFERENCE_TOKEN must go with PDC_TEST_REFERENCE_URL");
            return Target {
                url: url.trim_end_matches('/').to_string(),
                token,
                server: None,
            };
        }
        let server = Server::start().await;
        Target {
            url: server.url.clone(),
            token: server.token.clone(),
            server: Some(server),
        }
    }

    /// Makes sure group `name` exists (reference mode: it must already).
    pub fn ensure_group(&self, name: &str) {
        if let Some(s) = &self.server {
            s.user_token(&format!("member-of-{name}"), &[name]);
        }
    }
}

/// One run of the `pdc` CLI.
#[derive(Debug)]
pub struct CliRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// pdc-client configured as its users configure it: a `HOME` of its own whose
/// `~/.config/pdc/client_config.json` maps the server alias `test` to
/// `{"host": "<url>/rest_api/v1/", "token": ..., "ssl-verify": false, "develop": false}`.
/// `develop: false` with a token means: send `Authorization: Token <token>` (Kerberos
/// is only tried if the server asks for `Negotiate`, which it never does).
pub struct PdcClient {
    home: TempDir,
    pub alias: String,
    pub url: String,
}

impl PdcClient {
    pub fn new(url: &str, token: &str) -> PdcClient {
        let home = TempDir::new("client-home");
        let dir = home.path().join(".config/pdc");
        std::fs::create_dir_all(&dir).expect("config dir");
        let config = serde_json::json!({
            "test": {
                "host": format!("{url}/rest_api/v1/"),
                "token": token,
                "ssl-verify": false,
                "develop": false,
            }
        });
        std::fs::write(
            dir.join("client_config.json"),
            serde_json::to_string_pretty(&config).expect("json"),
        )
        .expect("write client_config.json");
        PdcClient {
            home,
            alias: "test".into(),
            url: url.to_string(),
        }
    }

    pub fn for_target(t: &Target) -> PdcClient {
        PdcClient::new(&t.url, &t.token)
    }

    /// Puts a file into the client's home, the working directory of its runs
    /// (for commands that read files, e.g. `compose-full-import create`).
    pub fn put_file(&self, name: &str, contents: &[u8]) {
        std::fs::write(self.home.path().join(name), contents).expect("write client file");
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("HOME", self.home.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("PDC_CLIENT_PLUGIN_PATH")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .current_dir(self.home.path());
        cmd
    }

    /// `pdc -s test ARGS...`; the server's URL in the output becomes `{server}`.
    pub fn cli(&self, args: &[&str]) -> CliRun {
        let out = self
            .command(&venv_bin("pdc"))
            .arg("-s")
            .arg(&self.alias)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("pdc runs");
        CliRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).replace(&self.url, "{server}"),
            stderr: String::from_utf8_lossy(&out.stderr).replace(&self.url, "{server}"),
        }
    }

    /// Runs a Python snippet with `client = PDCClient("test")` (tests/python/pdc_lib.py
    /// says what else it sees) and returns the list of values it `emit`ted, with the
    /// server's URL written as `{server}`. Panics if the snippet fails.
    pub fn lib(&self, snippet: &str) -> Value {
        let driver = repo_root().join("tests/python/pdc_lib.py");
        let mut child = self
            .command(&venv_bin("python"))
            .arg(&driver)
            .arg(&self.alias)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(snippet.as_bytes())
            .expect("snippet written");
        let out = child.wait_with_output().expect("python finishes");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "pdc-client snippet failed ({}):\n{snippet}\n--- stderr:\n{stderr}--- stdout:\n{stdout}",
            out.status
        );
        serde_json::from_str(&stdout.replace(&self.url, "{server}"))
            .unwrap_or_else(|e| panic!("driver output is not JSON ({e}): {stdout}"))
    }

    /// Runs every command of a transcript file (tests/python/README.md describes
    /// the format) and compares the whole rendered transcript with the file.
    /// With `PDC_TEST_BLESS=1` the file is rewritten with what was printed instead.
    pub fn check_transcript(&self, file: &str) {
        let path = repo_root().join("tests/python/transcripts").join(file);
        let expected =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut actual = String::new();
        for block in parse_transcript(&expected) {
            for c in &block.comments {
                actual.push_str(c);
                actual.push('\n');
            }
            actual.push_str(&block.line);
            actual.push('\n');
            let args: Vec<&str> = block.args.iter().map(String::as_str).collect();
            let run = self.cli(&args);
            actual.push_str(&render_run(&run));
            actual.push('\n');
        }
        if std::env::var_os("PDC_TEST_BLESS").is_some() {
            std::fs::write(&path, &actual).expect("write transcript");
            return;
        }
        if actual != expected {
            let out = std::env::temp_dir().join(format!("{file}.actual"));
            let _ = std::fs::write(&out, &actual);
            panic!(
                "transcript {file} differs (whole output in {}):\n{}",
                out.display(),
                first_difference(&expected, &actual)
            );
        }
    }
}

/// Compares what a [`PdcClient::lib`] snippet emitted with the expected list, value by
/// value, key order included (pdc-client prints some objects as received).
#[track_caller]
pub fn assert_emitted(got: &Value, expected: &Value) {
    let got = got.as_array().expect("emitted list");
    let want = expected.as_array().expect("expected list");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (
            serde_json::to_string_pretty(g).expect("json"),
            serde_json::to_string_pretty(w).expect("json"),
        );
        assert_eq!(g, w, "emitted value #{i} (0-based)");
    }
    assert_eq!(
        got.len(),
        want.len(),
        "number of emitted values; got {got:?}"
    );
}

struct Block {
    comments: Vec<String>,
    line: String,
    args: Vec<String>,
}

fn parse_transcript(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut comments = Vec::new();
    let mut in_output = false;
    for (n, line) in text.lines().enumerate() {
        if in_output {
            if line.starts_with("[exit ") {
                in_output = false;
            }
        } else if line.starts_with('#') {
            comments.push(line.to_string());
        } else if let Some(cmd) = line.strip_prefix("$ pdc ") {
            blocks.push(Block {
                comments: std::mem::take(&mut comments),
                line: line.to_string(),
                args: split_args(cmd),
            });
            in_output = true;
        } else {
            assert!(
                line.is_empty(),
                "transcript line {}: expected `# comment` or `$ pdc ...`, got {line:?}",
                n + 1
            );
        }
    }
    assert!(!in_output, "transcript ends inside a command's output");
    blocks
}

/// Splits on spaces; `"..."` groups words into one argument.
fn split_args(cmd: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut started = false;
    for ch in cmd.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    args.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            _ => {
                cur.push(ch);
                started = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {cmd:?}");
    if started {
        args.push(cur);
    }
    args
}

/// stdout as is, stderr lines prefixed with `! `, then `[exit N]`.
fn render_run(run: &CliRun) -> String {
    let mut s = String::new();
    for line in run.stdout.lines() {
        s.push_str(line);
        s.push('\n');
    }
    if !run.stdout.is_empty() && !run.stdout.ends_with('\n') {
        s.push_str("\\ no newline at end of stdout\n");
    }
    for line in run.stderr.lines() {
        s.push('!');
        if !line.is_empty() {
            s.push(' ');
            s.push_str(line);
        }
        s.push('\n');
    }
    if !run.stderr.is_empty() && !run.stderr.ends_with('\n') {
        s.push_str("\\ no newline at end of stderr\n");
    }
    s.push_str(&format!("[exit {}]\n", run.code));
    s
}

fn first_difference(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let i = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let from = i.saturating_sub(8);
    let show = |v: &[&str]| {
        v[from.min(v.len())..(i + 8).min(v.len())]
            .iter()
            .enumerate()
            .map(|(k, l)| format!("{:5} {l}", from + k + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {}\n--- expected:\n{}\n--- actual:\n{}",
        i + 1,
        show(&e),
        show(&a)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_args() {
        assert_eq!(
            split_args(r#"--json product update fedora --name "Fedora Linux" --x """#),
            [
                "--json",
                "product",
                "update",
                "fedora",
                "--name",
                "Fedora Linux",
                "--x",
                ""
            ]
        );
    }

    #[test]
    fn renders_streams() {
        let run = CliRun {
            code: 1,
            stdout: "a\n\nb\n".into(),
            stderr: "E\n\n{\n}".into(),
        };
        assert_eq!(
            render_run(&run),
            "a\n\nb\n! E\n!\n! {\n! }\n\\ no newline at end of stderr\n[exit 1]\n"
        );
    }

    #[test]
    fn parses_blocks() {
        let b = parse_transcript("# c\n$ pdc a \"b c\"\nout\n\n[exit 0]\n\n$ pdc d\n[exit 1]\n");
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].comments, ["# c"]);
        assert_eq!(b[0].args, ["a", "b c"]);
        assert_eq!(b[1].line, "$ pdc d");
    }
}
