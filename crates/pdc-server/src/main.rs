//! `pdc`: the Product Definition Center server and its admin commands.

mod config;
mod embedded;
mod import_compose;
mod ingest;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use pdc_api::App;
use pdc_api::auth::AuthConfig;
use pdc_api::auth::jwt::{JwtConfig, JwtSettings};
use pdc_db::resource::DbSettings;

use config::FileConfig;
use embedded::Embedded;

#[derive(Parser)]
#[command(name = "pdc", version, about = "Product Definition Center server")]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "PDC_CONFIG")]
    config: Option<PathBuf>,
    /// PostgreSQL URL; without it an embedded cluster in the data directory is used.
    #[arg(long, global = true, env = "PDC_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory for the embedded database and other state.
    #[arg(long, global = true, env = "PDC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve the REST API.
    Serve(ServeArgs),
    /// Run pending migrations and exit.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI document (what `openapi/pdc.json` holds).
    Openapi,
    /// Import a compose (RPMs and images) from its directory or metadata URL.
    ImportCompose {
        /// Compose directory (with compose/metadata/*.json) or metadata URL.
        source: String,
        /// Release to import into (default: the one composeinfo.json names,
        /// created with its products and variants when missing).
        #[arg(long)]
        release: Option<String>,
    },
    /// Consume bus messages (fedora-messaging over AMQP, `[ingest]`
    /// settings) until stopped; any number of these may share the queue.
    Ingest,
    /// Feed bus messages from a file (`-`: standard input) through the
    /// ingester: fedmsg envelopes, fedora-messaging JSON lines or datagrepper
    /// pages. Messages already applied are skipped.
    Replay {
        /// File to read, or `-`.
        source: String,
    },
    /// Print the ingester's state as JSON: newest message and lag per
    /// topic, dead letters.
    IngestStatus,
    /// Run dead-lettered bus messages again.
    Retry {
        /// Message ids (`YYYY-<uuid>` or `<uuid>`).
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PDC_BIND")]
    bind: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create (or show) a user's token; prints the key alone on stdout.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        email: Option<String>,
        /// Make the user a superuser.
        #[arg(long)]
        superuser: bool,
        /// Add the user to this group (repeatable; groups are created if needed).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Use this key (e.g. to keep a token from an old PDC working).
        #[arg(long)]
        key: Option<String>,
    },
}

/// Settings after merging flags, environment and file.
struct Settings {
    file: FileConfig,
    database_url: Option<String>,
    data_dir: PathBuf,
}

impl Settings {
    fn new(cli: &Cli) -> Result<Self> {
        let file = FileConfig::load(cli.config.as_deref())?;
        let database_url = cli
            .database_url
            .clone()
            .or_else(|| file.database_url.clone());
        let data_dir = cli
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(config::default_data_dir);
        Ok(Settings {
            file,
            database_url,
            data_dir,
        })
    }

    fn env(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    /// Connects (starting the embedded cluster when no URL is set) and migrates.
    async fn database(&self) -> Result<(pdc_db::Pool, Option<Embedded>)> {
        let max = Self::env("PDC_MAX_CONNECTIONS")
            .and_then(|v| v.parse().ok())
            .or(self.file.max_connections)
            .unwrap_or(20);
        let (opts, embedded) = match &self.database_url {
            Some(url) => (
                pdc_db::db::options(url).map_err(|e| anyhow::anyhow!("bad database URL: {e}"))?,
                None,
            ),
            None => {
                let data_dir = self.data_dir.clone();
                let emb = tokio::task::spawn_blocking(move || Embedded::start(&data_dir)).await??;
                (emb.options("pdc"), Some(emb))
            }
        };
        let pool = pdc_db::db::connect(opts, max)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
        pdc_db::db::migrate(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok((pool, embedded))
    }

    fn auth(&self) -> Result<AuthConfig> {
        let remote_user_header =
            Self::env("PDC_REMOTE_USER_HEADER").or_else(|| self.file.remote_user_header.clone());
        let j = &self.file.jwt;
        let key_file = Self::env("PDC_JWT_KEY_FILE")
            .map(PathBuf::from)
            .or_else(|| j.key_file.clone());
        let jwt = match key_file {
            Some(key_file) => Some(
                JwtConfig::load(JwtSettings {
                    key_file: &key_file,
                    issuer: Self::env("PDC_JWT_ISSUER").or_else(|| j.issuer.clone()),
                    audience: Self::env("PDC_JWT_AUDIENCE").or_else(|| j.audience.clone()),
                    username_claim: Self::env("PDC_JWT_USERNAME_CLAIM")
                        .or_else(|| j.username_claim.clone())
                        .unwrap_or_else(|| "preferred_username".into()),
                    groups_claim: Self::env("PDC_JWT_GROUPS_CLAIM")
                        .or_else(|| j.groups_claim.clone()),
                })
                .map_err(|e| anyhow::anyhow!(e))?,
            ),
            None => None,
        };
        Ok(AuthConfig {
            remote_user_header,
            jwt,
        })
    }

    fn db_settings(&self) -> DbSettings {
        DbSettings {
            release_default_sigkey: Self::env("PDC_RELEASE_DEFAULT_SIGKEY")
                .or_else(|| self.file.release_default_sigkey.clone()),
            dist_git_repo_format: Self::env("PDC_DIST_GIT_REPO_FORMAT")
                .or_else(|| self.file.dist_git_repo_format.clone())
                .unwrap_or_else(|| DbSettings::DEFAULT_REPO_FORMAT.into()),
            dist_git_branch_format: Self::env("PDC_DIST_GIT_BRANCH_FORMAT")
                .or_else(|| self.file.dist_git_branch_format.clone())
                .unwrap_or_else(|| DbSettings::DEFAULT_BRANCH_FORMAT.into()),
            component_branch_name_blacklist_regex: Self::env(
                "PDC_COMPONENT_BRANCH_NAME_BLACKLIST_REGEX",
            )
            .or_else(|| self.file.component_branch_name_blacklist_regex.clone())
            .filter(|r| !r.is_empty()),
        }
    }
}

fn init_logging(file: &FileConfig) {
    let filter = std::env::var("PDC_LOG")
        .ok()
        .or_else(|| file.log.clone())
        .unwrap_or_else(|| "info,sqlx=warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn serve(settings: &Settings, args: &ServeArgs) -> Result<()> {
    let bind = args
        .bind
        .clone()
        .or_else(|| settings.file.bind.clone())
        .unwrap_or_else(|| "127.0.0.1:8000".into());
    let addr: SocketAddr = bind
        .parse()
        .with_context(|| format!("bad bind address {bind}"))?;
    let auth = settings.auth()?;
    let (pool, mut embedded) = settings.database().await?;
    pdc_api::registry::sync_permissions(&pool).await?;
    let app = App {
        pool: pool.clone(),
        db_settings: Arc::new(settings.db_settings()),
        auth: Arc::new(auth),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(
        "serving http://{}/rest_api/v1/ (docs at /rest_api/docs/)",
        listener.local_addr()?
    );
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let consumer = if settings.ingest_enabled()? {
        Some(ingest::spawn_consumer(settings, &pool, stop).await?)
    } else {
        None
    };
    let result = axum::serve(listener, pdc_api::router(app))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        })
        .await;
    if let Some(c) = consumer {
        let _ = c.await;
    }
    pool.close().await;
    if let Some(e) = embedded.as_mut() {
        e.stop();
    }
    result.context("server error")
}

async fn token(settings: &Settings, cmd: &TokenCommand) -> Result<()> {
    let TokenCommand::Create {
        user,
        email,
        superuser,
        groups,
        key,
    } = cmd;
    if let Some(k) = key
        && (k.is_empty() || k.len() > 40 || !k.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        anyhow::bail!("--key must be 1 to 40 letters or digits");
    }
    let (pool, _embedded) = settings.database().await?;
    let mut tx = pool.begin().await?;
    let u = pdc_db::auth::ensure_user(&mut tx, user, email.as_deref(), None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if *superuser {
        pdc_db::auth::set_superuser(&mut tx, u.id, true)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    for g in groups {
        pdc_db::auth::add_to_group(&mut tx, u.id, g)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let key = pdc_db::auth::obtain_token(&mut tx, u.id, key.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    pool.close().await;
    println!("{key}");
    Ok(())
}

async fn import(settings: &Settings, source: &str, release: Option<&str>) -> Result<()> {
    let (pool, _embedded) = settings.database().await?;
    let started = std::time::Instant::now();
    let answer = import_compose::run(&pool, source, release, settings.db_settings()).await;
    pool.close().await;
    let answer = answer?;
    tracing::info!(elapsed = ?started.elapsed(), "compose imported");
    println!("{answer}");
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::new(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pdc: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    init_logging(&settings.file);
    let result = match &cli.command {
        Command::Serve(args) => serve(&settings, args).await,
        Command::Migrate => settings
            .database()
            .await
            .map(|_| tracing::info!("migrations applied")),
        Command::Token(cmd) => token(&settings, cmd).await,
        Command::ImportCompose { source, release } => {
            import(&settings, source, release.as_deref()).await
        }
        Command::Ingest => ingest::consume(&settings).await,
        Command::IngestStatus => ingest::status(&settings).await,
        Command::Replay { source } => ingest::replay(&settings, source).await,
        Command::Retry { ids } => ingest::retry(&settings, ids).await,
        Command::Openapi => pdc_api::openapi::document()
            .to_pretty_json()
            .map(|json| println!("{json}"))
            .map_err(Into::into),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pdc: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
