//! The safety rules, enforced where tools act: read-only mode, topic allow/deny globs, internal topics,
//! message caps, and the export folder that confines every file the server writes.

use crate::config::SafetyConfig;
use crate::error::{Error, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Component, Path, PathBuf};

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
            allow_text: safety.produce_allow.join(", "),
            deny_text: safety.produce_deny.join(", "),
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
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(Error::denied(
                "export_dir",
                format!("`{relative}` must be a relative path inside the export folder, without `..`"),
            ));
        }
        std::fs::create_dir_all(&self.export_dir)?;
        let root = self.export_dir.canonicalize()?;
        let full = root.join(rel);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
            let real_parent = parent.canonicalize()?;
            if !real_parent.starts_with(&root) {
                return Err(Error::denied(
                    "export_dir",
                    format!("`{relative}` leads out of the export folder through a symbolic link"),
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

fn globs(patterns: &[String], argument: &str) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
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
        std::fs::write(&p, "x").unwrap();
        assert!(matches!(g.export_path("path", "exists.txt", false), Err(Error::BadInput { .. })));
        assert!(g.export_path("path", "exists.txt", true).is_ok());
    }
}
