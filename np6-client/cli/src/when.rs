//! Dates on the command line: a date-time, or a duration before now.

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// `2026-11-01T00:00:00Z` (RFC 3339), `2026-11-01` (midnight UTC), `now`,
/// or a duration before `now` such as `7d`, `12h`, `30m`, `90s`, `2w`.
/// Whole seconds, as NP6 takes them.
pub(crate) fn parse(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now.trunc_subsecs(0));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc).trunc_subsecs(0));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let ago = duration(text).ok_or_else(|| {
        format!(
            "{text:?} is neither a date-time (2026-11-01T00:00:00Z), now, nor a duration (7d, 12h)"
        )
    })?;
    now.checked_sub_signed(ago)
        .map(|at| at.trunc_subsecs(0))
        .ok_or_else(|| format!("{text:?} reaches before any date"))
}

/// A length of time such as `7d`, `12h`, `30m`, `90s`, `2w`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    duration(text.trim())
        .ok_or_else(|| format!("{text:?} is not a duration (7d, 12h, 30m, 90s, 2w)"))
}

/// `7d`, `12h`, `30m`, `90s`, `2w`: no overflow, `None` when it is not one.
fn duration(text: &str) -> Option<Duration> {
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    if number < 0 {
        return None;
    }
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Duration::try_seconds(number.checked_mul(seconds)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_durations() {
        let now: DateTime<Utc> = "2026-11-28T12:00:00.5Z".parse().expect("a date");
        let at = |s: &str| parse(s, now).map(|d| d.to_rfc3339());
        assert_eq!(at("7d").as_deref(), Ok("2026-11-21T12:00:00+00:00"));
        assert_eq!(at("now").as_deref(), Ok("2026-11-28T12:00:00+00:00"));
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        assert!(parse_duration("now").is_err());
        assert_eq!(at("12h").as_deref(), Ok("2026-11-28T00:00:00+00:00"));
        assert_eq!(at("2026-11-01").as_deref(), Ok("2026-11-01T00:00:00+00:00"));
        assert_eq!(
            at("2026-11-01T10:00:00.9+01:00").as_deref(),
            Ok("2026-11-01T09:00:00+00:00")
        );
        for bad in ["", "d", "-3d", "7y", "soon", "99999999999999999w", "ü"] {
            assert!(parse(bad, now).is_err(), "{bad}");
        }
    }
}
