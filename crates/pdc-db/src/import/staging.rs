//! The staging table and the sink that fills it.

use pdc_core::productmd::rpms::{RpmEntry, RpmSink};
use pdc_core::rpm::parse_nvra;
use pdc_core::{Error, Result};
use sqlx::PgConnection;
use tokio::sync::mpsc;

use crate::db::DbResultExt;

/// `std::io::Read` over byte chunks handed over from async code (a request
/// body, an HTTP download), for the blocking JSON parser.
pub struct ChannelReader {
    rx: mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<bytes::Bytes>) -> Self {
        ChannelReader {
            rx,
            current: bytes::Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// Rows are sent to the COPY in chunks of about this many bytes.
const CHUNK: usize = 1 << 20;

/// Creates the per-transaction staging table (dropped at commit) and gives
/// the transaction the sort and hash memory its set-based merges need.
pub async fn create_staging(conn: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql(
        "SET LOCAL work_mem = '256MB';
         CREATE TEMP TABLE IF NOT EXISTS import_rpm (
            item integer NOT NULL,
            seq bigint NOT NULL,
            variant_uid text NOT NULL,
            arch text NOT NULL,
            name text NOT NULL,
            epoch integer NOT NULL,
            version text NOT NULL,
            release text NOT NULL,
            rpm_arch text NOT NULL,
            srpm_name text NOT NULL,
            srpm_nevra text NOT NULL,
            filename text NOT NULL,
            dir text,
            sigkey text,
            category text NOT NULL
         ) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// Feeds staging rows produced by a [`CopySink`] into the table; returns
/// when the sink is dropped.
pub async fn copy_rows(conn: &mut PgConnection, mut rx: mpsc::Receiver<Vec<u8>>) -> Result<u64> {
    let mut copy = conn
        .copy_in_raw(
            "COPY import_rpm (item, seq, variant_uid, arch, name, epoch, version, release, rpm_arch,
               srpm_name, srpm_nevra, filename, dir, sigkey, category) FROM STDIN",
        )
        .await
        .db()?;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = copy.send(chunk).await {
            return Err(crate::db::map_db_error(e));
        }
    }
    let rows = copy.finish().await.db()?;
    // Fresh temporary tables have no statistics; without them the merge
    // joins get nested-loop plans that take minutes on big manifests.
    sqlx::raw_sql("ANALYZE import_rpm")
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(rows)
}

/// Writes manifest entries as COPY text rows (runs on a blocking thread).
pub struct CopySink {
    item: i32,
    seq: i64,
    buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
    /// The last SRPM parsed (entries come grouped by SRPM).
    srpm: Option<(String, String)>,
}

impl CopySink {
    pub fn new(tx: mpsc::Sender<Vec<u8>>) -> Self {
        CopySink {
            item: 0,
            seq: 0,
            buf: Vec::with_capacity(CHUNK + 4096),
            tx,
            srpm: None,
        }
    }

    /// Entries from now on belong to this import item (bulk requests).
    pub fn set_item(&mut self, item: i32) {
        self.item = item;
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| Error::internal("the import's database side stopped"))
    }

    fn field(&mut self, v: Option<&str>) {
        match v {
            None => self.buf.extend_from_slice(b"\\N"),
            Some(s) => {
                for b in s.bytes() {
                    match b {
                        b'\\' => self.buf.extend_from_slice(b"\\\\"),
                        b'\t' => self.buf.extend_from_slice(b"\\t"),
                        b'\n' => self.buf.extend_from_slice(b"\\n"),
                        b'\r' => self.buf.extend_from_slice(b"\\r"),
                        _ => self.buf.push(b),
                    }
                }
            }
        }
    }

    fn srpm_name(&mut self, srpm_nevra: &str) -> Result<String> {
        if let Some((nevra, name)) = &self.srpm
            && nevra == srpm_nevra
        {
            return Ok(name.clone());
        }
        let name = parse_nvra(srpm_nevra).map_err(Error::bad_request)?.name;
        self.srpm = Some((srpm_nevra.to_string(), name.clone()));
        Ok(name)
    }
}

impl RpmSink for CopySink {
    fn rpm(&mut self, e: &RpmEntry<'_>) -> Result<()> {
        let n = parse_nvra(e.nevra).map_err(Error::bad_request)?;
        let srpm_name = self.srpm_name(e.srpm_nevra)?;
        let (dir, filename) = match e.path {
            Some(p) => match p.rsplit_once('/') {
                Some((d, f)) => (Some(d), f.to_string()),
                None => (Some(""), p.to_string()),
            },
            None => (
                None,
                format!("{}-{}-{}.{}.rpm", n.name, n.version, n.release, n.arch),
            ),
        };
        self.seq += 1;
        let head = format!("{}\t{}\t", self.item, self.seq);
        self.buf.extend_from_slice(head.as_bytes());
        for (i, v) in [Some(e.variant), Some(e.arch), Some(n.name.as_str())]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                self.buf.push(b'\t');
            }
            self.field(v);
        }
        self.buf
            .extend_from_slice(format!("\t{}\t", n.epoch.unwrap_or(0)).as_bytes());
        let rest = [
            Some(n.version.as_str()),
            Some(n.release.as_str()),
            Some(n.arch.as_str()),
            Some(srpm_name.as_str()),
            Some(e.srpm_nevra),
            Some(filename.as_str()),
            dir,
            e.sigkey.filter(|s| !s.is_empty()),
            Some(e.category),
        ];
        for (i, v) in rest.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b'\t');
            }
            self.field(v);
        }
        self.buf.push(b'\n');
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }
}

/// Streams a bare RPM manifest (`rpms.json`) from `reader` into the
/// staging table as item 0: the JSON is parsed on a blocking thread while
/// its rows are copied. Returns what the manifest said about its compose.
pub async fn stage_manifest<R>(
    conn: &mut PgConnection,
    reader: R,
) -> Result<pdc_core::productmd::rpms::RpmManifestInfo>
where
    R: std::io::Read + Send + 'static,
{
    use pdc_core::productmd::rpms::{Failure, read_manifest};
    create_staging(conn).await?;
    let (rows_tx, rows_rx) = mpsc::channel::<Vec<u8>>(4);
    let parser = tokio::task::spawn_blocking(move || {
        let mut sink = CopySink::new(rows_tx);
        let failure = Failure::default();
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(
            1 << 16,
            reader,
        ));
        let parsed = read_manifest(&mut de, &mut sink, &failure).and_then(|r| de.end().map(|_| r));
        match parsed {
            Ok(info) => sink.flush().and(info),
            Err(e) => Err(failure
                .take()
                .unwrap_or_else(|| Error::bad_request(format!("JSON parse error - {e}")))),
        }
    });
    let copied = copy_rows(conn, rows_rx).await;
    let info = parser.await.map_err(Error::internal)??;
    copied?;
    Ok(info)
}
