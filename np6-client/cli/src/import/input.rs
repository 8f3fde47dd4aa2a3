//! The records of an import file (CSV with a header row, or NDJSON), read
//! on a thread of their own and handed over through a small bounded
//! channel: memory stays flat whatever the size of the file.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use np6_client::BounceRecord;
use np6_client::types::{BounceData, BounceDetail};
use serde::Deserialize;
use tokio::sync::mpsc;

/// The input's format, which its rejects file keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Format {
    /// CSV, with this header row.
    Csv(csv::StringRecord),
    Ndjson,
}

/// One record of the input as it was written, for the rejects file.
#[derive(Debug)]
pub(super) enum Raw {
    Csv(csv::StringRecord),
    Ndjson(String),
}

/// One record: its line in the input, its text, and the bounce it reads as.
#[derive(Debug)]
pub(super) struct Item {
    pub(super) line: u64,
    pub(super) raw: Raw,
    pub(super) record: Result<BounceRecord, String>,
}

/// The columns (CSV) or names (NDJSON) of a record.
#[derive(Deserialize)]
struct Line {
    target_id: String,
    field_id: i32,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

impl Line {
    fn into_record(self) -> Result<BounceRecord, String> {
        if self.target_id.is_empty() {
            return Err("target_id is empty".to_owned());
        }
        let mut bounce = BounceData::new(self.kind.as_str());
        if let Some(message) = self.message.filter(|m| !m.is_empty()) {
            bounce = bounce.with_detail(BounceDetail::new().with_message(message));
        }
        if let Some(t) = self
            .timestamp
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let at: chrono::DateTime<chrono::Utc> =
                t.parse().map_err(|e| format!("timestamp {t:?}: {e}"))?;
            bounce = bounce.with_timestamp(at);
        }
        Ok(BounceRecord {
            target_id: self.target_id,
            field_id: self.field_id,
            bounce,
        })
    }
}

/// An input being read.
pub(super) struct Input {
    pub(super) format: Format,
    pub(super) records: mpsc::Receiver<Item>,
    /// The reading thread: its result says whether the whole input was read.
    pub(super) reader: std::thread::JoinHandle<Result<(), String>>,
}

/// Opens `path` (`-`: stdin), finds its format, and starts the reading
/// thread, which skips the lines in `done`.
pub(super) fn start(path: &Path, done: Arc<HashSet<u64>>) -> Result<Input, String> {
    let name = path.display().to_string();
    let source: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| format!("cannot open {name}: {e}"))?)
    };
    let mut reader = BufReader::with_capacity(64 * 1024, source);
    let first = reader
        .fill_buf()
        .map_err(|e| format!("cannot read {name}: {e}"))?
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    let (tx, rx) = mpsc::channel(256);
    if first == Some(b'{') {
        let reader = std::thread::spawn(move || read_ndjson(reader, &done, &tx, &name));
        return Ok(Input {
            format: Format::Ndjson,
            records: rx,
            reader,
        });
    }
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| format!("{name}: cannot read the header row: {e}"))?
        .clone();
    for column in ["target_id", "field_id", "type"] {
        if !headers.iter().any(|h| h == column) {
            return Err(format!(
                "{name}: the header row has no {column} column \
                 (CSV needs target_id,field_id,type[,message,timestamp]; NDJSON objects the same names)"
            ));
        }
    }
    let format = Format::Csv(headers.clone());
    let reader = std::thread::spawn(move || read_csv(csv, &headers, &done, &tx, &name));
    Ok(Input {
        format,
        records: rx,
        reader,
    })
}

fn read_csv(
    mut csv: csv::Reader<impl Read>,
    headers: &csv::StringRecord,
    done: &HashSet<u64>,
    tx: &mpsc::Sender<Item>,
    name: &str,
) -> Result<(), String> {
    let mut raw = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut raw) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) if e.is_io_error() => return Err(format!("cannot read {name}: {e}")),
            Err(e) => {
                // A malformed row (e.g. bad UTF-8) is a rejected record.
                let line = e.position().map_or(0, csv::Position::line);
                let item = Item {
                    line,
                    raw: Raw::Csv(csv::StringRecord::new()),
                    record: Err(e.to_string()),
                };
                if done.contains(&line) {
                    continue;
                }
                if tx.blocking_send(item).is_err() {
                    return Ok(());
                }
                continue;
            }
        }
        let line = raw.position().map_or(0, csv::Position::line);
        if done.contains(&line) {
            continue;
        }
        let record = raw
            .deserialize::<Line>(Some(headers))
            .map_err(|e| e.to_string())
            .and_then(Line::into_record);
        let item = Item {
            line,
            raw: Raw::Csv(raw.clone()),
            record,
        };
        if tx.blocking_send(item).is_err() {
            // The import stopped: nobody reads any more.
            return Ok(());
        }
    }
}

const LONGEST_LINE: u64 = 1 << 20;

fn skip_rest_of_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
            }
        }
    }
}

fn read_ndjson(
    mut reader: impl BufRead,
    done: &HashSet<u64>,
    tx: &mpsc::Sender<Item>,
    name: &str,
) -> Result<(), String> {
    let mut bytes = Vec::new();
    let mut line = 0u64;
    loop {
        bytes.clear();
        // At most 1 MiB a line: a file with no line breaks stays bounded.
        let read = (&mut reader)
            .take(LONGEST_LINE)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("cannot read {name} (line {}): {e}", line + 1))?;
        if read == 0 {
            return Ok(());
        }
        line += 1;
        let too_long = read as u64 == LONGEST_LINE && bytes.last() != Some(&b'\n');
        if too_long {
            skip_rest_of_line(&mut reader)
                .map_err(|e| format!("cannot read {name} (line {line}): {e}"))?;
            bytes.truncate(200);
        }
        let text = String::from_utf8_lossy(&bytes);
        let trimmed = text.trim();
        if trimmed.is_empty() || done.contains(&line) {
            continue;
        }
        let record = if too_long {
            Err("the line is longer than 1 MiB".to_owned())
        } else {
            serde_json::from_slice::<Line>(&bytes)
                .map_err(|e| e.to_string())
                .and_then(Line::into_record)
        };
        let item = Item {
            line,
            raw: Raw::Ndjson(trimmed.to_owned()),
            record,
        };
        if tx.blocking_send(item).is_err() {
            return Ok(());
        }
    }
}
