//! The one reply builder every tool uses: a Markdown text that carries the answer on its own, structured
//! JSON beside it, and a byte budget that is never exceeded. Lists are cut from the end (the longest first),
//! in the text and the JSON alike, and the cut is reported with a hint on how to narrow the request.
//! No tool writes its own truncation.

use crate::error::{Error, Result};
use crate::text::cut_bytes;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// How much a large reply carries: `concise` (the default: what the next decision needs) or `full`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    #[default]
    Concise,
    Full,
}

/// Bytes kept free for the truncation notice and the JSON punctuation around it.
const NOTICE_RESERVE: usize = 600;
/// Images ride beside the text budget, each capped at this size (base64 bytes).
pub const MAX_IMAGE_BYTES: usize = 512 * 1024;

#[derive(Debug)]
pub struct Reply {
    summary: String,
    data: Map<String, Value>,
    lists: Vec<List>,
    empty_hint: Option<String>,
    narrow_hint: Option<String>,
    images: Vec<Image>,
    next: Option<Next>,
}

/// The step an agent would take after this reply: a tool call ready to make, or a step outside the server.
#[derive(Debug, Clone, Serialize)]
pub struct Next {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    pub why: String,
}

impl Next {
    fn line(&self) -> String {
        match (&self.tool, &self.arguments) {
            (Some(t), Some(a)) => format!("\n\nNext: `{t}` `{a}` — {}", self.why),
            (Some(t), None) => format!("\n\nNext: `{t}` — {}", self.why),
            _ => format!("\n\nNext: {}", self.why),
        }
    }
}

#[derive(Debug)]
struct List {
    key: String,
    heading: String,
    items: Vec<Value>,
    rows: Vec<String>,
    total: usize,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub base64: String,
    pub mime_type: String,
}

/// What a reply becomes once the budget is applied.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub structured: Value,
    pub images: Vec<Image>,
    pub truncated: bool,
}

impl Reply {
    /// Starts a reply from the tool's typed output, which must serialize to a JSON object.
    pub fn new(output: &impl Serialize) -> Result<Reply> {
        match serde_json::to_value(output).map_err(Error::internal)? {
            Value::Object(data) => Ok(Reply {
                summary: String::new(),
                data,
                lists: vec![],
                empty_hint: None,
                narrow_hint: None,
                images: vec![],
                next: None,
            }),
            other => Err(Error::internal(format!("tool output must be an object, got {other}"))),
        }
    }

    /// The Markdown that comes first: a title line and the summary.
    pub fn summary(mut self, markdown: impl Into<String>) -> Self {
        self.summary = markdown.into();
        self
    }

    /// Declares the top-level array `key` of the output as a list that may be cut, with one text row per
    /// item (same order) and a heading printed above the rows (e.g. a Markdown table header).
    pub fn rows(mut self, key: &str, heading: impl Into<String>, rows: Vec<String>) -> Self {
        let items = match self.data.remove(key) {
            Some(Value::Array(items)) => items,
            Some(other) => vec![other],
            None => vec![],
        };
        debug_assert_eq!(items.len(), rows.len(), "rows of `{key}` must match its items");
        let total = items.len();
        self.lists.push(List { key: key.to_string(), heading: heading.into(), items, rows, total });
        self
    }

    /// What to tell the agent when every list is empty: why it may be empty and what to try.
    pub fn when_empty(mut self, hint: impl Into<String>) -> Self {
        self.empty_hint = Some(hint.into());
        self
    }

    /// How to narrow the request when the reply had to be cut.
    pub fn narrow_with(mut self, hint: impl Into<String>) -> Self {
        self.narrow_hint = Some(hint.into());
        self
    }

    /// Ends the reply with the call an agent would make next (a `Next:` line, and `next` in the JSON).
    pub fn next(mut self, tool: &str, arguments: Value, why: impl Into<String>) -> Self {
        self.next = Some(Next { tool: Some(tool.to_string()), arguments: Some(arguments), why: why.into() });
        self
    }

    /// Ends the reply with a tool to call next whose arguments the agent already has (e.g. a schema it sent).
    pub fn next_tool(mut self, tool: &str, why: impl Into<String>) -> Self {
        self.next = Some(Next { tool: Some(tool.to_string()), arguments: None, why: why.into() });
        self
    }

    /// Ends the reply with a next step that is not a call of this server (e.g. reading an exported file).
    pub fn next_step(mut self, why: impl Into<String>) -> Self {
        self.next = Some(Next { tool: None, arguments: None, why: why.into() });
        self
    }

    /// Adds a PNG (or other image), base64-encoded; an oversized image is dropped with a note.
    pub fn image(mut self, base64: String, mime_type: &str) -> Self {
        if base64.len() <= MAX_IMAGE_BYTES {
            self.images.push(Image { base64, mime_type: mime_type.to_string() });
        } else {
            self.summary.push_str("\n\n_The chart was larger than the image cap and was left out._");
        }
        self
    }

    /// Applies the byte budget (text bytes + structured JSON bytes).
    pub fn render(self, budget: usize) -> Rendered {
        let Reply { summary, mut data, mut lists, empty_hint, narrow_hint, images, next } = self;
        let next_line = next.as_ref().map(Next::line).unwrap_or_default();
        let next_json = next.as_ref().and_then(|n| serde_json::to_value(n).ok());
        let all_empty = !lists.is_empty() && lists.iter().all(|l| l.items.is_empty());
        let item_cost = |l: &List, i: usize| json_len(&l.items[i]) + l.rows[i].len() + 2;

        let mut size = summary.len() + json_len(&Value::Object(data.clone()));
        size += next_line.len() + next_json.as_ref().map_or(0, |n| json_len(n) + 8);
        for l in &lists {
            size += l.heading.len() + l.key.len() + 8;
            size += (0..l.items.len()).map(|i| item_cost(l, i)).sum::<usize>();
        }
        if let (true, Some(h)) = (all_empty, &empty_hint) {
            size += 2 * h.len() + 40;
        }

        let mut truncated = false;
        if size > budget {
            truncated = true;
            let target = budget.saturating_sub(NOTICE_RESERVE);
            // Cut from the end of the longest list until the rest fits.
            while size > target {
                let Some(l) = lists.iter_mut().filter(|l| !l.items.is_empty()).max_by_key(|l| l.items.len()) else {
                    break;
                };
                let last = l.items.len() - 1;
                size -= json_len(&l.items[last]) + l.rows[last].len() + 2;
                l.items.pop();
                l.rows.pop();
            }
        }

        let mut text = summary;
        for l in &lists {
            if l.items.is_empty() {
                continue;
            }
            text.push_str("\n\n");
            if !l.heading.is_empty() {
                text.push_str(&l.heading);
                text.push('\n');
            }
            text.push_str(&l.rows.join("\n"));
        }
        if let (true, Some(h)) = (all_empty, &empty_hint) {
            text.push_str(&format!("\n\nNothing found. {h}"));
            data.insert("empty_hint".into(), Value::String(h.clone()));
        }

        let mut omitted = Map::new();
        let mut totals = Map::new();
        for l in lists {
            if l.items.len() < l.total {
                omitted.insert(l.key.clone(), json!(l.total - l.items.len()));
                totals.insert(l.key.clone(), json!(l.total));
            }
            data.insert(l.key, Value::Array(l.items));
        }
        let hint = narrow_hint.unwrap_or_else(|| {
            "narrow the request (a smaller window, a filter, a lower limit) or raise max_output_bytes".into()
        });

        if truncated {
            let omitted_text: Vec<String> = omitted.iter().map(|(k, v)| format!("{v} of {} {k}", totals[k])).collect();
            let what = if omitted_text.is_empty() { "part of the output".to_string() } else { omitted_text.join(", ") };
            text.push_str(&format!("\n\n_Truncated to fit {budget} bytes: left out {what}. To see more: {hint}._"));
            data.insert("truncated".into(), Value::Bool(true));
            data.insert(
                "truncation".into(),
                json!({"omitted": omitted, "total": totals, "budget_bytes": budget, "hint": hint}),
            );
        } else {
            data.insert("truncated".into(), Value::Bool(false));
        }

        if let Some(n) = &next_json {
            data.insert("next".into(), n.clone());
        }
        let mut structured = Value::Object(data);
        // Last resort: the non-list part alone is over budget. Keep the text's head and a small JSON.
        if text.len() + next_line.len() + json_len(&structured) > budget {
            let keep = budget.saturating_sub(NOTICE_RESERVE + 2 * next_line.len()) / 2;
            text = cut_bytes(&text, keep);
            text.push_str(&format!("\n\n_Truncated to fit {budget} bytes. To see more: {hint}._"));
            if let Value::Object(m) = &mut structured {
                m.shift_remove("next");
            }
            structured = shrink_object(structured, keep);
            if let Value::Object(m) = &mut structured {
                m.insert("truncated".into(), Value::Bool(true));
                m.insert("truncation".into(), json!({"budget_bytes": budget, "hint": hint}));
                if let Some(n) = next_json.filter(|n| json_len(n) <= NOTICE_RESERVE) {
                    m.insert("next".into(), n);
                }
            }
            truncated = true;
        }
        // The next step always ends the reply, after any truncation notice.
        text.push_str(&next_line);
        Rendered { text, structured, images, truncated }
    }
}

fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map(|s| s.len()).unwrap_or(0)
}

/// Keeps the fields of an object that fit in `max` bytes, smallest first, dropping the large ones.
fn shrink_object(v: Value, max: usize) -> Value {
    let Value::Object(m) = v else { return json!({}) };
    let mut fields: Vec<(String, Value, usize)> = m
        .into_iter()
        .map(|(k, v)| {
            let n = json_len(&v) + k.len() + 4;
            (k, v, n)
        })
        .collect();
    fields.sort_by_key(|f| f.2);
    let mut out = Map::new();
    let mut used = 2;
    let mut dropped = vec![];
    for (k, v, n) in fields {
        if used + n <= max {
            used += n;
            out.insert(k, v);
        } else {
            dropped.push(Value::String(k));
        }
    }
    out.insert("omitted_fields".into(), Value::Array(dropped));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Out {
        cluster: String,
        topics: Vec<Value>,
    }

    fn reply(n: usize) -> Reply {
        let topics: Vec<Value> = (0..n).map(|i| json!({"name": format!("topic-{i:04}"), "partitions": 3})).collect();
        let rows = (0..n).map(|i| format!("| topic-{i:04} | 3 |")).collect();
        Reply::new(&Out { cluster: "c1".into(), topics })
            .unwrap()
            .summary("# Topics")
            .rows("topics", "| topic | partitions |\n|---|---|", rows)
            .narrow_with("pass `pattern`")
    }

    fn size(r: &Rendered) -> usize {
        r.text.len() + json_len(&r.structured)
    }

    #[test]
    fn small_replies_are_whole() {
        let r = reply(3).render(32 * 1024);
        assert!(!r.truncated);
        assert_eq!(r.structured["topics"].as_array().unwrap().len(), 3);
        assert_eq!(r.structured["truncated"], json!(false));
        assert!(r.text.contains("| topic-0002 | 3 |"));
    }

    #[test]
    fn large_replies_are_cut_within_budget_and_say_so() {
        for budget in [2048, 4096, 32 * 1024] {
            let r = reply(5000).render(budget);
            assert!(size(&r) <= budget, "{} > {budget}", size(&r));
            assert!(r.truncated);
            let kept = r.structured["topics"].as_array().unwrap().len();
            assert!(kept > 0 && kept < 5000);
            assert_eq!(r.structured["truncation"]["omitted"]["topics"], json!(5000 - kept));
            assert!(r.text.contains("pass `pattern`"));
            // The text shows exactly the rows the JSON keeps.
            assert!(r.text.contains(&format!("topic-{:04}", kept - 1)));
            assert!(!r.text.contains(&format!("topic-{kept:04}")));
        }
    }

    #[test]
    fn empty_lists_carry_the_hint() {
        let r = reply(0).when_empty("no topic matches; try pattern `*`").render(4096);
        assert!(r.text.contains("try pattern"));
        assert_eq!(r.structured["empty_hint"], json!("no topic matches; try pattern `*`"));
    }

    #[test]
    fn the_next_step_ends_the_reply_even_when_cut() {
        for (n, budget) in [(3, 32 * 1024), (5000, 4096)] {
            let r = reply(n).next("infer_schema", json!({"topic": "topic-0000"}), "see its messages").render(budget);
            assert!(size(&r) <= budget, "{} > {budget}", size(&r));
            assert!(
                r.text.ends_with("Next: `infer_schema` `{\"topic\":\"topic-0000\"}` — see its messages"),
                "{}",
                r.text
            );
            assert_eq!(r.structured["next"]["tool"], json!("infer_schema"));
            assert_eq!(r.structured["next"]["arguments"]["topic"], json!("topic-0000"));
        }
        let big = "x".repeat(100_000);
        let r = Reply::new(&json!({"schema": big})).unwrap().next_step("read the file").render(4096);
        assert!(size(&r) <= 4096 && r.text.ends_with("Next: read the file"), "{}", size(&r));
    }

    #[test]
    fn an_oversized_head_is_still_bounded() {
        let big = "x".repeat(100_000);
        let r = Reply::new(&json!({"schema": big})).unwrap().summary("y".repeat(50_000)).render(4096);
        assert!(size(&r) <= 4096);
        assert_eq!(r.structured["truncated"], json!(true));
    }
}
