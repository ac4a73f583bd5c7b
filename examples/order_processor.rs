//! A small system under test: consumes orders, validates each one (the order schema and business rules:
//! the total equals the sum of price * quantity, the payment amount equals the total, quantities are
//! positive, the status is known, the key is the order id), writes enriched orders (item_count = the sum of
//! quantities, validated_at) to the output topic keyed like the input, and rejects the rest to the
//! dead-letter topic with the reason in the `x-reject-reason` header.
//!
//! `cargo run --example order_processor -- --bootstrap 127.0.0.1:19092 [--input orders] [--output
//! orders.enriched] [--dlq orders.dlq] [--group order-processor] [--mutant NAME] [--list-mutants]`
//! `--mutant NAME` (or ORDER_PROCESSOR_MUTANT=NAME) plants one known bug, so a test suite can show that it
//! notices (`--list-mutants` lists them, see `MUTANTS`); `--break-validation` (or
//! ORDER_PROCESSOR_BREAK_VALIDATION=1) is the mutant `total_unchecked`.

use kafka_qa_mcp::datagen::entities::Entity;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use std::time::Duration;

const KNOWN_STATUSES: &[&str] = &["created", "paid", "shipped", "delivered", "cancelled"];

/// The bugs `--mutant` plants, one at a time: (name, what goes wrong).
const MUTANTS: &[(&str, &str)] = &[
    ("skip_required", "customer_id is not required"),
    ("wrong_enum_accepted", "payment.method accepts any string, not only its enum"),
    ("off_by_one_bound", "items[].quantity must stay below 20: the bound itself is rejected"),
    ("nested_items_unchecked", "the fields inside items[] are not validated"),
    ("wrong_key", "outputs are keyed by the customer id, not by the input's key"),
    ("extra_properties_allowed", "undeclared top-level fields are accepted"),
    ("format_unchecked", "formats (created_at date-time) are not checked"),
    ("rule_output_dlq_swapped", "an order whose payment amount differs from its total goes to the output, not the DLQ"),
    ("nullable_unchecked", "the nullable note's maxLength 200 is not checked"),
    ("reason_header_wrong", "the reject reason goes in an `x-error` header, not `x-reject-reason`"),
    ("crash_into_dlq", "every rejection carries a generic reason (`processing failed`), as after a crash"),
    ("total_unchecked", "the total is not checked against the items (also --break-validation)"),
    ("item_count_wrong", "item_count counts lines, not quantities"),
];

struct Options {
    bootstrap: String,
    input: String,
    output: String,
    dlq: String,
    group: String,
    mutant: Option<&'static str>,
}

fn mutant(name: &str) -> Result<&'static str, String> {
    MUTANTS.iter().map(|(m, _)| *m).find(|m| *m == name).ok_or_else(|| {
        format!("unknown mutant `{name}`; one of: {}", MUTANTS.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", "))
    })
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        bootstrap: std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:19092".into()),
        input: "orders".into(),
        output: "orders.enriched".into(),
        dlq: "orders.dlq".into(),
        group: "order-processor".into(),
        mutant: match std::env::var("ORDER_PROCESSOR_MUTANT") {
            Ok(m) if !m.is_empty() => Some(mutant(&m)?),
            _ => None,
        },
    };
    if std::env::var("ORDER_PROCESSOR_BREAK_VALIDATION").is_ok_and(|v| v == "1" || v == "true") {
        o.mutant = Some("total_unchecked");
    }
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--bootstrap" => o.bootstrap = value()?,
            "--input" => o.input = value()?,
            "--output" => o.output = value()?,
            "--dlq" => o.dlq = value()?,
            "--group" => o.group = value()?,
            "--break-validation" => o.mutant = Some("total_unchecked"),
            "--mutant" => o.mutant = Some(mutant(&value()?)?),
            "--list-mutants" => {
                for (name, what) in MUTANTS {
                    println!("{name}\t{what}");
                }
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

/// The order schema the processor validates against, with the mutant's hole in it.
fn schema(mutant: Option<&str>) -> Value {
    let mut s = Entity::Order.schema();
    let props = &mut s["properties"];
    match mutant {
        Some("skip_required") => {
            s["required"].as_array_mut().into_iter().for_each(|r| r.retain(|f| f != "customer_id"))
        }
        Some("wrong_enum_accepted") => props["payment"]["properties"]["method"] = json!({"type": "string"}),
        Some("off_by_one_bound") => props["items"]["items"]["properties"]["quantity"]["maximum"] = json!(19),
        Some("nested_items_unchecked") => props["items"]["items"] = json!({}),
        Some("extra_properties_allowed") => {
            s.as_object_mut().map(|o| o.remove("additionalProperties"));
        }
        Some("nullable_unchecked") => {
            props["note"].as_object_mut().map(|o| o.remove("maxLength"));
        }
        _ => {}
    }
    s
}

/// Why an order is rejected, or the enriched order.
fn process(
    key: Option<&[u8]>,
    payload: Option<&[u8]>,
    schema: &jsonschema::Validator,
    mutant: Option<&str>,
) -> Result<Value, String> {
    let bytes = payload.filter(|p| !p.is_empty()).ok_or("empty_message")?;
    let mut order: Value = serde_json::from_slice(bytes).map_err(|e| format!("malformed_json: {e}"))?;
    if let Some(e) = schema.iter_errors(&order).next() {
        return Err(format!("schema: {e} at /{}", e.instance_path().to_string().trim_start_matches('/')));
    }
    let items = order["items"].as_array().ok_or("business: no items")?;
    let mut sum = 0.0;
    let mut count = 0;
    for (i, item) in items.iter().enumerate() {
        let q = item["quantity"].as_i64().unwrap_or(0);
        if q <= 0 {
            return Err(format!("business: items[{i}].quantity must be positive"));
        }
        sum += item["price"].as_f64().unwrap_or(0.0) * q as f64;
        count += q;
    }
    if mutant == Some("item_count_wrong") {
        count = items.len() as i64;
    }
    let total = order["total"].as_f64().unwrap_or(f64::NAN);
    if mutant != Some("total_unchecked") && (total - sum).abs() >= 0.005 {
        return Err(format!("business: total {total} differs from the sum of items {sum:.2}"));
    }
    let paid = order["payment"]["amount"].as_f64().unwrap_or(f64::NAN);
    if (paid - total).abs() >= 0.005 && mutant != Some("rule_output_dlq_swapped") {
        return Err(format!("business: payment amount {paid} differs from the total {total}"));
    }
    if !order["status"].as_str().is_some_and(|s| KNOWN_STATUSES.contains(&s)) {
        return Err("business: unknown status".into());
    }
    if key != order["order_id"].as_str().map(str::as_bytes) {
        return Err("key_mismatch: the key must be the order_id".into());
    }
    order["item_count"] = json!(count);
    order["validated_at"] = json!(chrono::Utc::now().to_rfc3339());
    Ok(order)
}

#[tokio::main]
async fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("order_processor: {e}");
            std::process::exit(2);
        }
    };
    let schema = jsonschema::options()
        .should_validate_formats(o.mutant != Some("format_unchecked"))
        .build(&schema(o.mutant))
        .expect("the order schema compiles");
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &o.bootstrap)
        .set("group.id", &o.group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "true")
        .create()
        .expect("consumer");
    let mut producer_config = ClientConfig::new();
    producer_config.set("bootstrap.servers", &o.bootstrap).set("enable.idempotence", "true");
    // The broker's own needs, as tools/stack gives them (one record per batch for tansu's watermarks).
    let quirks = std::env::var(kafka_qa_mcp::config::KAFKA_PROPERTIES_ENV).unwrap_or_default();
    for (k, v) in kafka_qa_mcp::config::parse_properties(&quirks).expect("KAFKA_QA_KAFKA_PROPERTIES") {
        producer_config.set(k, v);
    }
    let producer: FutureProducer = producer_config.create().expect("producer");
    consumer.subscribe(&[&o.input]).expect("subscribe");
    eprintln!("order_processor: {} -> {} / {} (mutant: {})", o.input, o.output, o.dlq, o.mutant.unwrap_or("none"));
    let reason_header = if o.mutant == Some("reason_header_wrong") { "x-error" } else { "x-reject-reason" };
    loop {
        let m = match consumer.recv().await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("order_processor: receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let mut key = m.key().map(<[u8]>::to_vec);
        let (topic, value, headers) = match process(m.key(), m.payload(), &schema, o.mutant) {
            Ok(enriched) => {
                if o.mutant == Some("wrong_key") {
                    key = enriched["customer_id"].as_str().map(|c| c.as_bytes().to_vec());
                }
                (&o.output, serde_json::to_vec(&enriched).unwrap_or_default(), OwnedHeaders::new())
            }
            Err(reason) => {
                let reason = if o.mutant == Some("crash_into_dlq") { "processing failed".to_string() } else { reason };
                let mut h = OwnedHeaders::new().insert(Header { key: reason_header, value: Some(reason.as_bytes()) });
                if let Some(src) = m.headers() {
                    for hd in src.iter() {
                        h = h.insert(Header { key: hd.key, value: hd.value });
                    }
                }
                (&o.dlq, m.payload().unwrap_or_default().to_vec(), h)
            }
        };
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(topic).payload(value.as_slice()).headers(headers);
        if let Some(k) = &key {
            record = record.key(k.as_slice());
        }
        if let Err((e, _)) = producer.send(record, Duration::from_secs(10)).await {
            eprintln!("order_processor: send to {topic} failed: {e}");
        }
    }
}
