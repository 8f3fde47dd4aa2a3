//! Finding the key in text under the encodings that decode back to it
//! (percent, JSON escapes, base64), for [`ApiKey::redact_echoes`](super::ApiKey::redact_echoes).

use super::REDACTED;

/// `text` with every encoded echo of `key` replaced by [`REDACTED`].
pub(super) fn redact(text: &str, key: &[u8]) -> String {
    if key.is_empty() {
        return text.to_owned();
    }
    let mut text = escaped(text, key);
    for alphabet in [STANDARD, URL_SAFE] {
        for offset in 0..3 {
            let fragment = base64_fragment(key, offset, alphabet);
            // Under 4 characters (a key under 4 bytes) it would mask ordinary text.
            if fragment.len() >= 4 && text.contains(&fragment) {
                text = text.replace(&fragment, REDACTED);
            }
        }
    }
    text
}

/// Masks the key written raw, percent-encoded or JSON-escaped, in any mix.
fn escaped(text: &str, key: &[u8]) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut at, mut copied) = (0, 0);
    while at < bytes.len() {
        match match_at(bytes, at, key) {
            // A match starts on an ASCII unit or the key's own first byte,
            // and ends after a whole unit: both are character boundaries.
            Some(end) if text.is_char_boundary(at) && text.is_char_boundary(end) => {
                out.push_str(&text[copied..at]);
                out.push_str(REDACTED);
                (at, copied) = (end, end);
            }
            _ => at += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Where an echo of `key` starting at `at` ends, if there is one.
fn match_at(bytes: &[u8], mut at: usize, key: &[u8]) -> Option<usize> {
    let mut matched = 0;
    while matched < key.len() {
        let (decoded, len, next) = unit(bytes, at)?;
        let want = key.get(matched..matched + len)?;
        if decoded[..len] != *want {
            // An escape that decodes to something else may still be the
            // key's own characters written raw (`%`, `\`, `+`).
            if bytes[at] != key[matched] {
                return None;
            }
            (matched, at) = (matched + 1, at + 1);
            continue;
        }
        (matched, at) = (matched + len, next);
    }
    Some(at)
}

/// The bytes one unit of text at `at` decodes to (up to 4), their count,
/// and where the next unit starts.
fn unit(bytes: &[u8], at: usize) -> Option<([u8; 4], usize, usize)> {
    let first = *bytes.get(at)?;
    let hex = |from: usize, len: usize| {
        let digits = bytes.get(from..from + len)?;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let one = |b: u8, next: usize| Some(([b, 0, 0, 0], 1, next));
    match first {
        b'%' => match hex(at + 1, 2) {
            Some(b) => one(u8::try_from(b).ok()?, at + 3),
            None => one(first, at + 1),
        },
        b'+' => one(b' ', at + 1),
        b'\\' => {
            let escaped = match bytes.get(at + 1)? {
                b'u' => return json_unicode(bytes, at, hex),
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 0x08,
                b'f' => 0x0c,
                other => *other,
            };
            one(escaped, at + 2)
        }
        _ => one(first, at + 1),
    }
}

/// A `\uXXXX` escape (or a surrogate pair of two) as UTF-8.
fn json_unicode(
    bytes: &[u8],
    at: usize,
    hex: impl Fn(usize, usize) -> Option<u32>,
) -> Option<([u8; 4], usize, usize)> {
    let high = hex(at + 2, 4)?;
    let (code, next) = if (0xD800..0xDC00).contains(&high) {
        if bytes.get(at + 6..at + 8)? != b"\\u" {
            return None;
        }
        let low = hex(at + 8, 4)?;
        let code = 0x10000 + ((high - 0xD800) << 10) + low.checked_sub(0xDC00)?;
        (code, at + 12)
    } else {
        (high, at + 6)
    };
    let c = char::from_u32(code)?;
    let mut out = [0; 4];
    let len = c.encode_utf8(&mut out).len();
    Some((out, len, next))
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that encode only bytes of `key` when it starts
/// `offset` bytes into the encoded data: the same in every encoding of a
/// text holding the key at that alignment.
fn base64_fragment(key: &[u8], offset: usize, alphabet: &[u8; 64]) -> String {
    let bits: Vec<bool> = std::iter::repeat_n(0u8, offset)
        .chain(key.iter().copied())
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .collect();
    let first = (offset * 8).div_ceil(6);
    let last = bits.len() / 6;
    (first..last)
        .map(|i| {
            let index = bits[i * 6..i * 6 + 6]
                .iter()
                .fold(0usize, |n, bit| n << 1 | usize::from(*bit));
            char::from(alphabet[index])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn every_encoding_of_the_key_is_masked() {
        let key = b"Canary+Key/42 \xc3\xa9";
        let text = "raw Canary+Key/42 \u{e9}; percent Canary%2BKey%2f42%20%C3%A9; \
                    form Canary%2bKey%2F42+%c3%a9; json \\u0043anary+Key\\/42 \\u00e9.";
        assert_eq!(
            redact(text, key),
            "raw REDACTED; percent REDACTED; form REDACTED; json REDACTED."
        );
        for prefix in ["", "a", "ab"] {
            let data: Vec<u8> = prefix.bytes().chain(key.iter().copied()).collect();
            let encoded = super::base64_fragment(&data, 0, super::STANDARD);
            assert!(!redact(&encoded, key).contains(&encoded), "{encoded}");
        }
        assert_eq!(redact("no echo here", key), "no echo here");
        assert_eq!(redact("x", b""), "x");
    }
}
