//! The windows of an export: pieces, halves and which items a window
//! holds. (The export against a server: `tests/integration/windows.rs`.)

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a date")
}

fn window(start: &str, end: &str) -> Window {
    Window {
        start: Some(at(start)),
        end: at(end),
    }
}

#[test]
fn a_window_holds_its_start_not_its_end_and_every_item_without_a_time() {
    let w = window("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z");
    assert!(w.holds(Some(at("2026-11-01T00:00:00Z"))));
    assert!(w.holds(Some(at("2026-11-01T23:59:59Z"))));
    assert!(!w.holds(Some(at("2026-11-02T00:00:00Z"))));
    assert!(!w.holds(Some(at("2026-10-31T23:59:59Z"))));
    assert!(w.holds(None));
    let from_the_beginning = Window {
        start: None,
        end: at("2026-11-02T00:00:00Z"),
    };
    assert!(from_the_beginning.holds(Some(DateTime::<Utc>::MIN_UTC)));
}

#[test]
fn halves_meet_at_a_whole_second_down_to_the_floor() {
    let w = window("2026-11-01T00:00:00Z", "2026-11-01T00:02:01Z");
    let (first, second) = w.halves(FLOOR).expect("longer than the floor");
    assert_eq!(
        first,
        window("2026-11-01T00:00:00Z", "2026-11-01T00:01:00Z")
    );
    assert_eq!(
        second,
        window("2026-11-01T00:01:00Z", "2026-11-01T00:02:01Z")
    );
    assert_eq!(first.halves(FLOOR), None, "a minute is the floor");
    assert_eq!(Window { start: None, ..w }.halves(FLOOR), None, "no start");
}

#[test]
fn chunks_are_cut_as_they_are_asked_not_all_up_front() {
    // A year in pieces of a minute: the windows still to ask stay few, so
    // memory is flat whatever the span (`--since 1970-01-01 --chunk 1m`).
    let client = crate::Client::builder()
        .api_key("k")
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("valid");
    let start = at("2025-01-01T00:00:00Z");
    let export = Export::new(
        client.get_mail_redlist(),
        Some(start),
        at("2026-01-01T00:00:00Z"),
    )
    .chunk(FLOOR);
    assert!(
        export.pending.len() <= 64,
        "{} windows held up front",
        export.pending.len()
    );
}
