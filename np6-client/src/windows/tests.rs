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
