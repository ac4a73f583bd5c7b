//! String formats the inference recognises. Each detector is deliberately stricter than the JSON Schema
//! validators (the `jsonschema` crate, Python `jsonschema`), so a format inferred from samples is always
//! one those samples pass when formats are asserted.

/// A format name and its detector.
type Format = (&'static str, fn(&str) -> bool);

/// The formats, in the order of preference when several still match every value seen.
pub const FORMATS: [Format; 6] = [
    ("date-time", is_date_time),
    ("date", is_date),
    ("uuid", is_uuid),
    ("email", is_email),
    ("ipv4", is_ipv4),
    ("uri", is_uri),
];

/// Bit mask with one bit per entry of [`FORMATS`].
pub const ALL: u8 = (1 << FORMATS.len()) - 1;

/// The formats of `mask` that `s` still matches.
#[inline]
pub fn narrow(mask: u8, s: &str) -> u8 {
    let mut out = 0;
    for (i, (_, check)) in FORMATS.iter().enumerate() {
        if mask & (1 << i) != 0 && check(s) {
            out |= 1 << i;
        }
    }
    out
}

/// The preferred format name left in `mask`.
pub fn name(mask: u8) -> Option<&'static str> {
    FORMATS.iter().enumerate().find(|(i, _)| mask & (1 << i) != 0).map(|(_, (n, _))| *n)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DD` naming a real calendar day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    match (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10])) {
        (Some(y), Some(m), Some(d)) => chrono::NaiveDate::from_ymd_opt(y as i32, m, d).is_some(),
        _ => false,
    }
}

/// RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, upper-case `T` and `Z`, no leap second.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || !is_date(&s[..10]) {
        return false;
    }
    let time_ok = b[13] == b':'
        && b[16] == b':'
        && matches!(digits(&b[11..13]), Some(h) if h < 24)
        && matches!(digits(&b[14..16]), Some(m) if m < 60)
        && matches!(digits(&b[17..19]), Some(s) if s < 60);
    if !time_ok {
        return false;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &rest[1 + n..];
    }
    match rest {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!(digits(&[*h1, *h2]), Some(h) if h < 24) && matches!(digits(&[*m1, *m2]), Some(m) if m < 60)
        }
        _ => false,
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// Dotted decimal, four parts 0-255 without leading zeros.
pub fn is_ipv4(s: &str) -> bool {
    s.len() <= 15 && s.parse::<std::net::Ipv4Addr>().is_ok()
}

/// A plain address: `local@domain.tld`, local part of letters, digits and `._%+-` (no dot at either end,
/// no two dots), domain of at least two DNS labels and an alphabetic top-level label.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(|c| c.is_ascii_alphanumeric() || b"._%+-".contains(&c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    local_ok && is_domain(domain)
}

fn is_domain(d: &str) -> bool {
    if d.len() > 253 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    };
    let (mut labels, mut last) = (0, "");
    for l in d.split('.') {
        if !label_ok(l) {
            return false;
        }
        labels += 1;
        last = l;
    }
    labels >= 2 && last.len() >= 2 && last.bytes().all(|c| c.is_ascii_alphabetic())
}

/// `scheme://host[:port][/path][?query][#fragment]` with a DNS host and only unreserved, sub-delimiter or
/// percent-encoded characters after it: the common web address, a strict subset of RFC 3986.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else { return false };
    let scheme_ok = scheme.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.bytes().all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c));
    if !scheme_ok {
        return false;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.len() <= 5 && digits(port.as_bytes()).is_some() => h,
        Some(_) => return false,
        None => authority,
    };
    if !(is_domain(host) || host == "localhost" || is_ipv4(host)) {
        return false;
    }
    let mut bytes = tail.bytes();
    let mut seen_fragment = false;
    while let Some(c) = bytes.next() {
        match c {
            b'%' => {
                let (a, b) = (bytes.next(), bytes.next());
                if !(a.is_some_and(|a| a.is_ascii_hexdigit()) && b.is_some_and(|b| b.is_ascii_hexdigit())) {
                    return false;
                }
            }
            b'#' if seen_fragment => return false,
            b'#' => seen_fragment = true,
            c if c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&c) => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detectors_accept_the_usual_forms_and_refuse_near_misses() {
        assert!(is_date_time("2024-01-15T03:00:01Z") && is_date_time("2024-01-15T03:00:01.123+02:00"));
        for bad in [
            "2024-01-15 03:00:01Z",
            "2024-02-30T00:00:00Z",
            "2024-01-15T24:00:00Z",
            "2024-01-15T03:00:01",
            "2024-01-15T03:00:01.Z",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-1-05"));
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000") && !is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(is_email("ada.lovelace+test@example.co.uk"));
        for bad in ["a@b", ".a@b.com", "a..b@c.com", "a@-b.com", "a b@c.com", "a@b.c0m"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_ipv4("10.0.0.255") && !is_ipv4("10.0.0.256") && !is_ipv4("010.0.0.1"));
        assert!(is_uri("https://shop.example.com:8443/p/42?x=1&y=%20#top") && is_uri("http://localhost/x"));
        for bad in
            ["example.com/x", "https://exa mple.com", "https://e.com/%zz", "mailto:a@b.com", "https://e.com/a#b#c"]
        {
            assert!(!is_uri(bad), "{bad}");
        }
        assert_eq!(name(narrow(ALL, "2024-01-15")), Some("date"));
        assert_eq!(narrow(ALL, "hello"), 0);
    }
}
