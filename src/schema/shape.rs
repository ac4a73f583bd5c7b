//! String shapes, for `pattern`: what every value of a position looks like, in bounded memory.
//!
//! Two summaries are kept side by side, both idempotent (a value seen twice changes nothing):
//! - the token structure: runs of upper-case letters, lower-case letters and digits, and single literal
//!   characters (`ORD-000123` is `[A-Z]{3}` `-` `[0-9]{6}`), each run with its length range and its text while
//!   every value has the same (`ORD`). Values with another structure end it.
//! - the charset: a literal prefix and suffix common to every value, and the set of characters in between
//!   (`ord_` then `[0-9a-f]`), for identifiers whose structure varies (hex, slugs). Characters outside
//!   letters, digits and `-_.:` end it.
//!
//! Only ASCII values of at most 64 characters are shaped; anything else ends both summaries.

/// Longest value shaped; longer text is not an identifier.
const MAX_CHARS: usize = 64;
/// Most tokens in a structure (a date-time has 14: past this it is text or a format).
const MAX_TOKENS: usize = 12;
/// Longest literal prefix or suffix kept.
const AFFIX: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
    Lit(u8),
}

/// Character codes for the hot loops (table lookups, no calls): runs of a class share one code, any other
/// character is its own code.
const UPPER: u16 = 0x100;
const LOWER: u16 = 0x200;
const DIGIT: u16 = 0x300;
const CODES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            b'A'..=b'Z' => UPPER,
            b'a'..=b'z' => LOWER,
            b'0'..=b'9' => DIGIT,
            _ => i as u16,
        };
        i += 1;
    }
    t
};
/// Characters the charset summary accepts: letters, digits and `-_.:`.
const ALLOWED: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).is_ascii_alphanumeric() || matches!(i as u8, b'-' | b'_' | b'.' | b':');
        i += 1;
    }
    t
};

fn class(code: u16) -> Class {
    match code {
        UPPER => Class::Upper,
        LOWER => Class::Lower,
        DIGIT => Class::Digit,
        other => Class::Lit(other as u8),
    }
}

#[derive(Debug)]
struct Token {
    code: u16,
    min: usize,
    max: usize,
    /// The run's text while every value had the same.
    text: Option<Box<[u8]>>,
}

#[derive(Debug, Default)]
pub struct Shape {
    started: bool,
    tokens: Option<Vec<Token>>,
    charset: bool,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    /// Characters seen between the prefix and the suffix (bit per ASCII code).
    body: u128,
}

/// A pattern and what kind of shape it came from.
pub struct Found {
    pub pattern: String,
    /// "structure" or "charset".
    pub kind: &'static str,
}

fn bit(c: u8) -> u128 {
    1u128 << (c & 0x7f)
}

/// Merges `b`'s runs into `tokens`; false when `b` has another structure.
fn merge(tokens: &mut [Token], b: &[u8]) -> bool {
    let mut t = 0;
    let same = runs(b, |code, run| {
        let Some(tok) = tokens.get_mut(t) else { return false };
        if tok.code != code {
            return false;
        }
        tok.min = tok.min.min(run.len());
        tok.max = tok.max.max(run.len());
        if tok.text.as_deref().is_some_and(|x| x != run) {
            tok.text = None;
        }
        t += 1;
        true
    });
    same && t == tokens.len()
}

fn runs(b: &[u8], mut each: impl FnMut(u16, &[u8]) -> bool) -> bool {
    let mut i = 0;
    while i < b.len() {
        let c = CODES[b[i] as usize];
        let start = i;
        i += 1;
        if c >= UPPER {
            while i < b.len() && CODES[b[i] as usize] == c {
                i += 1;
            }
        }
        if !each(c, &b[start..i]) {
            return false;
        }
    }
    true
}

impl Shape {
    /// Adds one value; false once neither summary is alive (the caller may drop the shape).
    pub fn add(&mut self, s: &str) -> bool {
        let b = s.as_bytes();
        if !s.is_ascii() || b.is_empty() || b.len() > MAX_CHARS {
            self.tokens = None;
            self.charset = false;
            self.started = true;
            return false;
        }
        if !self.started {
            self.started = true;
            let mut tokens = Vec::new();
            let fits = runs(b, |c, run| {
                tokens.push(Token { code: c, min: run.len(), max: run.len(), text: Some(run.into()) });
                tokens.len() <= MAX_TOKENS
            });
            self.tokens = fits.then_some(tokens);
            self.charset = b.iter().all(|c| ALLOWED[*c as usize]);
            // The first value splits in two: its first half may be a literal prefix, its second a suffix.
            let p = b.len().div_ceil(2).min(AFFIX);
            let s = (b.len() - p).min(AFFIX);
            self.prefix = b[..p].to_vec();
            self.suffix = b[b.len() - s..].to_vec();
            b[p..b.len() - s].iter().for_each(|c| self.body |= bit(*c));
            return self.alive();
        }
        if let Some(tokens) = &mut self.tokens {
            if !merge(tokens, b) {
                self.tokens = None;
            }
        }
        if self.charset {
            if !b.iter().all(|c| ALLOWED[*c as usize]) {
                self.charset = false;
            } else {
                self.affixes(b);
            }
        }
        self.alive()
    }

    /// Shortens the common prefix and suffix to what `b` shares, the characters they lose and `b`'s
    /// characters between them going to the body.
    fn affixes(&mut self, b: &[u8]) {
        if !self.prefix.is_empty() {
            let p = self.prefix.iter().zip(b).take_while(|(x, y)| x == y).count();
            for c in self.prefix.drain(p..) {
                self.body |= bit(c);
            }
        }
        if !self.suffix.is_empty() {
            let s = self.suffix.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
            let cut = self.suffix.len() - s;
            for c in self.suffix.drain(..cut) {
                self.body |= bit(c);
            }
        }
        let end = b.len().saturating_sub(self.suffix.len());
        let mut body = self.body;
        for c in b.get(self.prefix.len()..end).unwrap_or(&[]) {
            body |= 1u128 << (*c & 0x7f);
        }
        self.body = body;
    }

    pub fn alive(&self) -> bool {
        self.tokens.is_some() || self.charset
    }

    /// The pattern every value added matches, when the shape is a stable one (see the rules in
    /// `structure` and `charset`); `min_len`/`max_len` are the values' shortest and longest lengths.
    pub fn pattern(&self, min_len: usize, max_len: usize) -> Option<Found> {
        if self.tokens.as_ref().is_some_and(|t| t.iter().all(|t| t.text.is_some())) {
            return None; // one constant value
        }
        if let Some(p) = self.tokens.as_deref().and_then(structure) {
            return Some(Found { pattern: p, kind: "structure" });
        }
        if self.charset {
            return self.charset_pattern(min_len, max_len).map(|p| Found { pattern: p, kind: "charset" });
        }
        None
    }

    /// Prefix, charset body, suffix. The literal prefix ends at its last separator and the suffix starts at
    /// its first (a prefix `ORD-000` of values `ORD-000123`..`ORD-000999` is chance, `ORD-` is not). Refused
    /// for letters alone of varying length (words), for mixed-case letters without digits (names), and when
    /// a value would have an empty body.
    fn charset_pattern(&self, min_len: usize, max_len: usize) -> Option<String> {
        let mut body = self.body;
        let mut prefix = self.prefix.as_slice();
        let keep = prefix.iter().rposition(|c| !c.is_ascii_alphanumeric()).map_or(0, |i| i + 1);
        prefix[keep..].iter().for_each(|c| body |= bit(*c));
        prefix = &prefix[..keep];
        let mut suffix = self.suffix.as_slice();
        let start = suffix.iter().position(|c| !c.is_ascii_alphanumeric()).unwrap_or(suffix.len());
        suffix[..start].iter().for_each(|c| body |= bit(*c));
        suffix = &suffix[start..];
        if min_len < prefix.len() + suffix.len() + 1 {
            suffix.iter().for_each(|c| body |= bit(*c));
            suffix = &[];
        }
        if min_len < prefix.len() + 1 {
            prefix.iter().for_each(|c| body |= bit(*c));
            prefix = &[];
        }
        let has = |lo: u8, hi: u8| (lo..=hi).any(|c| body & bit(c) != 0);
        let only = |lo: u8, hi: u8, within: u8| (lo..=hi).all(|c| body & bit(c) == 0 || c <= within);
        let (digits, lower, upper) = (has(b'0', b'9'), has(b'a', b'z'), has(b'A', b'Z'));
        let seps: Vec<u8> = b"_.:-".iter().copied().filter(|c| body & bit(*c) != 0).collect();
        let fixed = min_len == max_len;
        if lower && upper && !digits {
            return None;
        }
        let kinds = usize::from(digits) + usize::from(lower || upper) + usize::from(!seps.is_empty());
        if kinds < 2 && !fixed && prefix.is_empty() {
            return None;
        }
        if !digits && !lower && !upper {
            return None;
        }
        let mut class = String::from("[");
        if digits {
            class.push_str("0-9");
        }
        // Hexadecimal when digits and only a-f letters were seen.
        if upper {
            class.push_str(if digits && only(b'A', b'Z', b'F') { "A-F" } else { "A-Z" });
        }
        if lower {
            class.push_str(if digits && only(b'a', b'z', b'f') { "a-f" } else { "a-z" });
        }
        // `-` comes last (seps lists it last), where it is a literal in every regex dialect.
        seps.iter().for_each(|c| class.push(*c as char));
        class.push(']');
        let body_len = min_len - prefix.len() - suffix.len();
        let quantifier = if fixed { format!("{{{body_len}}}") } else { "+".to_string() };
        Some(format!("^{}{class}{quantifier}{}$", escape(prefix), escape(suffix)))
    }
}

/// The structure's pattern, when it is a stable shape: not a constant, no control characters, whitespace
/// only between constant words, and anchored by at least one digit run, constant word or fixed-length run
/// of two or more letters (so `Berlin`/`Lyon`, names and sentences give none).
fn structure(tokens: &[Token]) -> Option<String> {
    if tokens.iter().all(|t| t.text.is_some()) {
        return None;
    }
    let letters = |t: &Token| matches!(class(t.code), Class::Upper | Class::Lower);
    let space = tokens.iter().any(|t| matches!(class(t.code), Class::Lit(c) if c.is_ascii_whitespace()));
    if space && tokens.iter().any(|t| letters(t) && t.text.is_none()) {
        return None;
    }
    if tokens.iter().any(|t| matches!(class(t.code), Class::Lit(c) if c.is_ascii_control())) {
        return None;
    }
    let anchored =
        tokens.iter().any(|t| t.code == DIGIT || (letters(t) && (t.text.is_some() || (t.min == t.max && t.min >= 2))));
    if !anchored {
        return None;
    }
    let mut p = String::from("^");
    for t in tokens {
        let class = match (&t.text, class(t.code)) {
            (Some(text), _) => {
                p.push_str(&escape(text));
                continue;
            }
            // A literal keeps its text: one character, the same in every value with this structure.
            (None, Class::Lit(c)) => {
                p.push_str(&escape(&[c]));
                continue;
            }
            (None, Class::Upper) => "[A-Z]",
            (None, Class::Lower) => "[a-z]",
            (None, Class::Digit) => "[0-9]",
        };
        p.push_str(class);
        match (t.min, t.max) {
            (1, 1) => {}
            (a, b) if a == b => p.push_str(&format!("{{{a}}}")),
            (a, b) => p.push_str(&format!("{{{a},{b}}}")),
        }
    }
    p.push('$');
    Some(p)
}

/// Regex-escapes literal text (ECMA-262 syntax characters).
fn escape(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &c in text {
        if b"\\^$.|?*+()[]{}/".contains(&c) {
            out.push('\\');
        }
        out.push(c as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(values: &[String]) -> Option<String> {
        let mut s = Shape::default();
        values.iter().for_each(|v| {
            s.add(v);
        });
        let min = values.iter().map(String::len).min()?;
        let max = values.iter().map(String::len).max()?;
        s.pattern(min, max).map(|f| f.pattern)
    }

    fn matches(p: &str, v: &str) -> bool {
        regex::Regex::new(p).unwrap().is_match(v)
    }

    #[test]
    fn stable_structures_become_patterns() {
        let ids: Vec<String> = (0..40).map(|i| format!("ORD-{:06}", i * 2731 % 999_999)).collect();
        assert_eq!(shape(&ids).as_deref(), Some("^ORD-[0-9]{6}$"));
        let codes: Vec<String> = ["EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "PLN", "CZK", "HUF", "DKK"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(shape(&codes).as_deref(), Some("^[A-Z]{3}$"));
        let skus: Vec<String> = (0..30).map(|i| format!("{}-{}", ["AB", "XYZ"][i % 2], 10 + i * 37)).collect();
        assert_eq!(shape(&skus).as_deref(), Some("^[A-Z]{2,3}-[0-9]{2,4}$"));
        let versions: Vec<String> = (0..20).map(|i| format!("{}.{}.{}", i % 3, i, i * 7)).collect();
        assert_eq!(shape(&versions).as_deref(), Some("^[0-9]\\.[0-9]{1,2}\\.[0-9]{1,3}$"));
        for (p, vs) in [("^ORD-[0-9]{6}$", &ids), ("^[A-Z]{2,3}-[0-9]{2,4}$", &skus)] {
            assert!(vs.iter().all(|v| matches(p, v)));
        }
    }

    #[test]
    fn identifiers_of_varying_structure_get_a_charset() {
        let hex: Vec<String> =
            (0..30u64).map(|i| format!("ord_{:012x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16)).collect();
        assert_eq!(shape(&hex).as_deref(), Some("^ord_[0-9a-f]{12}$"));
        let slugs: Vec<String> = ["blue-mug", "red-chair-2", "lamp", "desk-oak-180", "pen-3-pack", "usb-c-cable"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = shape(&slugs).unwrap();
        assert_eq!(p, "^[0-9a-z-]+$");
        assert!(slugs.iter().all(|v| matches(&p, v)) && !matches(&p, "Blue Mug"));
    }

    #[test]
    fn text_names_and_words_get_no_pattern() {
        let text: Vec<String> = (0..30).map(|i| format!("Please ring {} times at the door {}", i, i * 3)).collect();
        assert_eq!(shape(&text), None, "varying words between spaces");
        let names: Vec<String> = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(shape(&names), None);
        let cities: Vec<String> =
            ["Berlin", "Lyon", "Porto", "Gdansk", "Turin", "Ghent"].iter().map(|s| s.to_string()).collect();
        assert_eq!(shape(&cities), None);
        let words: Vec<String> = ["apple", "pear", "plum", "fig", "kiwi"].iter().map(|s| s.to_string()).collect();
        assert_eq!(shape(&words), None);
        assert_eq!(shape(&["été".to_string(), "x1".to_string()]), None, "not ASCII");
        assert_eq!(shape(&vec!["SAME-1".to_string(); 5]), None, "a constant is no shape");
    }
}
