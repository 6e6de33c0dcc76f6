//! Configuration: command-line flags and `PDC_*` environment variables
//! (clap merges those two, flag first) over a TOML file, over defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// The TOML file's shape (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub max_connections: Option<u32>,
    pub remote_user_header: Option<String>,
    pub release_default_sigkey: Option<String>,
    pub dist_git_repo_format: Option<String>,
    pub dist_git_branch_format: Option<String>,
    pub component_branch_name_blacklist_regex: Option<String>,
    pub log: Option<String>,
    #[serde(default)]
    pub jwt: JwtFile,
    #[serde(default)]
    pub ingest: IngestFile,
}

/// `[ingest]`: the bus ingester (see `pdc_ingest::Config`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestFile {
    /// Run the AMQP consumer inside `pdc serve`.
    pub enabled: Option<bool>,
    pub amqp_url: Option<String>,
    pub queue: Option<String>,
    pub routing_keys: Option<Vec<String>>,
    pub prefetch: Option<u16>,
    pub workers: Option<usize>,
    pub topic_prefixes: Option<Vec<String>>,
    pub email_domain: Option<String>,
    pub max_attempts: Option<u32>,
    pub retry_delay_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtFile {
    pub key_file: Option<PathBuf>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub username_claim: Option<String>,
    pub groups_claim: Option<String>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("bad config file {}", path.display()))
    }
}

/// Default directory for the embedded database and other state.
pub fn default_data_dir() -> PathBuf {
    // PostgreSQL will not run as root; the cluster then belongs to the
    // postgres account, which cannot enter /root, so root uses /var/lib.
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/pdc");
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("pdc")
}
