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

/// A short lower-case word, for strings nothing else describes.
pub fn word<R: RngExt + ?Sized>(rng: &mut R) -> String {
    Word().fake_with_rng(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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
