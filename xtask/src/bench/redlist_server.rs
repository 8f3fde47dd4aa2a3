//! The export benchmark's server: a redlist of any size, made while it is
//! sent (chunked), so that its own memory stays flat whatever it answers.
//!
//! `GET /targets/redlist/mail` (or `sms`) answers a JSON array of the
//! entries whose timestamp is in `[startDate, endDate]` (both ends
//! included, whole seconds; a missing end is open), out of `entries`
//! entries spread evenly over [`SPAN_START`] + [`SPAN_SECONDS`], shaped like
//! NP6's. Entry `i` has the id `{i * 7919:08X}`: ids are unique and name
//! their index back ([`index_of`]). With [`Mode::FailOverADay`], a request
//! without both dates or for a window longer than a day is answered 504,
//! as NP6 does for windows it cannot answer in time.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use np6_loopback::{Pieces, Received, Reply, Server, Threads};

/// The first second of the span, 2026-10-02T00:00:00Z.
pub const SPAN_START: i64 = 1_790_899_200;
/// The span's length: 30 days (its end, 2026-11-01T00:00:00Z, excluded).
pub const SPAN_SECONDS: i64 = 30 * 86_400;
/// The id of entry `i` is `i` times this, in hexadecimal.
const ID_FACTOR: u64 = 7919;
/// The size a piece of the body grows to before it is sent.
const PIECE: usize = 64 * 1024;

/// How the server answers windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every window, whatever its length.
    Whole,
    /// 504 for a window longer than a day, or without both dates.
    FailOverADay,
}

/// What the server did, counted while it runs.
#[derive(Debug, Default)]
pub struct Counts {
    /// Every request.
    pub requests: AtomicU64,
    /// Requests answered 504.
    pub refused: AtomicU64,
}

/// A running redlist server.
pub struct RedlistServer {
    server: Server,
    /// What it did so far.
    pub counts: Arc<Counts>,
}

impl RedlistServer {
    /// Starts a server of `entries` entries answering as `mode` says.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub fn start(entries: u64, mode: Mode) -> std::io::Result<Self> {
        Self::start_paced(entries, mode, None)
    }

    /// [`Self::start`], sending each body at most `bytes_per_second` when
    /// given (a thread per connection, which sleeps between pieces).
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub fn start_paced(
        entries: u64,
        mode: Mode,
        bytes_per_second: Option<u64>,
    ) -> std::io::Result<Self> {
        let counts = Arc::new(Counts::default());
        let seen = counts.clone();
        let threads = if bytes_per_second.is_some() {
            Threads::PerConnection
        } else {
            Threads::Shared
        };
        let server = Server::start(threads, move |received| {
            answer(received, entries, mode, &seen, bytes_per_second)
        })?;
        Ok(Self { server, counts })
    }

    /// `http://` and the address.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The requests so far, and how many were answered 504.
    pub fn requests(&self) -> (u64, u64) {
        (
            self.counts.requests.load(Ordering::Relaxed),
            self.counts.refused.load(Ordering::Relaxed),
        )
    }
}

fn answer(
    received: &Received,
    entries: u64,
    mode: Mode,
    counts: &Counts,
    pace: Option<u64>,
) -> Reply {
    counts.requests.fetch_add(1, Ordering::Relaxed);
    let (path, query) = received
        .target
        .split_once('?')
        .unwrap_or((&received.target, ""));
    if received.method != "GET" || !matches!(path, "/targets/redlist/mail" | "/targets/redlist/sms")
    {
        return Reply::status(404);
    }
    let has_key = received
        .headers
        .iter()
        .any(|(name, value)| name == "x-key" && !value.trim().is_empty());
    if !has_key {
        return Reply::status(401);
    }
    let (start, end) = match (date(query, "startDate"), date(query, "endDate")) {
        (Ok(start), Ok(end)) => (start, end),
        _ => return Reply::status(400),
    };
    if mode == Mode::FailOverADay {
        let within_a_day = matches!((start, end), (Some(s), Some(e)) if e - s <= 86_400);
        if !within_a_day {
            counts.refused.fetch_add(1, Ordering::Relaxed);
            return Reply::status(504);
        }
    }
    let from = start.map_or(0, |s| first_at_or_after(entries, s));
    let to = end.map_or(entries, |e| first_at_or_after(entries, e.saturating_add(1)));
    Reply::json(Bytes::new()).streamed(move || {
        let pieces = body(from, to.max(from), entries);
        match pace {
            Some(rate) => paced(pieces, rate),
            None => pieces,
        }
    })
}

/// The value of `name` in `query` as Unix seconds (rounded down); `None`
/// when absent, an error when it is not RFC 3339.
fn date(query: &str, name: &str) -> Result<Option<i64>, ()> {
    let Ok(url) = reqwest::Url::parse(&format!("http://q/?{query}")) else {
        return Err(());
    };
    let Some((_, value)) = url.query_pairs().find(|(key, _)| key == name) else {
        return Ok(None);
    };
    // A `+` sent unencoded reads as a space in a query.
    DateTime::parse_from_rfc3339(&value.replace(' ', "+"))
        .map(|at| Some(at.with_timezone(&Utc).timestamp()))
        .map_err(|_| ())
}

/// The timestamp of entry `i` of `entries`, in Unix seconds.
pub fn timestamp(i: u64, entries: u64) -> i64 {
    let offset = u128::from(i) * SPAN_SECONDS.unsigned_abs() as u128 / u128::from(entries.max(1));
    SPAN_START.saturating_add(i64::try_from(offset).unwrap_or(i64::MAX))
}

/// The first entry whose timestamp is `at` or later (`entries` if none).
fn first_at_or_after(entries: u64, at: i64) -> u64 {
    let (mut low, mut high) = (0, entries);
    while low < high {
        let middle = low + (high - low) / 2;
        if timestamp(middle, entries) < at {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// The index of the entry with this id, if it is one.
pub fn index_of(id: &str) -> Option<u64> {
    let value = u64::from_str_radix(id, 16).ok()?;
    (value % ID_FACTOR == 0).then_some(value / ID_FACTOR)
}

/// Entries `[from, to)` of `entries` as a JSON array, in pieces of about
/// [`PIECE`].
fn body(from: u64, to: u64, entries: u64) -> Pieces {
    let mut next = from;
    let mut opened = false;
    let mut closed = false;
    Box::new(std::iter::from_fn(move || {
        if closed {
            return None;
        }
        let mut piece = Vec::with_capacity(PIECE + 256);
        if !opened {
            piece.push(b'[');
            opened = true;
        }
        while next < to && piece.len() < PIECE {
            if next > from {
                piece.push(b',');
            }
            entry(&mut piece, next, entries);
            next += 1;
        }
        if next >= to {
            piece.push(b']');
            closed = true;
        }
        Some(Bytes::from(piece))
    }))
}

/// `pieces`, each sent no sooner than `bytes_per_second` allows for the
/// bytes before it (the sleep blocks: a thread per connection).
fn paced(mut pieces: Pieces, bytes_per_second: u64) -> Pieces {
    let mut started = None;
    let mut sent = 0_u64;
    Box::new(std::iter::from_fn(move || {
        let piece = pieces.next()?;
        let started = *started.get_or_insert_with(Instant::now);
        let due = started + Duration::from_secs_f64(sent as f64 / bytes_per_second.max(1) as f64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        sent = sent.saturating_add(piece.len() as u64);
        Some(piece)
    }))
}

/// Writes entry `i` of `entries` to `out`, shaped like NP6's.
fn entry(out: &mut Vec<u8>, i: u64, entries: u64) {
    let at = rfc3339(timestamp(i, entries));
    let _ = write!(
        out,
        r#"{{"id":"{:08X}","timestamp":"{}","origin":{},"detail":{{"formId":"F{i}"}}}}"#,
        i.saturating_mul(ID_FACTOR),
        String::from_utf8_lossy(&at),
        i % 10
    );
}

/// Unix seconds as `YYYY-MM-DDThh:mm:ssZ` (years 0 to 9999), without the
/// formatting machinery: the server makes millions of these.
fn rfc3339(seconds: i64) -> [u8; 20] {
    let (days, second) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, value: i64| {
        let mut value = value.clamp(0, 9999);
        for slot in out[at..at + width].iter_mut().rev() {
            *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, second / 3600);
    put(14, 2, second % 3600 / 60);
    put(17, 2, second % 60);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for seconds in [
            0,
            SPAN_START,
            SPAN_START + SPAN_SECONDS - 1,
            951_782_400,
            4_107_542_399,
        ] {
            let chrono = DateTime::from_timestamp(seconds, 0)
                .map(|at| at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(
                Some(String::from_utf8_lossy(&rfc3339(seconds)).into_owned()),
                chrono
            );
        }
        assert_eq!(&rfc3339(SPAN_START), b"2026-10-02T00:00:00Z");
    }

    #[test]
    fn entries_are_spread_over_the_span_and_windows_include_both_ends() {
        let n = 1000;
        assert_eq!(timestamp(0, n), SPAN_START);
        assert!(timestamp(n - 1, n) < SPAN_START + SPAN_SECONDS);
        let at = timestamp(500, n);
        assert_eq!(first_at_or_after(n, at), 500);
        assert_eq!(first_at_or_after(n, at + 1), 501);
        assert_eq!(first_at_or_after(n, SPAN_START + SPAN_SECONDS), n);
        assert_eq!(index_of(&format!("{:08X}", 500 * ID_FACTOR)), Some(500));
        assert_eq!(index_of("00000001"), None);
    }

    #[test]
    fn a_window_answers_its_entries_as_one_json_array_in_pieces() {
        let pieces: Vec<Bytes> = body(10, 5000, 10_000).collect();
        assert!(pieces.len() > 1, "{}", pieces.len());
        let whole: Vec<u8> = pieces.concat();
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&whole).expect("JSON");
        assert_eq!(entries.len(), 4990);
        assert_eq!(entries[0]["id"], format!("{:08X}", 10 * ID_FACTOR));
        assert_eq!(entries[0]["detail"]["formId"], "F10");
        let empty: Vec<u8> = body(7, 7, 10).collect::<Vec<_>>().concat();
        assert_eq!(empty, b"[]");
    }

    #[test]
    fn a_paced_body_is_the_same_body_sent_no_faster_than_its_rate() {
        let whole: Vec<u8> = body(0, 3000, 3000).collect::<Vec<_>>().concat();
        let started = Instant::now();
        let paced: Vec<u8> = paced(body(0, 3000, 3000), 10_000_000)
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(paced, whole);
        // Every piece but the first waits for the bytes before it.
        let first = body(0, 3000, 3000).next().map_or(0, |p| p.len());
        let least = (whole.len() - first) as f64 / 10_000_000.0;
        assert!(
            started.elapsed().as_secs_f64() >= least,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn the_failing_mode_refuses_windows_over_a_day_and_without_dates() {
        let n = 30 * 24;
        let counts = Counts::default();
        let get = |query: &str, mode| {
            let received = Received {
                method: "GET".to_owned(),
                target: format!("/targets/redlist/mail?{query}"),
                headers: vec![("x-key".to_owned(), "k".to_owned())],
                body: Bytes::new(),
            };
            format!("{:?}", answer(&received, n, mode, &counts, None))
        };
        let day = "startDate=2026-10-02T00%3A00%3A00Z&endDate=2026-10-03T00%3A00%3A00Z";
        let longer = "startDate=2026-10-02T00%3A00%3A00Z&endDate=2026-10-03T00%3A00%3A01Z";
        assert!(get(day, Mode::FailOverADay).contains("status: 200"));
        assert!(get(longer, Mode::FailOverADay).contains("status: 504"));
        assert!(get("startDate=2026-10-02T00:00:00Z", Mode::FailOverADay).contains("status: 504"));
        assert!(get(longer, Mode::Whole).contains("status: 200"));
        assert!(get("startDate=yesterday", Mode::Whole).contains("status: 400"));
        assert_eq!(counts.requests.load(Ordering::Relaxed), 5);
        assert_eq!(counts.refused.load(Ordering::Relaxed), 2);
    }
}
