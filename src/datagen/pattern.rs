//! Strings that match a JSON Schema `pattern`, for a practical regex subset: literals and escapes
//! (`\d \w \s \. \-` ...), `.`, character classes with ranges and negation (`[a-z0-9_]`, `[^,]`), groups
//! with alternation (`(ab|cd)`, `(?:..)`), quantifiers `? * + {n} {n,} {n,m}` (lazy `?` suffix accepted),
//! and the anchors `^ $`. Back-references, look-around and Unicode classes (`\p{..}`) are refused with a
//! message naming them. Unbounded repetition is capped so strings stay short.

use rand::RngExt;

/// How many times `*`, `+` and `{n,}` repeat at most beyond their minimum.
const OPEN_REPEAT: u32 = 6;
/// The longest string a pattern may produce (quantifiers multiply through groups): longer ones are refused
/// before anything is generated.
pub const MAX_PATTERN_LEN: u64 = 64 * 1024;

#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    alternatives: Vec<Vec<Piece>>,
}

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: u32,
    max: u32,
}

#[derive(Debug, Clone)]
enum Atom {
    Literal(char),
    /// Inclusive char ranges to pick from.
    Class(Vec<(char, char)>),
    Group(Vec<Vec<Piece>>),
}

/// Where quantifiers land: anywhere in their range, or at their ends (edge mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Any,
    Shortest,
    Longest,
}

impl Pattern {
    pub fn parse(source: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = source.chars().collect();
        let mut pos = 0;
        let alternatives = parse_alternatives(&chars, &mut pos, 0)?;
        if pos < chars.len() {
            return Err(format!("unbalanced `)` at position {pos}"));
        }
        let longest = longest(&alternatives);
        if longest > MAX_PATTERN_LEN {
            return Err(format!(
                "its quantifiers allow strings of up to {longest} characters; at most {MAX_PATTERN_LEN} are generated (lower the `{{n,m}}` bounds)"
            ));
        }
        Ok(Pattern { source: source.to_string(), alternatives })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The pattern followed by a few letters: without `$` a pattern matches longer names too (`^x-` matches
    /// `x-trace`), and names generated from `patternProperties` read better that way.
    pub fn open_ended(mut self) -> Pattern {
        for alternative in &mut self.alternatives {
            alternative.push(Piece { atom: Atom::Class(vec![('a', 'z')]), min: 3, max: 8 });
        }
        self
    }

    pub fn generate<R: RngExt + ?Sized>(&self, rng: &mut R, reach: Reach) -> String {
        let mut out = String::new();
        emit_alternatives(&self.alternatives, rng, reach, &mut out);
        out
    }
}

fn parse_alternatives(chars: &[char], pos: &mut usize, depth: usize) -> Result<Vec<Vec<Piece>>, String> {
    if depth > 20 {
        return Err("groups nested deeper than 20".into());
    }
    let mut alternatives = vec![vec![]];
    while *pos < chars.len() {
        let c = chars[*pos];
        let atom = match c {
            ')' if depth > 0 => break,
            ')' => return Err(format!("unbalanced `)` at position {}", *pos)),
            '|' => {
                *pos += 1;
                alternatives.push(vec![]);
                continue;
            }
            '^' | '$' => {
                *pos += 1;
                continue;
            }
            '(' => {
                *pos += 1;
                if chars.get(*pos) == Some(&'?') {
                    if chars.get(*pos + 1) == Some(&':') {
                        *pos += 2;
                    } else {
                        return Err(format!(
                            "look-around and named groups (`(?` at position {}) are not supported",
                            *pos - 1
                        ));
                    }
                }
                let inner = parse_alternatives(chars, pos, depth + 1)?;
                if chars.get(*pos) != Some(&')') {
                    return Err("a group `(` without its `)`".into());
                }
                *pos += 1;
                Atom::Group(inner)
            }
            '[' => parse_class(chars, pos)?,
            '.' => {
                *pos += 1;
                Atom::Class(vec![(' ', '~')])
            }
            '\\' => {
                *pos += 1;
                let e = *chars.get(*pos).ok_or("a trailing `\\`")?;
                *pos += 1;
                escape_atom(e)?
            }
            '*' | '+' | '?' | '{' => {
                return Err(format!("a quantifier `{c}` with nothing to repeat at position {}", *pos))
            }
            _ => {
                *pos += 1;
                Atom::Literal(c)
            }
        };
        let (min, max) = parse_quantifier(chars, pos)?;
        alternatives.last_mut().expect("one alternative at least").push(Piece { atom, min, max });
    }
    Ok(alternatives)
}

fn escape_atom(e: char) -> Result<Atom, String> {
    Ok(match e {
        'd' => Atom::Class(vec![('0', '9')]),
        'w' => Atom::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]),
        's' => Atom::Class(vec![(' ', ' ')]),
        'D' => Atom::Class(vec![('a', 'z')]),
        'W' | 'S' => Atom::Class(vec![('-', '-')]),
        'n' => Atom::Literal('\n'),
        't' => Atom::Literal('\t'),
        'p' | 'P' => return Err("Unicode classes (`\\p{..}`) are not supported".into()),
        '1'..='9' => return Err("back-references are not supported".into()),
        'b' | 'B' => return Err("word boundaries (`\\b`) are not supported".into()),
        c if c.is_ascii_alphanumeric() => return Err(format!("the escape `\\{c}` is not supported")),
        c => Atom::Literal(c),
    })
}

fn parse_class(chars: &[char], pos: &mut usize) -> Result<Atom, String> {
    *pos += 1; // '['
    let negated = chars.get(*pos) == Some(&'^');
    if negated {
        *pos += 1;
    }
    let mut ranges = vec![];
    let mut first = true;
    loop {
        let c = *chars.get(*pos).ok_or("a class `[` without its `]`")?;
        if c == ']' && !first {
            *pos += 1;
            break;
        }
        first = false;
        *pos += 1;
        let lo = if c == '\\' {
            let e = *chars.get(*pos).ok_or("a trailing `\\` in a class")?;
            *pos += 1;
            match escape_atom(e)? {
                Atom::Class(rs) => {
                    ranges.extend(rs);
                    continue;
                }
                Atom::Literal(l) => l,
                Atom::Group(_) => unreachable!("escapes are never groups"),
            }
        } else {
            c
        };
        if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|n| *n != ']') {
            let hi = chars[*pos + 1];
            *pos += 2;
            if hi < lo {
                return Err(format!("the class range `{lo}-{hi}` is reversed"));
            }
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
    if negated {
        // The printable ASCII characters the class leaves out.
        let outside: Vec<(char, char)> =
            (' '..='~').filter(|c| !ranges.iter().any(|(a, b)| a <= c && c <= b)).map(|c| (c, c)).collect();
        if outside.is_empty() {
            return Err("a negated class that excludes every printable character".into());
        }
        return Ok(Atom::Class(outside));
    }
    Ok(Atom::Class(ranges))
}

fn parse_quantifier(chars: &[char], pos: &mut usize) -> Result<(u32, u32), String> {
    let q = match chars.get(*pos) {
        Some('?') => (0, 1),
        Some('*') => (0, OPEN_REPEAT),
        Some('+') => (1, 1 + OPEN_REPEAT),
        Some('{') => {
            let close = chars[*pos..].iter().position(|c| *c == '}').ok_or("a `{` quantifier without its `}`")? + *pos;
            let body: String = chars[*pos + 1..close].iter().collect();
            let number = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("the quantifier `{{{body}}}` is not `{{n}}`, `{{n,}}` or `{{n,m}}`"))
            };
            let (min, max) = match body.split_once(',') {
                None => {
                    let n = number(&body)?;
                    (n, n)
                }
                Some((a, "")) => {
                    let n = number(a)?;
                    (n, n.saturating_add(OPEN_REPEAT))
                }
                Some((a, b)) => (number(a)?, number(b)?),
            };
            if min > max {
                return Err(format!("the quantifier `{{{body}}}` has its minimum above its maximum"));
            }
            *pos = close;
            (min, max)
        }
        _ => return Ok((1, 1)),
    };
    *pos += 1;
    if chars.get(*pos) == Some(&'?') {
        *pos += 1; // lazy: same strings
    }
    Ok(q)
}

/// The longest string the alternatives can produce, saturating.
fn longest(alts: &[Vec<Piece>]) -> u64 {
    alts.iter()
        .map(|pieces| {
            pieces.iter().fold(0u64, |sum, p| {
                let one = match &p.atom {
                    Atom::Group(inner) => longest(inner),
                    _ => 1,
                };
                sum.saturating_add(one.saturating_mul(p.max as u64))
            })
        })
        .max()
        .unwrap_or(0)
}

fn emit_alternatives<R: RngExt + ?Sized>(alts: &[Vec<Piece>], rng: &mut R, reach: Reach, out: &mut String) {
    let pieces = &alts[rng.random_range(0..alts.len())];
    for p in pieces {
        let times = match reach {
            Reach::Any => rng.random_range(p.min..=p.max),
            Reach::Shortest => p.min,
            Reach::Longest => p.max,
        };
        for _ in 0..times {
            match &p.atom {
                Atom::Literal(c) => out.push(*c),
                Atom::Class(ranges) => out.push(pick_in_ranges(ranges, rng)),
                Atom::Group(inner) => emit_alternatives(inner, rng, reach, out),
            }
        }
    }
}

fn pick_in_ranges<R: RngExt + ?Sized>(ranges: &[(char, char)], rng: &mut R) -> char {
    let total: u32 = ranges.iter().map(|(a, b)| *b as u32 - *a as u32 + 1).sum();
    let mut k = rng.random_range(0..total);
    for (a, b) in ranges {
        let width = *b as u32 - *a as u32 + 1;
        if k < width {
            return char::from_u32(*a as u32 + k).unwrap_or(*a);
        }
        k -= width;
    }
    ranges[0].0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_strings_match_their_pattern() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        for p in [
            r"^[A-Z]{3}-\d{4}$",
            r"^(ord|inv)_[0-9a-f]{8}$",
            r"^\w+@example\.(com|org)$",
            r"^[^,]{2,5}$",
            r"^a(?:b|c)*d?$",
            r"^[a-z0-9_-]+$",
        ] {
            let pattern = Pattern::parse(p).unwrap();
            let re = regex::Regex::new(p).unwrap();
            for reach in [Reach::Any, Reach::Shortest, Reach::Longest] {
                for _ in 0..50 {
                    let s = pattern.generate(&mut rng, reach);
                    assert!(re.is_match(&s), "{p} gave {s:?}");
                }
            }
        }
    }

    #[test]
    fn unsupported_constructs_are_named() {
        assert!(Pattern::parse(r"(\w)\1").unwrap_err().contains("back-references"));
        assert!(Pattern::parse(r"(?=a)b").unwrap_err().contains("look-around"));
        assert!(Pattern::parse(r"\p{L}+").unwrap_err().contains("Unicode classes"));
        assert!(Pattern::parse(r"a{3,1}").unwrap_err().contains("minimum above"));
        assert!(Pattern::parse(r"(ab").unwrap_err().contains("without its"));
    }

    #[test]
    fn huge_quantifiers_are_refused_before_generating() {
        for p in [r"a{1000000000}", r"a{4294967295,}", r"(a{1000}){1000}", r"((a{100}){100}){100}"] {
            assert!(Pattern::parse(p).unwrap_err().contains("at most 65536"), "{p}");
        }
        assert!(Pattern::parse(r"a{1000}").is_ok());
    }
}
