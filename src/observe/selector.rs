//! Label matchers, written the same way in PromQL and LogQL selectors.

/// `label="value"`, or `label=~"value"` when the value is a regular expression (`a|b`, `orders.*`).
pub fn label_matcher(label: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    if value.contains(['|', '*', '+', '?', '[', '(']) {
        format!("{label}=~\"{escaped}\"")
    } else {
        format!("{label}=\"{escaped}\"")
    }
}

/// A quoted LogQL/PromQL string literal.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_or_regex_and_escaping() {
        assert_eq!(label_matcher("broker", "2"), "broker=\"2\"");
        assert_eq!(label_matcher("topic", "orders|payments"), "topic=~\"orders|payments\"");
        assert_eq!(label_matcher("k", "a\"b"), "k=\"a\\\"b\"");
        assert_eq!(quoted("No space \\ \"x\""), "\"No space \\\\ \\\"x\\\"\"");
    }
}
