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
//! Each reading is a stream read once, and all needles of all keys are
//! looked for in it at once (`automaton.rs`): the cost is linear in the
//! text, whatever the text and however many keys.
//!
//! Only exits run it (errors, traces, fixtures), never a successful call.

use std::ops::Range;

use super::automaton::Automaton;
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

/// One form of a key looked for in text.
struct Needle {
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

/// The forms of `key` looked for; none for an empty key.
fn forms(key: &str) -> Vec<Needle> {
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

/// Every form of some keys, as three automata: the keys themselves (`+`
/// read as a space), their case-sensitive encodings (base64) and their
/// case-insensitive ones (hex, base32, folded to lower case).
pub(super) struct Needles {
    keys: Automaton,
    exact: Automaton,
    folded: Automaton,
    /// A power of two at least as long as the longest needle.
    ring: usize,
}

/// The forms of every key of `keys` looked for.
pub(super) fn needles<'a>(keys: impl IntoIterator<Item = &'a str>) -> Needles {
    let all: Vec<Needle> = keys.into_iter().flat_map(forms).collect();
    let normal = |needle: &Needle| -> Vec<char> {
        let chars = needle.chars.iter();
        match (needle.encoded, needle.fold_case) {
            (false, _) => chars.map(|&c| if c == '+' { ' ' } else { c }).collect(),
            (true, true) => chars.map(char::to_ascii_lowercase).collect(),
            (true, false) => needle.chars.clone(),
        }
    };
    let class = |encoded: bool, fold_case: bool| {
        let mut chosen: Vec<Vec<char>> = all
            .iter()
            .filter(|n| n.encoded == encoded && n.fold_case == fold_case)
            .map(normal)
            .collect();
        let automaton = Automaton::new(chosen.iter().map(Vec::as_slice));
        secrecy::zeroize::Zeroize::zeroize(&mut chosen);
        automaton
    };
    let (keys, exact, folded) = (class(false, false), class(true, false), class(true, true));
    let longest = [&keys, &exact, &folded]
        .iter()
        .map(|a| a.longest_needle())
        .max()
        .unwrap_or(1);
    Needles {
        keys,
        exact,
        folded,
        ring: longest.max(1).next_power_of_two(),
    }
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

/// The search of every needle in one reading of the text.
struct Reading<'n> {
    needles: &'n Needles,
    /// The state of each automaton: keys, exact, folded.
    states: [u32; 3],
    /// Where the last characters read start: all but NULs (`plain`), and
    /// all but NULs and white space (`encoded`), in rings of
    /// `needles.ring`.
    plain: Vec<usize>,
    plain_read: usize,
    encoded: Vec<usize>,
    encoded_read: usize,
}

impl<'n> Reading<'n> {
    fn new(needles: &'n Needles) -> Self {
        Self {
            needles,
            states: [0; 3],
            plain: vec![0; needles.ring],
            plain_read: 0,
            encoded: vec![0; needles.ring],
            encoded_read: 0,
        }
    }

    /// Reads one character; an occurrence that ends with it goes to `found`.
    fn push(&mut self, item: Item, found: &mut Vec<Range<usize>>) {
        let c = item.c;
        if c == '\0' {
            return;
        }
        let (needles, mask) = (self.needles, self.needles.ring - 1);
        self.plain[self.plain_read & mask] = item.start;
        self.plain_read += 1;
        let key_char = if c == '+' { ' ' } else { c };
        self.states[0] = needles.keys.next(self.states[0], key_char);
        if let Some(length) = needles.keys.found(self.states[0]) {
            let first = self.plain_read.wrapping_sub(length) & mask;
            found.push(self.plain[first]..item.end);
        }
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            return;
        }
        self.encoded[self.encoded_read & mask] = item.start;
        self.encoded_read += 1;
        self.states[1] = needles.exact.next(self.states[1], c);
        self.states[2] = needles.folded.next(self.states[2], c.to_ascii_lowercase());
        let lengths = [
            needles.exact.found(self.states[1]),
            needles.folded.found(self.states[2]),
        ];
        if let Some(length) = lengths.into_iter().flatten().max() {
            let first = self.encoded_read.wrapping_sub(length) & mask;
            found.push(self.encoded[first]..item.end);
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
pub(super) fn find(needles: &Needles, text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
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
        !find(&needles([key]), text).is_empty()
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
        let ranges = find(&needles(["ab"]), "xxabab%61b");
        assert_eq!(ranges, vec![2..4, 4..6, 6..10]);
    }
}
