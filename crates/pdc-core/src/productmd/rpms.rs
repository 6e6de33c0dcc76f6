//! `rpms.json`: `payload.rpms[variant][arch][srpm nevra][rpm nevra] =
//! {path, sigkey, category}` (1.x) or `payload.manifest[...]` with a
//! separate `src` arch (0.3). Real manifests have hundreds of thousands of
//! entries, so 1.x documents are streamed: entries go to a sink as they are
//! read and nothing but the current keys is kept in memory. (0.3 files,
//! and 1.x files whose `payload` comes before their `header`, are small
//! enough to be read whole.)

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::common::{ParseError, get, header};
use super::composeinfo::{Compose, parse_compose};
use crate::Error;

pub const METADATA_TYPE: &str = "productmd.rpms";

/// One manifest entry.
#[derive(Debug, Clone, Copy)]
pub struct RpmEntry<'a> {
    pub variant: &'a str,
    pub arch: &'a str,
    pub srpm_nevra: &'a str,
    pub nevra: &'a str,
    pub path: Option<&'a str>,
    pub sigkey: Option<&'a str>,
    pub category: &'a str,
}

/// Receives entries as they are read; an error stops the reading.
pub trait RpmSink {
    fn rpm(&mut self, entry: &RpmEntry<'_>) -> Result<(), Error>;
}

/// What is known about a manifest once it has been read.
#[derive(Debug, Clone)]
pub struct RpmManifestInfo {
    pub version: (u32, u32),
    pub compose: Compose,
}

/// Errors found while streaming abort the whole JSON parse (the document
/// cannot be resumed mid-value); the first one is kept here, and the caller
/// reports it instead of the serde error the abort produced.
#[derive(Default)]
pub struct Failure(RefCell<Option<Error>>);

impl Failure {
    /// The error that aborted the parse, if one did.
    pub fn take(&self) -> Option<Error> {
        self.0.borrow_mut().take()
    }
}

fn fail<E: serde::de::Error>(slot: &Failure, e: impl Into<Error>) -> E {
    let e = e.into();
    let msg = e.to_string();
    slot.0.borrow_mut().get_or_insert(e);
    E::custom(msg)
}

/// Reads a manifest value from `d`, streaming entries into `sink`. Errors
/// found once the value was read whole come back as `Ok(Err(..))`; an
/// error while streaming aborts with `Err(D::Error)` and is left in
/// `failure` (JSON syntax errors leave `failure` empty).
pub fn read_manifest<'de, D, S>(
    d: D,
    sink: &mut S,
    failure: &Failure,
) -> Result<Result<RpmManifestInfo, Error>, D::Error>
where
    D: Deserializer<'de>,
    S: RpmSink,
{
    ManifestSeed { sink, failure }.deserialize(d)
}

/// Parses a whole manifest that is already in memory.
pub fn parse_manifest<S: RpmSink>(data: &Value, sink: &mut S) -> Result<RpmManifestInfo, Error> {
    let version = header(data, METADATA_TYPE)?;
    let payload = get(data, "payload")?;
    finish_buffered(version, payload, sink)
}

fn finish_buffered<S: RpmSink>(
    version: (u32, u32),
    payload: &Value,
    sink: &mut S,
) -> Result<RpmManifestInfo, Error> {
    let compose = parse_compose(get(payload, "compose")?, version)?;
    if version <= (0, 3) {
        emit_0_3(get(payload, "manifest")?, sink)?;
    } else {
        emit_1_x(get(payload, "rpms")?, sink)?;
    }
    Ok(RpmManifestInfo { version, compose })
}

fn str_or(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn entry_fields(
    data: &Value,
    category_key: &str,
) -> Result<(Option<String>, Option<String>, String), ParseError> {
    let path = get(data, "path")?;
    let sigkey = get(data, "sigkey")?;
    let category = get(data, category_key)?;
    let category = match category.as_str() {
        Some("package") if category_key == "type" => "binary".to_string(),
        Some(c) => c.to_string(),
        None => category.to_string(),
    };
    Ok((
        str_or(Some(path)).map(str::to_string),
        str_or(Some(sigkey)).map(str::to_string),
        category,
    ))
}

fn objects(v: &Value) -> Result<&serde_json::Map<String, Value>, ParseError> {
    v.as_object().ok_or_else(|| {
        ParseError(format!(
            "'{}' object has no attribute 'items'",
            super::common::py_type_repr(v)
                .trim_start_matches("<type '")
                .trim_end_matches("'>")
        ))
    })
}

fn emit_1_x<S: RpmSink>(rpms: &Value, sink: &mut S) -> Result<(), Error> {
    for (variant, arches) in objects(rpms)? {
        for (arch, srpms) in objects(arches)? {
            for (srpm, pkgs) in objects(srpms)? {
                for (nevra, data) in objects(pkgs)? {
                    let (path, sigkey, category) = entry_fields(data, "category")?;
                    sink.rpm(&RpmEntry {
                        variant,
                        arch,
                        srpm_nevra: srpm,
                        nevra,
                        path: path.as_deref(),
                        sigkey: sigkey.as_deref(),
                        category: &category,
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// productmd's conversion of 0.3 manifests: `type` becomes the category
/// (`package` = binary) and each SRPM listed under `src` is added under
/// every binary arch that has packages built from it.
fn emit_0_3<S: RpmSink>(manifest: &Value, sink: &mut S) -> Result<(), Error> {
    for (variant, arches) in objects(manifest)? {
        let src = arches.get("src");
        for (arch, srpms) in objects(arches)?.iter().filter(|(a, _)| *a != "src") {
            for (srpm, pkgs) in objects(srpms)? {
                let srpm_data = src.and_then(|s| s.get(srpm));
                for (nevra, data) in objects(pkgs)? {
                    let (path, sigkey, category) = entry_fields(data, "type")?;
                    sink.rpm(&RpmEntry {
                        variant,
                        arch,
                        srpm_nevra: srpm,
                        nevra,
                        path: path.as_deref(),
                        sigkey: sigkey.as_deref(),
                        category: &category,
                    })?;
                    if let Some(sd) = srpm_data {
                        let (path, sigkey, _) = entry_fields(sd, "type")?;
                        sink.rpm(&RpmEntry {
                            variant,
                            arch,
                            srpm_nevra: srpm,
                            nevra: srpm,
                            path: path.as_deref(),
                            sigkey: sigkey.as_deref(),
                            category: "source",
                        })?;
                    }
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- streaming

struct ManifestSeed<'s, S> {
    sink: &'s mut S,
    failure: &'s Failure,
}

impl<'de, S: RpmSink> DeserializeSeed<'de> for ManifestSeed<'_, S> {
    type Value = Result<RpmManifestInfo, Error>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: RpmSink> Visitor<'de> for ManifestSeed<'_, S> {
    type Value = Result<RpmManifestInfo, Error>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RPM manifest object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header_value: Option<Value> = None;
        let mut buffered_payload: Option<Value> = None;
        let mut streamed: Option<Compose> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "header" => header_value = Some(map.next_value()?),
                "payload" => {
                    let version = header_value
                        .as_ref()
                        .map(|h| header(&serde_json::json!({"header": h}), METADATA_TYPE));
                    match version {
                        Some(Ok(v)) if v > (0, 3) => {
                            let compose = map.next_value_seed(PayloadSeed {
                                sink: &mut *self.sink,
                                failure: self.failure,
                                version: v,
                            })?;
                            streamed = Some(compose);
                        }
                        Some(Err(e)) => return Err(fail(self.failure, e)),
                        _ => buffered_payload = Some(map.next_value()?),
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(h) = header_value else {
            return Ok(Err(ParseError("Missing key header".into()).into()));
        };
        let version = match header(&serde_json::json!({"header": h}), METADATA_TYPE) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e.into())),
        };
        if let Some(compose) = streamed {
            return Ok(Ok(RpmManifestInfo { version, compose }));
        }
        let Some(payload) = buffered_payload else {
            return Ok(Err(ParseError("Missing key payload".into()).into()));
        };
        Ok(finish_buffered(version, &payload, &mut *self.sink))
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(
            ParseError("string indices must be integers".into()).into()
        ))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(ParseError(
            "list indices must be integers, not unicode".into(),
        )
        .into()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(ParseError(
            "'NoneType' object has no attribute '__getitem__'".into(),
        )
        .into()))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(ParseError(
            "'bool' object has no attribute '__getitem__'".into(),
        )
        .into()))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(ParseError(
            "'int' object has no attribute '__getitem__'".into(),
        )
        .into()))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(ParseError(
            "'int' object has no attribute '__getitem__'".into(),
        )
        .into()))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(ParseError(
            "'float' object has no attribute '__getitem__'".into(),
        )
        .into()))
    }
}

/// `payload` of a 1.x manifest: `compose` kept, `rpms` streamed.
struct PayloadSeed<'s, S> {
    sink: &'s mut S,
    failure: &'s Failure,
    version: (u32, u32),
}

impl<'de, S: RpmSink> DeserializeSeed<'de> for PayloadSeed<'_, S> {
    type Value = Compose;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Compose, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: RpmSink> Visitor<'de> for PayloadSeed<'_, S> {
    type Value = Compose;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a manifest payload object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Compose, A::Error> {
        let mut compose = None;
        let mut saw_rpms = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "compose" => {
                    let v: Value = map.next_value()?;
                    compose =
                        Some(parse_compose(&v, self.version).map_err(|e| fail(self.failure, e))?);
                }
                "rpms" => {
                    saw_rpms = true;
                    map.next_value_seed(Level {
                        sink: &mut *self.sink,
                        failure: self.failure,
                        keys: Vec::with_capacity(4),
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let compose =
            compose.ok_or_else(|| fail(self.failure, ParseError("Missing key compose".into())))?;
        if !saw_rpms {
            return Err(fail(self.failure, ParseError("Missing key rpms".into())));
        }
        Ok(compose)
    }
}

/// One nesting level of `rpms`: variant, arch, srpm, then the rpm entries.
struct Level<'s, S> {
    sink: &'s mut S,
    failure: &'s Failure,
    keys: Vec<String>,
}

impl<'de, S: RpmSink> DeserializeSeed<'de> for Level<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// The data of one entry; a key given as `null` is present (None = absent).
#[derive(Default)]
struct EntryData {
    path: Option<Value>,
    sigkey: Option<Value>,
    category: Option<Value>,
}

#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum EntryKey {
    Path,
    Sigkey,
    Category,
    #[serde(other)]
    Other,
}

impl<'de> serde::Deserialize<'de> for EntryData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EntryData;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RPM entry object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryData, A::Error> {
                let mut e = EntryData::default();
                while let Some(k) = map.next_key::<EntryKey>()? {
                    match k {
                        EntryKey::Path => e.path = Some(map.next_value()?),
                        EntryKey::Sigkey => e.sigkey = Some(map.next_value()?),
                        EntryKey::Category => e.category = Some(map.next_value()?),
                        EntryKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de, S: RpmSink> Visitor<'de> for Level<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if self.keys.len() == 3 {
                let data: EntryData = map.next_value()?;
                let missing = |k: &str| {
                    fail::<A::Error>(self.failure, ParseError(format!("Missing key {k}")))
                };
                let path = data.path.ok_or_else(|| missing("path"))?;
                let sigkey = data.sigkey.ok_or_else(|| missing("sigkey"))?;
                let category = data.category.ok_or_else(|| missing("category"))?;
                let category = match &category {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let entry = RpmEntry {
                    variant: &self.keys[0],
                    arch: &self.keys[1],
                    srpm_nevra: &self.keys[2],
                    nevra: &key,
                    path: path.as_str(),
                    sigkey: sigkey.as_str(),
                    category: &category,
                };
                self.sink.rpm(&entry).map_err(|e| fail(self.failure, e))?;
            } else {
                let mut keys = self.keys.clone();
                keys.push(key);
                map.next_value_seed(Level {
                    sink: &mut *self.sink,
                    failure: self.failure,
                    keys,
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    );

    #[derive(Default)]
    struct Collect(Vec<Row>);

    impl RpmSink for Collect {
        fn rpm(&mut self, e: &RpmEntry<'_>) -> Result<(), Error> {
            self.0.push((
                e.variant.into(),
                e.arch.into(),
                e.srpm_nevra.into(),
                e.nevra.into(),
                e.path.map(Into::into),
                e.sigkey.map(Into::into),
                e.category.into(),
            ));
            Ok(())
        }
    }

    fn fixture(name: &str) -> String {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/compose/"
        );
        std::fs::read_to_string(format!("{root}{name}")).expect("fixture")
    }

    fn stream(text: &str) -> (Result<RpmManifestInfo, Error>, Collect) {
        let mut sink = Collect::default();
        let failure = Failure::default();
        let mut de = serde_json::Deserializer::from_str(text);
        let info = match read_manifest(&mut de, &mut sink, &failure) {
            Ok(info) => info,
            Err(e) => Err(failure.take().unwrap_or_else(|| Error::internal(e))),
        };
        (info, sink)
    }

    #[test]
    fn all_fixture_versions_agree() {
        let mut seen = Vec::new();
        for v in ["1.0", "1.1", "1.2"] {
            let (info, sink) = stream(&fixture(&format!("pdc-TP-1.0-20150310.0/rpms-{v}.json")));
            let info = info.unwrap();
            assert_eq!(info.compose.id, "TP-1.0-20150310.0");
            let mut rows = sink.0;
            rows.sort();
            seen.push(rows);
        }
        assert!(!seen[0].is_empty());
        assert_eq!(seen[0], seen[1]);
        assert_eq!(seen[1], seen[2]);
    }

    #[test]
    fn streamed_equals_buffered() {
        let text = fixture("Fedora-24-20151130.n.2/compose/metadata/rpms.json");
        let (info, streamed) = stream(&text);
        assert_eq!(info.unwrap().compose.id, "Fedora-24-20151130.n.2");
        let mut buffered = Collect::default();
        parse_manifest(&serde_json::from_str(&text).unwrap(), &mut buffered).unwrap();
        assert_eq!(streamed.0.len(), 89_198);
        assert_eq!(streamed.0, buffered.0);
    }

    #[test]
    fn errors() {
        let (info, _) = stream(
            r#"{"header": {"version": "1.0"}, "payload": {"compose": {"id": "X-1-20150310.0", "date": "20150310", "type": "production", "respin": 0}, "rpms": {"Server": {"x86_64": {"a-0:1-1.src": {"a-0:1-1.src": {"path": "p", "category": "source"}}}}}}}"#,
        );
        assert_eq!(
            info.unwrap_err().to_string(),
            Error::from(ParseError("Missing key sigkey".into())).to_string()
        );
        let (info, _) = stream(r#""garbage""#);
        assert!(
            info.unwrap_err()
                .to_string()
                .contains("string indices must be integers")
        );
        let (info, _) = stream(r#"{"payload": {}}"#);
        assert!(info.unwrap_err().to_string().contains("Missing key header"));
    }
}
