//! Results worth reading again, kept as MCP resources: inferred schemas (`kafka://topics/{name}/schema`),
//! test runs (`testrun://{id}`), incident notes (`incident://{id}`). Bounded: the oldest go first.
//! Case sets and test runs are also kept on disk when a [`FileStore`] is given, and read back from it when
//! they are not in memory (another process wrote them).

use crate::store::FileStore;
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
    files: Option<FileStore>,
}

#[derive(Default)]
struct Inner {
    by_uri: BTreeMap<String, StoredResource>,
    order: VecDeque<String>,
    bytes: usize,
}

impl ResourceStore {
    /// A store that also keeps case sets and test runs in `files`.
    pub fn with_files(files: FileStore) -> ResourceStore {
        ResourceStore { inner: RwLock::default(), files: Some(files) }
    }

    /// Stores (or replaces) a resource; a case set or test run is written to the file store too (a failed
    /// write is logged: the resource still lives in memory for this process).
    pub fn put(&self, resource: StoredResource) {
        if let Some(files) = self.files.as_ref().filter(|_| FileStore::keeps(&resource.uri)) {
            if let Err(e) = files.save(&resource) {
                tracing::warn!(uri = %resource.uri, dir = %files.dir().display(), "cannot keep the resource on disk: {e}");
            }
        }
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

    /// The resource from memory, else (a case set or test run) from the file store.
    pub fn get(&self, uri: &str) -> Option<StoredResource> {
        let found = self.inner.read().unwrap_or_else(|p| p.into_inner()).by_uri.get(uri).cloned();
        found.or_else(|| self.files.as_ref()?.load(uri))
    }

    /// Stored resources, newest first: this process's, then those only on disk (metadata only, `text`
    /// empty; [`ResourceStore::get`] reads them).
    pub fn list(&self) -> Vec<StoredResource> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<StoredResource> =
            inner.order.iter().rev().filter_map(|u| inner.by_uri.get(u).cloned()).collect();
        if let Some(files) = &self.files {
            out.extend(files.list().into_iter().filter(|r| !inner.by_uri.contains_key(&r.uri)));
        }
        out
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

    #[test]
    fn case_sets_and_runs_outlive_the_store_that_wrote_them() {
        let dir = std::env::temp_dir().join(format!("kqm-resources-{}", uuid::Uuid::new_v4().simple()));
        let first = ResourceStore::with_files(FileStore::new(&dir, 10));
        first.put(res("testcases://abc", "cases"));
        first.put(res("incident://1", "note"));
        let second = ResourceStore::with_files(FileStore::new(&dir, 10));
        assert_eq!(second.get("testcases://abc").unwrap().text, "cases");
        assert!(second.get("incident://1").is_none(), "only case sets and test runs are kept on disk");
        second.put(res("testrun://r1", "run"));
        let uris: Vec<String> = second.list().into_iter().map(|r| r.uri).collect();
        assert_eq!(uris, vec!["testrun://r1", "testcases://abc"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
