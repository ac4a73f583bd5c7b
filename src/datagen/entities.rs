//! Built-in e-commerce entities, coherent inside each record (a cart's total is its subtotal plus tax, an
//! order's total is the sum of its items), each with a JSON Schema its records validate against and the
//! coherence rules they satisfy. Identifiers are derived from (seed, entity, index), so orders generated
//! with `references` point at the customers and products the same seed generates.

use super::values::{self, Window};
use fake::faker::address::en::{CityName, StreetName, ZipCode};
use fake::faker::lorem::en::{Sentence, Words};
use fake::faker::name::en::{FirstName, LastName};
use fake::faker::phone_number::en::PhoneNumber;
use fake::Fake;
use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    User,
    Product,
    Cart,
    Order,
    Payment,
    Review,
}

/// Pools of earlier-generated identifiers that records refer to (0: fresh identifiers).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// Customers/users referred to are among the first `users` users of the same seed.
    #[serde(default)]
    pub users: usize,
    /// Products referred to are among the first `products` products of the same seed.
    #[serde(default)]
    pub products: usize,
    /// Payments refer to the first `orders` orders of the same seed.
    #[serde(default)]
    pub orders: usize,
}

const CATEGORIES: &[&str] = &["electronics", "books", "garden", "toys", "apparel", "grocery"];
const TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];
const ORDER_STATUSES: &[&str] = &["created", "paid", "shipped", "delivered", "cancelled"];
const METHODS: &[&str] = &["card", "paypal", "bank_transfer", "gift_card"];
const PAYMENT_STATUSES: &[&str] = &["authorized", "captured", "failed", "refunded"];
const UNICODE_NAMES: &[&str] = &["Zoë Ångström", "Łukasz Żółć", "山田 太郎", "Renée O'Connor-Smith", "Σωκράτης Παππάς"];

pub struct EntityGen {
    pub entity: Entity,
    pub seed: u64,
    pub refs: References,
    pub window: Window,
    pub edge: bool,
}

impl Entity {
    pub fn all() -> &'static [Entity] {
        &[Entity::User, Entity::Product, Entity::Cart, Entity::Order, Entity::Payment, Entity::Review]
    }

    pub fn name(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Product => "product",
            Entity::Cart => "cart",
            Entity::Order => "order",
            Entity::Payment => "payment",
            Entity::Review => "review",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Entity::User => "usr",
            Entity::Product => "prd",
            Entity::Cart => "crt",
            Entity::Order => "ord",
            Entity::Payment => "pay",
            Entity::Review => "rev",
        }
    }

    /// The JSON Schema every record of this entity validates against.
    pub fn schema(self) -> Value {
        let id = |p: &str| json!({"type": "string", "pattern": format!("^{p}_[0-9a-f]{{12}}$")});
        let money = json!({"type": "number", "minimum": 0});
        let address = json!({"type": "object", "required": ["line1", "city", "postal_code", "country_code"], "additionalProperties": false, "properties": {
            "line1": {"type": "string", "minLength": 1, "maxLength": 120}, "city": {"type": "string", "minLength": 1, "maxLength": 80},
            "postal_code": {"type": "string", "minLength": 3, "maxLength": 12}, "country_code": {"type": "string", "pattern": "^[A-Z]{2}$"}}});
        let mut user_address = address.clone();
        user_address["properties"]["is_default"] = json!({"type": "boolean"});
        user_address["required"] = json!(["line1", "city", "postal_code", "country_code", "is_default"]);
        let line = |price_key: &str| {
            json!({"type": "object", "required": ["product_id", "quantity", price_key], "additionalProperties": false, "properties": {
            "product_id": id("prd"), "quantity": {"type": "integer", "minimum": 1, "maximum": 20}, price_key: {"type": "number", "exclusiveMinimum": 0}}})
        };
        let (required, properties): (Vec<&str>, Value) = match self {
            Entity::User => (
                vec!["user_id", "email", "name", "phone", "addresses", "loyalty_tier", "created_at"],
                json!({
                "user_id": id("usr"), "email": {"type": "string", "format": "email"}, "name": {"type": "string", "minLength": 1, "maxLength": 100},
                "phone": {"type": "string", "minLength": 5, "maxLength": 32},
                "addresses": {"type": "array", "minItems": 1, "maxItems": 3, "items": user_address},
                "loyalty_tier": {"enum": TIERS}, "created_at": {"type": "string", "format": "date-time"}}),
            ),
            Entity::Product => (
                vec!["product_id", "name", "description", "price", "category", "sku", "stock"],
                json!({
                "product_id": id("prd"), "name": {"type": "string", "minLength": 1, "maxLength": 120}, "description": {"type": "string", "maxLength": 2000},
                "price": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000}, "category": {"enum": CATEGORIES},
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{6}$"}, "stock": {"type": "integer", "minimum": 0}}),
            ),
            Entity::Cart => (
                vec!["cart_id", "customer_id", "items", "subtotal", "tax", "total", "currency"],
                json!({
                "cart_id": id("crt"), "customer_id": id("usr"), "items": {"type": "array", "minItems": 1, "maxItems": 20, "items": line("unit_price")},
                "subtotal": money, "tax": money, "total": money, "currency": {"enum": ["USD", "EUR", "GBP"]}}),
            ),
            Entity::Order => (
                vec![
                    "order_id",
                    "customer_id",
                    "items",
                    "shipping_address",
                    "payment",
                    "status",
                    "total",
                    "created_at",
                ],
                json!({
                "order_id": id("ord"), "customer_id": id("usr"), "items": {"type": "array", "minItems": 1, "maxItems": 20, "items": line("price")},
                "shipping_address": address, "payment": {"type": "object", "required": ["method", "amount"], "additionalProperties": false, "properties": {
                    "method": {"enum": METHODS}, "amount": money}},
                "status": {"enum": ORDER_STATUSES}, "total": money, "created_at": {"type": "string", "format": "date-time"},
                "note": {"type": ["string", "null"], "maxLength": 200}}),
            ),
            Entity::Payment => (
                vec!["payment_id", "order_id", "method", "amount", "status", "card_last_four"],
                json!({
                "payment_id": id("pay"), "order_id": id("ord"), "method": {"enum": METHODS}, "amount": {"type": "number", "exclusiveMinimum": 0},
                "status": {"enum": PAYMENT_STATUSES}, "card_last_four": {"type": ["string", "null"], "pattern": "^[0-9]{4}$"}}),
            ),
            Entity::Review => (
                vec!["review_id", "product_id", "user_id", "rating", "title", "body", "verified_purchase"],
                json!({
                "review_id": id("rev"), "product_id": id("prd"), "user_id": id("usr"), "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "title": {"type": "string", "minLength": 1, "maxLength": 150}, "body": {"type": "string", "minLength": 10, "maxLength": 5000},
                "verified_purchase": {"type": "boolean"}}),
            ),
        };
        json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": self.name(), "type": "object",
               "required": required, "additionalProperties": false, "properties": properties})
    }

    /// Recomputes the derived amounts of an order or a cart from its items (after one value was changed on
    /// purpose, e.g. a quantity set to its bound), so the record is coherent again; other entities unchanged.
    pub fn rebalance(self, r: &mut Value) {
        let cents = |x: f64| json!((x * 100.0).round() / 100.0);
        let price_key = if self == Entity::Cart { "unit_price" } else { "price" };
        let Some(sum) = r["items"].as_array().map(|items| {
            items
                .iter()
                .map(|i| i[price_key].as_f64().unwrap_or(0.0) * i["quantity"].as_f64().unwrap_or(0.0))
                .sum::<f64>()
        }) else {
            return;
        };
        match self {
            Entity::Order => {
                r["total"] = cents(sum);
                if r["payment"].is_object() {
                    r["payment"]["amount"] = cents(sum);
                }
            }
            Entity::Cart => {
                let tax = r["tax"].as_f64().unwrap_or(0.0);
                r["subtotal"] = cents(sum);
                r["total"] = cents(sum + tax);
            }
            _ => {}
        }
    }

    /// The coherence rules of one record: the broken ones, in words (empty when coherent).
    pub fn coherence(self, r: &Value) -> Vec<String> {
        let mut broken = vec![];
        let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
        let near = |a: f64, b: f64| (a - b).abs() < 0.005;
        let items_sum = |price_key: &str| {
            r["items"]
                .as_array()
                .map_or(f64::NAN, |items| items.iter().map(|i| num(&i[price_key]) * num(&i["quantity"])).sum())
        };
        match self {
            Entity::User => {
                let last =
                    r["name"].as_str().and_then(|n| n.split_whitespace().last()).map(local_part).unwrap_or_default();
                if !r["email"].as_str().unwrap_or("").split('@').next().unwrap_or("").contains(&last) {
                    broken.push("the e-mail's local part carries the user's last name".into());
                }
                let defaults =
                    r["addresses"].as_array().map_or(0, |a| a.iter().filter(|x| x["is_default"] == true).count());
                if defaults != 1 {
                    broken.push(format!("exactly one address is the default (found {defaults})"));
                }
            }
            Entity::Product => {
                let prefix = r["category"].as_str().map(|c| c[..3].to_ascii_uppercase()).unwrap_or_default();
                if !r["sku"].as_str().unwrap_or("").starts_with(&prefix) {
                    broken.push("the SKU starts with the category's first three letters".into());
                }
            }
            Entity::Cart => {
                if !near(num(&r["subtotal"]), items_sum("unit_price")) {
                    broken.push("subtotal = sum of items' unit_price * quantity".into());
                }
                if !near(num(&r["total"]), num(&r["subtotal"]) + num(&r["tax"])) {
                    broken.push("total = subtotal + tax".into());
                }
            }
            Entity::Order => {
                if !near(num(&r["total"]), items_sum("price")) {
                    broken.push("total = sum of items' price * quantity".into());
                }
                if !near(num(&r["payment"]["amount"]), num(&r["total"])) {
                    broken.push("payment.amount = total".into());
                }
            }
            Entity::Payment => {
                if (r["method"] == "card") != r["card_last_four"].is_string() {
                    broken.push("card_last_four is set exactly when the method is card".into());
                }
            }
            Entity::Review => {
                if r["verified_purchase"] == true && r["rating"].as_i64().is_none() {
                    broken.push("a verified review carries a rating".into());
                }
                if r["title"].as_str().is_some_and(|t| t.trim().is_empty()) {
                    broken.push("the title is not blank".into());
                }
            }
        }
        broken
    }
}

/// A stable identifier for record `index` of an entity under a seed.
pub fn id_for(entity: Entity, seed: u64, index: u64) -> String {
    let mut x =
        seed ^ (entity as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    // splitmix64 finaliser: neighbouring indexes give unrelated identifiers.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    format!("{}_{:012x}", entity.prefix(), x & 0xFFFF_FFFF_FFFF)
}

fn local_part(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

fn cents(c: i64) -> Value {
    json!(c as f64 / 100.0)
}

impl EntityGen {
    /// Record `index` of the entity, drawn from `rng`.
    pub fn record<R: RngExt + ?Sized>(&self, index: u64, rng: &mut R) -> Value {
        let own_id = id_for(self.entity, self.seed, index);
        let pick = |rng: &mut R, options: &[&str]| options[rng.random_range(0..options.len())].to_string();
        match self.entity {
            Entity::User => {
                let (first, last): (String, String) = if self.edge && rng.random_bool(0.5) {
                    let n = UNICODE_NAMES[rng.random_range(0..UNICODE_NAMES.len())];
                    let (f, l) = n.rsplit_once(' ').unwrap_or((n, n));
                    (f.to_string(), l.to_string())
                } else {
                    (FirstName().fake_with_rng(rng), LastName().fake_with_rng(rng))
                };
                let local = format!("{}.{}{}", local_part(&first), local_part(&last), rng.random_range(1..1000));
                let count = if self.edge { [1, 3][rng.random_range(0..2)] } else { rng.random_range(1..=3) };
                let default_at = rng.random_range(0..count);
                let addresses: Vec<Value> = (0..count)
                    .map(|i| {
                        let mut a = self.address(rng);
                        a["is_default"] = json!(i == default_at);
                        a
                    })
                    .collect();
                json!({"user_id": own_id, "email": format!("{}@example.com", local.trim_start_matches('.')), "name": format!("{first} {last}"),
                       "phone": PhoneNumber().fake_with_rng::<String, _>(rng), "addresses": addresses, "loyalty_tier": pick(rng, TIERS),
                       "created_at": values::rfc3339(self.window.pick_ms(rng))})
            }
            Entity::Product => {
                let category = pick(rng, CATEGORIES);
                let words: Vec<String> = Words(1..4).fake_with_rng(rng);
                let price = if self.edge && rng.random_bool(0.5) {
                    [1, 10_000_000][rng.random_range(0..2)]
                } else {
                    rng.random_range(99..50_000)
                };
                let description =
                    if self.edge && rng.random_bool(0.3) { String::new() } else { Sentence(5..15).fake_with_rng(rng) };
                json!({"product_id": own_id, "name": capitalise(&words.join(" ")), "description": description, "price": cents(price),
                       "category": category, "sku": format!("{}-{:06}", category[..3].to_ascii_uppercase(), rng.random_range(0..1_000_000)),
                       "stock": if self.edge && rng.random_bool(0.3) { 0 } else { rng.random_range(0..1000) }})
            }
            Entity::Cart | Entity::Order => {
                let price_key = if self.entity == Entity::Cart { "unit_price" } else { "price" };
                let n = if self.edge { [1, 20][rng.random_range(0..2)] } else { rng.random_range(1..=5) };
                let mut sum = 0i64;
                let items: Vec<Value> = (0..n).map(|_| {
                    let q = if self.edge { [1, 20][rng.random_range(0..2)] } else { rng.random_range(1..=4) };
                    let p = rng.random_range(99..20_000);
                    sum += q * p;
                    json!({"product_id": self.reference(Entity::Product, self.refs.products, rng), "quantity": q, price_key: cents(p)})
                }).collect();
                let customer = self.reference(Entity::User, self.refs.users, rng);
                if self.entity == Entity::Cart {
                    let tax = if self.edge && rng.random_bool(0.5) {
                        0
                    } else {
                        sum * [0, 5, 10, 20][rng.random_range(0..4)] / 100
                    };
                    return json!({"cart_id": own_id, "customer_id": customer, "items": items, "subtotal": cents(sum), "tax": cents(tax),
                                  "total": cents(sum + tax), "currency": pick(rng, &["USD", "EUR", "GBP"])});
                }
                json!({"order_id": own_id, "customer_id": customer, "items": items, "shipping_address": self.address(rng),
                       "payment": {"method": pick(rng, METHODS), "amount": cents(sum)}, "status": pick(rng, ORDER_STATUSES),
                       "total": cents(sum), "created_at": values::rfc3339(self.window.pick_ms(rng)), "note": order_note(index, self.edge)})
            }
            Entity::Payment => {
                let method = pick(rng, METHODS);
                let last_four =
                    if method == "card" { json!(format!("{:04}", rng.random_range(0..10_000))) } else { Value::Null };
                json!({"payment_id": own_id, "order_id": self.reference(Entity::Order, self.refs.orders, rng), "method": method,
                       "amount": cents(if self.edge && rng.random_bool(0.5) { 1 } else { rng.random_range(99..100_000) }),
                       "status": pick(rng, PAYMENT_STATUSES), "card_last_four": last_four})
            }
            Entity::Review => {
                let rating = if self.edge { [1, 5][rng.random_range(0..2)] } else { rng.random_range(1..=5) };
                let title: String = Sentence(2..6).fake_with_rng(rng);
                let body = if self.edge && rng.random_bool(0.3) {
                    "Ok product".to_string()
                } else {
                    Sentence(8..30).fake_with_rng(rng)
                };
                json!({"review_id": own_id, "product_id": self.reference(Entity::Product, self.refs.products, rng),
                       "user_id": self.reference(Entity::User, self.refs.users, rng), "rating": rating, "title": title.trim_end_matches('.'),
                       "body": body, "verified_purchase": rng.random_bool(0.7)})
            }
        }
    }

    /// An identifier of another entity: from the pool when one is given, else a fresh one.
    fn reference<R: RngExt + ?Sized>(&self, entity: Entity, pool: usize, rng: &mut R) -> String {
        let index = if pool > 0 { rng.random_range(0..pool as u64) } else { rng.random::<u64>() | (1 << 63) };
        id_for(entity, self.seed, index)
    }

    fn address<R: RngExt + ?Sized>(&self, rng: &mut R) -> Value {
        let country = ["US", "GB", "DE", "FR", "NL", "JP"][rng.random_range(0..6)];
        json!({"line1": format!("{} {}", rng.random_range(1..9999), StreetName().fake_with_rng::<String, _>(rng)),
               "city": CityName().fake_with_rng::<String, _>(rng), "postal_code": ZipCode().fake_with_rng::<String, _>(rng),
               "country_code": country})
    }
}

/// An order's optional delivery note, from its index (no random draw, so the other fields stay as they were).
fn order_note(index: u64, edge: bool) -> Value {
    const NOTES: &[&str] = &["Leave at the door", "Gift wrap, please", "Call on arrival"];
    match (index % 3, edge) {
        (0, _) => Value::Null,
        (1, true) => json!(""),
        (_, true) => json!("n".repeat(200)),
        (i, false) => json!(NOTES[(index / 3 % 3 + i) as usize % NOTES.len()]),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
