//! Integers in JSON bodies as JSON Schema reads them: `5` and `5.0` are the same integer.
//!
//! `/openapi.json` is OpenAPI 3.1, whose schemas are JSON Schema 2020-12, where a number with a zero
//! fraction is an `integer`. serde reads `5.0` only into a float, so the integer fields of request
//! bodies go through here to accept every integer their schema admits, and only those.

use serde::de::{Error, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::Number;

/// The whole number `n` spells, if it spells one.
fn whole(n: &Number) -> Option<i128> {
    if let Some(v) = n.as_i64() {
        return Some(i128::from(v));
    }
    if let Some(v) = n.as_u64() {
        return Some(i128::from(v));
    }
    // Past 2^64 no float is in range of the fields here; the cast below saturates, then try_from refuses.
    n.as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() <= 2f64.powi(64))
        .map(|f| f as i128)
}

fn option<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D, expected: &str) -> Result<Option<T>, D::Error> {
    let Some(n) = Option::<Number>::deserialize(d)? else {
        return Ok(None);
    };
    whole(&n)
        .and_then(|v| T::try_from(v).ok())
        .map(Some)
        // serde's invalid-value form, without the number: the server describes a refusal from
        // the kind and the "expected" part only (an error never quotes input).
        .ok_or_else(|| D::Error::invalid_value(Unexpected::Other("a number"), &expected))
}

/// An optional `i64`.
pub fn option_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    option(d, "a whole number in the i64 range")
}

/// An optional `u64`.
pub fn option_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    option(d, "a whole number in the u64 range")
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct Body {
        #[serde(default, deserialize_with = "super::option_i64")]
        signed: Option<i64>,
        #[serde(default, deserialize_with = "super::option_u64")]
        unsigned: Option<u64>,
    }

    fn read(json: &str) -> Result<(Option<i64>, Option<u64>), serde_json::Error> {
        serde_json::from_str::<Body>(json).map(|b| (b.signed, b.unsigned))
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        assert_eq!(read(r#"{"signed": 5, "unsigned": 5}"#).unwrap(), (Some(5), Some(5)));
        assert_eq!(
            read(r#"{"signed": -5.0, "unsigned": 100.0}"#).unwrap(),
            (Some(-5), Some(100))
        );
        assert_eq!(read(r#"{"signed": null}"#).unwrap(), (None, None));
        assert_eq!(read("{}").unwrap(), (None, None));
        assert_eq!(read(r#"{"signed": 9223372036854775807}"#).unwrap().0, Some(i64::MAX));
        assert_eq!(read(r#"{"unsigned": 18446744073709551615}"#).unwrap().1, Some(u64::MAX));
    }

    #[test]
    fn fractions_strings_and_out_of_range_are_refused() {
        for bad in [
            r#"{"signed": 1.5}"#,
            r#"{"signed": "5"}"#,
            r#"{"signed": 9223372036854775808}"#,
            r#"{"signed": 1e300}"#,
            r#"{"unsigned": -1}"#,
            r#"{"unsigned": -1.0}"#,
            r#"{"unsigned": 18446744073709551616}"#,
            r#"{"unsigned": true}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
