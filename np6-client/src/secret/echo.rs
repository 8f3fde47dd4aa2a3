//! Finding the key in text, in any encoding that decodes back to it: the
//! engine behind `ApiKey::redact`.
//!
//! The key is looked for as a few *needles*: the key itself, its base64
//! forms (standard and URL-safe alphabets, at each of the three byte
//! alignments it can have inside a longer base64 text), and its hex form
//! (any case). Each character of a needle may appear in the text as
//! itself or escaped, and the escapes may be mixed within one occurrence:
//! percent-encoding (`%43`, `%4a` or `%4A`, UTF-8 runs, `%2543` encoded
//! twice), JSON and JavaScript escapes (`\u0043`, surrogate pairs,
//! `\u{43}`, `\x43`, `\/`, `\"` and the other short ones), HTML numeric
//! references (`&#67;`, `&#x43;`) and `+` for a space. The characters of
//! an escape may themselves be escaped once more (`\u0025\u0034\u0033`,
//! `%5Cu0043`). This is a superset of what any one decoder accepts, which
//! errs on the side of masking.
//!
//! Only exits run it (errors, traces, fixtures), never a successful call.

use std::ops::Range;

/// How many layers of escapes are undone: an escape, and an escape of the
/// characters of that escape.
const DEPTH: u8 = 2;

/// The most digits read in one numeric escape (`&#0000000067;` is not
/// followed further), which bounds how long one escaped character can be.
const MAX_DIGITS: usize = 8;

/// The most bytes one character of a needle can take in the text, with
/// [`DEPTH`] layers of escapes: used to read a little past a cut.
pub(super) const MAX_BYTES_PER_CHAR: usize = 96;

/// A base64 needle shorter than this is not looked for: it would mask
/// ordinary words (only a very short key has one).
const MIN_BASE64_NEEDLE: usize = 8;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// One form of the key looked for in text.
pub(super) struct Needle {
    chars: Vec<char>,
    /// Compared ignoring ASCII case (the hex form).
    fold_case: bool,
}

impl Drop for Needle {
    fn drop(&mut self) {
        // The needles are the key in other words: do not leave them behind.
        secrecy::zeroize::Zeroize::zeroize(&mut self.chars);
    }
}

/// The forms of `key` looked for; none for an empty key.
pub(super) fn needles(key: &str) -> Vec<Needle> {
    if key.is_empty() {
        return Vec::new();
    }
    let mut needles = vec![Needle {
        chars: key.chars().collect(),
        fold_case: false,
    }];
    for alphabet in [STANDARD, URL_SAFE] {
        for offset in 0..3 {
            let core = base64_core(key.as_bytes(), offset, alphabet);
            let known = needles.iter().any(|n| n.chars == core);
            if core.len() >= MIN_BASE64_NEEDLE && !known {
                needles.push(Needle {
                    chars: core,
                    fold_case: false,
                });
            }
        }
    }
    let hex = key
        .bytes()
        .flat_map(|b| [b >> 4, b & 15])
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
        .collect();
    needles.push(Needle {
        chars: hex,
        fold_case: true,
    });
    needles
}

/// The base64 characters that encode only `key`'s bits when `key` starts
/// `offset` bytes into a longer base64-encoded text.
fn base64_core(key: &[u8], offset: usize, alphabet: &[u8; 64]) -> Vec<char> {
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
    (first_bit.div_ceil(6)..)
        .take_while(|j| j * 6 + 6 <= end_bit)
        .map(|j| {
            let value = (0..6).fold(0usize, |v, b| (v << 1) | usize::from(bits(j * 6 + b)));
            char::from(alphabet[value])
        })
        .collect()
}

/// Where the needles occur in `text`: leftmost first, longest at each
/// start, not overlapping.
pub(super) fn find(needles: &[Needle], text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = needles
            .iter()
            .filter_map(|needle| match_at(text, start, needle))
            .max();
        match end {
            Some(end) if end > start => {
                found.push(start..end);
                start = end;
            }
            _ => start += text[start..].chars().next().map_or(1, char::len_utf8),
        }
    }
    found
}

/// The end of an occurrence of `needle` starting at `start`, if any.
fn match_at(text: &str, start: usize, needle: &Needle) -> Option<usize> {
    let first = *needle.chars.first()?;
    let byte = *text.as_bytes().get(start)?;
    // Cheap refusal of most positions: the needle's first character, or
    // the start of an escape.
    let opens = matches!(byte, b'%' | b'\\' | b'&' | b'+');
    if !opens && !text[start..].starts_with(|c: char| same(c, first, needle.fold_case)) {
        return None;
    }
    let mut ends = vec![start];
    for &want in &needle.chars {
        let mut next = Vec::new();
        for &at in &ends {
            for (c, end) in decode_at(text, at, DEPTH) {
                if same(c, want, needle.fold_case) && !next.contains(&end) {
                    next.push(end);
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        ends = next;
    }
    ends.into_iter().max()
}

fn same(found: char, wanted: char, fold_case: bool) -> bool {
    found == wanted || (fold_case && found.eq_ignore_ascii_case(&wanted))
}

/// Every character the text at `at` can decode to, with where it ends:
/// itself, and with `depth > 0` what an escape starting there stands for.
fn decode_at(text: &str, at: usize, depth: u8) -> Vec<(char, usize)> {
    let mut out = Vec::new();
    let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
        return out;
    };
    out.push((c, at + c.len_utf8()));
    if depth == 0 {
        return out;
    }
    let inner = depth - 1;
    match c {
        '+' => out.push((' ', at + 1)),
        '%' | '\\' | '&' => {
            for (opener, after) in decode_at(text, at, inner) {
                match opener {
                    '%' => percent(text, after, inner, &mut out),
                    '\\' => backslash(text, after, inner, &mut out),
                    '&' => html(text, after, inner, &mut out),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// Reads what follows `at` as a sequence of characters, each possibly
/// escaped `depth` times: every way to read `n` characters that satisfy
/// `accept`, as (characters, end).
fn read(
    text: &str,
    at: usize,
    depth: u8,
    n: usize,
    accept: impl Fn(char) -> bool,
) -> Vec<(String, usize)> {
    let mut ways = vec![(String::new(), at)];
    for _ in 0..n {
        let mut next = Vec::new();
        for (so_far, end) in &ways {
            for (c, after) in decode_at(text, *end, depth) {
                if accept(c) {
                    let mut longer = so_far.clone();
                    longer.push(c);
                    next.push((longer, after));
                }
            }
        }
        if next.is_empty() {
            return next;
        }
        ways = next;
    }
    ways
}

/// Hex digits as a number.
fn hex(digits: &str) -> Option<u32> {
    u32::from_str_radix(digits, 16).ok()
}

/// After a `%`: one UTF-8 character as `%hh` bytes.
fn percent(text: &str, at: usize, depth: u8, out: &mut Vec<(char, usize)>) {
    for (digits, end) in read(text, at, depth, 2, |c| c.is_ascii_hexdigit()) {
        let Some(first) = hex(&digits) else { continue };
        let length = match first {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => continue,
        };
        let mut runs = vec![(vec![first as u8], end)];
        for _ in 1..length {
            let mut next = Vec::new();
            for (bytes, end) in &runs {
                let opened = decode_at(text, *end, depth).into_iter();
                for (_, after) in opened.filter(|(c, _)| *c == '%') {
                    for (digits, end) in read(text, after, depth, 2, |c| c.is_ascii_hexdigit()) {
                        if let Some(byte) = hex(&digits) {
                            let mut longer = bytes.clone();
                            longer.push(byte as u8);
                            next.push((longer, end));
                        }
                    }
                }
            }
            runs = next;
        }
        for (bytes, end) in runs {
            if let Some(c) = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.chars().next())
            {
                out.push((c, end));
            }
        }
    }
}

/// After a `\`: a JSON, JavaScript or C-style escape.
fn backslash(text: &str, at: usize, depth: u8, out: &mut Vec<(char, usize)>) {
    for (letter, after) in decode_at(text, at, depth) {
        let short = match letter {
            '"' | '\\' | '/' | '\'' => Some(letter),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            _ => None,
        };
        if let Some(c) = short {
            out.push((c, after));
        }
        match letter {
            'x' => {
                for (digits, end) in read(text, after, depth, 2, |c| c.is_ascii_hexdigit()) {
                    if let Some(c) = hex(&digits).and_then(char::from_u32) {
                        out.push((c, end));
                    }
                }
            }
            'u' => unicode(text, after, depth, out),
            _ => {}
        }
    }
}

/// After `\u`: four hex digits (a surrogate pair takes two escapes), or
/// `{` up to six digits `}`.
fn unicode(text: &str, at: usize, depth: u8, out: &mut Vec<(char, usize)>) {
    for (digits, end) in read(text, at, depth, 4, |c| c.is_ascii_hexdigit()) {
        let Some(unit) = hex(&digits) else { continue };
        if !(0xd800..0xdc00).contains(&unit) {
            if let Some(c) = char::from_u32(unit) {
                out.push((c, end));
            }
            continue;
        }
        for (prefix, after) in read(text, end, depth, 2, |c| c == '\\' || c == 'u') {
            if prefix != "\\u" {
                continue;
            }
            for (digits, end) in read(text, after, depth, 4, |c| c.is_ascii_hexdigit()) {
                let low = hex(&digits).unwrap_or(0);
                if (0xdc00..0xe000).contains(&low) {
                    let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                    if let Some(c) = char::from_u32(code) {
                        out.push((c, end));
                    }
                }
            }
        }
    }
    for (open, after) in decode_at(text, at, depth) {
        if open == '{' {
            numeric(text, after, depth, 16, '}', out);
        }
    }
}

/// After `&`: `#` digits `;` or `#x` hex digits `;`.
fn html(text: &str, at: usize, depth: u8, out: &mut Vec<(char, usize)>) {
    for (hash, after) in decode_at(text, at, depth) {
        if hash != '#' {
            continue;
        }
        numeric(text, after, depth, 10, ';', out);
        for (x, after) in decode_at(text, after, depth) {
            if x == 'x' || x == 'X' {
                numeric(text, after, depth, 16, ';', out);
            }
        }
    }
}

/// Up to [`MAX_DIGITS`] digits in `radix`, then `close`: that code point.
fn numeric(
    text: &str,
    at: usize,
    depth: u8,
    radix: u32,
    close: char,
    out: &mut Vec<(char, usize)>,
) {
    let mut ways = vec![(0u32, at, 0usize)];
    while let Some((value, end, digits)) = ways.pop() {
        for (c, after) in decode_at(text, end, depth) {
            if c == close && digits > 0 {
                if let Some(c) = char::from_u32(value) {
                    out.push((c, after));
                }
            } else if let Some(d) = c.to_digit(radix).filter(|_| digits < MAX_DIGITS) {
                let value = value.saturating_mul(radix).saturating_add(d);
                ways.push((value, after, digits + 1));
            }
        }
    }
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
            let encoded: String = base64_core(data.as_bytes(), 0, STANDARD)
                .into_iter()
                .collect();
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
    fn occurrences_do_not_overlap() {
        let ranges = find(&needles("ab"), "xxabab%61b");
        assert_eq!(ranges, vec![2..4, 4..6, 6..10]);
    }
}
