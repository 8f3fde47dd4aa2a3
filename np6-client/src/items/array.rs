//! The items of a JSON array as its bytes arrive: [`Splitter`] finds where
//! each item begins and ends, chunk after chunk, without decoding it, so
//! that [`Items`](crate::Items) decodes one item at a time and holds at
//! most one item's bytes (an item inside one chunk is not even copied).
//!
//! It checks only what it needs to find the items (the brackets, commas,
//! strings and their escapes); each item's own syntax is checked by
//! serde_json when the item is decoded.

use bytes::{Bytes, BytesMut};

/// Where the splitter is in the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the `[`.
    Start,
    /// After `[` or `,`: an item next (or `]` right after `[`).
    BeforeItem { first: bool },
    /// Inside an item.
    InItem(Scan),
    /// After an item: `,` or `]` next.
    AfterItem,
    /// After the `]`: only whitespace may follow.
    End,
}

/// How far into an item the scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scan {
    /// Open `{` and `[` not yet closed.
    depth: u32,
    /// Inside a string.
    string: bool,
    /// Just after a `\` inside a string.
    escape: bool,
    /// A number, `true`, `false` or `null` at the top: it ends before the
    /// next `,`, `]` or whitespace.
    scalar: bool,
}

/// Why the bytes are not a JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Broken {
    /// Not an array: `found` where `expected` should be.
    Syntax { expected: &'static str, found: u8 },
    /// An item longer than the cap.
    ItemTooLarge { limit: usize },
    /// The body ended before the array did.
    Unfinished,
}

/// Finds the items of one JSON array in the chunks of its body.
#[derive(Debug)]
pub(crate) struct Splitter {
    place: Place,
    /// The chunk being read, and how far.
    chunk: Bytes,
    at: usize,
    /// The start of the current item in `chunk`, when it began there.
    began: Option<usize>,
    /// The current item's bytes from earlier chunks.
    partial: BytesMut,
    /// The most bytes one item may have.
    limit: usize,
}

impl Splitter {
    /// A splitter whose items are at most `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            place: Place::Start,
            chunk: Bytes::new(),
            at: 0,
            began: None,
            partial: BytesMut::new(),
            limit,
        }
    }

    /// Whether the chunk given last is read to its end.
    #[cfg(test)]
    fn needs_more(&self) -> bool {
        self.at >= self.chunk.len()
    }

    /// Reads `chunk` next; call only once [`next_item`](Self::next_item)
    /// has answered `None` (the chunk before is read).
    pub(crate) fn push(&mut self, chunk: Bytes) {
        self.chunk = chunk;
        self.at = 0;
        if matches!(self.place, Place::InItem(_)) {
            self.began = Some(0);
        }
    }

    /// The next whole item of the chunks given so far, or `None` when more
    /// bytes are needed (or the array has ended).
    pub(crate) fn next_item(&mut self) -> Result<Option<Bytes>, Broken> {
        while self.at < self.chunk.len() {
            let byte = self.chunk[self.at];
            match self.place {
                Place::InItem(scan) => {
                    if let Some(item) = self.scan_item(scan)? {
                        return Ok(Some(item));
                    }
                }
                Place::Start => {
                    self.at += 1;
                    match byte {
                        b'[' => self.place = Place::BeforeItem { first: true },
                        _ if is_space(byte) => {}
                        _ => return Err(syntax("`[`", byte)),
                    }
                }
                Place::BeforeItem { first } => match byte {
                    _ if is_space(byte) => self.at += 1,
                    b']' if first => {
                        self.at += 1;
                        self.place = Place::End;
                    }
                    b']' | b',' => return Err(syntax("an item", byte)),
                    _ => {
                        self.began = Some(self.at);
                        self.place = Place::InItem(Scan {
                            depth: 0,
                            string: false,
                            escape: false,
                            scalar: !matches!(byte, b'{' | b'[' | b'"'),
                        });
                    }
                },
                Place::AfterItem => {
                    self.at += 1;
                    match byte {
                        b',' => self.place = Place::BeforeItem { first: false },
                        b']' => self.place = Place::End,
                        _ if is_space(byte) => {}
                        _ => return Err(syntax("`,` or `]`", byte)),
                    }
                }
                Place::End => {
                    self.at += 1;
                    if !is_space(byte) {
                        return Err(syntax("the end of the answer", byte));
                    }
                }
            }
        }
        // The chunk is read: keep the part of an unfinished item.
        if let (Place::InItem(_), Some(began)) = (self.place, self.began.take()) {
            let rest = &self.chunk[began..];
            if self.partial.len().saturating_add(rest.len()) > self.limit {
                return Err(Broken::ItemTooLarge { limit: self.limit });
            }
            self.partial.extend_from_slice(rest);
        }
        Ok(None)
    }

    /// The start of the chunk being read (at most `most` bytes): what a
    /// body that is not an array shows instead.
    pub(crate) fn chunk_start(&self, most: usize) -> Bytes {
        self.chunk.slice(..self.chunk.len().min(most))
    }

    /// Whether the whole array was read; call once the body has ended.
    pub(crate) fn finish(&self) -> Result<(), Broken> {
        match self.place {
            Place::End => Ok(()),
            _ => Err(Broken::Unfinished),
        }
    }

    /// Scans the current item from `self.at`; the item when it ends in
    /// this chunk.
    fn scan_item(&mut self, mut scan: Scan) -> Result<Option<Bytes>, Broken> {
        let bytes = &self.chunk[..];
        let mut at = self.at;
        let end = loop {
            let Some(&byte) = bytes.get(at) else {
                self.at = at;
                self.place = Place::InItem(scan);
                self.check_length(at)?;
                return Ok(None);
            };
            if scan.string {
                if scan.escape {
                    scan.escape = false;
                    at += 1;
                    continue;
                }
                // Strings are most of an item's bytes: jump to the next
                // byte that matters.
                match memchr::memchr2(b'"', b'\\', &bytes[at..]) {
                    Some(offset) => {
                        at += offset;
                        if bytes[at] == b'\\' {
                            scan.escape = true;
                        } else {
                            scan.string = false;
                            if scan.depth == 0 {
                                break at + 1;
                            }
                        }
                        at += 1;
                    }
                    None => at = bytes.len(),
                }
                continue;
            }
            if scan.scalar {
                if matches!(byte, b',' | b']') || is_space(byte) {
                    break at;
                }
                at += 1;
                continue;
            }
            match byte {
                b'"' => scan.string = true,
                b'{' | b'[' => scan.depth = scan.depth.saturating_add(1),
                b'}' | b']' => {
                    scan.depth = scan.depth.saturating_sub(1);
                    if scan.depth == 0 {
                        break at + 1;
                    }
                }
                _ => {}
            }
            at += 1;
        };
        self.check_length(end)?;
        let began = self.began.take().unwrap_or(0);
        let item = if self.partial.is_empty() {
            self.chunk.slice(began..end)
        } else {
            self.partial.extend_from_slice(&self.chunk[began..end]);
            self.partial.split().freeze()
        };
        self.at = end;
        self.place = Place::AfterItem;
        Ok(Some(item))
    }

    /// Fails when the current item, read up to `at` in this chunk, is over
    /// the cap.
    fn check_length(&self, at: usize) -> Result<(), Broken> {
        let here = at.saturating_sub(self.began.unwrap_or(0));
        if self.partial.len().saturating_add(here) > self.limit {
            return Err(Broken::ItemTooLarge { limit: self.limit });
        }
        Ok(())
    }
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

fn syntax(expected: &'static str, found: u8) -> Broken {
    Broken::Syntax { expected, found }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items of `text` fed in chunks of `size` bytes, as text.
    fn split(text: &str, size: usize, limit: usize) -> Result<Vec<String>, Broken> {
        let mut splitter = Splitter::new(limit);
        let mut items = Vec::new();
        for chunk in text.as_bytes().chunks(size.max(1)) {
            splitter.push(Bytes::copy_from_slice(chunk));
            while let Some(item) = splitter.next_item()? {
                items.push(String::from_utf8(item.to_vec()).expect("UTF-8"));
            }
            assert!(splitter.needs_more());
        }
        splitter.finish()?;
        Ok(items)
    }

    const ARRAY: &str = r#" [ {"id":"a,]}","detail":{"x":[1,{"y":"\"}"}]}} ,
        "s\\" ,12.5e3,true, null,[[]] ,{} ] "#;

    #[test]
    fn every_chunking_finds_the_same_items() {
        let expected = [
            r#"{"id":"a,]}","detail":{"x":[1,{"y":"\"}"}]}}"#,
            r#""s\\""#,
            "12.5e3",
            "true",
            "null",
            "[[]]",
            "{}",
        ];
        for size in 1..=ARRAY.len() {
            assert_eq!(
                split(ARRAY, size, 1 << 20),
                Ok(expected.map(String::from).to_vec()),
                "chunks of {size}"
            );
        }
        assert_eq!(split(" [ ] \n", 1, 10), Ok(vec![]));
    }

    #[test]
    fn an_item_over_the_cap_fails_however_it_arrives() {
        let text = r#"[{"a":"0123456789"},{"b":1}]"#;
        for size in 1..=text.len() {
            assert_eq!(
                split(text, size, 19),
                Ok(vec![
                    r#"{"a":"0123456789"}"#.to_owned(),
                    r#"{"b":1}"#.to_owned()
                ])
            );
            assert_eq!(
                split(text, size, 17),
                Err(Broken::ItemTooLarge { limit: 17 }),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn what_is_not_one_array_is_refused() {
        assert_eq!(split(r#"{"a":1}"#, 3, 100), Err(syntax("`[`", b'{')));
        assert_eq!(split("[1 2]", 3, 100), Err(syntax("`,` or `]`", b'2')));
        assert_eq!(split("[1,]", 3, 100), Err(syntax("an item", b']')));
        assert_eq!(split("[,1]", 3, 100), Err(syntax("an item", b',')));
        assert_eq!(
            split("[1] [2]", 3, 100),
            Err(syntax("the end of the answer", b'['))
        );
        assert_eq!(split(r#"[{"a":"b"}"#, 3, 100), Err(Broken::Unfinished));
        assert_eq!(split(r#"[{"a":"b"#, 3, 100), Err(Broken::Unfinished));
        assert_eq!(split("", 3, 100), Err(Broken::Unfinished));
    }
}
