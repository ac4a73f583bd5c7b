//! Tagged unions: one string property (the tag: `type`, `kind`, `event_type`...) whose few values each
//! predict the object's keys, or the keys of an object beside it (`payload`), becomes `oneOf` with one
//! branch per tag value (`const` on the tag, its own properties and required, closed when the sample
//! supports it), instead of one object with every variant's fields optional.
//!
//! While adding, each object position keeps, per candidate tag property (a string with at most 8 distinct
//! values so far) and per tag value, the AND and OR of the key sets (bit per property slot) of the objects
//! with that value, and the same for up to 4 object-valued siblings. A key is *explained* by the tag when,
//! for every tag value, it is either in every object or in none, yet not in every object overall. The
//! union is emitted when a tag explains at least one key (own or a sibling's), is a string in every object,
//! has 2 to 8 values each seen in at least 10 objects; the tag explaining most keys wins (ties: a
//! conventional tag name, then fewer values). Confidence: m/(m+10), m the smallest branch's object count.

use super::node::Node;
use super::structure::{SchemaCx, MIN_CLOSED};
use serde_json::{json, Map, Value};

/// Most values a tag may have.
pub const MAX_TAG_VALUES: usize = 8;
/// Candidate tags recorded per object.
const MAX_TAGS: usize = 8;
/// Object-valued siblings recorded per object.
const MAX_SIBLINGS: usize = 4;
/// Fewest objects a branch needs.
const MIN_BRANCH: u64 = 10;
const TAG_NAMES: [&str; 10] =
    ["type", "kind", "event_type", "eventType", "event", "op", "action", "@type", "_type", "variant"];

#[derive(Debug)]
pub struct TagTrack {
    prop: u8,
    /// Indexed like the tag property's distinct values.
    values: Vec<TagValue>,
}

#[derive(Debug)]
struct TagValue {
    count: u64,
    and: u64,
    or: u64,
    sibs: Vec<Sib>,
    /// An object had more object-valued siblings than are recorded: sibling key sets are incomplete.
    cut: bool,
}

#[derive(Debug)]
struct Sib {
    prop: u8,
    count: u64,
    and: u64,
    or: u64,
}

/// After an object whose keys are `mask`: for each candidate tag it held, the keys that went with its value.
pub fn end_object(node: &mut Node, mask: u64) {
    let mut tags = [(0u8, 0u8); MAX_TAGS];
    let mut nt = 0;
    let mut sibs = [(0u8, 0u64); MAX_SIBLINGS];
    let mut ns = 0;
    let mut cut = false;
    // Only slots that may still be a tag or an object are looked at; the others are unwatched for good.
    let mut m = mask & node.watch;
    if m == 0 {
        return;
    }
    while m != 0 {
        let j = m.trailing_zeros() as usize;
        m &= m - 1;
        let child = &mut node.props[j].1;
        let (tag, keys) = (child.last_tag.take(), child.last_mask.take());
        // Neither a tag value (so never a tag) nor an object so far: stop watching. Should it become an
        // object later, its key sets are incomplete: `sib_gap` keeps its branch schemas unnarrowed.
        if tag.is_none() && keys.is_none() && child.objects == 0 {
            node.watch &= !(1 << j);
            child.sib_gap = true;
        }
        if let (Some(v), true) = (tag, nt < MAX_TAGS) {
            tags[nt] = (j as u8, v);
            nt += 1;
        }
        if let Some(keys) = keys {
            if ns < MAX_SIBLINGS {
                sibs[ns] = (j as u8, keys);
                ns += 1;
            } else {
                cut = true;
            }
        }
    }
    for &(prop, value) in &tags[..nt] {
        let track = match node.tags.iter().position(|t| t.prop == prop) {
            Some(i) => &mut node.tags[i],
            None => {
                node.tags.push(TagTrack { prop, values: Vec::new() });
                node.tags.last_mut().expect("just pushed")
            }
        };
        let v = value as usize;
        while track.values.len() <= v {
            track.values.push(TagValue { count: 0, and: u64::MAX, or: 0, sibs: Vec::new(), cut: false });
        }
        let tv = &mut track.values[v];
        tv.count += 1;
        tv.and &= mask;
        tv.or |= mask;
        tv.cut |= cut;
        for &(p, keys) in &sibs[..ns] {
            match tv.sibs.iter().position(|s| s.prop == p) {
                Some(i) => {
                    let s = &mut tv.sibs[i];
                    s.count += 1;
                    s.and &= keys;
                    s.or |= keys;
                }
                None if tv.sibs.len() < 2 * MAX_SIBLINGS => {
                    tv.sibs.push(Sib { prop: p, count: 1, and: keys, or: keys })
                }
                None => {}
            }
        }
    }
}

/// The union found at an object position.
pub struct Union {
    prop: usize,
    track: usize,
    explained: u32,
    confidence: f64,
}

/// Keys explained by a tag among key sets (and, or) per tag value: in every object or none for each value,
/// not in every object overall.
fn explained<'a>(sets: impl Iterator<Item = (u64, u64)> + Clone + 'a) -> u64 {
    let and_all = sets.clone().fold(u64::MAX, |a, (and, _)| a & and);
    let or_all = sets.clone().fold(0, |a, (_, or)| a | or);
    let mut out = or_all & !and_all;
    for (and, or) in sets {
        // Keys sometimes present for this value are not explained.
        out &= !(or & !and);
    }
    out
}

/// The best tag of an object position, when one explains keys (module docs).
pub fn find(node: &Node) -> Option<Union> {
    if node.objects != node.non_null() || node.props.len() > 64 || node.untracked_props > 0 {
        return None;
    }
    let mut best: Option<(Union, bool, usize)> = None;
    for (ti, t) in node.tags.iter().enumerate() {
        let (name, child) = &node.props[t.prop as usize];
        let Some(distinct) = &child.distinct else { continue };
        if child.strings != child.seen
            || child.seen != node.objects
            || !(2..=MAX_TAG_VALUES).contains(&distinct.len())
            || t.values.len() != distinct.len()
            || t.values.iter().map(|v| v.count).sum::<u64>() != node.objects
        {
            continue;
        }
        let smallest = t.values.iter().map(|v| v.count).min().unwrap_or(0);
        if smallest < MIN_BRANCH {
            continue;
        }
        let mut score = explained(t.values.iter().map(|v| (v.and, v.or))).count_ones();
        let mut sib_props: Vec<u8> = t.values.iter().flat_map(|v| v.sibs.iter().map(|s| s.prop)).collect();
        sib_props.sort_unstable();
        sib_props.dedup();
        for p in sib_props.into_iter().filter(|_| !t.values.iter().any(|v| v.cut)) {
            let sets = t.values.iter().filter_map(|v| v.sibs.iter().find(|s| s.prop == p)).map(|s| (s.and, s.or));
            score += explained(sets).count_ones();
        }
        if score == 0 {
            continue;
        }
        let conventional = TAG_NAMES.contains(&&**name);
        let better = match &best {
            None => true,
            Some((b, conv, n)) => {
                (score, conventional, usize::MAX - distinct.len()) > (b.explained, *conv, usize::MAX - n)
            }
        };
        if better {
            let m = smallest as f64;
            let u = Union { prop: t.prop as usize, track: ti, explained: score, confidence: m / (m + 10.0) };
            best = Some((u, conventional, distinct.len()));
        }
    }
    best.map(|(u, _, _)| u)
}

fn bits(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |i| mask & (1 << i) != 0)
}

/// The `oneOf` branches of union `u` at `node`, from the children's schemas (in `node.props` order).
pub fn branches(node: &Node, u: &Union, children: &[Value], cx: &mut SchemaCx, path: &str) -> Value {
    let track = &node.tags[u.track];
    let (tag, tag_node) = &node.props[u.prop];
    let distinct = tag_node.distinct.as_deref().unwrap_or_default();
    let settled = node.key_set_settled();
    let mut out = vec![];
    let mut closed = 0;
    let mut described = vec![];
    for (i, tv) in track.values.iter().enumerate() {
        let value = distinct.get(i).map(|(v, _)| v.to_string()).unwrap_or_default();
        let mut props = Map::new();
        for k in bits(tv.or) {
            let (name, child) = &node.props[k];
            let schema = if k == u.prop {
                json!({"const": value})
            } else {
                match tv.sibs.iter().find(|s| s.prop as usize == k) {
                    Some(sib) if !tv.cut => restrict(&children[k], child, sib),
                    _ => children[k].clone(),
                }
            };
            props.insert(name.to_string(), schema);
        }
        let required: Vec<Value> = bits(tv.and).map(|k| Value::from(&*node.props[k].0)).collect();
        let mut branch = json!({"type": "object", "properties": props, "required": required});
        if settled && tv.count >= MIN_CLOSED {
            branch["additionalProperties"] = Value::Bool(false);
            closed += 1;
        }
        if described.len() < 4 {
            described.push(format!("{value} ×{}", tv.count));
        }
        out.push(branch);
    }
    let more = if track.values.len() > described.len() { ", …" } else { "" };
    cx.note(
        path,
        "oneOf",
        u.confidence,
        format!(
            "tag `{tag}` ({}{more}) predicts {} keys; {closed} of {} branches closed",
            described.join(", "),
            u.explained,
            track.values.len()
        ),
    );
    Value::Array(out)
}

/// A sibling object's schema narrowed to the keys seen with one tag value.
fn restrict(schema: &Value, child: &Node, sib: &Sib) -> Value {
    let mut s = schema.clone();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return s };
    if child.props.len() > 64 || child.untracked_props > 0 || child.sib_gap {
        return s;
    }
    let keep: Map<String, Value> = bits(sib.or)
        .filter_map(|i| {
            let name = &*child.props.get(i)?.0;
            Some((name.to_string(), props.get(name)?.clone()))
        })
        .collect();
    let required: Vec<Value> =
        bits(sib.and).filter_map(|i| child.props.get(i)).map(|(k, _)| Value::from(&**k)).collect();
    s["properties"] = Value::Object(keep);
    if required.is_empty() {
        if let Some(m) = s.as_object_mut() {
            m.remove("required");
        }
    } else {
        s["required"] = Value::Array(required);
    }
    if sib.count >= MIN_CLOSED && child.key_set_settled() {
        s["additionalProperties"] = Value::Bool(false);
    }
    s
}
