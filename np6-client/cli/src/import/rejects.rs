//! The rejects file of an import: each rejected record with its input line
//! and the error, in the input's format, so the file is itself an input
//! once fixed.
//!
//! - CSV: the columns `line` and `error` first, then the input's own
//!   columns (same delimiter); each row is `LINE,"ERROR",` followed by the
//!   record's bytes exactly as they were (quotes, invalid UTF-8 and all).
//!   Importing a rejects file reads the records' own columns; its rejects
//!   file has the same header (the `line` and `error` fields are replaced,
//!   never added again).
//! - NDJSON: the record's object with `line` and `error` set; a line that
//!   is not a JSON object is copied as it was.
//! - A record longer than the cap is not copied: its row has only `line`
//!   and `error` (fix it in the input).
//!
//! The file is opened as [`Log`] says: a regular file is replaced (or, on
//! resume, appended to); a device, a FIFO or a descriptor such as
//! `/dev/stderr` is written into, never truncated.

use std::io::Write;
use std::path::Path;

use super::input::{Csv, Format, Raw};
use crate::output::Log;

/// An open rejects file.
#[derive(Debug)]
pub(super) struct Rejects {
    file: Log,
    format: Format,
}

impl Rejects {
    /// Opens `path`: appended to when `resume` (an import picking up from
    /// its journal), started afresh otherwise.
    pub(super) fn open(path: &Path, format: Format, resume: bool) -> Result<Self, String> {
        let file = Log::open(path, resume).map_err(|e| e.to_string())?;
        let mut rejects = Self { file, format };
        if rejects.file.fresh()
            && let Format::Csv(csv) = &rejects.format
        {
            let header = header(csv);
            rejects.write_bytes(&header)?;
        }
        Ok(rejects)
    }

    /// Writes one rejected record (one `write`, so a crash never cuts it).
    pub(super) fn write(&mut self, raw: &Raw, line: u64, error: &str) -> Result<(), String> {
        let error = crate::failure::one_line(error);
        let bytes = match &self.format {
            Format::Csv(csv) => csv_row(csv.delimiter, raw, line, &error),
            Format::Ndjson => ndjson_line(raw, line, &error),
        };
        self.write_bytes(&bytes)
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file
            .write_all(bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.file.shown()))
    }

    /// Syncs the file to the disk (a regular file; nothing else has to).
    pub(super) fn sync(&mut self) -> Result<(), String> {
        self.file
            .sync()
            .map_err(|e| format!("cannot sync {}: {e}", self.file.shown()))
    }
}

/// `line,error,` and the input's header, or a rejects file's header as it is.
fn header(csv: &Csv) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(csv.header.len() + 12);
    if !csv.is_rejects {
        bytes.extend(b"line");
        bytes.push(csv.delimiter);
        bytes.extend(b"error");
        bytes.push(csv.delimiter);
    }
    bytes.extend(&csv.header);
    bytes.push(b'\n');
    bytes
}

fn csv_row(delimiter: u8, raw: &Raw, line: u64, error: &str) -> Vec<u8> {
    let mut bytes = line.to_string().into_bytes();
    bytes.push(delimiter);
    bytes.push(b'"');
    bytes.extend(error.replace('"', "\"\"").as_bytes());
    bytes.push(b'"');
    let data = match raw {
        Raw::Csv { bytes, data } => bytes.get(*data..).unwrap_or_default(),
        Raw::Ndjson(bytes) => bytes.as_slice(),
        Raw::TooLong => &[],
    };
    if !data.is_empty() {
        bytes.push(delimiter);
        bytes.extend(data);
    }
    bytes.push(b'\n');
    bytes
}

fn ndjson_line(raw: &Raw, line: u64, error: &str) -> Vec<u8> {
    let text = match raw {
        Raw::Ndjson(bytes) | Raw::Csv { bytes, .. } => bytes.as_slice(),
        Raw::TooLong => b"{}",
    };
    let mut bytes = match serde_json::from_slice::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(mut object)) => {
            object.insert("line".to_owned(), line.into());
            object.insert("error".to_owned(), error.into());
            serde_json::Value::Object(object).to_string().into_bytes()
        }
        // Not an object: kept as it was, to be fixed by hand.
        _ => text.to_vec(),
    };
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_row_keeps_its_bytes_and_quotes_the_error() {
        let raw = Raw::Csv {
            bytes: b"T\xff,788,\"a\r\nb\"".to_vec(),
            data: 0,
        };
        assert_eq!(
            csv_row(b',', &raw, 7, "bad \"x\""),
            b"7,\"bad \"\"x\"\"\",T\xff,788,\"a\r\nb\"\n".to_vec()
        );
        let again = Raw::Csv {
            bytes: b"7;\"old\";T;788".to_vec(),
            data: 8,
        };
        assert_eq!(csv_row(b';', &again, 2, "e"), b"2;\"e\";T;788\n".to_vec());
        assert_eq!(
            csv_row(b',', &Raw::TooLong, 3, "long"),
            b"3,\"long\"\n".to_vec()
        );
    }

    #[test]
    fn an_ndjson_line_gets_line_and_error_once() {
        let raw = Raw::Ndjson(br#"{"target_id":"T","line":1,"error":"old"}"#.to_vec());
        let written: serde_json::Value =
            serde_json::from_slice(&ndjson_line(&raw, 9, "new")).expect("JSON");
        assert_eq!(written["line"], 9);
        assert_eq!(written["error"], "new");
        let broken = Raw::Ndjson(b"{\"target_id\":\"\xff".to_vec());
        assert_eq!(
            ndjson_line(&broken, 9, "e"),
            b"{\"target_id\":\"\xff\n".to_vec()
        );
    }
}
