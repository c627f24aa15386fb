//! Masked previews: enough to recognise a value, never enough to use it.
//!
//! Every member sees every version's preview, so a preview shows less the shorter the value:
//! eight characters of a 12-character value would be most of it.

/// `sk-a****abcd` (the first and last four characters) for values of 24 characters or more;
/// `****abcd` (the last four) from 12 to 23 characters; `****` alone below 12.
pub fn preview(value: &str) -> String {
    let n = value.chars().count();
    if n < 12 {
        return "****".to_owned();
    }
    let tail: String = value.chars().skip(n - 4).collect();
    if n < 24 {
        return format!("****{tail}");
    }
    let head: String = value.chars().take(4).collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(preview(""), "****");
        assert_eq!(preview("a"), "****");
        assert_eq!(preview("12345678901"), "****");
    }

    #[test]
    fn middling_values_show_only_their_last_four() {
        assert_eq!(preview("123456789012"), "****9012");
        assert_eq!(preview("sk-ant-api03-xyzabcd"), "****abcd");
        assert_eq!(preview("12345678901234567890123"), "****0123");
    }

    #[test]
    fn long_values_show_both_ends() {
        assert_eq!(preview("123456789012345678901234"), "1234****1234");
        assert_eq!(preview("sk-ant-api03-0123456789abcd"), "sk-a****abcd");
    }

    #[test]
    fn multibyte_characters_are_not_split() {
        assert_eq!(preview("ééééxxxxxxxxxxxxxxxxüüüü"), "éééé****üüüü");
        assert_eq!(preview("ééééxxxxxxxxüüüü"), "****üüüü");
    }
}
