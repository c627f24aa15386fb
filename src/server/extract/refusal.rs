//! The message of a refused body or query, built from the error's kind, the field path and the
//! position only. serde's own messages quote the input (strings in quotes; numbers, booleans,
//! enum variants and unknown field names in backticks), and a value sent in the wrong field is a
//! secret all the same, so no text of the input is ever copied: the kind is one of a fixed set,
//! a field is named only when the target type declares that name, and the "expected" clause is
//! the target type's own description.

use serde::de::{self, Deserializer, Visitor};
use serde_path_to_error::Segment;

/// The kinds serde's messages start with; the answer says the kind with this constant text.
const KINDS: [&str; 7] = [
    "invalid type",
    "invalid value",
    "invalid length",
    "unknown variant",
    "unknown field",
    "missing field",
    "duplicate field",
];

/// Kinds whose message ends in `, expected <what the type wants>`, written by serde from the
/// target type (the input is quoted before it, never after).
const WITH_EXPECTED: [&str; 5] = [
    "invalid type",
    "invalid value",
    "invalid length",
    "unknown variant",
    "unknown field",
];

/// Kinds whose message names a declared field in backticks: `missing field `name``.
const NAMING_A_FIELD: [&str; 2] = ["missing field", "duplicate field"];

/// Describes a data error of `T` from serde's `message`, the `path` where it happened and, for
/// JSON, its position. Nothing of the input is copied: see the module comment.
pub(super) fn describe<'p>(
    message: &str,
    path: impl IntoIterator<Item = &'p Segment>,
    fields: &[&str],
    position: Option<(usize, usize)>,
) -> String {
    let kind = KINDS
        .into_iter()
        .find(|kind| message.starts_with(kind))
        .unwrap_or("invalid value");
    let mut out = String::from(kind);
    if NAMING_A_FIELD.contains(&kind)
        && let Some(name) = backticked(message).filter(|n| fields.contains(n))
    {
        out.push_str(&format!(" `{name}`"));
    }
    out.push_str(&at_path(path, fields));
    if let Some((line, column)) = position {
        out.push_str(&format!(" (line {line}, column {column})"));
    }
    if WITH_EXPECTED.contains(&kind)
        && let Some((_, expected)) = message.rsplit_once(", expected ")
    {
        out.push_str(": expected ");
        out.push_str(expected);
    }
    out
}

/// ` at `the.path``, or nothing when no declared field can be named.
pub(super) fn at_path<'p>(path: impl IntoIterator<Item = &'p Segment>, fields: &[&str]) -> String {
    let at = field_path(path, fields);
    if at.is_empty() { at } else { format!(" at `{at}`") }
}

/// The first name in backticks.
fn backticked(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

/// The path as far as it is made of declared field names and list positions. A key the type
/// does not declare (an unknown field, a key of a nested map) ends it: that key is input.
fn field_path<'p>(path: impl IntoIterator<Item = &'p Segment>, fields: &[&str]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if fields.contains(&key.as_str()) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            _ => break,
        }
    }
    out
}

/// The field names `T` declares, as its input spells them (after `rename`). serde's derive hands
/// them to `deserialize_struct`; a deserializer that only records them reads them off the type.
pub(super) fn fields_of<'de, T: de::Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The probe always refuses, after recording: the result is that refusal.
    let _refused = T::deserialize(FieldProbe(&mut fields));
    fields
}

struct FieldProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only structs are probed"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        #[serde(rename = "orgWide")]
        org_wide: Option<bool>,
        list: Option<Vec<u32>>,
        kind: Option<crate::api::Category>,
    }

    fn refuse(json: &str) -> String {
        let mut de = serde_json::Deserializer::from_str(json);
        let e = serde_path_to_error::deserialize::<_, Body>(&mut de).unwrap_err();
        let (line, column) = (e.inner().line(), e.inner().column());
        describe(
            &e.inner().to_string(),
            e.path(),
            fields_of::<Body>(),
            Some((line, column)),
        )
    }

    #[test]
    fn the_fields_are_read_off_the_type() {
        assert_eq!(fields_of::<Body>(), ["name", "orgWide", "list", "kind"]);
    }

    #[test]
    fn messages_name_the_field_and_never_the_input() {
        let cases = [
            (
                r#"{"name": 482913}"#,
                "invalid type at `name` (line 1, column 15): expected a string",
            ),
            (r#"{"name": "a", "orgWide": "s3cr3t"}"#, "invalid type at `orgWide`"),
            (
                r#"{"name": "a", "list": [1, 777777777777]}"#,
                "invalid value at `list[1]`",
            ),
            (r#"{"name": "a", "kind": "s3cr3t"}"#, "unknown variant at `kind`"),
            (
                r#"{"name": "a", "s3cr3t": 1}"#,
                "unknown field (line 1, column 22): expected one of",
            ),
            (r#"{"orgWide": true}"#, "missing field `name` (line 1, column 17)"),
            (r#"{"name": "a", "name": "b"}"#, "duplicate field `name`"),
        ];
        for (json, want) in cases {
            let got = refuse(json);
            assert!(got.starts_with(want), "{json}: {got}");
            for leak in ["482913", "s3cr3t", "777777777777", "\"a\""] {
                assert!(!got.contains(leak), "{json}: {got}");
            }
        }
    }

    #[test]
    fn an_unknown_message_is_said_as_an_invalid_value() {
        let got = describe("expected a whole number, not 482913.5", [], &[], None);
        assert_eq!(got, "invalid value");
    }
}
