//! A file in the export folder written atomically: bytes go to a hidden temporary file beside the target,
//! moved into place by `commit`, and removed when dropped uncommitted (an error, a cancellation, a dropped
//! future), so a failed or cancelled job never leaves a partial file behind. Every file a tool streams into
//! the export folder (Parquet, NDJSON test data) goes through it.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct AtomicFile {
    out: Option<BufWriter<File>>,
    partial: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts `target` (already checked by `Guard::export_path`).
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let name =
            target.file_name().and_then(|n| n.to_str()).ok_or_else(|| Error::bad_input("path", "a file name"))?;
        let partial = target.with_file_name(format!(".{name}.partial-{}", uuid::Uuid::new_v4().simple()));
        // create_new: never follows or reuses an existing entry (a planted link, another job's file).
        let file = File::options().write(true).create_new(true).open(&partial)?;
        Ok(AtomicFile { out: Some(BufWriter::with_capacity(1 << 20, file)), partial, target: target.to_path_buf() })
    }

    /// Flushes and moves the file into place; returns its size in bytes.
    pub fn commit(mut self) -> Result<u64> {
        let out = self.out.take().ok_or_else(|| Error::internal("commit twice"))?;
        let placed = out
            .into_inner()
            .map_err(|e| Error::from(e.into_error()))
            .and_then(|file| Ok(file.sync_all()?))
            .and_then(|_| Ok(std::fs::rename(&self.partial, &self.target)?));
        if let Err(e) = placed {
            let _ = std::fs::remove_file(&self.partial);
            return Err(e);
        }
        Ok(std::fs::metadata(&self.target)?.len())
    }

    fn out(&mut self) -> std::io::Result<&mut BufWriter<File>> {
        self.out.as_mut().ok_or_else(|| std::io::Error::other("write after commit"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out()?.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn commit_places_the_file_and_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.ndjson");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"{\"a\":1}\n").unwrap();
        assert_eq!(entries(dir.path()).len(), 1);
        assert!(!target.exists(), "nothing at the target before commit");
        assert_eq!(f.commit().unwrap(), 8);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{\"a\":1}\n");
        assert_eq!(entries(dir.path()), vec!["out.ndjson"]);

        let other = dir.path().join("cancelled.ndjson");
        let mut g = AtomicFile::create(&other).unwrap();
        g.write_all(b"partial").unwrap();
        drop(g);
        assert_eq!(entries(dir.path()), vec!["out.ndjson"]);
    }
}
