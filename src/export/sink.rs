//! One Parquet file being written: zstd, row groups of 64k rows, batches written as they come (memory stays
//! flat), and atomic: rows go to a hidden temporary file beside the target that is renamed on success and
//! removed on failure, cancellation or any early return (the drop of an unfinished sink).

use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Rows per row group: large enough for good compression and column statistics, small enough that a
/// reader can skip most of a file by statistics.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Column compression of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportCompression {
    /// zstd level 1: fast, and much smaller than raw.
    #[default]
    Zstd,
    /// No compression.
    None,
}

/// What a finished file holds.
#[derive(Debug, Clone)]
pub struct Written {
    pub rows: u64,
    pub bytes: u64,
    pub row_groups: usize,
}

pub struct ParquetSink {
    writer: Option<ArrowWriter<BufWriter<File>>>,
    partial: PathBuf,
    target: PathBuf,
    rows: u64,
}

impl ParquetSink {
    /// Starts `target` (already checked by `Guard::export_path`), writing to a temporary file beside it.
    pub fn create(target: &Path, schema: SchemaRef, compression: ExportCompression) -> Result<ParquetSink> {
        let name = target.file_name().and_then(|n| n.to_str()).ok_or_else(|| Error::bad_input("path", "a file name"))?;
        let partial = target.with_file_name(format!(".{name}.partial-{}", uuid::Uuid::new_v4().simple()));
        // create_new: never follows or reuses an existing entry (a planted link, another export).
        let file = File::options().write(true).create_new(true).open(&partial)?;
        let props = WriterProperties::builder()
            .set_compression(match compression {
                ExportCompression::Zstd => Compression::ZSTD(ZstdLevel::try_new(1).map_err(Error::internal)?),
                ExportCompression::None => Compression::UNCOMPRESSED,
            })
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("kafka-qa-mcp {}", env!("CARGO_PKG_VERSION")))
            .build();
        match ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, Some(props)) {
            Ok(writer) => Ok(ParquetSink { writer: Some(writer), partial, target: target.to_path_buf(), rows: 0 }),
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(parquet_error(e))
            }
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let writer = self.writer.as_mut().ok_or_else(|| Error::internal("write after finish"))?;
        writer.write(batch).map_err(parquet_error)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Closes the file and moves it into place.
    pub fn finish(mut self) -> Result<Written> {
        let writer = self.writer.take().ok_or_else(|| Error::internal("finish twice"))?;
        let closed = writer.close().map_err(parquet_error).and_then(|meta| {
            std::fs::rename(&self.partial, &self.target)?;
            Ok(meta)
        });
        let meta = closed.inspect_err(|_| {
            let _ = std::fs::remove_file(&self.partial);
        })?;
        let bytes = std::fs::metadata(&self.target)?.len();
        Ok(Written { rows: self.rows, bytes, row_groups: meta.num_row_groups() })
    }
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        // Not finished: an error, a cancellation or a dropped future. Leave nothing behind.
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    Error::internal(format!("writing Parquet: {e}"))
}
