//! The embedded default database: a private PostgreSQL cluster in the data
//! directory, run from the server binaries found on the machine, listening
//! only on a Unix socket inside that directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;

/// Port number in the socket file name (no TCP port is opened).
const SOCKET_PORT: u16 = 55432;

pub struct Embedded {
    dir: PathBuf,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    /// Whether this process started the server (and so stops it).
    started: bool,
}

fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |d: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if has_all(&d) {
                // Follow symlinks so pg_ctl finds its sibling `postgres`.
                let real = std::fs::canonicalize(d.join("pg_ctl")).ok();
                return Some(
                    real.and_then(|p| p.parent().map(Path::to_path_buf))
                        .unwrap_or(d),
                );
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_all(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

const MISSING: &str = "No database is configured and no PostgreSQL server binaries (initdb, pg_ctl, \
postgres) were found on PATH or under /usr/lib/postgresql/*/bin, so the embedded database cannot \
start. Install PostgreSQL 15 or newer (Debian/Ubuntu: `apt install postgresql`; Fedora: `dnf install \
postgresql-server`), or point pdc at an existing database with --database-url / PDC_DATABASE_URL \
(e.g. postgres://pdc@db.example.com/pdc).";

/// uid/gid of the `postgres` account, from /etc/passwd.
fn postgres_account() -> Option<(u32, u32)> {
    nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .map(|u| (u.uid.as_raw(), u.gid.as_raw()))
}

impl Embedded {
    /// Initialises (first time) and starts the cluster under `data_dir/postgres`.
    pub fn start(data_dir: &Path) -> Result<Self> {
        let bin = find_bin_dir().ok_or_else(|| anyhow::anyhow!(MISSING))?;
        let dir = data_dir.join("postgres");
        let owner = if nix::unistd::geteuid().is_root() {
            Some(postgres_account().ok_or_else(|| {
                anyhow::anyhow!(
                    "running as root, and PostgreSQL refuses to run as root: create a `postgres` \
                     system account for the embedded database, or set --database-url"
                )
            })?)
        } else {
            None
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))?;
            std::os::unix::fs::chown(data_dir, Some(uid), Some(gid))?;
        }
        let mut me = Embedded {
            dir,
            bin,
            owner,
            started: false,
        };
        if !me.dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %me.dir.display(), "initialising the embedded PostgreSQL cluster");
            me.run(
                "initdb",
                &[
                    "-D",
                    path_str(&me.dir)?,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
            )?;
        }
        if me.is_running()? {
            tracing::info!("embedded PostgreSQL already running; sharing it");
            return Ok(me);
        }
        let opts = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c port={SOCKET_PORT} -c max_connections=200",
            path_str(&me.dir)?
        );
        let log = me.dir.join("server.log");
        me.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&me.dir)?,
                "-l",
                path_str(&log)?,
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        me.started = true;
        tracing::info!(dir = %me.dir.display(), "embedded PostgreSQL started");
        Ok(me)
    }

    fn is_running(&self) -> Result<bool> {
        let out = self
            .command("pg_ctl")?
            .args(["-D", path_str(&self.dir)?, "status"])
            .output()?;
        Ok(out.status.success())
    }

    fn command(&self, program: &str) -> Result<Command> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(&self.dir);
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        Ok(cmd)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        let out = self
            .command(program)?
            .args(args)
            .output()
            .with_context(|| format!("cannot run {program}"))?;
        if !out.status.success() {
            bail!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Connection options for database `name` over the socket.
    pub fn options(&self, name: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.dir)
            .port(SOCKET_PORT)
            .username("postgres")
            .database(name)
    }

    /// Stops the server if this process started it.
    pub fn stop(&mut self) {
        if !self.started {
            return;
        }
        self.started = false;
        let dir = self.dir.clone();
        match path_str(&dir)
            .and_then(|d| self.run("pg_ctl", &["-D", d, "-m", "fast", "-w", "stop"]))
        {
            Ok(()) => tracing::info!("embedded PostgreSQL stopped"),
            Err(e) => tracing::warn!(error = %e, "could not stop embedded PostgreSQL"),
        }
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.stop();
    }
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow::anyhow!("path is not UTF-8: {}", p.display()))
}
