//! One layer of escapes undone, as a stream: each character of the input
//! (with the bytes of the original text it came from) goes in, and what a
//! decoder reads there comes out, with the bytes it spans. `echo.rs` runs
//! two layers one after the other, so an escape whose characters are
//! themselves escaped is undone too.
//!
//! At each position the escape starting there, if any, is undone; other
//! characters pass through. The escapes read: percent-encoding (`%43`,
//! UTF-8 runs, `%u0043`, `%uD83D%uDE00`), JSON and JavaScript escapes
//! (`\u0043`, surrogate pairs, `\u{43}`, `\x43`, `\/`, `\"` and the other
//! short ones), HTML references (`&#67;`, `&#x43;`, and the named ones of
//! ASCII punctuation, `&amp;` and the like) and quoted-printable (`=43`,
//! UTF-8 runs, and soft line breaks, which decode to nothing).
//!
//! Each step looks at most [`LOOKAHEAD`] characters ahead and does a
//! bounded amount of work, so a layer is linear in its input.

use std::collections::VecDeque;

/// A character of a layer, and the bytes of the original text it spans.
#[derive(Debug, Clone, Copy)]
pub(super) struct Item {
    pub(super) c: char,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The longest escape read, in characters (`%F0%9F%98%80`, `&#x0001F600;`).
const LOOKAHEAD: usize = 16;

/// The most digits read in an HTML numeric reference.
const MAX_DIGITS: usize = 8;

/// One layer of decoding; feed it with [`push`](Self::push), then
/// [`finish`](Self::finish).
#[derive(Debug, Default)]
pub(super) struct Decoder {
    /// Characters held back: an escape may start at the first one.
    pending: VecDeque<Item>,
}

/// Whether an escape can start with the character.
fn opens(c: char) -> bool {
    matches!(c, '%' | '\\' | '&' | '=')
}

impl Decoder {
    /// Takes the next character; hands what it decodes to `out`.
    pub(super) fn push(&mut self, item: Item, out: &mut impl FnMut(Item)) {
        if self.pending.is_empty() && !opens(item.c) {
            out(item);
            return;
        }
        self.pending.push_back(item);
        while self.pending.len() >= LOOKAHEAD {
            self.step(out);
        }
    }

    /// The input has ended: hands the rest to `out`.
    pub(super) fn finish(&mut self, out: &mut impl FnMut(Item)) {
        while !self.pending.is_empty() {
            self.step(out);
        }
    }

    /// Decodes at the first pending character, then passes on what
    /// follows up to the next character that may open an escape.
    fn step(&mut self, out: &mut impl FnMut(Item)) {
        let buf = self.pending.make_contiguous();
        let (decoded, used) = match escape(buf) {
            Some(found) => found,
            None => (Some(buf[0].c), 1),
        };
        if let Some(c) = decoded {
            out(Item {
                c,
                start: buf[0].start,
                end: buf[used - 1].end,
            });
        }
        for _ in 0..used {
            self.pending.pop_front();
        }
        while let Some(&item) = self.pending.front().filter(|item| !opens(item.c)) {
            out(item);
            self.pending.pop_front();
        }
    }
}

/// The escape at the start of `buf`: what it decodes to (`None` for a
/// soft line break) and how many characters it takes.
fn escape(buf: &[Item]) -> Option<(Option<char>, usize)> {
    let (c, used) = match buf.first()?.c {
        '%' => percent(buf)?,
        '\\' => backslash(buf)?,
        '&' => html(buf)?,
        '=' => return quoted_printable(buf),
        _ => return None,
    };
    Some((Some(c), used))
}

fn at(buf: &[Item], i: usize) -> Option<char> {
    buf.get(i).map(|item| item.c)
}

/// `n` hex digits at `from`, as a number.
fn hex(buf: &[Item], from: usize, n: usize) -> Option<u32> {
    (from..from + n).try_fold(0u32, |value, i| {
        let digit = at(buf, i)?.to_digit(16)?;
        Some(value * 16 + digit)
    })
}

/// A UTF-8 character written as bytes `<mark>hh`: `%C3%A9`, `=C3=A9`.
fn utf8_run(buf: &[Item], mark: char) -> Option<(char, usize)> {
    let first = hex(buf, 1, 2)?;
    let length = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let mut bytes = [0u8; 4];
    for (k, byte) in bytes.iter_mut().enumerate().take(length) {
        if k > 0 && at(buf, 3 * k)? != mark {
            return None;
        }
        *byte = u8::try_from(hex(buf, 3 * k + 1, 2)?).ok()?;
    }
    let c = std::str::from_utf8(&bytes[..length]).ok()?.chars().next()?;
    Some((c, 3 * length))
}

/// A UTF-16 unit written `<prefix>XXXX` at `from`, and a low surrogate
/// after it when it is a high one: the character and where it ends.
fn utf16(buf: &[Item], from: usize, prefix: [char; 2]) -> Option<(char, usize)> {
    let unit = hex(buf, from, 4)?;
    let end = from + 4;
    if !(0xd800..0xdc00).contains(&unit) {
        return Some((char::from_u32(unit)?, end));
    }
    let same = |i: usize, want: char| at(buf, i).is_some_and(|c| c.eq_ignore_ascii_case(&want));
    if !(same(end, prefix[0]) && same(end + 1, prefix[1])) {
        return None;
    }
    let low = hex(buf, end + 2, 4)?;
    if !(0xdc00..0xe000).contains(&low) {
        return None;
    }
    let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
    Some((char::from_u32(code)?, end + 6))
}

/// After `%`: `hh` bytes of UTF-8, or `uXXXX`.
fn percent(buf: &[Item]) -> Option<(char, usize)> {
    match at(buf, 1)? {
        'u' | 'U' => utf16(buf, 2, ['%', 'u']),
        _ => utf8_run(buf, '%'),
    }
}

/// After `\`: a JSON, JavaScript or C-style escape.
fn backslash(buf: &[Item]) -> Option<(char, usize)> {
    let letter = at(buf, 1)?;
    let short = match letter {
        '"' | '\\' | '/' | '\'' => letter,
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'x' => return Some((char::from_u32(hex(buf, 2, 2)?)?, 4)),
        'u' if at(buf, 2) == Some('{') => {
            let close = (4..=9).find(|&i| at(buf, i) == Some('}'))?;
            return Some((char::from_u32(hex(buf, 3, close - 3)?)?, close + 1));
        }
        'u' => return utf16(buf, 2, ['\\', 'u']),
        _ => return None,
    };
    Some((short, 2))
}

/// After `&`: `#` digits `;`, `#x` hex digits `;`, or a name `;`.
fn html(buf: &[Item]) -> Option<(char, usize)> {
    if at(buf, 1)? == '#' {
        let (radix, from) = match at(buf, 2)? {
            'x' | 'X' => (16, 3),
            _ => (10, 2),
        };
        let mut value = 0u32;
        for i in from..from + MAX_DIGITS + 1 {
            let c = at(buf, i)?;
            if c == ';' && i > from {
                return Some((char::from_u32(value)?, i + 1));
            }
            value = value.checked_mul(radix)?.checked_add(c.to_digit(radix)?)?;
        }
        return None;
    }
    let name: String = (1..LOOKAHEAD)
        .map_while(|i| at(buf, i).filter(char::is_ascii_alphanumeric))
        .collect();
    let after = 1 + name.len();
    if let Some(c) = named(&name).filter(|_| at(buf, after) == Some(';')) {
        return Some((c, after + 1));
    }
    // The oldest names are also read without their `;`, even run into
    // the next word (`&ampx` is `&x`).
    ["amp", "lt", "gt", "quot"]
        .into_iter()
        .find(|legacy| name.starts_with(legacy))
        .and_then(|legacy| Some((named(legacy)?, 1 + legacy.len())))
}

/// The named HTML references of ASCII punctuation and spaces.
fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "Tab" => '\t',
        "NewLine" => '\n',
        "excl" => '!',
        "num" => '#',
        "dollar" => '$',
        "percnt" => '%',
        "lpar" => '(',
        "rpar" => ')',
        "ast" | "midast" => '*',
        "plus" => '+',
        "comma" => ',',
        "period" => '.',
        "sol" => '/',
        "colon" => ':',
        "semi" => ';',
        "equals" => '=',
        "quest" => '?',
        "commat" => '@',
        "lsqb" | "lbrack" => '[',
        "bsol" => '\\',
        "rsqb" | "rbrack" => ']',
        "Hat" => '^',
        "lowbar" | "UnderBar" => '_',
        "grave" | "DiacriticalGrave" => '`',
        "lcub" | "lbrace" => '{',
        "verbar" | "vert" | "VerticalLine" => '|',
        "rcub" | "rbrace" => '}',
        "tilde" | "DiacriticalTilde" => '~',
        "hyphen" | "dash" => '\u{2010}',
        _ => return None,
    })
}

/// After `=`: a soft line break (decodes to nothing), or `hh` bytes of
/// UTF-8.
fn quoted_printable(buf: &[Item]) -> Option<(Option<char>, usize)> {
    match (at(buf, 1)?, at(buf, 2)) {
        ('\n', _) => Some((None, 2)),
        ('\r', Some('\n')) => Some((None, 3)),
        _ => utf8_run(buf, '=').map(|(c, used)| (Some(c), used)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> String {
        let mut out = String::new();
        let mut decoder = Decoder::default();
        for (start, c) in text.char_indices() {
            let end = start + c.len_utf8();
            decoder.push(Item { c, start, end }, &mut |item| out.push(item.c));
        }
        decoder.finish(&mut |item| out.push(item.c));
        out
    }

    #[test]
    fn each_escape_is_undone_once() {
        for (text, want) in [
            ("%43%c3%A9", "Cé"),
            ("%u0043%uD83D%uDE00", "C😀"),
            ("\\u0043\\ud83d\\ude00\\u{1F600}\\x43\\/\\n", "C😀😀C/\n"),
            (
                "&#67;&#x43;&amp;&lt;&gt &sol;&bsol;&unknown;",
                "CC&<> /\\&unknown;",
            ),
            ("=43=C3=A9=\r\nx=\ny", "Céxy"),
            ("%2543 \\u005c \\", "%43 \\ \\"),
            ("100% = 50%+50%", "100% = 50%+50%"),
        ] {
            assert_eq!(decoded(text), want, "{text}");
        }
    }

    #[test]
    fn an_item_spans_the_bytes_it_was_read_from() {
        let mut items = Vec::new();
        let mut decoder = Decoder::default();
        for (start, c) in "a%62=\nc".char_indices() {
            let end = start + c.len_utf8();
            decoder.push(Item { c, start, end }, &mut |item| items.push(item));
        }
        decoder.finish(&mut |item| items.push(item));
        let spans: Vec<_> = items.iter().map(|i| (i.c, i.start, i.end)).collect();
        assert_eq!(spans, [('a', 0, 1), ('b', 1, 4), ('c', 6, 7)]);
    }
}
