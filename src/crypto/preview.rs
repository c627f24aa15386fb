//! Masked previews: enough to recognise a value, never enough to use it.

/// `sk-a****abcd`: the first and last four characters of values of 12 characters or more;
/// `****` alone for shorter values, where eight visible characters would give most of it away.
pub fn preview(value: &str) -> String {
    let n = value.chars().count();
    if n < 12 {
        return "****".to_owned();
    }
    let head: String = value.chars().take(4).collect();
    let tail: String = value.chars().skip(n - 4).collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(preview("a"), "****");
        assert_eq!(preview("12345678901"), "****");
    }

    #[test]
    fn long_values_show_ends() {
        assert_eq!(preview("123456789012"), "1234****9012");
        assert_eq!(preview("sk-ant-api03-xyzabcd"), "sk-a****abcd");
    }

    #[test]
    fn multibyte_characters_are_not_split() {
        assert_eq!(preview("ééééxxxxxxxxüüüü"), "éééé****üüüü");
    }
}
