//! Resources that outlive one process: case sets (`testcases://{id}`) and test runs (`testrun://{id}`) are
//! also written as files under the store folder (`[store] dir`, default `{export dir}/store`), so a CI script
//! can generate cases in one `kafka-qa-mcp call` and run them in the next. One folder per kind, one file
//! per resource (a JSON line of metadata, then the text), written whole or not at all; the oldest files of
//! a kind are removed past `max_files`. Ids are checked before they become file names.

use crate::resources::StoredResource;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The URI schemes kept on disk, and their folder.
const KINDS: &[(&str, &str)] = &[("testcases://", "testcases"), ("testrun://", "testruns")];
/// Longest id accepted.
const MAX_ID: usize = 80;

#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    max_files: usize,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    uri: String,
    name: String,
    description: String,
    mime_type: String,
}

/// An id that can be a file name: ASCII letters, digits, `-` and `_`, 1 to 80 of them.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FileStore {
    pub fn new(dir: &Path, max_files: usize) -> FileStore {
        FileStore { dir: dir.to_path_buf(), max_files: max_files.max(1) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether resources with this URI are kept on disk.
    pub fn keeps(uri: &str) -> bool {
        KINDS.iter().any(|(scheme, _)| uri.starts_with(scheme))
    }

    /// The file of a URI; None when its scheme is not kept or its id could leave the folder.
    fn path(&self, uri: &str) -> Option<PathBuf> {
        let (folder, id) = KINDS.iter().find_map(|(scheme, folder)| Some((folder, uri.strip_prefix(scheme)?)))?;
        valid_id(id).then(|| self.dir.join(folder).join(format!("{id}.json")))
    }

    /// Writes the resource (replacing an older version), then prunes its folder.
    pub fn save(&self, r: &StoredResource) -> std::io::Result<()> {
        let Some(path) = self.path(&r.uri) else { return Ok(()) };
        let folder = path.parent().expect("a file in a folder");
        std::fs::create_dir_all(folder)?;
        let meta = Meta {
            uri: r.uri.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            mime_type: r.mime_type.clone(),
        };
        let mut body = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
        body.push(b'\n');
        body.extend_from_slice(r.text.as_bytes());
        let partial =
            folder.join(format!(".{}.{}.partial", path.file_name().unwrap().to_string_lossy(), std::process::id()));
        std::fs::write(&partial, body)?;
        std::fs::rename(&partial, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })?;
        self.prune(folder)
    }

    /// Reads a resource back; None when it was never stored (or was pruned).
    pub fn load(&self, uri: &str) -> Option<StoredResource> {
        let file = std::fs::File::open(self.path(uri)?).ok()?;
        let mut reader = BufReader::new(file);
        let meta = read_meta(&mut reader)?;
        let mut text = String::new();
        reader.read_to_string(&mut text).ok()?;
        (meta.uri == uri).then_some(StoredResource {
            uri: meta.uri,
            name: meta.name,
            description: meta.description,
            mime_type: meta.mime_type,
            text,
        })
    }

    /// Every stored resource, newest first, with its metadata only (`text` empty: [`FileStore::load`] reads it).
    pub fn list(&self) -> Vec<StoredResource> {
        let mut found: Vec<(SystemTime, StoredResource)> = vec![];
        for (_, folder) in KINDS {
            for (modified, path) in files(&self.dir.join(folder)) {
                let Ok(file) = std::fs::File::open(&path) else { continue };
                if let Some(m) = read_meta(&mut BufReader::new(file)) {
                    found.push((
                        modified,
                        StoredResource {
                            uri: m.uri,
                            name: m.name,
                            description: m.description,
                            mime_type: m.mime_type,
                            text: String::new(),
                        },
                    ));
                }
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.uri.cmp(&a.1.uri)));
        found.into_iter().map(|(_, r)| r).collect()
    }

    /// Removes the oldest files of a folder past `max_files`.
    fn prune(&self, folder: &Path) -> std::io::Result<()> {
        let mut all = files(folder);
        if all.len() <= self.max_files {
            return Ok(());
        }
        all.sort();
        for (_, path) in &all[..all.len() - self.max_files] {
            std::fs::remove_file(path)?;
        }
        Ok(())
    }
}

/// The stored files of a folder (not partial ones), with their modification times.
fn files(folder: &Path) -> Vec<(SystemTime, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(folder) else { return vec![] };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".json") && !name.starts_with('.')
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect()
}

fn read_meta(reader: &mut impl BufRead) -> Option<Meta> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    serde_json::from_str(line.trim_end()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(uri: &str, text: &str) -> StoredResource {
        StoredResource {
            uri: uri.into(),
            name: format!("name of {uri}"),
            description: "d".into(),
            mime_type: "application/json".into(),
            text: text.into(),
        }
    }

    fn temp() -> PathBuf {
        std::env::temp_dir().join(format!("kqm-store-{}", uuid::Uuid::new_v4().simple()))
    }

    #[test]
    fn saves_loads_lists_and_prunes_the_oldest() {
        let dir = temp();
        let store = FileStore::new(&dir, 2);
        store.save(&res("testcases://abc123", "{\"cases\":[]}\nsecond line")).unwrap();
        assert_eq!(store.load("testcases://abc123").unwrap().text, "{\"cases\":[]}\nsecond line");
        assert_eq!(store.load("testcases://abc123").unwrap().name, "name of testcases://abc123");
        assert!(store.load("testcases://other").is_none());
        store.save(&res("testrun://20240115T030000-a1b2c3", "{}")).unwrap();
        store.save(&res("kafka://topics/x/schema", "{}")).unwrap();
        assert!(store.load("kafka://topics/x/schema").is_none(), "only case sets and test runs are kept");
        for i in 0..3 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            store.save(&res(&format!("testcases://set{i}"), "{}")).unwrap();
        }
        assert!(store.load("testcases://abc123").is_none() && store.load("testcases://set0").is_none());
        let uris: Vec<String> = store.list().into_iter().map(|r| r.uri).collect();
        assert_eq!(uris, vec!["testcases://set2", "testcases://set1", "testrun://20240115T030000-a1b2c3"]);
        assert!(store.list().iter().all(|r| r.text.is_empty()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ids_never_leave_the_folder() {
        let dir = temp();
        let store = FileStore::new(&dir, 10);
        for uri in
            ["testcases://../../etc/passwd", "testcases://a/b", "testcases://", "testrun://x.json", "testcases://a b"]
        {
            store.save(&res(uri, "{}")).unwrap();
            assert!(store.load(uri).is_none(), "{uri}");
        }
        assert!(!dir.exists(), "nothing was written");
        assert!(valid_id("20240115T030000-a1b2c3") && valid_id("abc_DEF-1"));
        assert!(!valid_id(&"a".repeat(81)));
    }
}
