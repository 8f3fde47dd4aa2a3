//! How redlist entries are written: CSV, NDJSON or a JSON array, with one
//! date format (RFC 3339 in UTC with `Z`, whole seconds) in all three, and
//! JSON objects of one shape (every key always present: `timestamp` is
//! `null` when NP6 does not know it, `detail` `{}` when empty).

use std::io::Write;

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use np6_client::types::{RedlistEntry, RedlistOrigin};
use serde::Serialize;

use crate::cli::Format;

/// A date as every output writes it: `2026-11-01T10:00:00Z`.
pub(crate) fn date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// [`date`] for each entry written, without an allocation: chrono's
/// formatting and the `String` took 7 % of a 2M-entry export's time
/// (perf; `cargo xtask bench --only export`). Years 0 to 9999; any other
/// is written by [`date`].
enum Stamp {
    Short([u8; 20]),
    Long(String),
}

impl Stamp {
    fn of(at: DateTime<Utc>) -> Self {
        let year = at.year();
        let Ok(year) = u32::try_from(year) else {
            return Self::Long(date(at));
        };
        if year > 9999 {
            return Self::Long(date(at));
        }
        let mut text = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, digits: usize, value: u32| {
            let mut value = value;
            for i in (at..at + digits).rev() {
                // A digit: `value % 10` is below 10.
                text[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, at.month());
        put(8, 2, at.day());
        put(11, 2, at.hour());
        put(14, 2, at.minute());
        put(17, 2, at.second());
        Self::Short(text)
    }

    fn as_str(&self) -> &str {
        match self {
            // ASCII digits and separators only.
            Self::Short(text) => std::str::from_utf8(text).unwrap_or_default(),
            Self::Long(text) => text,
        }
    }
}

/// One entry as the JSON formats write it.
#[derive(Serialize)]
struct Shape<'a> {
    id: &'a str,
    origin: &'a RedlistOrigin,
    timestamp: Option<&'a str>,
    detail: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> Shape<'a> {
    fn of(entry: &'a RedlistEntry, timestamp: Option<&'a str>) -> Self {
        Self {
            id: &entry.id,
            origin: &entry.origin,
            timestamp,
            detail: &entry.detail,
        }
    }
}

/// Writes entries one at a time in a format.
pub(crate) struct Entries<W: Write> {
    sink: Sink<W>,
    written: u64,
    /// One JSON entry, made here and written whole: the writer below
    /// (the output's layers) is called once an entry, not once a token
    /// (8 % of a 2M-entry export's time, perf).
    line: Vec<u8>,
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Ndjson(W),
    Json(W),
    /// The writer was lost to an error.
    Failed,
}

/// A CSV writer over `out`, the header already written.
fn csv_over<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out)
}

/// csv's error on giving its writer back, as the writer's error.
fn into_io<W: Write>(e: csv::IntoInnerError<csv::Writer<W>>) -> std::io::Error {
    std::io::Error::new(e.error().kind(), e.error().to_string())
}

fn failed() -> std::io::Error {
    std::io::Error::other("the output failed earlier")
}

impl<W: Write> Entries<W> {
    /// Starts the output (the CSV header, the JSON array's bracket).
    pub(crate) fn start(mut out: W, format: Format) -> std::io::Result<Self> {
        let sink = match format {
            Format::Csv => {
                let mut csv = csv_over(out);
                csv.write_record(["id", "origin", "timestamp", "detail"])?;
                Sink::Csv(Box::new(csv))
            }
            Format::Json => {
                out.write_all(b"[")?;
                Sink::Json(out)
            }
            Format::Ndjson => Sink::Ndjson(out),
        };
        Ok(Self {
            sink,
            written: 0,
            line: Vec::with_capacity(256),
        })
    }

    /// How many entries were written.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Writes one entry.
    pub(crate) fn write(&mut self, entry: &RedlistEntry) -> std::io::Result<()> {
        let stamp = entry.timestamp.map(Stamp::of);
        let timestamp = stamp.as_ref().map(Stamp::as_str);
        let line = &mut self.line;
        line.clear();
        match &mut self.sink {
            Sink::Csv(csv) => {
                let detail = if entry.detail.is_empty() {
                    String::new()
                } else {
                    serde_json::Value::Object(entry.detail.clone()).to_string()
                };
                csv.write_record([
                    entry.id.as_str(),
                    &entry.origin.to_string(),
                    timestamp.unwrap_or_default(),
                    &detail,
                ])?;
            }
            Sink::Ndjson(out) => {
                serde_json::to_writer(&mut *line, &Shape::of(entry, timestamp))?;
                line.push(b'\n');
                out.write_all(line)?;
            }
            Sink::Json(out) => {
                line.extend_from_slice(if self.written == 0 { b"\n" } else { b",\n" });
                serde_json::to_writer(&mut *line, &Shape::of(entry, timestamp))?;
                out.write_all(line)?;
            }
            Sink::Failed => return Err(failed()),
        }
        self.written = self.written.saturating_add(1);
        Ok(())
    }

    /// Runs `f` on the writer below, with everything written so far
    /// flushed into it.
    pub(crate) fn below(
        &mut self,
        f: impl FnOnce(&mut W) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match std::mem::replace(&mut self.sink, Sink::Failed) {
            Sink::Csv(csv) => {
                // csv's writer lends its writer to no one: it is taken
                // out and a new one made over it.
                let mut out = csv.into_inner().map_err(into_io)?;
                let done = f(&mut out);
                self.sink = Sink::Csv(Box::new(csv_over(out)));
                done
            }
            Sink::Ndjson(mut out) => {
                let done = f(&mut out);
                self.sink = Sink::Ndjson(out);
                done
            }
            Sink::Json(mut out) => {
                let done = f(&mut out);
                self.sink = Sink::Json(out);
                done
            }
            Sink::Failed => Err(failed()),
        }
    }

    /// Counts only the first `count` entries written: the writer below
    /// took the others back (a JSON array's next entry is then its first
    /// again when `count` is 0).
    pub(crate) fn forget_after(&mut self, count: u64) {
        self.written = self.written.min(count);
    }

    /// Ends the output (the JSON array's bracket); gives the writer back.
    pub(crate) fn finish(self) -> std::io::Result<W> {
        match self.sink {
            Sink::Csv(csv) => csv.into_inner().map_err(into_io),
            Sink::Ndjson(out) => Ok(out),
            Sink::Failed => Err(failed()),
            Sink::Json(mut out) => {
                out.write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
                Ok(out)
            }
        }
    }
}

/// An output started (see [`Entries::start`]) only when first used, so
/// that nothing reaches it before there is something to write.
pub(crate) enum Writer<W: Write> {
    /// Not started yet.
    Pending(W, Format),
    /// Started, with the number of entries written by the windows done:
    /// what a failed window's are taken back to.
    Started(Entries<W>, u64),
    /// Failed to start.
    Failed,
}

impl<W: Write> Writer<W> {
    /// The entries' writer, started if need be.
    pub(crate) fn started(&mut self) -> std::io::Result<&mut Entries<W>> {
        if matches!(self, Self::Pending(..))
            && let Self::Pending(out, format) = std::mem::replace(self, Self::Failed)
        {
            *self = Self::Started(Entries::start(out, format)?, 0);
        }
        match self {
            Self::Started(entries, _) => Ok(entries),
            _ => Err(std::io::Error::other("the output could not be started")),
        }
    }

    /// The current window is written whole.
    pub(crate) fn window_done(&mut self) {
        if let Self::Started(entries, done) = self {
            *done = entries.written();
        }
    }

    /// Starts the output if need be, ends it; gives the writer back.
    pub(crate) fn finish(mut self) -> std::io::Result<W> {
        self.started()?;
        match self {
            Self::Started(entries, _) => entries.finish(),
            _ => Err(std::io::Error::other("the output could not be started")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<RedlistEntry> {
        serde_json::from_str(
            r#"[{"id":"a","origin":3,"timestamp":"2026-11-01T10:00:00.000+00:00","detail":{"formId":"F"}},
                {"id":"b","origin":42}]"#,
        )
        .expect("entries")
    }

    fn written(format: Format) -> String {
        let mut out = Entries::start(Vec::new(), format).expect("in memory");
        for entry in &entries() {
            out.write(entry).expect("in memory");
        }
        String::from_utf8(out.finish().expect("in memory")).expect("UTF-8")
    }

    #[test]
    fn every_format_writes_one_date_format_and_one_shape() {
        assert_eq!(
            written(Format::Csv),
            "id,origin,timestamp,detail\na,3,2026-11-01T10:00:00Z,\"{\"\"formId\"\":\"\"F\"\"}\"\nb,42,,\n"
        );
        let ndjson = written(Format::Ndjson);
        let lines: Vec<serde_json::Value> = ndjson
            .lines()
            .map(|l| serde_json::from_str(l).expect("one object a line"))
            .collect();
        let json: Vec<serde_json::Value> =
            serde_json::from_str(&written(Format::Json)).expect("an array");
        assert_eq!(lines, json);
        assert_eq!(json[0]["timestamp"], "2026-11-01T10:00:00Z");
        assert_eq!(json[1]["timestamp"], serde_json::Value::Null);
        assert_eq!(json[1]["detail"], serde_json::json!({}));
        for object in &json {
            let mut keys: Vec<&String> = object.as_object().expect("an object").keys().collect();
            keys.sort();
            assert_eq!(keys, ["detail", "id", "origin", "timestamp"]);
        }
        assert_eq!(
            serde_json::from_str::<Vec<serde_json::Value>>(&{
                let out = Entries::start(Vec::new(), Format::Json).expect("in memory");
                String::from_utf8(out.finish().expect("in memory")).expect("UTF-8")
            })
            .expect("an empty array"),
            Vec::<serde_json::Value>::new()
        );
    }
}
