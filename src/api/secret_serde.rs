//! serde helpers that expose a `SecretString` only while it is being written to the wire.
//!
//! `secrecy` deliberately has no `Serialize` for strings; the two places that must send a value
//! (the reveal/env responses and the client's upsert body) opt in here, by name, and nowhere else.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

pub fn serialize<S: Serializer>(value: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.expose_secret())
}

pub fn serialize_map<S: Serializer>(map: &BTreeMap<String, SecretString>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(map.len()))?;
    for (k, v) in map {
        m.serialize_entry(k, v.expose_secret())?;
    }
    m.end()
}
