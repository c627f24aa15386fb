//! Lifetimes on the command line: `90s`, `15m`, `24h`, `30d`, `2w`, or a plain number of seconds.

/// Parses a lifetime into seconds (a clap value parser). Zero is refused: nothing lives 0 s.
pub fn parse_lifetime(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "{s:?} is not a lifetime: use a number with s, m, h, d or w (e.g. 24h, 30d)"
            ));
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a lifetime: use a number with s, m, h, d or w (e.g. 24h, 30d)"))?;
    match n.checked_mul(per_unit) {
        Some(0) => Err("a lifetime must be at least 1 second".into()),
        Some(secs) => Ok(secs),
        None => Err(format!("{s:?} is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_lifetime;

    #[test]
    fn lifetimes_parse_with_their_unit() {
        assert_eq!(parse_lifetime("90"), Ok(90));
        assert_eq!(parse_lifetime("90s"), Ok(90));
        assert_eq!(parse_lifetime("15m"), Ok(900));
        assert_eq!(parse_lifetime("24h"), Ok(86_400));
        assert_eq!(parse_lifetime("30d"), Ok(2_592_000));
        assert_eq!(parse_lifetime("2w"), Ok(1_209_600));
        for bad in ["", "0", "0h", "h", "1y", "-5m", "1.5h", "99999999999999999999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }
}
