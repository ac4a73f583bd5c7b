//! A small system under test: consumes orders, validates each one (the order schema and business rules:
//! the total equals the sum of price * quantity, quantities are positive, the status is known, the key is
//! the order id), writes enriched orders (item_count, validated_at) to the output topic keyed like the
//! input, and rejects the rest to the dead-letter topic with the reason in the `x-reject-reason` header.
//!
//! `cargo run --example order_processor -- --bootstrap 127.0.0.1:19092 [--input orders] [--output
//! orders.enriched] [--dlq orders.dlq] [--group order-processor] [--break-validation]`
//! `--break-validation` (or ORDER_PROCESSOR_BREAK_VALIDATION=1) skips the total check on purpose, so a
//! test suite can show that it notices.

use kafka_qa_mcp::datagen::entities::Entity;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use std::time::Duration;

const KNOWN_STATUSES: &[&str] = &["created", "paid", "shipped", "delivered", "cancelled"];

struct Options {
    bootstrap: String,
    input: String,
    output: String,
    dlq: String,
    group: String,
    break_validation: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        bootstrap: std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:19092".into()),
        input: "orders".into(),
        output: "orders.enriched".into(),
        dlq: "orders.dlq".into(),
        group: "order-processor".into(),
        break_validation: std::env::var("ORDER_PROCESSOR_BREAK_VALIDATION").is_ok_and(|v| v == "1" || v == "true"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--bootstrap" => o.bootstrap = value()?,
            "--input" => o.input = value()?,
            "--output" => o.output = value()?,
            "--dlq" => o.dlq = value()?,
            "--group" => o.group = value()?,
            "--break-validation" => o.break_validation = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

/// Why an order is rejected, or the enriched order.
fn process(
    key: Option<&[u8]>,
    payload: Option<&[u8]>,
    schema: &jsonschema::Validator,
    break_validation: bool,
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
    let total = order["total"].as_f64().unwrap_or(f64::NAN);
    if !break_validation && (total - sum).abs() >= 0.005 {
        return Err(format!("business: total {total} differs from the sum of items {sum:.2}"));
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
        .should_validate_formats(true)
        .build(&Entity::Order.schema())
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
    eprintln!("order_processor: {} -> {} / {} (break_validation: {})", o.input, o.output, o.dlq, o.break_validation);
    loop {
        let m = match consumer.recv().await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("order_processor: receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let key = m.key().map(<[u8]>::to_vec);
        let (topic, value, headers) = match process(m.key(), m.payload(), &schema, o.break_validation) {
            Ok(enriched) => (&o.output, serde_json::to_vec(&enriched).unwrap_or_default(), OwnedHeaders::new()),
            Err(reason) => {
                let mut h =
                    OwnedHeaders::new().insert(Header { key: "x-reject-reason", value: Some(reason.as_bytes()) });
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
