//! Realistic leaf values chosen by format and by field name (email, name, city, price, timestamps in a
//! window...), drawn with the `fake` crate from the caller's seeded RNG so a seed reproduces them.

use chrono::{DateTime, SecondsFormat, Utc};
use fake::faker::address::en::{CityName, CountryCode, CountryName, StateName, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use fake::faker::internet::en::{SafeEmail, Username};
use fake::faker::lorem::en::{Sentence, Word};
use fake::faker::name::en::{FirstName, LastName, Name};
use fake::faker::phone_number::en::PhoneNumber;
use fake::Fake;
use rand::RngExt;

/// The time window timestamps fall in (milliseconds since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Default for Window {
    /// A fixed year, so that a seed reproduces the same timestamps on any day.
    fn default() -> Self {
        Window { start_ms: 1_704_067_200_000, end_ms: 1_735_689_599_000 } // 2024-01-01 .. 2024-12-31T23:59:59Z
    }
}

impl Window {
    pub fn pick_ms<R: RngExt + ?Sized>(&self, rng: &mut R) -> i64 {
        rng.random_range(self.start_ms..=self.end_ms.max(self.start_ms))
    }
}

pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A value for a string `format`, or None when the format is unknown (the caller falls back to text).
pub fn by_format<R: RngExt + ?Sized>(format: &str, rng: &mut R, window: &Window) -> Option<String> {
    Some(match format {
        "date-time" => rfc3339(window.pick_ms(rng)),
        "date" => rfc3339(window.pick_ms(rng))[..10].to_string(),
        "time" => {
            format!("{:02}:{:02}:{:02}Z", rng.random_range(0..24), rng.random_range(0..60), rng.random_range(0..60))
        }
        "email" | "idn-email" => SafeEmail().fake_with_rng(rng),
        "uuid" => uuid(rng),
        "uri" | "iri" | "url" => format!(
            "https://shop.example.com/{}/{}",
            Word().fake_with_rng::<String, _>(rng),
            rng.random_range(1..100_000)
        ),
        "uri-reference" | "iri-reference" => {
            format!("/{}/{}", Word().fake_with_rng::<String, _>(rng), rng.random_range(1..1000))
        }
        "hostname" | "idn-hostname" => format!("{}.example.com", Word().fake_with_rng::<String, _>(rng)),
        "ipv4" => format!(
            "{}.{}.{}.{}",
            rng.random_range(1..=223),
            rng.random_range(0..=255),
            rng.random_range(0..=255),
            rng.random_range(1..=254)
        ),
        "ipv6" => (0..8).map(|_| format!("{:x}", rng.random_range(0..=0xffffu32))).collect::<Vec<_>>().join(":"),
        "duration" => format!("P{}DT{}H", rng.random_range(0..30), rng.random_range(0..24)),
        _ => return None,
    })
}

/// A random version-4 UUID from the seeded RNG.
pub fn uuid<R: RngExt + ?Sized>(rng: &mut R) -> String {
    let bytes: [u8; 16] = rng.random();
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// A realistic string for a field name, or None when the name says nothing.
pub fn by_name<R: RngExt + ?Sized>(name: &str, rng: &mut R, window: &Window) -> Option<String> {
    let n = name;
    let has = |w: &str| n.contains(w);
    Some(if has("email") {
        SafeEmail().fake_with_rng(rng)
    } else if has("first_name") || n == "firstname" {
        FirstName().fake_with_rng(rng)
    } else if has("last_name") || n == "lastname" || n == "surname" {
        LastName().fake_with_rng(rng)
    } else if n == "name" || has("full_name") || has("customer_name") || has("user_name") && !has("username") {
        Name().fake_with_rng(rng)
    } else if has("username") || n == "login" || n == "handle" {
        Username().fake_with_rng(rng)
    } else if has("phone") || has("mobile") {
        PhoneNumber().fake_with_rng(rng)
    } else if has("city") {
        CityName().fake_with_rng(rng)
    } else if has("country_code") {
        CountryCode().fake_with_rng(rng)
    } else if has("country") {
        CountryName().fake_with_rng(rng)
    } else if has("state") && !has("status") {
        StateName().fake_with_rng(rng)
    } else if has("zip") || has("postcode") || has("postal") {
        ZipCode().fake_with_rng(rng)
    } else if has("street") || has("line1") || n == "address" {
        format!("{} {}", rng.random_range(1..9999), StreetName().fake_with_rng::<String, _>(rng))
    } else if has("company") || has("merchant") || has("brand") {
        CompanyName().fake_with_rng(rng)
    } else if has("currency") {
        ["USD", "EUR", "GBP", "JPY", "CHF"][rng.random_range(0..5)].to_string()
    } else if has("sku") {
        format!("SKU-{:06}", rng.random_range(0..1_000_000))
    } else if n.ends_with("_at") || has("timestamp") || has("date") || n == "ts" || n == "time" {
        rfc3339(window.pick_ms(rng))
    } else if n == "id" || n.ends_with("_id") {
        uuid(rng)
    } else if has("description") || has("comment") || has("body") || has("message") || has("text") || has("title") {
        Sentence(3..10).fake_with_rng(rng)
    } else if has("url") || has("link") || has("website") {
        by_format("uri", rng, window)?
    } else if n == "ip" || n.ends_with("_ip") || n.starts_with("ip_") {
        by_format("ipv4", rng, window)?
    } else {
        return None;
    })
}

/// A realistic range and number of decimals for a numeric field name: (low, high, decimals).
pub fn number_hint(name: &str, window: &Window) -> Option<(f64, f64, u32)> {
    let has = |w: &str| name.contains(w);
    Some(
        if has("price") || has("amount") || has("total") || has("cost") || has("subtotal") || has("tax") || has("fee") {
            (1.0, 500.0, 2)
        } else if has("quantity") || has("qty") || has("count") {
            (1.0, 10.0, 0)
        } else if has("rating") || has("stars") {
            (1.0, 5.0, 0)
        } else if has("age") {
            (18.0, 90.0, 0)
        } else if has("percent") || has("discount") {
            (0.0, 100.0, 0)
        } else if has("lat") {
            (-90.0, 90.0, 6)
        } else if has("lon") || has("lng") {
            (-180.0, 180.0, 6)
        } else if name.ends_with("_ms") || has("timestamp") || name.ends_with("_at") || name == "ts" {
            (window.start_ms as f64, window.end_ms as f64, 0)
        } else if has("stock") || has("inventory") {
            (0.0, 500.0, 0)
        } else if name == "id" || name.ends_with("_id") {
            (1.0, 1_000_000.0, 0)
        } else {
            return None;
        },
    )
}

/// Where a timestamp field's name puts it in a record's life (creation first, deletion last), or None when
/// the name says no order. Equal ranks keep no order between them.
pub fn time_rank(name: &str) -> Option<u8> {
    let tokens: Vec<&str> = name.split(['_', '-', '.']).collect();
    let token = |ws: &[&str]| tokens.iter().any(|t| ws.contains(t));
    let timeish = name.ends_with("_at")
        || name.ends_with("_on")
        || name.ends_with("_ts")
        || name.ends_with("_ms")
        || name.contains("date")
        || name.contains("time")
        || name.starts_with("valid_")
        || name.contains("expir");
    // `from`/`to` alone name addresses and accounts as often as times: only with a time word.
    if !timeish && !token(&["start", "end", "begin"]) {
        return None;
    }
    let has = |ws: &[&str]| ws.iter().any(|w| name.contains(w));
    Some(if has(&["birth"]) {
        return None;
    } else if has(&[
        "created",
        "registered",
        "signup",
        "signed_up",
        "placed",
        "ordered",
        "submitted",
        "issued",
        "opened",
    ]) || token(&["start", "begin", "from"])
        || has(&["valid_from", "starts", "started"])
    {
        0
    } else if has(&["paid", "confirmed", "accepted", "approved", "shipped", "published", "first_"]) {
        1
    } else if has(&["delivered", "received", "completed", "closed", "finished", "resolved", "last_"]) {
        2
    } else if has(&["updated", "modified", "changed"]) {
        3
    } else if token(&["end", "until", "to"])
        || has(&["ends", "ended", "valid_to", "expire", "expiry", "deleted", "cancelled", "canceled"])
    {
        4
    } else {
        return None;
    })
}

/// What a string field's name says it holds, for the values that must agree within a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sem {
    Email,
    FirstName,
    LastName,
    FullName,
    Username,
    City,
    State,
    Country,
    CountryCode,
    PostalCode,
    Currency,
    Street,
}

pub fn semantic(n: &str) -> Option<Sem> {
    let has = |w: &str| n.contains(w);
    Some(if has("email") || n == "mail" {
        Sem::Email
    } else if has("first_name") || n == "firstname" || n == "given_name" {
        Sem::FirstName
    } else if has("last_name") || n == "lastname" || n == "surname" || n == "family_name" {
        Sem::LastName
    } else if n == "name"
        || has("full_name")
        || has("fullname")
        || has("customer_name")
        || has("display_name")
        || (has("user_name") && !has("username"))
    {
        Sem::FullName
    } else if has("username") || n == "login" || n == "handle" || n == "user" {
        Sem::Username
    } else if has("city") || n == "town" || n == "locality" {
        Sem::City
    } else if (has("state") && !has("status") && !has("statement")) || has("province") || n == "region" {
        Sem::State
    } else if has("country") && (has("code") || has("iso")) || n == "country_alpha2" {
        Sem::CountryCode
    } else if has("country") {
        Sem::Country
    } else if has("zip") || has("postcode") || has("postal") {
        Sem::PostalCode
    } else if has("currency") {
        Sem::Currency
    } else if has("street") || has("line1") || has("line_1") || n == "address" || n == "address1" {
        Sem::Street
    } else {
        return None;
    })
}

/// A person a record is about: names, and a username and an e-mail address derived from them.
#[derive(Debug, Clone)]
pub struct Persona {
    pub first: String,
    pub last: String,
    pub email: String,
    /// How the username is written (drawn with the rest, made when asked).
    username_style: u8,
    number: u8,
}

const MAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example.com"];

impl Persona {
    pub fn random<R: RngExt + ?Sized>(rng: &mut R) -> Persona {
        let first: String = FirstName().fake_with_rng(rng);
        let last: String = LastName().fake_with_rng(rng);
        let number = rng.random_range(1..100u8);
        let username_style = rng.random_range(0..3u8);
        let domain = MAIL_DOMAINS[rng.random_range(0..MAIL_DOMAINS.len())];
        let mut email = String::with_capacity(first.len() + last.len() + domain.len() + 4);
        match rng.random_range(0..3) {
            0 => {
                push_ascii_lower(&mut email, &first, usize::MAX);
                email.push('.');
                push_ascii_lower(&mut email, &last, usize::MAX);
            }
            1 => {
                push_ascii_lower(&mut email, &first, usize::MAX);
                email.push('.');
                push_ascii_lower(&mut email, &last, usize::MAX);
                email.push_str(&number.to_string());
            }
            _ => {
                push_ascii_lower(&mut email, &first, 1);
                push_ascii_lower(&mut email, &last, usize::MAX);
            }
        }
        email.push('@');
        email.push_str(domain);
        Persona { first, last, email, username_style, number }
    }

    pub fn username(&self) -> String {
        let (f, l) = (ascii_lower(&self.first), ascii_lower(&self.last));
        let n = self.number;
        match self.username_style {
            0 => format!("{f}.{l}"),
            1 => format!("{}{l}{n}", &f[..f.len().min(1)]),
            _ => format!("{f}_{l}{n}"),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

/// Appends the ASCII letters and digits of `s`, lower-cased, at most `max` of them (`user` when none).
fn push_ascii_lower(out: &mut String, s: &str, max: usize) {
    let before = out.len();
    out.extend(s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).take(max));
    if out.len() == before {
        out.push_str("user");
    }
}

fn ascii_lower(s: &str) -> String {
    let out: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    if out.is_empty() {
        "user".into()
    } else {
        out
    }
}

/// `s` cut to at most `max` characters at a word boundary (trailing punctuation dropped); None when even the
/// first word is longer.
pub fn cut_words(s: &str, max: usize) -> Option<String> {
    if s.chars().count() <= max {
        return Some(s.to_string());
    }
    let mut out = String::new();
    for w in s.split_whitespace() {
        let next = if out.is_empty() { w.chars().count() } else { out.chars().count() + 1 + w.chars().count() };
        if next > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    let out = out.trim_end_matches([',', ';', ':', '-']).to_string();
    (!out.is_empty()).then_some(out)
}

/// A short lower-case word, for strings nothing else describes.
pub fn word<R: RngExt + ?Sized>(rng: &mut R) -> String {
    Word().fake_with_rng(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn time_ranks_order_a_records_life() {
        let r = |n: &str| time_rank(n);
        assert!(r("created_at") < r("updated_at") && r("updated_at") < r("deleted_at"));
        assert!(r("start_date") < r("end_date") && r("valid_from") < r("valid_until"));
        assert!(r("shipped_at") < r("delivered_at"));
        for unordered in ["from", "to", "to_account", "birth_date", "sender", "weekend_rate", "status"] {
            assert_eq!(r(unordered), None, "{unordered}");
        }
    }

    #[test]
    fn words_are_cut_between_words_and_names_say_what_they_hold() {
        assert_eq!(cut_words("1093 Moen Trail Extension", 15).as_deref(), Some("1093 Moen Trail"));
        assert_eq!(cut_words("Supercalifragilistic", 5), None);
        assert_eq!(semantic("customer_email"), Some(Sem::Email));
        assert_eq!(semantic("country_code"), Some(Sem::CountryCode));
        assert_eq!(semantic("shipping_country"), Some(Sem::Country));
        assert_eq!(semantic("postal_code"), Some(Sem::PostalCode));
        assert_eq!(semantic("status"), None);
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(2);
        for _ in 0..50 {
            let p = Persona::random(&mut rng);
            let last: String =
                p.last.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
            assert!(p.email.split('@').next().unwrap().contains(&last), "{p:?}");
            assert!(p.username().contains(&last), "{p:?}");
        }
    }

    #[test]
    fn names_and_formats_give_plausible_values() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(1);
        let w = Window::default();
        assert!(by_name("customer_email", &mut rng, &w).unwrap().contains('@'));
        assert!(by_name("created_at", &mut rng, &w).unwrap().starts_with("2024-"));
        assert_eq!(by_format("uuid", &mut rng, &w).unwrap().len(), 36);
        assert!(by_name("colour", &mut rng, &w).is_none());
        assert_eq!(number_hint("unit_price", &w), Some((1.0, 500.0, 2)));
    }
}
