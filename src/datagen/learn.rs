//! Learning a topic's data: sample its messages through the Kafka API and infer their schema. Used by
//! test data (`topic` as the source, `like_history`) and by test cases (cases from a topic).

use crate::error::{Error, Result};
use crate::kafka::{decode, Kafka, SampleRequest, StartAt};
use crate::schema::infer::Inferrer;
use serde_json::Value;
use std::time::Duration;

/// What a topic's recent messages look like.
pub struct Learned {
    pub schema: Value,
    pub samples: Vec<Value>,
    pub confidence: f64,
}

/// Samples up to `max_messages` JSON messages (the latest of each partition) and infers their schema.
pub async fn learn_topic(kafka: &Kafka, topic: &str, max_messages: usize) -> Result<Learned> {
    let sample = kafka
        .sample(SampleRequest {
            topic: topic.to_string(),
            partition: None,
            start: StartAt::Tail(max_messages as u64),
            max_messages,
            max_bytes: 32 << 20,
            timeout: Duration::from_secs(10),
        })
        .await?;
    let samples: Vec<Value> = sample
        .records
        .iter()
        .filter_map(|r| r.value.as_deref())
        .filter_map(|b| decode(b).1)
        .filter(Value::is_object)
        .collect();
    if samples.is_empty() {
        return Err(Error::bad_input("topic", format!("a topic with JSON object messages to learn from; `{topic}` gave none of {} read (produce some, or pass `schema`)", sample.records.len())));
    }
    let mut inferrer = Inferrer::new();
    for s in &samples {
        inferrer.add(s);
    }
    let inference = inferrer.finish();
    Ok(Learned { schema: inference.schema, samples, confidence: inference.confidence })
}
