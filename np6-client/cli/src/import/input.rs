//! The records of an import file (CSV with a header row, or NDJSON), read
//! on a thread of their own and handed over through a small bounded
//! channel: memory stays flat whatever the size of the file, one record
//! holding at most [`LONGEST_RECORD`] bytes.
//!
//! Each record is numbered by the physical line it starts on (LF, CRLF and
//! CR alone each end one line; a line end inside a quoted CSV field counts
//! too): the rejects file and the journal use these numbers.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use np6_client::BounceRecord;
use np6_client::types::{BounceData, BounceDetail};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::records::{LONGEST_RECORD, Quoting, Records};
use crate::cli::Import;

/// The input's format, which its rejects file keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Format {
    Csv(Csv),
    Ndjson,
}

/// A CSV input's header and delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Csv {
    /// The header row as written.
    pub(super) header: Vec<u8>,
    pub(super) delimiter: u8,
    /// Its first columns are `line` and `error`: a rejects file.
    pub(super) is_rejects: bool,
}

/// One record of the input as it was written, for the rejects file.
#[derive(Debug)]
pub(super) enum Raw {
    /// A CSV row's bytes, and where its data starts (after the `line` and
    /// `error` fields of a rejects file's row).
    Csv { bytes: Vec<u8>, data: usize },
    /// An NDJSON line's bytes.
    Ndjson(Vec<u8>),
    /// A record longer than [`LONGEST_RECORD`]: not kept.
    TooLong,
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
    fn into_record(self, allow_unknown_type: bool) -> Result<BounceRecord, String> {
        if self.target_id.is_empty() {
            return Err("target_id is empty".to_owned());
        }
        let kind = crate::bounce_type::bounce_type(&self.kind, allow_unknown_type)?;
        let mut bounce = BounceData::new(kind);
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

type Source = Records<Box<dyn BufRead + Send>>;

/// What the reading thread needs besides the records.
struct Reading {
    name: String,
    format: Format,
    /// CSV: the header's columns.
    columns: csv::StringRecord,
    allow_unknown_type: bool,
    done: Arc<HashSet<u64>>,
}

/// Opens `cmd.file` (`-`: stdin), reads past a UTF-8 byte order mark,
/// finds its format (and a CSV's delimiter, unless `--delimiter` sets
/// it), and starts the reading thread, which skips the lines in `done`.
pub(super) fn start(cmd: &Import, done: Arc<HashSet<u64>>) -> Result<Input, String> {
    let name = cmd.file.display().to_string();
    let (records, format, columns) = open(&cmd.file, cmd.delimiter)?;
    let reading = Reading {
        name,
        format: format.clone(),
        columns,
        allow_unknown_type: cmd.allow_unknown_type,
        done,
    };
    let (tx, rx) = mpsc::channel(64);
    let reader = std::thread::spawn(move || read(records, &reading, &tx));
    Ok(Input {
        format,
        records: rx,
        reader,
    })
}

/// The delimiter the CSV file at `path` is read with (`delimiter`, or the
/// one its header row shows); `None` for NDJSON. Reads the header only.
pub(super) fn delimiter_of(path: &Path, delimiter: Option<u8>) -> Result<Option<u8>, String> {
    Ok(match open(path, delimiter)?.1 {
        Format::Csv(csv) => Some(csv.delimiter),
        Format::Ndjson => None,
    })
}

/// Opens `path` (`-`: stdin) past its byte order mark and header row.
fn open(path: &Path, delimiter: Option<u8>) -> Result<(Source, Format, csv::StringRecord), String> {
    let name = path.display().to_string();
    let mut source: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| format!("cannot open {name}: {e}"))?)
    };
    let start = read_past_bom(&mut source).map_err(|e| format!("cannot read {name}: {e}"))?;
    let reader: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(
        64 * 1024,
        Cursor::new(start).chain(source),
    ));
    let mut records = Records::new(reader, Quoting::Csv(delimiter));
    let first = records
        .peek_past_blanks()
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    let (format, columns) = if first == Some(b'{') {
        records.quoting = Quoting::Lines;
        (Format::Ndjson, csv::StringRecord::new())
    } else {
        let (csv, columns) = read_header(&mut records, delimiter, &name)?;
        records.quoting = Quoting::Csv(Some(csv.delimiter));
        (Format::Csv(csv), columns)
    };
    Ok((records, format, columns))
}

/// The first bytes of `source` without a UTF-8 byte order mark.
fn read_past_bom(source: &mut impl Read) -> std::io::Result<Vec<u8>> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut start = Vec::with_capacity(BOM.len());
    while start.len() < BOM.len() {
        let mut byte = [0u8; 1];
        match source.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => start.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if !BOM.starts_with(&start) {
            break;
        }
    }
    if start == BOM {
        start.clear();
    }
    Ok(start)
}

/// Reads the header row: its delimiter (`delimiter`, or the most frequent
/// of `,`, `;` and tab, `,` on a tie) and its columns.
fn read_header(
    records: &mut Source,
    delimiter: Option<u8>,
    name: &str,
) -> Result<(Csv, csv::StringRecord), String> {
    let header = records
        .next_record()
        .map_err(|e| format!("cannot read {name}: {e}"))?
        .ok_or_else(|| format!("{name} is empty: a CSV input needs a header row"))?;
    if header.too_long {
        return Err(format!("{name}: the header row is longer than 1 MiB"));
    }
    if let Some(line) = header.open_quote {
        return Err(format!(
            "{name}: the header row's quote opened on line {line} is not closed by the end \
             of the file"
        ));
    }
    let delimiter = delimiter.unwrap_or_else(|| {
        let count = |d: u8| header.bytes.iter().filter(|&&b| b == d).count();
        [b';', b'\t']
            .into_iter()
            .fold((b',', count(b',')), |best, d| {
                let n = count(d);
                if n > best.1 { (d, n) } else { best }
            })
            .0
    });
    let columns = csv::StringRecord::from_byte_record(split(&header.bytes, delimiter))
        .map_err(|_| format!("{name}: the header row is not UTF-8"))?;
    for column in ["target_id", "field_id", "type"] {
        if !columns.iter().any(|h| h == column) {
            return Err(format!(
                "{name}: the header row has no {column} column (CSV needs \
                 target_id,field_id,type[,message,timestamp], separated by {}; \
                 NDJSON objects the same names)",
                describe(delimiter)
            ));
        }
    }
    let is_rejects = columns.get(0) == Some("line") && columns.get(1) == Some("error");
    let csv = Csv {
        header: header.bytes,
        delimiter,
        is_rejects,
    };
    Ok((csv, columns))
}

fn describe(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tabs".to_owned(),
        d => format!("'{}' (see --delimiter)", char::from(d)),
    }
}

/// The fields of one CSV record's bytes.
fn split(bytes: &[u8], delimiter: u8) -> csv::ByteRecord {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    // Bytes in memory, records of any length: nothing can fail.
    let _ = reader.read_byte_record(&mut record);
    record
}

fn read(mut records: Source, reading: &Reading, tx: &mpsc::Sender<Item>) -> Result<(), String> {
    loop {
        let record = records.next_record().map_err(|e| {
            format!(
                "cannot read {} (after line {}): {e}",
                reading.name,
                records.line()
            )
        })?;
        let Some(record) = record else {
            return Ok(());
        };
        let blank = record.bytes.iter().all(u8::is_ascii_whitespace);
        if reading.done.contains(&record.line) || (blank && !record.too_long) {
            continue;
        }
        let item = if record.too_long {
            let quote = record.open_quote.map_or_else(String::new, |line| {
                format!("; a quoted field opened on line {line} runs past that (is its closing quote missing?)")
            });
            Item {
                line: record.line,
                raw: Raw::TooLong,
                record: Err(format!(
                    "the record is longer than {} MiB{quote} (fix it in the input: it is not copied here)",
                    LONGEST_RECORD >> 20
                )),
            }
        } else if let Some(line) = record.open_quote {
            // The rest of the file is in this record: never sent as one.
            let data = match &reading.format {
                Format::Csv(csv) if csv.is_rejects => {
                    record.third_field.unwrap_or(record.bytes.len())
                }
                _ => 0,
            };
            Item {
                line: record.line,
                raw: Raw::Csv {
                    bytes: record.bytes,
                    data,
                },
                record: Err(format!(
                    "the quote opened on line {line} is not closed by the end of the file, \
                     so every line after it is in this record: close the quote"
                )),
            }
        } else {
            match &reading.format {
                Format::Ndjson => {
                    let parsed = serde_json::from_slice::<Line>(&record.bytes)
                        .map_err(|e| e.to_string())
                        .and_then(|line| line.into_record(reading.allow_unknown_type));
                    Item {
                        line: record.line,
                        raw: Raw::Ndjson(record.bytes),
                        record: parsed,
                    }
                }
                Format::Csv(csv) => {
                    let parsed = parse_csv(&record.bytes, csv.delimiter, reading);
                    let data = if csv.is_rejects {
                        record.third_field.unwrap_or(record.bytes.len())
                    } else {
                        0
                    };
                    Item {
                        line: record.line,
                        raw: Raw::Csv {
                            bytes: record.bytes,
                            data,
                        },
                        record: parsed,
                    }
                }
            }
        };
        if tx.blocking_send(item).is_err() {
            // The import stopped: nobody reads any more.
            return Ok(());
        }
    }
}

fn parse_csv(bytes: &[u8], delimiter: u8, reading: &Reading) -> Result<BounceRecord, String> {
    let fields =
        csv::StringRecord::from_byte_record(split(bytes, delimiter)).map_err(|e| match reading
            .columns
            .get(e.utf8_error().field())
        {
            Some(column) => format!("the {column} field is not UTF-8"),
            None => "a field is not UTF-8".to_owned(),
        })?;
    fields
        .deserialize::<Line>(Some(&reading.columns))
        .map_err(|e| e.to_string())
        .and_then(|line| line.into_record(reading.allow_unknown_type))
}
