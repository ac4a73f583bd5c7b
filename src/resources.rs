//! Results worth reading again, kept as MCP resources: inferred schemas (`kafka://topics/{name}/schema`),
//! test runs (`testrun://{id}`), incident notes (`incident://{id}`). Bounded: the oldest go first.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::RwLock;

/// How many stored resources are kept before the oldest are dropped.
const MAX_STORED: usize = 500;
/// And how many bytes of text in all (every generate_test_cases call stores its case set: 500 large ones
/// kept the process growing under a long fuzz run).
const MAX_STORED_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct StoredResource {
    pub uri: String,
    pub name: String,
    pub description: String,
    pub mime_type: String,
    pub text: String,
}

#[derive(Default)]
pub struct ResourceStore {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    by_uri: BTreeMap<String, StoredResource>,
    order: VecDeque<String>,
    bytes: usize,
}

impl ResourceStore {
    /// Stores (or replaces) a resource.
    pub fn put(&self, resource: StoredResource) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let uri = resource.uri.clone();
        inner.bytes += resource.text.len();
        if let Some(old) = inner.by_uri.insert(uri.clone(), resource) {
            inner.bytes -= old.text.len();
            inner.order.retain(|u| u != &uri);
        }
        inner.order.push_back(uri);
        // The newest always stays, even when it alone is over the byte cap.
        while inner.order.len() > MAX_STORED || (inner.bytes > MAX_STORED_BYTES && inner.order.len() > 1) {
            if let Some(old) = inner.order.pop_front() {
                if let Some(r) = inner.by_uri.remove(&old) {
                    inner.bytes -= r.text.len();
                }
            }
        }
    }

    pub fn get(&self, uri: &str) -> Option<StoredResource> {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).by_uri.get(uri).cloned()
    }

    /// Stored resources, newest first.
    pub fn list(&self) -> Vec<StoredResource> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner.order.iter().rev().filter_map(|u| inner.by_uri.get(u).cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(uri: &str, text: &str) -> StoredResource {
        StoredResource {
            uri: uri.into(),
            name: uri.into(),
            description: String::new(),
            mime_type: "application/json".into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_store_is_bounded_in_bytes() {
        let s = ResourceStore::default();
        let big = "x".repeat(MAX_STORED_BYTES / 4);
        for i in 0..20 {
            s.put(res(&format!("testrun://{i}"), &big));
        }
        let kept = s.list();
        assert!(kept.len() <= 4 && kept[0].uri == "testrun://19", "{}", kept.len());
        assert!(kept.iter().map(|r| r.text.len()).sum::<usize>() <= MAX_STORED_BYTES);
    }

    #[test]
    fn replaces_and_lists_newest_first_within_the_cap() {
        let s = ResourceStore::default();
        s.put(res("testrun://1", "a"));
        s.put(res("testrun://2", "b"));
        s.put(res("testrun://1", "c"));
        let uris: Vec<String> = s.list().into_iter().map(|r| r.uri).collect();
        assert_eq!(uris, vec!["testrun://1", "testrun://2"]);
        assert_eq!(s.get("testrun://1").unwrap().text, "c");
        for i in 0..(MAX_STORED + 10) {
            s.put(res(&format!("incident://{i}"), "x"));
        }
        assert_eq!(s.list().len(), MAX_STORED);
        assert!(s.get("testrun://2").is_none());
    }
}
