//! Log summaries: lines clustered into patterns (variable parts masked), each with counts, first and last
//! seen, level, examples and its Kafka event class; and a roll-up per event class. Pure: log streams in,
//! a summary out.

use super::client::LogStream;
use super::taxonomy::Taxonomy;
use crate::text::first_line;
use chrono::{DateTime, TimeZone, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Labels that say where a line came from, in order of preference.
const SOURCE_LABELS: [&str; 6] = ["broker", "instance", "pod", "host", "container", "service_name"];
/// Labels that carry the level when the line itself does not.
const LEVEL_LABELS: [&str; 3] = ["level", "detected_level", "severity"];
/// Tokens of a line kept in its pattern; the rest is summarised as `…`.
const MAX_PATTERN_TOKENS: usize = 32;
/// Tokens of an exception line (the second line of a multi-line entry) kept in the pattern.
const MAX_CAUSE_TOKENS: usize = 12;
/// The placeholder of a masked value.
pub const MASK: &str = "<*>";

#[derive(Debug, Clone, Copy)]
pub struct SummaryOptions {
    /// Patterns kept, most important first.
    pub max_patterns: usize,
    pub examples_per_pattern: usize,
    /// Characters of each example line.
    pub example_chars: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions { max_patterns: 40, examples_per_pattern: 3, example_chars: 200 }
    }
}

/// A cluster of similar lines.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct LogPattern {
    /// The line with variable parts (numbers, ids, addresses, quoted values, durations) as `<*>`; for
    /// multi-line entries the exception line follows after ` | `.
    pub pattern: String,
    pub count: usize,
    pub level: String,
    /// The Kafka event class (taxonomy id), when the lines are a known event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// 0 routine .. 5 outage (from the class; 0 when unclassified).
    pub severity: u8,
    #[schemars(with = "String")]
    pub first: DateTime<Utc>,
    #[schemars(with = "String")]
    pub last: DateTime<Utc>,
    /// Where the lines came from (values of the broker/instance/pod/host label).
    pub sources: Vec<String>,
    pub examples: Vec<String>,
}

/// All lines of one event class. The class's title and severity stay out of the JSON (the taxonomy has
/// them, and an incident summary must fit small budgets); the order says the severity.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct EventSummary {
    pub class: String,
    #[serde(skip_serializing)]
    #[schemars(skip)]
    pub title: String,
    #[serde(skip_serializing)]
    #[schemars(skip)]
    pub severity: u8,
    pub count: usize,
    #[schemars(with = "String")]
    pub first: DateTime<Utc>,
    #[schemars(with = "String")]
    pub last: DateTime<Utc>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct LogSummary {
    pub lines: usize,
    /// Lines per level.
    pub levels: BTreeMap<String, usize>,
    /// One entry per event class seen (severity 2 and up: routine classes show as patterns only),
    /// most severe first.
    pub events: Vec<EventSummary>,
    /// Patterns, most important first (severity, then level, then count).
    pub patterns: Vec<LogPattern>,
    /// Patterns before `max_patterns` was applied.
    pub patterns_total: usize,
}

struct Cluster {
    tokens: Vec<String>,
    level: String,
    class: Option<usize>,
    count: usize,
    first: i64,
    last: i64,
    sources: BTreeSet<String>,
    examples: Vec<String>,
}

/// Clusters the lines of `streams` into patterns and event classes.
pub fn summarise(streams: &[LogStream], taxonomy: &Taxonomy, opts: &SummaryOptions) -> LogSummary {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut clusters: Vec<Cluster> = vec![];
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    let mut lines = 0;
    let mut key = String::with_capacity(256);
    for stream in streams {
        let source = SOURCE_LABELS.iter().find_map(|l| stream.labels.get(*l)).cloned();
        let stream_level = LEVEL_LABELS.iter().find_map(|l| stream.labels.get(*l)).map(|l| normalise_level(l));
        for entry in &stream.entries {
            lines += 1;
            let parsed = parse_line(&entry.line);
            let level = parsed.level.or_else(|| stream_level.clone()).unwrap_or_else(|| "UNKNOWN".into());
            key.clear();
            key.push_str(&level);
            key.push(' ');
            template_into(parsed.body, parsed.cause, &mut key);
            *levels.entry(level.clone()).or_default() += 1;
            let i = match index.get(key.as_str()) {
                Some(&i) => i,
                None => {
                    let i = clusters.len();
                    let class = classify(taxonomy, &entry.line);
                    let tokens = key[level.len() + 1..].split(' ').map(str::to_string).collect();
                    clusters.push(Cluster {
                        tokens,
                        level: level.clone(),
                        class,
                        count: 0,
                        first: i64::MAX,
                        last: i64::MIN,
                        sources: BTreeSet::new(),
                        examples: vec![],
                    });
                    index.insert(key.clone(), i);
                    i
                }
            };
            let c = &mut clusters[i];
            c.count += 1;
            c.first = c.first.min(entry.ts_ns);
            c.last = c.last.max(entry.ts_ns);
            if let Some(s) = &source {
                if !c.sources.contains(s) {
                    c.sources.insert(s.clone());
                }
            }
            if c.examples.len() < opts.examples_per_pattern {
                let example = first_line(&entry.line, opts.example_chars);
                if !c.examples.contains(&example) {
                    c.examples.push(example);
                }
            }
        }
    }
    let events = roll_up(&clusters, taxonomy);
    let clusters = merge_similar(clusters, opts.examples_per_pattern);
    let mut patterns: Vec<LogPattern> = clusters.into_iter().map(|c| to_pattern(c, taxonomy)).collect();
    patterns.sort_by(|a, b| {
        (b.severity, level_rank(&b.level), b.count)
            .cmp(&(a.severity, level_rank(&a.level), a.count))
            .then(a.first.cmp(&b.first))
    });
    let patterns_total = patterns.len();
    patterns.truncate(opts.max_patterns);
    LogSummary { lines, levels, events, patterns, patterns_total }
}

/// The first two lines of an entry are enough to classify it (the message and, for an exception, its cause).
fn classify(taxonomy: &Taxonomy, line: &str) -> Option<usize> {
    let class = taxonomy.classify_line(line)?;
    taxonomy.classes().iter().position(|c| c.id == class.id)
}

struct ParsedLine<'a> {
    level: Option<String>,
    body: &'a str,
    cause: Option<&'a str>,
}

/// Splits an entry into level, message body (timestamp prefix removed) and the exception line, if any.
fn parse_line(line: &str) -> ParsedLine<'_> {
    let mut parts = line.splitn(3, '\n');
    let first = parts.next().unwrap_or("");
    let cause = parts.next().map(str::trim_end).filter(|l| !l.is_empty() && !l.starts_with(char::is_whitespace));
    let mut body = strip_timestamp(first.trim_start());
    let mut level = None;
    if let Some(word) = body.split_whitespace().next() {
        let bare = word.trim_matches(|c| c == '[' || c == ']' || c == ':');
        if is_level(bare) {
            level = Some(normalise_level(bare));
            body = body[body.find(word).unwrap_or(0) + word.len()..].trim_start();
        }
    }
    ParsedLine { level, body, cause }
}

/// Removes a leading `[2024-01-15 03:00:01,234] ` or `2024-01-15T03:00:01.234Z ` / `2024-01-15 03:00:01,234 `.
fn strip_timestamp(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(close) = rest.find("] ") {
            if close < 40 && rest.starts_with(|c: char| c.is_ascii_digit()) {
                return rest[close + 2..].trim_start();
            }
        }
        return s;
    }
    let mut out = s;
    for _ in 0..2 {
        let word = out.split(' ').next().unwrap_or("");
        let looks_like_time =
            word.starts_with(|c: char| c.is_ascii_digit()) && (word.contains(':') || word.matches('-').count() == 2);
        if !looks_like_time {
            break;
        }
        out = out[word.len()..].trim_start();
    }
    out
}

fn is_level(w: &str) -> bool {
    matches!(
        w.to_ascii_uppercase().as_str(),
        "TRACE" | "DEBUG" | "INFO" | "WARN" | "WARNING" | "ERROR" | "FATAL" | "CRITICAL"
    )
}

fn normalise_level(l: &str) -> String {
    match l.to_ascii_uppercase().as_str() {
        "WARNING" => "WARN".into(),
        "CRITICAL" => "FATAL".into(),
        other => other.to_string(),
    }
}

fn level_rank(l: &str) -> u8 {
    match l {
        "FATAL" => 5,
        "ERROR" => 4,
        "WARN" => 3,
        "INFO" => 2,
        "DEBUG" | "TRACE" => 1,
        _ => 0,
    }
}

/// Appends the masked template of `body` (and ` | ` + the masked `cause`) to `out`.
fn template_into(body: &str, cause: Option<&str>, out: &mut String) {
    mask_into(body, MAX_PATTERN_TOKENS, out);
    if let Some(cause) = cause {
        out.push_str(" | ");
        mask_into(cause, MAX_CAUSE_TOKENS, out);
    }
}

/// Masks variable tokens: anything with a digit, long opaque ids, and quoted strings. Runs of masked
/// tokens collapse into one, so lists of any length give the same pattern.
fn mask_into(text: &str, max_tokens: usize, out: &mut String) {
    let start_len = out.len();
    let mut tokens = text.split_whitespace();
    let mut n = 0;
    let mut last_masked = false;
    while let Some(tok) = tokens.next() {
        if n == max_tokens {
            out.push_str(" …");
            break;
        }
        // A quoted value with spaces: skip to its closing quote.
        if let Some(q) = tok.chars().next().filter(|c| *c == '\'' || *c == '"') {
            if tok.len() == 1 || !tok[1..].contains(q) {
                for t in tokens.by_ref() {
                    if t.contains(q) {
                        break;
                    }
                }
            }
            push_token(out, start_len, MASK, &mut last_masked, true);
            n += 1;
            continue;
        }
        let lead = tok.find(|c: char| !"([{<".contains(c)).unwrap_or(tok.len());
        let trail = tok
            .rfind(|c: char| !")]}>,.;:".contains(c))
            .map(|i| i + tok[i..].chars().next().map_or(1, char::len_utf8))
            .unwrap_or(lead)
            .max(lead);
        let core = &tok[lead..trail];
        let masked =
            if let Some(eq) = core.find('=').filter(|&i| i > 0 && !core[..i].bytes().any(|b| b.is_ascii_digit())) {
                let value = &core[eq + 1..];
                if is_variable(value) {
                    let mut t = String::with_capacity(core.len());
                    t.push_str(&tok[..lead]);
                    t.push_str(&core[..=eq]);
                    t.push_str(MASK);
                    t.push_str(tok[trail..].trim_end_matches(','));
                    push_token(out, start_len, &t, &mut last_masked, false);
                    n += 1;
                    continue;
                }
                false
            } else {
                is_variable(core)
            };
        if masked {
            let rest = tok[trail..].trim_end_matches(',');
            if lead == 0 && rest.is_empty() {
                push_token(out, start_len, MASK, &mut last_masked, true);
            } else {
                let t = format!("{}{MASK}{rest}", &tok[..lead]);
                push_token(out, start_len, &t, &mut last_masked, false);
            }
        } else {
            push_token(out, start_len, tok, &mut last_masked, false);
        }
        n += 1;
    }
}

fn push_token(out: &mut String, start_len: usize, tok: &str, last_masked: &mut bool, is_mask: bool) {
    if is_mask && *last_masked {
        return;
    }
    if out.len() > start_len {
        out.push(' ');
    }
    out.push_str(tok);
    *last_masked = is_mask;
}

/// Numbers, ids, addresses, durations, hex: anything with a digit; also long opaque tokens (but not long
/// dotted class names such as `org.apache.kafka.storage.internals.log.LogDirFailureChannel`).
fn is_variable(s: &str) -> bool {
    !s.is_empty() && (s.bytes().any(|b| b.is_ascii_digit()) || (s.len() > 40 && !s.contains('.')))
}

fn roll_up(clusters: &[Cluster], taxonomy: &Taxonomy) -> Vec<EventSummary> {
    let mut by_class: BTreeMap<usize, EventSummary> = BTreeMap::new();
    for c in clusters {
        let Some(ci) = c.class else { continue };
        let class = &taxonomy.classes()[ci];
        if class.severity < 2 {
            continue;
        }
        let e = by_class.entry(ci).or_insert_with(|| EventSummary {
            class: class.id.clone(),
            title: class.title.clone(),
            severity: class.severity,
            count: 0,
            first: ns_to_time(c.first),
            last: ns_to_time(c.last),
            sources: vec![],
        });
        e.count += c.count;
        e.first = e.first.min(ns_to_time(c.first));
        e.last = e.last.max(ns_to_time(c.last));
        for s in &c.sources {
            if !e.sources.contains(s) {
                e.sources.push(s.clone());
            }
        }
    }
    let mut events: Vec<EventSummary> = by_class.into_values().collect();
    for e in &mut events {
        e.sources.sort();
    }
    events.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.first.cmp(&b.first)));
    events
}

/// Merges clusters of the same level, class and length whose templates differ in at most a quarter of
/// their tokens (the same message about different groups or topics), masking the differing tokens.
fn merge_similar(clusters: Vec<Cluster>, max_examples: usize) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::with_capacity(clusters.len());
    let mut groups: HashMap<(String, Option<usize>, usize, String), Vec<usize>> = HashMap::new();
    for c in clusters {
        let key = (c.level.clone(), c.class, c.tokens.len(), c.tokens.first().cloned().unwrap_or_default());
        let candidates = groups.entry(key).or_default();
        let allowed = (c.tokens.len() / 4).max(1);
        let target = candidates
            .iter()
            .copied()
            .find(|&i| out[i].tokens.iter().zip(&c.tokens).filter(|(a, b)| a != b).count() <= allowed);
        match target {
            Some(i) => {
                let t = &mut out[i];
                for (a, b) in t.tokens.iter_mut().zip(&c.tokens) {
                    if a != b {
                        *a = MASK.to_string();
                    }
                }
                t.count += c.count;
                t.first = t.first.min(c.first);
                t.last = t.last.max(c.last);
                t.sources.extend(c.sources);
                for e in c.examples {
                    if t.examples.len() < max_examples && !t.examples.contains(&e) {
                        t.examples.push(e);
                    }
                }
            }
            None => {
                candidates.push(out.len());
                out.push(c);
            }
        }
    }
    out
}

fn to_pattern(c: Cluster, taxonomy: &Taxonomy) -> LogPattern {
    let class = c.class.map(|i| &taxonomy.classes()[i]);
    LogPattern {
        pattern: c.tokens.join(" "),
        count: c.count,
        level: c.level,
        class: class.map(|k| k.id.clone()),
        severity: class.map_or(0, |k| k.severity),
        first: ns_to_time(c.first),
        last: ns_to_time(c.last),
        sources: c.sources.into_iter().collect(),
        examples: c.examples,
    }
}

pub fn ns_to_time(ns: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(ns)
}

#[cfg(test)]
mod tests {
    use super::super::client::LogEntry;
    use super::*;

    fn template(line: &str) -> String {
        let p = parse_line(line);
        let mut out = String::new();
        template_into(p.body, p.cause, &mut out);
        out
    }

    fn stream(broker: &str, level: &str, lines: &[(i64, &str)]) -> LogStream {
        LogStream {
            labels: [("broker".to_string(), broker.to_string()), ("level".to_string(), level.to_string())].into(),
            entries: lines.iter().map(|(t, l)| LogEntry { ts_ns: *t * 1_000_000_000, line: l.to_string() }).collect(),
        }
    }

    #[test]
    fn masks_numbers_ids_addresses_quotes_and_durations() {
        assert_eq!(
            template("[2024-01-15 03:00:33,912] INFO [Partition orders-3 broker=1] Shrinking ISR from 1,2,3 to 1,3. Leader: (highWatermark: 415, endOffset: 420)."),
            "[Partition <*> broker=<*>] Shrinking ISR from <*> to <*>. Leader: (highWatermark: <*> endOffset: <*>)."
        );
        assert_eq!(
            template(
                "2024-01-15T03:00:01.234Z WARN Connection to 10.20.1.12:9092 took 250ms for 'my client id' id=0x7f3a"
            ),
            "Connection to <*> took <*> for <*> id=<*>"
        );
        assert_eq!(
            template("INFO x (org.apache.kafka.storage.internals.log.LogDirFailureChannel)"),
            "x (org.apache.kafka.storage.internals.log.LogDirFailureChannel)"
        );
        assert_eq!(template("INFO token Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4"), "token <*>");
        assert_eq!(template("ERROR Error while appending records to payments-3\njava.io.IOException: No space left on device\n\tat x.y(Z.java:1)"), "Error while appending records to <*> | java.io.IOException: No space left on device");
    }

    #[test]
    fn level_comes_from_the_line_or_the_stream() {
        assert_eq!(parse_line("[2024-01-15 03:00:01,652] FATAL Shutdown broker").level.as_deref(), Some("FATAL"));
        assert_eq!(parse_line("2024-01-15 03:00:01,652 WARNING x").level.as_deref(), Some("WARN"));
        let s = summarise(
            &[stream("2", "error", &[(1, "no level here")])],
            &Taxonomy::built_in(),
            &SummaryOptions::default(),
        );
        assert_eq!(s.patterns[0].level, "ERROR");
    }

    #[test]
    fn clusters_count_classify_and_rank() {
        let streams = [
            stream("1", "INFO", &[(10, "[2024-01-15 03:00:10,000] INFO Rolled new log segment at offset 5 in 2 ms."), (11, "[2024-01-15 03:00:11,000] INFO Rolled new log segment at offset 9 in 3 ms.")]),
            stream("3", "INFO", &[(20, "[2024-01-15 03:00:20,000] INFO [Partition orders-1 broker=3] Shrinking ISR from 3,2 to 3. Leader: x"), (30, "[2024-01-15 03:00:30,000] INFO [Partition orders-2 broker=3] Shrinking ISR from 3,2 to 3. Leader: x")]),
            stream("1", "INFO", &[(25, "[2024-01-15 03:00:25,000] INFO [Partition orders-4 broker=1] Shrinking ISR from 1,2 to 1. Leader: x")]),
        ];
        let s = summarise(&streams, &Taxonomy::built_in(), &SummaryOptions::default());
        assert_eq!(s.lines, 5);
        assert_eq!(s.levels["INFO"], 5);
        assert_eq!(s.patterns.len(), 2);
        let shrink = &s.patterns[0];
        assert_eq!((shrink.class.as_deref(), shrink.count), (Some("isr_shrink"), 3));
        assert_eq!(shrink.sources, vec!["1", "3"]);
        assert_eq!(shrink.first, ns_to_time(20_000_000_000));
        assert_eq!(shrink.last, ns_to_time(30_000_000_000));
        assert_eq!(shrink.examples.len(), 3);
        assert_eq!(s.patterns[1].class.as_deref(), Some("segment_roll"));
        // Routine classes are patterns, not events.
        assert_eq!(s.events.iter().map(|e| e.class.as_str()).collect::<Vec<_>>(), vec!["isr_shrink"]);
        assert_eq!(s.events[0].count, 3);
    }

    #[test]
    fn similar_messages_about_different_groups_merge() {
        let lines = [(1, "INFO [GroupCoordinator 3]: Stabilized group analytics-etl generation 5 (__consumer_offsets-27) with 2 members"), (2, "INFO [GroupCoordinator 3]: Stabilized group fraud-detector generation 24 (__consumer_offsets-40) with 3 members")];
        let s = summarise(&[stream("3", "INFO", &lines)], &Taxonomy::built_in(), &SummaryOptions::default());
        assert_eq!(s.patterns.len(), 1, "{:#?}", s.patterns);
        assert_eq!(s.patterns[0].count, 2);
        assert!(s.patterns[0].pattern.contains("Stabilized group <*> generation"), "{}", s.patterns[0].pattern);
    }

    #[test]
    fn max_patterns_keeps_the_most_important() {
        let lines: Vec<(i64, String)> = (0..50)
            .map(|i| {
                (
                    i,
                    format!(
                        "INFO unique message number{} kind {}",
                        "x".repeat(i as usize % 7),
                        ["a", "b", "c", "d", "e", "f", "g", "h"][i as usize % 8]
                    ),
                )
            })
            .collect();
        let refs: Vec<(i64, &str)> = lines
            .iter()
            .map(|(t, l)| (*t, l.as_str()))
            .chain([(99, "ERROR Shutdown broker because all log dirs in /d have failed")])
            .collect();
        let opts = SummaryOptions { max_patterns: 3, ..Default::default() };
        let s = summarise(&[stream("1", "INFO", &refs)], &Taxonomy::built_in(), &opts);
        assert_eq!(s.patterns.len(), 3);
        assert!(s.patterns_total > 3);
        assert_eq!(s.patterns[0].class.as_deref(), Some("broker_stop"));
    }
}
