//! Text that goes to an agent: cutting to a length (always on a character boundary, marked with `…`) and
//! Markdown table rows whose cells are escaped. The one place both are written.

/// The first `max` characters of `s`, with `…` when something was cut.
pub fn cut_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The first `max` bytes of `s` (fewer, to end on a character boundary), with `…` when something was cut.
pub fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The first line of `s`, cut to `max` characters.
pub fn first_line(s: &str, max: usize) -> String {
    cut_chars(s.lines().next().unwrap_or("").trim_end(), max)
}

/// A Markdown table cell: `|` escaped and line breaks turned into spaces, so a value never breaks the table.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A Markdown table heading with its separator line.
pub fn table_heading(columns: &[&str]) -> String {
    let names: Vec<String> = columns.iter().map(|c| cell(c)).collect();
    format!("| {} |\n|{}", names.join(" | "), "---|".repeat(columns.len()))
}

/// A Markdown table row; every cell is escaped with [`cell`].
pub fn table_row<S: AsRef<str>>(cells: &[S]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| cell(c.as_ref())).collect();
    format!("| {} |", cells.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(cut_chars("héllo", 2), "hé…");
        assert_eq!(cut_chars("hé", 2), "hé");
        assert_eq!(cut_bytes("héllo", 2), "h…");
        assert_eq!(cut_bytes("hello", 5), "hello");
        assert_eq!(first_line("one\ntwo", 10), "one");
    }

    #[test]
    fn table_cells_cannot_break_the_table() {
        assert_eq!(table_heading(&["a", "b"]), "| a | b |\n|---|---|");
        assert_eq!(table_row(&["x|y", "line\nbreak"]), "| x\\|y | line break |");
    }
}
