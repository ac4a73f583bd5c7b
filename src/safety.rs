//! The safety rules, enforced where tools act: read-only mode, topic allow/deny globs, internal topics,
//! message caps, and the export folder that confines every file the server writes.

use crate::config::SafetyConfig;
use crate::error::{Error, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Component, Path, PathBuf};

/// Export paths longer than this, or with a folder or file name longer than `MAX_NAME_BYTES`, are refused
/// as bad input (the file system would refuse them with a bare I/O error).
const MAX_PATH_BYTES: usize = 1024;
const MAX_NAME_BYTES: usize = 255;

#[derive(Debug)]
pub struct Guard {
    read_only: bool,
    allow: GlobSet,
    deny: GlobSet,
    allow_text: String,
    deny_text: String,
    pub max_messages_per_call: usize,
    pub max_message_bytes: usize,
    export_dir: PathBuf,
}

impl Guard {
    pub fn new(safety: &SafetyConfig, export_dir: &Path) -> Result<Guard> {
        Ok(Guard {
            read_only: safety.read_only,
            allow: globs(&safety.produce_allow, "safety.produce_allow")?,
            deny: globs(&safety.produce_deny, "safety.produce_deny")?,
            allow_text: trimmed(&safety.produce_allow).join(", "),
            deny_text: trimmed(&safety.produce_deny).join(", "),
            max_messages_per_call: safety.max_messages_per_call,
            max_message_bytes: safety.max_message_bytes,
            export_dir: export_dir.to_path_buf(),
        })
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// May this topic be written? Read-only mode, internal topics, deny globs and allow globs, in that order.
    pub fn check_topic_write(&self, topic: &str) -> Result<()> {
        if self.read_only {
            return Err(Error::denied(
                "read_only",
                format!("the server runs in read-only mode; nothing is written to `{topic}`"),
            ));
        }
        if topic.starts_with("__") {
            return Err(Error::denied(
                "internal_topic",
                format!("`{topic}` is an internal topic (starts with `__`) and is never written"),
            ));
        }
        if self.deny.is_match(topic) {
            return Err(Error::denied("produce_deny", format!("`{topic}` matches a deny glob ({})", self.deny_text)));
        }
        if !self.allow.is_match(topic) {
            return Err(Error::denied(
                "produce_allow",
                format!("`{topic}` matches no allow glob ({})", self.allow_text),
            ));
        }
        Ok(())
    }

    pub fn check_message_count(&self, argument: &str, count: usize) -> Result<()> {
        if count > self.max_messages_per_call {
            return Err(Error::bad_input(
                argument,
                format!(
                    "at most {} messages per call (safety.max_messages_per_call); got {count}",
                    self.max_messages_per_call
                ),
            ));
        }
        Ok(())
    }

    pub fn check_message_size(&self, argument: &str, bytes: usize) -> Result<()> {
        if bytes > self.max_message_bytes {
            return Err(Error::bad_input(
                argument,
                format!(
                    "a message of at most {} bytes (safety.max_message_bytes); got {bytes}",
                    self.max_message_bytes
                ),
            ));
        }
        Ok(())
    }

    pub fn export_dir(&self) -> &Path {
        &self.export_dir
    }

    /// Resolves a path given by a caller inside the export folder. Refuses absolute paths, `..`, and any
    /// path whose existing part leads out of the folder through a symbolic link. Creates parent folders.
    pub fn export_path(&self, argument: &str, relative: &str, overwrite: bool) -> Result<PathBuf> {
        let rel = Path::new(relative);
        if relative.trim().is_empty() {
            return Err(Error::bad_input(argument, "a file name inside the export folder"));
        }
        if relative.contains('\0') {
            return Err(Error::bad_input(argument, "a path without NUL characters"));
        }
        if relative.len() > MAX_PATH_BYTES || rel.components().any(|c| c.as_os_str().len() > MAX_NAME_BYTES) {
            return Err(Error::bad_input(
                argument,
                format!(
                    "a path of at most {MAX_PATH_BYTES} bytes whose folder and file names are at most {MAX_NAME_BYTES} bytes each; got {}",
                    crate::error::quote_arg(relative)
                ),
            ));
        }
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(Error::denied(
                "export_dir",
                format!(
                    "`{}` must be a relative path inside the export folder, without `..`",
                    crate::error::quote_arg(relative)
                ),
            ));
        }
        std::fs::create_dir_all(&self.export_dir)?;
        let root = self.export_dir.canonicalize()?;
        let full = root.join(rel);
        if let Some(parent) = full.parent() {
            // Check before creating anything: the deepest folder that exists must lie inside the export
            // folder (a link `out -> /outside` must not get `/outside/newdir` created). What is left to
            // create are plain names (no `..`), so it stays where the check said.
            let mut existing = parent;
            while std::fs::symlink_metadata(existing).is_err() {
                existing = existing.parent().unwrap_or(&root);
            }
            if !existing.canonicalize()?.starts_with(&root) {
                return Err(Error::denied(
                    "export_dir",
                    format!(
                        "`{}` leads out of the export folder through a symbolic link",
                        crate::error::quote_arg(relative)
                    ),
                ));
            }
            std::fs::create_dir_all(parent)?;
            let real_parent = parent.canonicalize()?;
            if !real_parent.starts_with(&root) {
                return Err(Error::denied(
                    "export_dir",
                    format!(
                        "`{}` leads out of the export folder through a symbolic link",
                        crate::error::quote_arg(relative)
                    ),
                ));
            }
        }
        if let Ok(meta) = std::fs::symlink_metadata(&full) {
            if meta.file_type().is_symlink() {
                return Err(Error::denied(
                    "export_dir",
                    format!("`{relative}` is a symbolic link; exports never write through links"),
                ));
            }
            if !overwrite {
                return Err(Error::bad_input(
                    "overwrite",
                    format!("true to replace the existing file `{relative}`, or another path"),
                ));
            }
        }
        Ok(full)
    }
}

fn trimmed(patterns: &[String]) -> Vec<&str> {
    patterns.iter().map(|p| p.trim()).collect()
}

/// Globs as written in a comma-separated list: each trimmed (`a, b` denies `b`), empty entries refused
/// (`a,,b` or a trailing comma is a typo, and an empty glob would match nothing).
fn globs(patterns: &[String], argument: &str) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in trimmed(patterns) {
        if p.is_empty() {
            return Err(Error::bad_input(
                argument,
                format!("non-empty globs (the list `{}` has an empty entry)", patterns.join(",")),
            ));
        }
        b.add(Glob::new(p).map_err(|e| Error::bad_input(argument, format!("valid globs ({p}: {e})")))?);
    }
    b.build().map_err(|e| Error::bad_input(argument, e.to_string()))
}

/// Topic name glob used by read tools (pattern arguments).
pub fn topic_matcher(argument: &str, pattern: &str) -> Result<globset::GlobMatcher> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::bad_input(argument, format!("a glob such as `orders*` ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(read_only: bool) -> Guard {
        let s = SafetyConfig {
            read_only,
            produce_allow: vec!["test.*".into(), "orders*".into()],
            produce_deny: vec!["orders.prod*".into()],
            ..Default::default()
        };
        Guard::new(&s, &std::env::temp_dir().join(format!("kqm-guard-{}", std::process::id()))).unwrap()
    }

    fn rule(r: Result<()>) -> String {
        match r {
            Err(Error::Denied { rule, .. }) => rule,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn topic_rules_apply_in_order() {
        let g = guard(false);
        assert!(g.check_topic_write("test.a").is_ok());
        assert!(g.check_topic_write("orders").is_ok());
        assert_eq!(rule(g.check_topic_write("orders.prod.eu")), "produce_deny");
        assert_eq!(rule(g.check_topic_write("payments")), "produce_allow");
        assert_eq!(rule(g.check_topic_write("__consumer_offsets")), "internal_topic");
        assert_eq!(rule(guard(true).check_topic_write("test.a")), "read_only");
    }

    #[test]
    fn globs_are_trimmed_and_empty_entries_refused() {
        let s = SafetyConfig {
            produce_allow: vec!["rel.*".into()],
            produce_deny: vec!["rel.ok".into(), " rel.secret1".into()],
            ..Default::default()
        };
        let g = Guard::new(&s, &std::env::temp_dir()).unwrap();
        assert_eq!(rule(g.check_topic_write("rel.secret1")), "produce_deny");
        assert!(g.check_topic_write("rel.other").is_ok());
        let s = SafetyConfig { produce_allow: vec!["rel.a".into(), " rel.b ".into()], ..Default::default() };
        assert!(Guard::new(&s, &std::env::temp_dir()).unwrap().check_topic_write("rel.b").is_ok());
        for list in [vec!["a".to_string(), " ".into()], vec!["".to_string()]] {
            let s = SafetyConfig { produce_deny: list, ..Default::default() };
            assert_eq!(Guard::new(&s, &std::env::temp_dir()).unwrap_err().argument(), Some("safety.produce_deny"));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_refused_path_creates_nothing_outside() {
        let base = std::env::temp_dir().join(format!("kqm-outside-{}", std::process::id()));
        let (exports, outside) = (base.join("exports"), base.join("outside"));
        std::fs::create_dir_all(&exports).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let _ = std::fs::remove_file(exports.join("out"));
        std::os::unix::fs::symlink(&outside, exports.join("out")).unwrap();
        let g = Guard::new(&SafetyConfig::default(), &exports).unwrap();
        assert!(matches!(g.export_path("path", "out/newdir/deeper/x.parquet", false), Err(Error::Denied { .. })));
        assert!(!outside.join("newdir").exists(), "a refused path created a folder outside the export folder");
        assert!(g.export_path("path", "inside/newdir/x.parquet", false).is_ok());
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn export_paths_stay_inside_the_folder() {
        let g = guard(false);
        assert!(g
            .export_path("path", "a/b.parquet", false)
            .unwrap()
            .starts_with(g.export_dir().canonicalize().unwrap()));
        for bad in ["../x", "/etc/passwd", "a/../../x"] {
            assert!(matches!(g.export_path("path", bad, false), Err(Error::Denied { .. })), "{bad}");
        }
        #[cfg(unix)]
        {
            let link = g.export_dir().join("out");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink("/tmp", &link).unwrap();
            assert!(matches!(g.export_path("path", "out/x.parquet", false), Err(Error::Denied { .. })));
        }
        let p = g.export_path("path", "exists.txt", false).unwrap();
        let long = "n".repeat(300);
        for bad in ["a\0b.parquet", long.as_str()] {
            assert_eq!(g.export_path("path", bad, false).unwrap_err().argument(), Some("path"), "{bad}");
        }
        std::fs::write(&p, "x").unwrap();
        assert!(matches!(g.export_path("path", "exists.txt", false), Err(Error::BadInput { .. })));
        assert!(g.export_path("path", "exists.txt", true).is_ok());
    }
}
