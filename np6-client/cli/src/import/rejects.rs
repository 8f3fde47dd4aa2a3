//! The rejects file of an import: each rejected record as it was written,
//! plus its input line and the error, in the input's format, so the file
//! is itself an input once fixed (the extra `line` and `error` columns or
//! names are ignored on import).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::input::{Format, Raw};

/// An open rejects file.
#[derive(Debug)]
pub(super) struct Rejects {
    file: File,
    name: String,
    format: Format,
}

impl Rejects {
    /// Opens `path`: appended to when `resume` (an import picking up from
    /// its journal), created afresh otherwise.
    pub(super) fn open(path: &Path, format: Format, resume: bool) -> Result<Self, String> {
        let name = path.display().to_string();
        let mut options = OpenOptions::new();
        options.create(true);
        if resume {
            options.append(true);
        } else {
            options.write(true).truncate(true);
        }
        let file = options
            .open(path)
            .map_err(|e| format!("cannot open {name}: {e}"))?;
        let mut rejects = Self { file, name, format };
        let empty = rejects.file.metadata().map_or(true, |m| m.len() == 0);
        if empty && let Format::Csv(headers) = &rejects.format {
            let mut header: Vec<String> = headers.iter().map(str::to_owned).collect();
            header.extend(["line".to_owned(), "error".to_owned()]);
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            rejects.write_csv(&header)?;
        }
        Ok(rejects)
    }

    /// Writes one rejected record (one `write`, so a crash never cuts it).
    pub(super) fn write(&mut self, raw: &Raw, line: u64, error: &str) -> Result<(), String> {
        let error = crate::failure::one_line(error);
        let line_text = line.to_string();
        match raw {
            Raw::Csv(record) => {
                let width = match &self.format {
                    Format::Csv(headers) => headers.len(),
                    Format::Ndjson => record.len(),
                };
                // Short rows are padded so `line` and `error` stay in their columns.
                let mut fields: Vec<&str> = record.iter().take(width).collect();
                fields.resize(width, "");
                fields.extend([line_text.as_str(), error.as_str()]);
                self.write_csv(&fields)
            }
            Raw::Ndjson(text) => {
                let mut object = match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(serde_json::Value::Object(object)) => object,
                    _ => {
                        let mut object = serde_json::Map::new();
                        object.insert("raw".to_owned(), text.as_str().into());
                        object
                    }
                };
                object.insert("line".to_owned(), line.into());
                object.insert("error".to_owned(), error.into());
                let mut bytes = serde_json::Value::Object(object).to_string().into_bytes();
                bytes.push(b'\n');
                self.write_bytes(&bytes)
            }
        }
    }

    fn write_csv(&mut self, fields: &[&str]) -> Result<(), String> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(fields)
            .map_err(|e| format!("cannot write {}: {e}", self.name))?;
        let bytes = csv
            .into_inner()
            .map_err(|e| format!("cannot write {}: {e}", self.name))?;
        self.write_bytes(&bytes)
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file
            .write_all(bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.name))
    }

    /// Syncs the file to the disk.
    pub(super) fn sync(&mut self) -> Result<(), String> {
        self.file
            .sync_data()
            .map_err(|e| format!("cannot sync {}: {e}", self.name))
    }
}
