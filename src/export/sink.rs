//! One Parquet file being written: zstd, row groups of 64k rows, batches written as they come (memory stays
//! flat), and atomic through [`AtomicFile`]: nothing is left behind on failure, cancellation or any early
//! return (the drop of an unfinished sink).

use super::atomic::AtomicFile;
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;

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
    writer: ArrowWriter<AtomicFile>,
    rows: u64,
}

impl ParquetSink {
    /// Starts `target` (already checked by `Guard::export_path`), writing to a temporary file beside it.
    pub fn create(target: &Path, schema: SchemaRef, compression: ExportCompression) -> Result<ParquetSink> {
        let file = AtomicFile::create(target)?;
        let props = WriterProperties::builder()
            .set_compression(match compression {
                ExportCompression::Zstd => Compression::ZSTD(ZstdLevel::try_new(1).map_err(Error::internal)?),
                ExportCompression::None => Compression::UNCOMPRESSED,
            })
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("kafka-qa-mcp {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(parquet_error)?;
        Ok(ParquetSink { writer, rows: 0 })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch).map_err(parquet_error)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Closes the file and moves it into place.
    pub fn finish(mut self) -> Result<Written> {
        // flush closes the open row group, so the count is final; into_inner writes the footer.
        self.writer.flush().map_err(parquet_error)?;
        let row_groups = self.writer.flushed_row_groups().len();
        let bytes = self.writer.into_inner().map_err(parquet_error)?.commit()?;
        Ok(Written { rows: self.rows, bytes, row_groups })
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    Error::internal(format!("writing Parquet: {e}"))
}
