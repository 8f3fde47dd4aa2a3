//! Finding the key in text, in any encoding that decodes back to it: the
//! engine behind `ApiKey::redact`.
//!
//! The key is looked for as a few *needles*: the key itself, its base64
//! forms (standard and URL-safe alphabets, at each of the three byte
//! alignments it can have inside a longer base64 text), its base32 forms
//! (at each of the five alignments, any case) and its hex form (any case).
//! The needles are looked for in three readings of the text: as it is,
//! with one layer of escapes undone, and with two (`decode.rs`: percent,
//! `%u`, JSON and JavaScript, HTML numeric and named, quoted-printable),
//! so escapes may be mixed within one occurrence, and the characters of an
//! escape may themselves be escaped once more (`%2543`, `\u0025\u0034\u0033`,
//! `%5Cu0043`). NUL characters are passed over everywhere (a UTF-16 body
//! read as UTF-8 interleaves them), white space within the encoded forms
//! (MIME and PEM fold base64 into lines; a JSON-escaped `\n` folds it
//! too), and `+` reads as a space in the key (form encoding).
//!
//! Each reading is a stream read once, each needle a KMP automaton on it:
//! the cost is linear in the text, whatever the text.
//!
//! Only exits run it (errors, traces, fixtures), never a successful call.

use std::ops::Range;

use super::decode::{Decoder, Item};

/// The most bytes of text one character of the key can take once encoded
/// (base32 doubles it at worst, two layers of escapes take up to 16
/// characters each, UTF-16 doubles the rest): used to read a little past a
/// cut.
pub(super) const MAX_BYTES_PER_CHAR: usize = 2 * 16 * 16 * 2;

/// An encoded needle shorter than this is not looked for: it would mask
/// ordinary words (only a very short key has one).
const MIN_ENCODED_NEEDLE: usize = 8;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// One form of the key looked for in text.
pub(super) struct Needle {
    chars: Vec<char>,
    /// An encoding of the key (not the key itself): compared with white
    /// space passed over.
    encoded: bool,
    /// Compared ignoring ASCII case (hex, base32).
    fold_case: bool,
}

impl Drop for Needle {
    fn drop(&mut self) {
        // The needles are the key in other words: do not leave them behind.
        secrecy::zeroize::Zeroize::zeroize(&mut self.chars);
    }
}

impl Needle {
    /// The character as compared: case folded where the form ignores it,
    /// and `+` as the space it stands for in the key.
    fn normal(&self, c: char) -> char {
        if self.fold_case {
            c.to_ascii_lowercase()
        } else if c == '+' && !self.encoded {
            ' '
        } else {
            c
        }
    }
}

/// The forms of `key` looked for; none for an empty key.
pub(super) fn needles(key: &str) -> Vec<Needle> {
    if key.is_empty() {
        return Vec::new();
    }
    let mut needles = vec![Needle {
        chars: key.chars().collect(),
        encoded: false,
        fold_case: false,
    }];
    let mut add = |chars: Vec<char>, fold_case: bool| {
        let known = needles.iter().any(|n| n.chars == chars);
        if chars.len() >= MIN_ENCODED_NEEDLE && !known {
            needles.push(Needle {
                chars,
                encoded: true,
                fold_case,
            });
        }
    };
    for alphabet in [&STANDARD[..], &URL_SAFE[..]] {
        for offset in 0..3 {
            add(core(key.as_bytes(), offset, 6, alphabet), false);
        }
    }
    for offset in 0..5 {
        add(core(key.as_bytes(), offset, 5, BASE32), true);
    }
    let hex = key
        .bytes()
        .flat_map(|b| [b >> 4, b & 15])
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
        .collect();
    needles.push(Needle {
        chars: hex,
        encoded: true,
        fold_case: true,
    });
    needles
}

/// The characters of a base64 (6 bits a character) or base32 (5 bits)
/// text that encode only `key`'s bits when `key` starts `offset` bytes
/// into a longer encoded text.
fn core(key: &[u8], offset: usize, width: usize, alphabet: &[u8]) -> Vec<char> {
    let bits = |i: usize| {
        // Bit `i` of the stream: zeros before and after the key.
        let byte = i / 8;
        if byte < offset || byte >= offset + key.len() {
            0
        } else {
            (key[byte - offset] >> (7 - i % 8)) & 1
        }
    };
    let (first_bit, end_bit) = (offset * 8, (offset + key.len()) * 8);
    (first_bit.div_ceil(width)..)
        .take_while(|j| j * width + width <= end_bit)
        .map(|j| {
            let value = (0..width).fold(0usize, |v, b| (v << 1) | usize::from(bits(j * width + b)));
            char::from(alphabet[value])
        })
        .collect()
}

/// A needle's search (Knuth-Morris-Pratt): the needle as compared, and
/// how much of it the characters read so far end with.
struct Matcher<'n> {
    needle: &'n Needle,
    wanted: Vec<char>,
    /// The longest proper prefix that is also a suffix, per prefix length.
    fallback: Vec<usize>,
    matched: usize,
}

impl<'n> Matcher<'n> {
    fn new(needle: &'n Needle) -> Self {
        let wanted: Vec<char> = needle.chars.iter().map(|&c| needle.normal(c)).collect();
        let mut fallback = vec![0; wanted.len() + 1];
        let mut k = 0;
        for i in 1..wanted.len() {
            while k > 0 && wanted[i] != wanted[k] {
                k = fallback[k];
            }
            if wanted[i] == wanted[k] {
                k += 1;
            }
            fallback[i + 1] = k;
        }
        Self {
            needle,
            wanted,
            fallback,
            matched: 0,
        }
    }
}

/// The search of every needle in one reading of the text.
struct Reading<'n> {
    matchers: Vec<Matcher<'n>>,
    /// How many matchers are inside a partial match.
    active: usize,
    /// The characters that can start an occurrence, ASCII ones as a table.
    first_ascii: [bool; 128],
    first_other: Vec<char>,
    /// Where the last characters read start: all but NULs (`plain`), and
    /// all but NULs and white space (`encoded`), in rings of `mask + 1`.
    plain: Vec<usize>,
    plain_read: usize,
    encoded: Vec<usize>,
    encoded_read: usize,
    mask: usize,
}

impl<'n> Reading<'n> {
    fn new(needles: &'n [Needle]) -> Self {
        let matchers: Vec<Matcher<'n>> = needles.iter().map(Matcher::new).collect();
        let longest = matchers.iter().map(|m| m.wanted.len()).max().unwrap_or(1);
        let ring = longest.next_power_of_two();
        let (mut first_ascii, mut first_other) = ([false; 128], Vec::new());
        for m in &matchers {
            let Some(&c) = m.wanted.first() else { continue };
            let mut starts = vec![c];
            if m.needle.fold_case {
                starts.push(c.to_ascii_uppercase());
            }
            if c == ' ' && !m.needle.encoded {
                starts.push('+');
            }
            for c in starts {
                match usize::try_from(u32::from(c)) {
                    Ok(i) if i < 128 => first_ascii[i] = true,
                    _ => first_other.push(c),
                }
            }
        }
        Self {
            matchers,
            active: 0,
            first_ascii,
            first_other,
            plain: vec![0; ring],
            plain_read: 0,
            encoded: vec![0; ring],
            encoded_read: 0,
            mask: ring - 1,
        }
    }

    fn may_start(&self, c: char) -> bool {
        match usize::try_from(u32::from(c)) {
            Ok(i) if i < 128 => self.first_ascii[i],
            _ => self.first_other.contains(&c),
        }
    }

    /// Reads one character; an occurrence that ends with it goes to `found`.
    fn push(&mut self, item: Item, found: &mut Vec<Range<usize>>) {
        let c = item.c;
        if c == '\0' {
            return;
        }
        self.plain[self.plain_read & self.mask] = item.start;
        self.plain_read += 1;
        let space = matches!(c, ' ' | '\t' | '\r' | '\n');
        if !space {
            self.encoded[self.encoded_read & self.mask] = item.start;
            self.encoded_read += 1;
        }
        if self.active == 0 && !self.may_start(c) {
            return;
        }
        let lower = c.to_ascii_lowercase();
        let plus = if c == '+' { ' ' } else { c };
        for m in &mut self.matchers {
            let needle = m.needle;
            if needle.encoded && space {
                continue;
            }
            let c = match (needle.fold_case, needle.encoded) {
                (true, _) => lower,
                (false, true) => c,
                (false, false) => plus,
            };
            let was_active = m.matched > 0;
            while m.matched > 0 && m.wanted[m.matched] != c {
                m.matched = m.fallback[m.matched];
            }
            if m.wanted[m.matched] == c {
                m.matched += 1;
            }
            let length = m.wanted.len();
            if m.matched == length {
                // The occurrence's first character was read `length` ago.
                let (ring, read) = if needle.encoded {
                    (&self.encoded, self.encoded_read)
                } else {
                    (&self.plain, self.plain_read)
                };
                found.push(ring[read.wrapping_sub(length) & self.mask]..item.end);
                m.matched = m.fallback[length];
            }
            match (was_active, m.matched > 0) {
                (false, true) => self.active += 1,
                (true, false) => self.active -= 1,
                _ => {}
            }
        }
    }
}

/// A character of the first decoded reading: looked at, and decoded once
/// more.
fn decoded_once(
    item: Item,
    once: &mut Reading<'_>,
    second: &mut Decoder,
    twice: &mut Reading<'_>,
    found: &mut Vec<Range<usize>>,
) {
    once.push(item, found);
    second.push(item, &mut |item| twice.push(item, found));
}

/// Where the needles occur in `text`: sorted, overlapping occurrences
/// joined into one.
pub(super) fn find(needles: &[Needle], text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    if needles.is_empty() {
        return found;
    }
    let (mut raw, mut once, mut twice) = (
        Reading::new(needles),
        Reading::new(needles),
        Reading::new(needles),
    );
    let escaped = text.contains(['%', '\\', '&', '=']);
    let (mut first, mut second) = (Decoder::default(), Decoder::default());
    for (start, c) in text.char_indices() {
        let item = Item {
            c,
            start,
            end: start + c.len_utf8(),
        };
        raw.push(item, &mut found);
        if escaped {
            first.push(item, &mut |item| {
                decoded_once(item, &mut once, &mut second, &mut twice, &mut found);
            });
        }
    }
    if escaped {
        first.finish(&mut |item| {
            decoded_once(item, &mut once, &mut second, &mut twice, &mut found);
        });
        second.finish(&mut |item| twice.push(item, &mut found));
    }
    found.sort_by_key(|range| (range.start, range.end));
    let mut joined: Vec<Range<usize>> = Vec::with_capacity(found.len());
    for range in found {
        match joined.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => joined.push(range),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(key: &str, text: &str) -> bool {
        !find(&needles(key), text).is_empty()
    }

    #[test]
    fn base64_cores_are_found_at_every_alignment() {
        let key = "canary-key-7f3a9c1e";
        for prefix in ["", "a", "ab", "abc"] {
            let data = format!("{prefix}{key}!?");
            let encoded: String = core(data.as_bytes(), 0, 6, STANDARD).into_iter().collect();
            assert!(masked(key, &encoded), "{prefix:?}: {encoded}");
        }
    }

    #[test]
    fn escapes_of_every_kind_are_undone() {
        let key = "Ca/y";
        for text in [
            "Ca/y",
            "%43%61%2F%79",
            "%43a%2fy",
            "\\u0043a\\/y",
            "\\u0043\\u0061\\u002F\\u0079",
            "\\x43a/y",
            "\\u{43}a/y",
            "&#67;&#x61;/y",
            "%2543a/y",
            "%5Cu0043a/y",
            "\\u0025\\u0034\\u0033a/y",
            "43612f79",
            "43612F79",
        ] {
            assert!(masked(key, text), "{text}");
        }
        assert!(masked("a b", "a+b"));
        assert!(masked("😀x", "\\ud83d\\ude00x"));
        assert!(masked("éx", "%C3%A9x"));
        assert!(!masked(key, "Ca/z %43%61 \\u0043a"));
    }

    #[test]
    fn folded_wide_and_mail_encodings_are_read() {
        let key = "Ca&y<7f3a9c1e";
        let utf16: String = key.chars().flat_map(|c| [c, '\0']).collect();
        let base32 = "INQSM6J4G5TDGYJZMMYWK"; // "Ca&y<7f3a9c1e", RFC 4648
        for text in [
            utf16.as_str(),
            "\0C\0a\0&\0y\0<\0\x37\0f\0\x33\0a\0\x39\0c\0\x31\0e",
            "Ca&amp;y&lt;7f3a9c1e",
            "Ca&ampy&lt7f3a9c1e",
            "=43a=26y=3C7f3a=\r\n9c1e",
            "%u0043a%u0026y<7f3a9c1e",
            base32,
            &base32.to_lowercase(),
            "INQSM6J4\r\n G5TDGYJZ\nMMYWK",
            "INQSM6J4\\nG5TDGYJZ\\nMMYWK",
            "43 61 26 79 3c 37 66 33 61 39 63 31 65",
        ] {
            assert!(masked(key, text), "{text:?}");
        }
        assert!(!masked(key, "Ca&y<7f3a9c1f INQSM6J4G5TDGYJZMXYWK"));
    }

    #[test]
    fn occurrences_do_not_overlap() {
        let ranges = find(&needles("ab"), "xxabab%61b");
        assert_eq!(ranges, vec![2..4, 4..6, 6..10]);
    }
}
