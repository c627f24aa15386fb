//! RFC 3339 timestamps in UTC to the second (`2026-11-22T14:02:11Z`), as `docs/API.md` writes them.
//!
//! A listing of 10,000 secrets carries up to 30,000 of them, and the TUI decodes ten times as
//! many: both directions have a fast path for exactly that form (written into a stack buffer,
//! read from the borrowed text) and fall back to `time`'s general RFC 3339 code for the rest.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The length of `YYYY-MM-DDTHH:MM:SSZ`.
const SHORT: usize = 20;

/// Formats a timestamp the way the API sends it.
pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    match short_form(t) {
        Some(buf) => as_text(&buf).to_owned(),
        None => {
            let t = t.replace_nanosecond(0).unwrap_or(t);
            t.format(&Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a UTC time in years 0 to 9999 (every other year goes the slow way).
fn short_form(t: OffsetDateTime) -> Option<[u8; SHORT]> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut buf = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut v = value;
        for i in (0..digits).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, u32::from(u8::from(t.month())), 2);
    put(8, u32::from(t.day()), 2);
    put(11, u32::from(t.hour()), 2);
    put(14, u32::from(t.minute()), 2);
    put(17, u32::from(t.second()), 2);
    Some(buf)
}

/// The short form as text; it holds ASCII digits and punctuation only.
fn as_text(buf: &[u8; SHORT]) -> &str {
    std::str::from_utf8(buf).unwrap_or_default()
}

pub fn parse(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    match parse_short(s.as_bytes()) {
        Some(t) => Ok(t),
        None => OffsetDateTime::parse(s, &Rfc3339),
    }
}

/// Reads exactly `YYYY-MM-DDTHH:MM:SSZ`; anything else (or an impossible date) is left to `time`,
/// which also gives the error.
fn parse_short(b: &[u8]) -> Option<OffsetDateTime> {
    if b.len() != SHORT
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let month = Month::try_from(u8::try_from(num(5, 7)?).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(num(0, 4)?).ok()?, month, u8::try_from(num(8, 10)?).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(num(11, 13)?).ok()?,
        u8::try_from(num(14, 16)?).ok()?,
        u8::try_from(num(17, 19)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    match short_form(t.to_offset(UtcOffset::UTC)) {
        Some(buf) => s.serialize_str(as_text(&buf)),
        None => s.serialize_str(&format(*t)),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    d.deserialize_str(TimestampVisitor)
}

/// Parses the borrowed text where the decoder can lend it, instead of an owned copy of each.
struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = OffsetDateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<OffsetDateTime, E> {
        parse(v).map_err(E::custom)
    }
}

/// "just now", "5m ago", "3h ago", "3d ago", "4mo ago", "2y ago", or "never".
pub fn relative(now: OffsetDateTime, t: Option<OffsetDateTime>) -> String {
    let Some(t) = t else { return "never".into() };
    let secs = (now - t).whole_seconds();
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3_600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3_600),
        s if s < 100 * 86_400 => format!("{}d ago", s / 86_400),
        s if s < 730 * 86_400 => format!("{}mo ago", s / (30 * 86_400)),
        s => format!("{}y ago", s / (365 * 86_400)),
    }
}

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&Wrapped(*t)),
            None => s.serialize_none(),
        }
    }

    /// Serializes through the fast path of `super::serialize`.
    struct Wrapped(OffsetDateTime);

    impl serde::Serialize for Wrapped {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(&self.0, s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
        d.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<OffsetDateTime>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_paths_agree_with_time() {
        let mut t = OffsetDateTime::from_unix_timestamp(0).unwrap();
        // Every month and day boundary over four years, leap day included, at odd hours.
        for _ in 0..1_500 {
            let slow = t.format(&Rfc3339).unwrap();
            assert_eq!(format(t), slow);
            assert_eq!(parse(&slow).unwrap(), t);
            assert_eq!(parse_short(slow.as_bytes()), Some(t));
            t += time::Duration::seconds(86_400 + 3_600 + 61);
        }
        // Sub-seconds are dropped when writing; other forms are read by `time`.
        let precise = parse("2026-11-22T14:02:11.250Z").unwrap();
        assert_eq!(format(precise), "2026-11-22T14:02:11Z");
        assert_eq!(
            parse("2026-11-22T15:02:11+01:00").unwrap(),
            parse("2026-11-22T14:02:11Z").unwrap()
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T14:02Z",
            "x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_round_trip_with_and_without_a_value() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "super")]
            at: OffsetDateTime,
            #[serde(with = "super::option")]
            maybe: Option<OffsetDateTime>,
        }
        let at = parse("2026-11-22T14:02:11Z").unwrap();
        for row in [Row { at, maybe: Some(at) }, Row { at, maybe: None }] {
            let json = serde_json::to_string(&row).unwrap();
            assert!(json.contains("\"2026-11-22T14:02:11Z\""), "{json}");
            assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        }
        assert!(serde_json::from_str::<Row>(r#"{"at":"yesterday","maybe":null}"#).is_err());
        assert!(serde_json::from_str::<Row>(r#"{"at":3,"maybe":null}"#).is_err());
    }
}
