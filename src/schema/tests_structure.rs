//! Structure recovery: each keyword where the sample supports it, and not where it does not.

use super::*;
use serde_json::{json, Value};

fn infer(samples: &[Value]) -> Inference {
    let mut inf = Inferrer::new();
    samples.iter().for_each(|s| inf.add(s));
    let from_values = inf.finish();
    // The text path agrees, keywords and evidence included.
    let mut text = Inferrer::new();
    samples.iter().for_each(|s| text.add_json(s.to_string().as_bytes()).unwrap());
    let from_text = text.finish();
    assert_eq!(serde_json::to_value(&from_text).unwrap(), serde_json::to_value(&from_values).unwrap());
    let v = Validator::new(&from_values.schema).expect("inferred schema compiles");
    for s in samples {
        assert_eq!(v.errors(s), vec![], "schema {} rejects {s}", from_values.schema);
    }
    from_values
}

fn keyword<'a>(i: &'a Inference, path: &str, kw: &str) -> Option<&'a KeywordEvidence> {
    i.keywords.iter().find(|k| k.path == path && k.keyword == kw)
}

/// A tiny deterministic generator.
fn pick(i: usize, salt: usize, n: usize) -> usize {
    ((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(salt as u32 * 7 + 3) % n as u64) as usize
}

fn shop_orders(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut o = json!({
                "order_id": format!("ORD-{:06}", pick(i, 1, 1_000_000)),
                "currency": (["EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "PLN", "CZK", "HUF", "DKK", "AUD"][pick(i, 2, 12)]),
                "total": (pick(i, 3, 100_000) + 1) as f64 / 100.0,
                "points": pick(i, 4, 40) * 25,
                "note": format!("leave it with neighbour number {} please, {} times", pick(i, 5, 90), i),
                "tags": ([json!(["gift", "fragile"]), json!(["b2b", "promo", "gift"]), json!(["express"]), json!(["fragile", "b2b"])][pick(i, 6, 4)]),
                "ship_to": {"city": "Lyon", "zip": format!("{:05}", pick(i, 7, 99_999))}
            });
            if i % 3 == 0 {
                o["coupon"] = json!(format!("SAVE{}", 5 * (1 + pick(i, 8, 4))));
            }
            o
        })
        .collect()
}

#[test]
fn closed_objects_need_a_settled_key_set_in_enough_objects() {
    let i = infer(&shop_orders(60));
    assert_eq!(i.schema["additionalProperties"], json!(false), "{}", i.schema);
    assert_eq!(i.schema["properties"]["ship_to"]["additionalProperties"], json!(false));
    let k = keyword(&i, "$", "additionalProperties").unwrap();
    assert!(k.confidence > 0.7 && k.evidence.contains("60 objects"), "{k:?}");
    // Too few objects.
    let small = infer(&shop_orders(15));
    assert_eq!(small.schema.get("additionalProperties"), None);
    // A key seen once suggests more rare keys.
    let mut once = shop_orders(60);
    once[7]["gift_wrap"] = json!(true);
    assert_eq!(infer(&once).schema.get("additionalProperties"), None);
    // A key that first appears late: the key set was still growing.
    let mut late = shop_orders(60);
    late.iter_mut().skip(40).for_each(|o| o["late"] = json!(1));
    assert_eq!(infer(&late).schema.get("additionalProperties"), None);
}

#[test]
fn patterns_for_stable_shapes_only() {
    let i = infer(&shop_orders(60));
    let p = &i.schema["properties"];
    assert_eq!(p["order_id"]["pattern"], json!("^ORD-[0-9]{6}$"));
    assert_eq!(p["currency"]["pattern"], json!("^[A-Z]{3}$"), "12 codes: more than an enum");
    assert_eq!(p["ship_to"]["properties"]["zip"]["pattern"], json!("^[0-9]{5}$"));
    assert!(keyword(&i, "ship_to.zip", "pattern").is_some_and(|k| k.confidence >= 0.7));
    assert_eq!(p["note"].get("pattern"), None, "free text");
    assert_eq!(p["coupon"].get("pattern"), None, "4 values: an enum, not a shape");
    assert!(p["coupon"]["enum"].is_array());
    assert_eq!(p["ship_to"]["properties"]["city"].get("pattern"), None, "a constant");
    // Formats explain their values: no pattern beside them.
    let uuids: Vec<Value> =
        (0..30).map(|k| json!({"id": format!("123e4567-e89b-12d3-a456-4266141740{k:02}")})).collect();
    let u = infer(&uuids);
    assert_eq!(
        (u.schema["properties"]["id"]["format"].clone(), u.schema["properties"]["id"].get("pattern")),
        (json!("uuid"), None)
    );
    // Too few values.
    assert_eq!(infer(&shop_orders(12)).schema["properties"]["order_id"].get("pattern"), None);
}

#[test]
fn money_gets_multiple_of_cents_and_round_integers_their_step() {
    let i = infer(&shop_orders(60));
    let p = &i.schema["properties"];
    assert_eq!(p["total"]["multipleOf"], json!(0.01));
    assert_eq!(p["points"]["multipleOf"], json!(25));
    assert!(keyword(&i, "total", "multipleOf").unwrap().evidence.contains("exactly 2 decimals"));
    // One value with a third decimal: no multipleOf.
    let mut thirds = shop_orders(60);
    thirds[3]["total"] = json!(10.125);
    assert_eq!(infer(&thirds).schema["properties"]["total"].get("multipleOf"), None);
    // Mostly whole numbers with a few halves is not money.
    let halves: Vec<Value> =
        (0..40).map(|k| json!({"x": if k % 8 == 0 { k as f64 + 0.5 } else { k as f64 * 1.1 }})).collect();
    assert_eq!(infer(&halves).schema["properties"]["x"].get("multipleOf"), None);
    // Small integers and a narrow range say nothing.
    let qty: Vec<Value> = (0..40).map(|k| json!({"q": 1 + k % 4, "r": 100 + 100 * (k % 3)})).collect();
    let q = infer(&qty);
    assert_eq!(q.schema["properties"]["q"].get("multipleOf"), None);
    assert_eq!(q.schema["properties"]["r"].get("multipleOf"), None, "3 steps of 100 are too few");
}

#[test]
fn unique_items_when_repeats_would_have_shown() {
    let i = infer(&shop_orders(60));
    assert_eq!(i.schema["properties"]["tags"]["uniqueItems"], json!(true));
    assert!(keyword(&i, "tags", "uniqueItems").unwrap().confidence >= 0.95);
    // One repeat anywhere: none.
    let mut dup = shop_orders(60);
    dup[11]["tags"] = json!(["gift", "gift"]);
    assert_eq!(infer(&dup).schema["properties"]["tags"].get("uniqueItems"), None);
    // 1 and 1.0 are the same value to JSON Schema: a repeat.
    let mut numeric: Vec<Value> = (0..40).map(|k| json!({"n": [k % 3, 3 + k % 4]})).collect();
    assert_eq!(infer(&numeric).schema["properties"]["n"]["uniqueItems"], json!(true));
    numeric[5]["n"] = serde_json::from_str("[1, 1.0]").unwrap();
    assert_eq!(infer(&numeric).schema["properties"]["n"].get("uniqueItems"), None);
    // Elements drawn from many values would rarely repeat anyway: no evidence.
    let ids: Vec<Value> =
        (0..40).map(|k| json!({"ids": [format!("id-{}", 3 * k), format!("id-{}", 3 * k + 1)]})).collect();
    assert_eq!(infer(&ids).schema["properties"]["ids"].get("uniqueItems"), None);
    // Objects are not compared.
    let objs: Vec<Value> = (0..40).map(|k| json!({"o": [{"a": k % 2}, {"a": 2}]})).collect();
    assert_eq!(infer(&objs).schema["properties"]["o"].get("uniqueItems"), None);
}

fn events(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let id = format!("{:08x}-0000-4000-8000-{:012x}", i, i * 7);
            match pick(i, 9, 3) {
                0 => json!({"event_id": id, "type": "page_view", "url": format!("https://shop.example/p/{i}"), "duration_ms": pick(i, 1, 5000)}),
                1 => json!({"event_id": id, "type": "click", "element": (["buy", "cart", "menu"][pick(i, 2, 3)]), "x": pick(i, 3, 1920), "y": pick(i, 4, 1080)}),
                _ => json!({"event_id": id, "type": "purchase", "amount": (pick(i, 5, 10_000) + 1) as f64 / 100.0, "currency": (["EUR", "USD"][pick(i, 6, 2)])}),
            }
        })
        .collect()
}

#[test]
fn a_tag_that_predicts_keys_gives_one_branch_per_value() {
    let i = infer(&events(120));
    let branches = i.schema["oneOf"].as_array().unwrap_or_else(|| panic!("no oneOf in {}", i.schema));
    assert_eq!(branches.len(), 3);
    let purchase = branches.iter().find(|b| b["properties"]["type"]["const"] == json!("purchase")).unwrap();
    assert_eq!(purchase["required"], json!(["event_id", "type", "amount", "currency"]));
    assert_eq!(purchase["additionalProperties"], json!(false));
    assert_eq!(purchase["properties"].as_object().unwrap().len(), 4);
    let k = keyword(&i, "$", "oneOf").unwrap();
    assert!(k.evidence.contains("tag `type`") && k.confidence > 0.7, "{k:?}");
    // The schema rejects a purchase with a click's fields.
    let v = Validator::new(&i.schema).unwrap();
    assert!(!v.is_valid(&json!({"event_id": "x", "type": "purchase", "x": 1, "y": 2})));
    // Too few of each: no union.
    assert_eq!(infer(&events(15)).schema.get("oneOf"), None);
}

#[test]
fn a_tag_beside_a_payload_discriminates_the_payload() {
    let samples: Vec<Value> = (0..90)
        .map(|i| match i % 3 {
            0 => json!({"kind": "created", "at": "2024-01-01T00:00:00Z", "payload": {"order_id": format!("o{i}"), "total": 1.5}}),
            1 => json!({"kind": "cancelled", "at": "2024-01-01T00:00:00Z", "payload": {"order_id": format!("o{i}"), "reason": "late"}}),
            _ => json!({"kind": "shipped", "at": "2024-01-01T00:00:00Z", "payload": {"order_id": format!("o{i}"), "carrier": "ups", "parcels": i % 4}}),
        })
        .collect();
    let i = infer(&samples);
    let branches = i.schema["oneOf"].as_array().unwrap_or_else(|| panic!("no oneOf in {}", i.schema));
    let cancelled = branches.iter().find(|b| b["properties"]["kind"]["const"] == json!("cancelled")).unwrap();
    assert_eq!(cancelled["properties"]["payload"]["required"], json!(["order_id", "reason"]));
    assert_eq!(cancelled["properties"]["payload"]["additionalProperties"], json!(false));
    assert_eq!(cancelled["properties"]["payload"]["properties"].as_object().unwrap().len(), 2);
}

#[test]
fn a_categorical_field_that_predicts_nothing_is_no_tag() {
    // `status` has few values, but every object has the same keys whatever the status.
    let i = infer(&shop_orders(60));
    assert_eq!(i.schema.get("oneOf"), None);
    let same: Vec<Value> = (0..60)
        .map(|k| json!({"type": (["a", "b"][k % 2]), "v": k, "w": if k % 3 == 0 { json!(null) } else { json!(1) }}))
        .collect();
    assert_eq!(infer(&same).schema.get("oneOf"), None);
    // An optional key whose presence the tag does not explain.
    let random: Vec<Value> = (0..60)
        .map(|k| {
            if pick(k, 1, 2) == 0 {
                json!({"type": (["a", "b"][k % 2]), "extra": 1})
            } else {
                json!({"type": (["a", "b"][k % 2])})
            }
        })
        .collect();
    assert_eq!(infer(&random).schema.get("oneOf"), None);
}

#[test]
fn structure_off_gives_the_plain_schema() {
    let mut inf = Inferrer::with_options(InferOptions { structure: false, ..Default::default() });
    shop_orders(60).iter().for_each(|s| inf.add(s));
    let i = inf.finish();
    assert!(i.keywords.is_empty());
    let text = i.schema.to_string();
    for kw in ["additionalProperties", "pattern", "multipleOf", "uniqueItems", "oneOf"] {
        assert!(!text.contains(kw), "{kw} in {text}");
    }
}

#[test]
fn the_demo_hand_written_order_fits_what_fifty_generated_orders_give() {
    // examples/demo_agent.py infers the schema of 50 seeded orders and validates its own order against it.
    use crate::datagen::entities::{Entity, References};
    use crate::datagen::stream::{Mode, Spec, Stream, Target};
    let spec = Spec {
        target: Target::Entity(Entity::Order, References::default()),
        seed: 42,
        mode: Mode::Valid,
        window: Default::default(),
        defect_rate: 0.0,
        defect_constraints: vec![],
        profile: None,
    };
    let mut stream = Stream::new(spec).unwrap();
    let orders: Vec<Value> = (0..50).map(|_| stream.next_record().0).collect();
    let i = infer(&orders);
    assert_eq!(i.schema["properties"]["order_id"]["pattern"], json!("^ord_[0-9a-f]{12}$"), "{}", i.schema);
    let hand_written = json!({
        "order_id": "ord_0000c0ffee01", "customer_id": "usr_00000000beef",
        "items": [{"product_id": "prd_00000000a001", "quantity": 2, "price": 24.5}, {"product_id": "prd_00000000b002", "quantity": 1, "price": 51.0}],
        "shipping_address": {"line1": "12 Harbour Street", "city": "Rotterdam", "postal_code": "3011", "country_code": "NL"},
        "payment": {"method": "card", "amount": 100.0}, "status": "paid", "total": 100.0, "created_at": "2024-06-01T10:15:00.000Z", "note": null
    });
    let v = Validator::new(&i.schema).unwrap();
    assert_eq!(v.errors(&hand_written), vec![], "{}", i.schema);
}
