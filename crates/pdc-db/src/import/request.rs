//! The body of an import request (`compose-rpms/`, `compose-images/`,
//! `rpc/compose-full-import/`): one object, or an array of them for a bulk
//! import, read as a stream so the RPM manifest inside never sits in memory.

use std::fmt;

use pdc_core::Error;
use pdc_core::productmd::rpms::{Failure, RpmManifestInfo, read_manifest};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::staging::CopySink;

/// One import object: every key but `rpm_manifest` as JSON, and what
/// reading the streamed manifest gave.
#[derive(Debug, Default)]
pub struct ImportItem {
    /// Keys in request order.
    pub keys: Vec<String>,
    pub values: Map<String, Value>,
    pub rpm_manifest: Option<Result<RpmManifestInfo, Error>>,
}

/// The parsed body.
#[derive(Debug)]
pub enum ImportBody {
    One(ImportItem),
    Many(Vec<ImportItem>),
    /// Neither an object nor an array.
    Other(Value),
}

/// Reads the body from `d`, streaming every `rpm_manifest` into `sink`.
/// An error while streaming a manifest aborts the read and is left in
/// `failure`.
pub fn read_body<'de, D: Deserializer<'de>>(
    d: D,
    sink: &mut CopySink,
    failure: &Failure,
) -> Result<ImportBody, D::Error> {
    BodySeed { sink, failure }.deserialize(d)
}

struct BodySeed<'s> {
    sink: &'s mut CopySink,
    failure: &'s Failure,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = ImportBody;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ImportBody, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = ImportBody;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an import object or an array of them")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ImportBody, A::Error> {
        self.sink.set_item(0);
        ItemSeed {
            sink: self.sink,
            failure: self.failure,
        }
        .visit_map(map)
        .map(ImportBody::One)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ImportBody, A::Error> {
        let mut items = Vec::new();
        loop {
            self.sink.set_item(items.len() as i32);
            match seq.next_element_seed(ItemValueSeed {
                sink: &mut *self.sink,
                failure: self.failure,
            })? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        Ok(ImportBody::Many(items))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ImportBody, E> {
        Ok(ImportBody::Other(Value::String(v.into())))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<ImportBody, E> {
        Ok(ImportBody::Other(Value::Bool(v)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ImportBody, E> {
        Ok(ImportBody::Other(Value::from(v)))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ImportBody, E> {
        Ok(ImportBody::Other(Value::from(v)))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ImportBody, E> {
        Ok(ImportBody::Other(Value::from(v)))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<ImportBody, E> {
        Ok(ImportBody::Other(Value::Null))
    }
}

/// An array element: an object becomes an item, anything else an item
/// without keys (which then fails the key check).
struct ItemValueSeed<'s> {
    sink: &'s mut CopySink,
    failure: &'s Failure,
}

impl<'de> DeserializeSeed<'de> for ItemValueSeed<'_> {
    type Value = ImportItem;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ImportItem, D::Error> {
        d.deserialize_any(ItemSeed {
            sink: self.sink,
            failure: self.failure,
        })
    }
}

struct ItemSeed<'s> {
    sink: &'s mut CopySink,
    failure: &'s Failure,
}

impl<'de> Visitor<'de> for ItemSeed<'_> {
    type Value = ImportItem;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an import object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ImportItem, A::Error> {
        let mut item = ImportItem::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == "rpm_manifest" {
                let info = map.next_value_seed(ManifestSeed {
                    sink: &mut *self.sink,
                    failure: self.failure,
                })?;
                item.rpm_manifest = Some(info);
            } else {
                let v: Value = map.next_value()?;
                item.values.insert(key.clone(), v);
            }
            item.keys.push(key);
        }
        Ok(item)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ImportItem, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(ImportItem::default())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<ImportItem, E> {
        Ok(ImportItem::default())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<ImportItem, E> {
        Ok(ImportItem::default())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<ImportItem, E> {
        Ok(ImportItem::default())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<ImportItem, E> {
        Ok(ImportItem::default())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<ImportItem, E> {
        Ok(ImportItem::default())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<ImportItem, E> {
        Ok(ImportItem::default())
    }
}

struct ManifestSeed<'s> {
    sink: &'s mut CopySink,
    failure: &'s Failure,
}

impl<'de> DeserializeSeed<'de> for ManifestSeed<'_> {
    type Value = Result<RpmManifestInfo, Error>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        read_manifest(d, self.sink, self.failure)
    }
}
