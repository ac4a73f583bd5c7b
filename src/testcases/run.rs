//! Executing cases against live topics. The output and DLQ high watermarks are captured first; one
//! watcher per watched topic then reads everything new from there (through the Kafka API's bounded
//! `sample`), while the cases run with bounded parallelism: each produces its input and waits, up to its
//! timeout, for a correlated message where its expectation says it must (or must not) land. With a Schema
//! Registry, watchers keep framed Avro, Protobuf and JSON Schema payloads (values and keys) decoded to JSON
//! text, so expectations and correlation match them like plain JSON messages.

use super::model::{Expectation, TestCase};
use super::report::{CaseResult, Landed, Outcome, Sent};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::kafka::{decode, OutRecord, Record, SampleRequest, StartAt};
use crate::schema::validate::Validator;
use futures::stream::{self, StreamExt};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often watchers look for new messages.
const POLL_EVERY: Duration = Duration::from_millis(150);

pub struct RunPlan {
    pub input_topic: String,
    pub output_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub timeout: Duration,
    pub parallelism: usize,
}

/// Messages a watcher has seen, each with when it was seen.
type Seen = Arc<Mutex<Vec<(Record, Instant)>>>;

pub async fn run(cx: &CallContext, cases: &[TestCase], plan: &RunPlan) -> Result<Vec<CaseResult>> {
    let mut topics: Vec<String> = [plan.output_topic.clone(), plan.dlq_topic.clone()].into_iter().flatten().collect();
    for c in cases {
        if let Some(t) = c.expectation.topic() {
            topics.push(t.to_string());
        }
    }
    topics.sort();
    topics.dedup();
    let mut watchers: BTreeMap<String, Seen> = BTreeMap::new();
    let stop = tokio_util::sync::CancellationToken::new();
    let mut handles = vec![];
    for t in &topics {
        // Start where the topic ends now, so earlier runs cannot pass or fail this one.
        let marks = cx.state.kafka.watermarks(t).await?;
        let seen: Seen = Arc::default();
        watchers.insert(t.clone(), seen.clone());
        handles.push(tokio::spawn(watch(
            cx.state.clone(),
            t.clone(),
            marks.iter().map(|(p, _, high)| (*p, *high)).collect(),
            seen,
            stop.clone(),
        )));
    }
    // Futures made up front (they start only when polled): `buffered` keeps `parallelism` in flight.
    let done = std::sync::atomic::AtomicU64::new(0);
    let total = cases.len() as u64;
    let pending: Vec<_> = cases
        .iter()
        .map(|c| {
            let (watchers, done) = (&watchers, &done);
            async move {
                let result = run_case(cx, c, plan, watchers).await;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                cx.progress
                    .report(n, Some(total), format!("{n} of {total} cases done ({} {:?})", result.id, result.status))
                    .await;
                result
            }
        })
        .collect();
    let results: Vec<CaseResult> = stream::iter(pending).buffered(plan.parallelism.max(1)).collect().await;
    stop.cancel();
    for h in handles {
        let _ = h.await;
    }
    cx.check_cancelled()?;
    Ok(results)
}

async fn watch(
    state: Arc<crate::context::AppState>,
    topic: String,
    mut next: Vec<(i32, i64)>,
    seen: Seen,
    stop: tokio_util::sync::CancellationToken,
) {
    while !stop.is_cancelled() {
        let req = SampleRequest {
            topic: topic.clone(),
            partition: None,
            start: StartAt::Offsets(next.clone()),
            max_messages: 5000,
            max_bytes: 16 << 20,
            timeout: Duration::from_secs(2),
        };
        if let Ok(mut sample) = state.kafka.sample(req).await {
            if let Some(reg) = state.registry_opt() {
                crate::registry::prefetch_topic(reg, &topic, &sample.records, false).await;
                sample.records.iter_mut().for_each(|r| decode_framed(reg, r));
            }
            let now = Instant::now();
            for r in sample.records {
                if let Some(slot) = next.iter_mut().find(|(p, _)| *p == r.partition) {
                    slot.1 = slot.1.max(r.offset + 1);
                }
                seen.lock().unwrap_or_else(|p| p.into_inner()).push((r, now));
            }
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
}

/// On a topic whose `<topic>-value` subject has a schema: the case's JSON value framed with it. None when
/// there is no such schema or the value does not fit it (then it goes as JSON text: a message the schema
/// cannot carry, as a negative case means).
async fn registry_encoded(cx: &CallContext, topic: &str, case: &TestCase) -> Option<Vec<u8>> {
    let value = case.input.value.as_ref()?;
    let reg = cx.state.registry_opt()?.latest(&format!("{topic}-value")).await.ok()??;
    let message = crate::registry::schema_arg::root_message(&reg.parsed);
    let payload = reg.parsed.encode(value, message.as_deref()).ok()?;
    Some(crate::registry::codec::frame(reg.id, &payload))
}

/// Replaces a registry-framed value or key by its JSON text (a string key by the string itself).
fn decode_framed(reg: &crate::registry::RegistryClient, r: &mut Record) {
    let topic = r.topic.clone();
    for (part, is_key) in [(&mut r.value, false), (&mut r.key, true)] {
        let decoded = part.as_deref().and_then(|b| crate::registry::decode_named(reg, b, Some((&topic, is_key))));
        if let Some(Ok(d)) = decoded {
            *part = Some(match d.value {
                Value::String(s) if is_key => s.into_bytes(),
                v => v.to_string().into_bytes(),
            });
        }
    }
}

async fn run_case(cx: &CallContext, case: &TestCase, plan: &RunPlan, watchers: &BTreeMap<String, Seen>) -> CaseResult {
    let topic = case.input.topic.clone().unwrap_or_else(|| plan.input_topic.clone());
    let mut result = CaseResult::new(case);
    if let Expectation::Compatibility { schema_type, writer, reader, readable } = &case.expectation {
        let (passed, observed) =
            crate::registry::evolution::check(*schema_type, writer, reader, case.input.value.as_ref(), *readable);
        return result.with(if passed { Outcome::pass(observed) } else { Outcome::fail(observed.clone()) });
    }
    let value = match case.input.value_bytes() {
        Ok(v) => v,
        Err(e) => return result.errored(format!("input: {e}")),
    };
    let value = registry_encoded(cx, &topic, case).await.or(value);
    let record = OutRecord {
        key: case.input.key.clone().map(String::into_bytes),
        value,
        headers: case.input.headers.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect(),
        partition: None,
    };
    let sent_at = Instant::now();
    let delivery = match cx.state.kafka.produce(cx.guard(), &topic, vec![record]).await {
        Ok(mut d) if !d.is_empty() => d.remove(0),
        Ok(_) => return result.errored("the broker acknowledged nothing".into()),
        Err(e) => return result.errored(format!("produce to `{topic}` failed: {}", cx.state.redact(&e.to_string()))),
    };
    result.sent = Some(Sent {
        topic: topic.clone(),
        partition: delivery.partition,
        offset: delivery.offset,
        key: case.input.key.clone(),
        value: preview(case.input.value.as_ref(), case.input.raw_base64.as_deref()),
    });

    let expectation = &case.expectation;
    let timeout = expectation.timeout_ms().map(Duration::from_millis).unwrap_or(plan.timeout);
    let main_topic = match expectation {
        Expectation::Output { topic, .. } | Expectation::NoOutput { topic, .. } => {
            topic.clone().or_else(|| plan.output_topic.clone())
        }
        Expectation::Dlq { topic, .. } => topic.clone().or_else(|| plan.dlq_topic.clone()),
        Expectation::Compatibility { .. } => None,
    };
    let Some(main_topic) = main_topic else {
        return result.errored(format!(
            "the expectation `{}` needs a topic: give it in the case or in the run's targets",
            expectation.name()
        ));
    };
    // The other place the message could land, as evidence of where it went instead.
    let other_topic = match expectation {
        Expectation::Dlq { .. } => plan.output_topic.clone(),
        _ => plan.dlq_topic.clone().filter(|d| *d != main_topic),
    };
    let matcher = Correlation::of(case);
    let deadline = sent_at + timeout;
    loop {
        let found_main = find(watchers.get(&main_topic), &matcher);
        let found_other = other_topic.as_ref().and_then(|t| find(watchers.get(t), &matcher));
        let done = Instant::now() >= deadline || cx.cancel.is_cancelled();
        if let Some((r, seen)) = &found_main {
            result.landed.push(Landed::of(r));
            result.latency_ms = Some(latency(delivery.timestamp_ms, r.timestamp_ms, sent_at, *seen));
        }
        if let Some((r, _)) = &found_other {
            result.landed.push(Landed::of(r));
        }
        let outcome = match expectation {
            Expectation::Output { matches, schema, .. } => match (&found_main, &found_other) {
                (Some((r, _)), _) => Some(check_output(r, matches.as_ref(), schema.as_ref())),
                (None, Some((r, _))) => Some(Outcome::fail(format!(
                    "expected on `{main_topic}`, but it landed on `{}` ({})",
                    r.topic,
                    reason(r)
                ))),
                (None, None) if done => Some(Outcome::fail(format!(
                    "nothing correlated reached `{main_topic}` within {} ms",
                    timeout.as_millis()
                ))),
                _ => None,
            },
            Expectation::Dlq { reason_contains, reason_header, reason_mentions, .. } => {
                match (&found_main, &found_other) {
                    (_, Some((r, _))) => Some(Outcome::fail(format!(
                        "expected a rejection, but the message reached the output topic `{}`",
                        r.topic
                    ))),
                    (Some((r, _)), None) => Some(check_rejection(
                        r,
                        &main_topic,
                        reason_contains.as_deref(),
                        reason_header.as_deref(),
                        reason_mentions,
                    )),
                    (None, None) if done => Some(Outcome::fail(format!(
                        "nothing correlated reached the DLQ `{main_topic}` within {} ms",
                        timeout.as_millis()
                    ))),
                    _ => None,
                }
            }
            Expectation::Compatibility { .. } => Some(Outcome::fail("handled before producing".into())),
            Expectation::NoOutput { .. } => match (&found_main, &found_other) {
                (Some(_), _) => {
                    Some(Outcome::fail(format!("a correlated message reached `{main_topic}`, where nothing should")))
                }
                // Landing in the DLQ settles it early: the processor routed the message elsewhere.
                (None, Some((r, _))) => Some(Outcome::pass(format!(
                    "nothing on `{main_topic}`; the message went to `{}` ({})",
                    r.topic,
                    reason(r)
                ))),
                (None, None) if done => Some(Outcome::pass(format!(
                    "nothing correlated reached `{main_topic}` within {} ms",
                    timeout.as_millis()
                ))),
                _ => None,
            },
        };
        if let Some(o) = outcome {
            return result.with(o);
        }
        result.landed.clear();
        result.latency_ms = None;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How an observed message is tied to the case: by key, or by a field equal to the input's.
enum Correlation {
    Key(Option<Vec<u8>>),
    Field(String, Option<Value>),
}

impl Correlation {
    fn of(case: &TestCase) -> Correlation {
        match case.expectation.correlate_by() {
            Some(field) => {
                let pointer = format!("/{}", field.replace('.', "/"));
                Correlation::Field(
                    pointer.clone(),
                    case.input.value.as_ref().and_then(|v| v.pointer(&pointer)).cloned(),
                )
            }
            None => Correlation::Key(case.input.key.clone().map(String::into_bytes)),
        }
    }

    fn matches(&self, r: &Record) -> bool {
        match self {
            Correlation::Key(k) => r.key == *k,
            Correlation::Field(pointer, want) => {
                want.is_some()
                    && r.value.as_deref().and_then(|b| decode(b).1).and_then(|v| v.pointer(pointer).cloned()) == *want
            }
        }
    }
}

fn find(seen: Option<&Seen>, c: &Correlation) -> Option<(Record, Instant)> {
    let seen = seen?.lock().unwrap_or_else(|p| p.into_inner());
    seen.iter().find(|(r, _)| c.matches(r)).cloned()
}

fn check_output(r: &Record, matches: Option<&Value>, schema: Option<&Value>) -> Outcome {
    let value = r.value.as_deref().and_then(|b| decode(b).1);
    let mut diff = vec![];
    if let Some(expected) = matches {
        match &value {
            Some(v) => subset_diff(expected, v, "", &mut diff),
            None => diff.push("the output is not JSON".into()),
        }
    }
    if let Some(s) = schema {
        match (Validator::new(s), &value) {
            (Ok(validator), Some(v)) => {
                diff.extend(validator.errors(v).into_iter().map(|i| format!("schema: {} at {}", i.message, i.path)))
            }
            (Err(e), _) => diff.push(format!("the expectation's schema does not compile: {e}")),
            (_, None) => diff.push("the output is not JSON, so it cannot match the schema".into()),
        }
    }
    if diff.is_empty() {
        Outcome::pass(format!("reached `{}` at partition {} offset {} and matched", r.topic, r.partition, r.offset))
    } else {
        Outcome {
            passed: false,
            observed: format!("reached `{}` at partition {} offset {} but differs", r.topic, r.partition, r.offset),
            diff,
        }
    }
}

/// Every field of `expected` must be in `actual` with an equal value; numbers compare numerically.
pub fn subset_diff(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => subset_diff(ev, av, &format!("{at}/{k}"), out),
                    None => out.push(format!("{at}/{k}: missing (expected {ev})")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset_diff(ev, av, &format!("{at}/{i}"), out);
            }
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{}: expected {e}, got {a}", if at.is_empty() { "/" } else { at })),
    }
}

/// The reject reason of a DLQ message: its `x-reject-reason` header, else any header that mentions a reason or error.
fn reason(r: &Record) -> String {
    r.headers
        .iter()
        .find(|(k, _)| k == "x-reject-reason")
        .or_else(|| r.headers.iter().find(|(k, _)| k.contains("reason") || k.contains("error")))
        .map(|(k, v)| format!("{k}: {}", header_text(v)))
        .unwrap_or_else(|| "no reason header".into())
}

fn header_text(v: &Option<Vec<u8>>) -> String {
    v.as_deref().map(|b| String::from_utf8_lossy(b).to_string()).unwrap_or_default()
}

/// How a failed rejection check starts, so reports can count these apart from messages that went astray.
pub const WRONG_REASON: &str = "rejected for the wrong reason";

/// A message that reached the DLQ: the reason must be where the case says and say what it says.
fn check_rejection(
    r: &Record,
    dlq: &str,
    contains: Option<&str>,
    header: Option<&str>,
    mentions: &[String],
) -> Outcome {
    let said = match header {
        Some(h) => match r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(h)) {
            Some((k, v)) => format!("{k}: {}", header_text(v)),
            None => {
                let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
                return Outcome::fail(format!(
                    "{WRONG_REASON}: the DLQ record has no `{h}` header (its headers: {})",
                    if names.is_empty() { "none".to_string() } else { crate::text::cut_bytes(&names.join(", "), 200) }
                ));
            }
        },
        None => reason(r),
    };
    let shown = crate::text::cut_bytes(&said, 300);
    if let Some(want) = contains.filter(|w| !said.contains(w)) {
        return Outcome::fail(format!("{WRONG_REASON}: the reason ({shown}) does not contain `{want}`"));
    }
    if !mentions.is_empty() && !mentions.iter().any(|m| mentions_term(&said, m)) {
        return Outcome::fail(format!(
            "{WRONG_REASON}: the reason ({shown}) mentions none of {}",
            mentions.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    Outcome::pass(format!("rejected to `{dlq}` ({shown})"))
}

/// Words of a text, lower case: split at anything not a letter or digit and where camelCase turns upper.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in text.chars() {
        if !ch.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `text` mentions `term` as whole words, whatever the case and separators: `order_id` is found in
/// "orderId", "order id", "ORDER-ID", "orderid" and "/order_id", not in "reordering" or "invalid".
pub fn mentions_term(text: &str, term: &str) -> bool {
    let (have, want) = (words(text), words(term));
    if want.is_empty() {
        return false;
    }
    let joined = want.concat();
    have.windows(want.len()).any(|w| w == want.as_slice()) || have.contains(&joined)
}

fn latency(sent_ts: Option<i64>, got_ts: Option<i64>, sent_at: Instant, seen_at: Instant) -> f64 {
    match (sent_ts, got_ts) {
        (Some(a), Some(b)) if b >= a => (b - a) as f64,
        _ => seen_at.saturating_duration_since(sent_at).as_secs_f64() * 1000.0,
    }
}

fn preview(value: Option<&Value>, raw: Option<&str>) -> String {
    let text = match (value, raw) {
        (Some(v), _) => v.to_string(),
        (None, Some(r)) => format!("base64:{r}"),
        (None, None) => "(empty)".into(),
    };
    crate::text::cut_bytes(&text, 300)
}

impl Landed {
    fn of(r: &Record) -> Landed {
        let text = |v: &Option<Vec<u8>>| v.as_deref().map(|b| String::from_utf8_lossy(b).to_string());
        Landed {
            topic: r.topic.clone(),
            partition: r.partition,
            offset: r.offset,
            key: text(&r.key),
            value: preview(r.value.as_deref().and_then(|b| decode(b).1).as_ref(), None),
            headers: r.headers.iter().map(|(k, v)| (k.clone(), text(v).unwrap_or_default())).collect(),
        }
    }
}

/// Checks the run's arguments before anything is produced.
pub fn check_plan(cx: &CallContext, cases: &[TestCase], plan: &RunPlan) -> Result<()> {
    let mut keys: BTreeMap<&str, &str> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.expectation.correlate_by().is_none()) {
        if let Some(k) = c.input.key.as_deref() {
            if let Some(other) = keys.insert(k, &c.id) {
                return Err(Error::bad_input("cases", format!("cases {other} and {} share the key `{k}`; give each case its own key (outcomes are matched by key)", c.id)));
            }
        }
    }
    for c in cases {
        let topic = c.input.topic.as_deref().unwrap_or(&plan.input_topic);
        cx.guard().check_topic_write(topic)?;
        let needs = match &c.expectation {
            Expectation::Compatibility { .. } => continue,
            Expectation::Dlq { topic, .. } => topic.is_none() && plan.dlq_topic.is_none(),
            Expectation::Output { topic, .. } | Expectation::NoOutput { topic, .. } => {
                topic.is_none() && plan.output_topic.is_none()
            }
        };
        if needs {
            let arg = if matches!(c.expectation, Expectation::Dlq { .. }) { "dlq_topic" } else { "output_topic" };
            return Err(Error::bad_input(
                arg,
                format!("a topic for case {} (expectation `{}`), here or in the case", c.id, c.expectation.name()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dlq_record(headers: &[(&str, &str)]) -> Record {
        Record {
            topic: "dlq".into(),
            partition: 0,
            offset: 3,
            timestamp_ms: None,
            key: Some(b"k".to_vec()),
            value: Some(b"{}".to_vec()),
            headers: headers.iter().map(|(k, v)| (k.to_string(), Some(v.as_bytes().to_vec()))).collect(),
        }
    }

    #[test]
    fn a_reason_mentions_a_field_whatever_the_processor_phrasing() {
        for said in [
            "schema: 201 characters is longer than 200 at /note",
            "Validation failed: field 'note' too long",
            "NOTE_TOO_LONG",
            "{\"errors\":[{\"path\":\"$.note\",\"message\":\"maxLength\"}]}",
        ] {
            assert!(mentions_term(said, "note"), "{said}");
        }
        for said in ["orderId is missing", "order id: required", "ORDER-ID missing", "missing orderid", "/order_id"] {
            assert!(mentions_term(said, "order_id"), "{said}");
        }
        for said in ["processing failed", "invalid message", "reordering failed", "notes are welcome"] {
            assert!(!mentions_term(said, "note") && !mentions_term(said, "id"), "{said}");
        }
        assert!(!mentions_term("anything", ""));
    }

    #[test]
    fn a_rejection_without_the_reason_or_with_another_reason_is_the_wrong_reason() {
        let mentions = vec!["note".to_string()];
        let ok = check_rejection(
            &dlq_record(&[("X-Reject-Reason", "schema: too long at /note")]),
            "dlq",
            None,
            Some("x-reject-reason"),
            &mentions,
        );
        assert!(ok.passed, "{}", ok.observed);
        let generic = check_rejection(
            &dlq_record(&[("x-reject-reason", "processing failed")]),
            "dlq",
            None,
            Some("x-reject-reason"),
            &mentions,
        );
        assert!(!generic.passed && generic.observed.starts_with(WRONG_REASON), "{}", generic.observed);
        assert!(generic.observed.contains("processing failed") && generic.observed.contains("`note`"));
        let elsewhere = check_rejection(
            &dlq_record(&[("x-error", "note too long")]),
            "dlq",
            None,
            Some("x-reject-reason"),
            &mentions,
        );
        assert!(!elsewhere.passed && elsewhere.observed.contains("no `x-reject-reason` header (its headers: x-error)"));
        // Without a header named, any reason header is read; without mentions, any reason passes.
        assert!(check_rejection(&dlq_record(&[("x-error", "note too long")]), "dlq", None, None, &mentions).passed);
        assert!(check_rejection(&dlq_record(&[]), "dlq", None, None, &[]).passed);
        let contains = check_rejection(&dlq_record(&[("x-reject-reason", "a")]), "dlq", Some("b"), None, &[]);
        assert!(!contains.passed && contains.observed.starts_with(WRONG_REASON));
    }
}
