//! The records of an import file cut from its bytes as they are: each with
//! the physical line it starts on (a line ends with LF, CRLF or a CR
//! alone), its bytes as written, and at most [`LONGEST_RECORD`] of them in
//! memory whatever the file holds.
//!
//! CSV records may span lines inside quotes; the quoting follows the `csv`
//! crate's (a `"` opens a quoted field only at a field's start, `""` is a
//! quote inside one), so a record cut here parses there as one record. A
//! quote still open at the end of the file is noted with its line (the
//! record is then rejected, never sent with the rest of the file in it).

use std::io::{self, BufRead};

/// The most bytes of one record kept in memory: a longer record is
/// rejected, and the rest of it is read past, never held.
pub(super) const LONGEST_RECORD: usize = 1 << 20;

/// How quotes and delimiters cut records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quoting {
    /// No quoting: a record is a line (NDJSON).
    Lines,
    /// CSV with this delimiter; `None` while the header is read, when `,`,
    /// `;` and a tab all start a field.
    Csv(Option<u8>),
}

/// One record as written.
#[derive(Debug)]
pub(super) struct Record {
    /// The physical line (from 1) its first byte is on.
    pub(super) line: u64,
    /// Its bytes without the line end; empty when it is too long.
    pub(super) bytes: Vec<u8>,
    /// Longer than [`LONGEST_RECORD`]: read past, not kept.
    pub(super) too_long: bool,
    /// CSV: where its third field starts in `bytes`, if it has one.
    pub(super) third_field: Option<usize>,
    /// CSV: the line of a quote still open where the record ended (the
    /// end of the file), or where it grew too long.
    pub(super) open_quote: Option<u64>,
}

/// Where the cutter is inside a CSV record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: its end, or the first of `""`.
    QuoteInQuoted,
}

/// Cuts records from a reader.
#[derive(Debug)]
pub(super) struct Records<R> {
    reader: R,
    /// The physical line of the next byte.
    line: u64,
    /// The last byte read was a CR (a LF right after it ends no new line).
    after_cr: bool,
    /// How records are cut.
    pub(super) quoting: Quoting,
}

impl<R: BufRead> Records<R> {
    /// Records of `reader`, whose first byte is on line 1.
    pub(super) fn new(reader: R, quoting: Quoting) -> Self {
        Self {
            reader,
            line: 1,
            after_cr: false,
            quoting,
        }
    }

    /// The physical line of the next byte.
    pub(super) fn line(&self) -> u64 {
        self.line
    }

    /// Reads past spaces, tabs and line ends; returns the next byte, left
    /// unread (`None` at the end).
    pub(super) fn peek_past_blanks(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buffer = self.reader.fill_buf()?;
            let Some(&first) = buffer.first() else {
                return Ok(None);
            };
            if !matches!(first, b' ' | b'\t' | b'\r' | b'\n') {
                return Ok(Some(first));
            }
            count(&mut self.line, &mut self.after_cr, first);
            self.reader.consume(1);
        }
    }

    /// The next record, skipping blank lines; `None` at the end.
    pub(super) fn next_record(&mut self) -> io::Result<Option<Record>> {
        let mut record: Option<Record> = None;
        let mut state = State::FieldStart;
        let mut delimiters = 0u8;
        // The line of the last quote that opened a field.
        let mut quote_line = self.line;
        loop {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                if let Some(current) = record.as_mut()
                    && state == State::Quoted
                {
                    current.open_quote = Some(quote_line);
                }
                return Ok(record);
            }
            let mut used = 0;
            let mut ended = false;
            for &byte in buffer {
                used += 1;
                let line = self.line;
                count(&mut self.line, &mut self.after_cr, byte);
                let line_end = byte == b'\r' || byte == b'\n';
                let current = match record.as_mut() {
                    Some(current) => current,
                    None if line_end => continue,
                    None => record.insert(Record {
                        line,
                        bytes: Vec::new(),
                        too_long: false,
                        third_field: None,
                        open_quote: None,
                    }),
                };
                if line_end && state != State::Quoted {
                    ended = true;
                    break;
                }
                if state != State::Quoted && is_delimiter(byte, self.quoting) {
                    delimiters = delimiters.saturating_add(1);
                    if delimiters == 2 && !current.too_long {
                        current.third_field = Some(current.bytes.len() + 1);
                    }
                }
                let next = step(state, byte, self.quoting);
                if next == State::Quoted && state == State::FieldStart {
                    quote_line = line;
                }
                state = next;
                if current.too_long {
                    continue;
                }
                if current.bytes.len() < LONGEST_RECORD {
                    current.bytes.push(byte);
                } else {
                    current.too_long = true;
                    current.bytes = Vec::new();
                    current.third_field = None;
                    current.open_quote = (state == State::Quoted).then_some(quote_line);
                }
            }
            self.reader.consume(used);
            if ended {
                return Ok(record);
            }
        }
    }
}

/// Counts `byte` in the line numbers: a CR, or a LF not right after a CR,
/// ends a line.
fn count(line: &mut u64, after_cr: &mut bool, byte: u8) {
    let was_cr = std::mem::replace(after_cr, byte == b'\r');
    if byte == b'\r' || (byte == b'\n' && !was_cr) {
        *line = line.saturating_add(1);
    }
}

fn is_delimiter(byte: u8, quoting: Quoting) -> bool {
    match quoting {
        Quoting::Lines => false,
        Quoting::Csv(Some(delimiter)) => byte == delimiter,
        Quoting::Csv(None) => matches!(byte, b',' | b';' | b'\t'),
    }
}

/// The state after `byte` (a line end outside quotes is handled by the
/// caller).
fn step(state: State, byte: u8, quoting: Quoting) -> State {
    if quoting == Quoting::Lines {
        return State::Unquoted;
    }
    let delimiter = is_delimiter(byte, quoting);
    match state {
        State::FieldStart if byte == b'"' => State::Quoted,
        State::FieldStart | State::Unquoted | State::QuoteInQuoted if delimiter => {
            State::FieldStart
        }
        State::FieldStart | State::Unquoted => State::Unquoted,
        State::Quoted if byte == b'"' => State::QuoteInQuoted,
        State::Quoted => State::Quoted,
        State::QuoteInQuoted if byte == b'"' => State::Quoted,
        State::QuoteInQuoted => State::Unquoted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(input: &[u8], quoting: Quoting) -> Vec<(u64, String, Option<usize>)> {
        let mut records = Records::new(input, quoting);
        let mut all = Vec::new();
        while let Some(record) = records.next_record().expect("in memory") {
            let text = String::from_utf8_lossy(&record.bytes).into_owned();
            all.push((record.line, text, record.third_field));
        }
        all
    }

    fn lines(input: &[u8], quoting: Quoting) -> Vec<(u64, String)> {
        cut(input, quoting)
            .into_iter()
            .map(|(line, text, _)| (line, text))
            .collect()
    }

    #[test]
    fn every_line_end_counts_one_line() {
        let expected = vec![
            (1, "a".to_owned()),
            (2, "b".to_owned()),
            (4, "c".to_owned()),
        ];
        for input in [
            &b"a\nb\n\nc\n"[..],
            b"a\r\nb\r\n\r\nc\r\n",
            b"a\rb\r\rc\r",
            b"a\rb\n\r\nc",
        ] {
            assert_eq!(
                lines(input, Quoting::Csv(Some(b','))),
                expected,
                "{input:?}"
            );
            assert_eq!(lines(input, Quoting::Lines), expected, "{input:?}");
        }
    }

    #[test]
    fn quoted_line_ends_stay_in_their_record_and_still_count() {
        let input = b"h\r\n\"x\r\ny\",1\r\n\"a\"\"\rb\"\"\",2\rlast";
        assert_eq!(
            lines(input, Quoting::Csv(Some(b','))),
            vec![
                (1, "h".to_owned()),
                (2, "\"x\r\ny\",1".to_owned()),
                (4, "\"a\"\"\rb\"\"\",2".to_owned()),
                (6, "last".to_owned()),
            ]
        );
        // A quote inside an unquoted field is a character, not a quote.
        assert_eq!(
            lines(b"a\"b,c\nd", Quoting::Csv(Some(b','))),
            vec![(1, "a\"b,c".to_owned()), (2, "d".to_owned())]
        );
    }

    #[test]
    fn the_third_field_is_found_with_the_delimiter() {
        let records = cut(b"1,\"e,r\",x,y\n1;e;x\n1,e\n", Quoting::Csv(Some(b',')));
        assert_eq!(records[0].2, Some(8));
        assert_eq!(&records[0].1[8..], "x,y");
        assert_eq!(records[1].2, None);
        assert_eq!(records[2].2, None);
        let records = cut(b"1;e;x\n", Quoting::Csv(Some(b';')));
        assert_eq!(records[0].2, Some(4));
        let records = cut(b",,x\n", Quoting::Csv(Some(b',')));
        assert_eq!(records[0].2, Some(2));
    }

    #[test]
    fn a_record_too_long_is_read_past_not_kept() {
        let mut input = b"a\n\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', LONGEST_RECORD + 10));
        input.extend(b"\ny\"\nb\n");
        let mut records = Records::new(&input[..], Quoting::Csv(Some(b',')));
        let first = records.next_record().expect("read").expect("a");
        assert_eq!((first.line, first.too_long), (1, false));
        let long = records.next_record().expect("read").expect("the long one");
        assert_eq!((long.line, long.too_long, long.bytes.len()), (2, true, 0));
        let last = records.next_record().expect("read").expect("b");
        assert_eq!((last.line, last.bytes.as_slice()), (4, &b"b"[..]));
        assert!(records.next_record().expect("read").is_none());
    }

    #[test]
    fn a_quote_open_at_the_end_is_noted_with_its_line() {
        let input = b"h\nT1,788,\"ok\"\nT2,788,x,\"oops\nT3,788,x\r\nT4,788,x\n";
        let mut records = Records::new(&input[..], Quoting::Csv(Some(b',')));
        for _ in 0..2 {
            let closed = records.next_record().expect("read").expect("a record");
            assert_eq!(closed.open_quote, None);
        }
        let open = records.next_record().expect("read").expect("the rest");
        assert_eq!((open.line, open.open_quote), (3, Some(3)));
        assert!(records.next_record().expect("read").is_none());

        let mut long = b"T,788,x,\"".to_vec();
        long.extend(std::iter::repeat_n(b'x', LONGEST_RECORD + 10));
        let mut records = Records::new(&long[..], Quoting::Csv(Some(b',')));
        let record = records.next_record().expect("read").expect("a record");
        assert_eq!((record.too_long, record.open_quote), (true, Some(1)));
    }
}
