//! `windows::Export` against a loopback redlist that answers `504` to any
//! window over a day and includes both ends of a window: every entry
//! once, windows in time order; and a window cut midway taken back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use np6_client::windows::{Event, Export, Window};
use np6_client::{Client, ErrorKind, RetryPolicy};
use np6_loopback::{Received, Reply, Server, Threads};
use np6_tests::CANARY_KEY;
use np6_tests::faults::{Fault, FaultServer};

fn t0() -> DateTime<Utc> {
    "2026-10-01T00:00:00Z".parse().expect("a date")
}

/// An entry every 7 hours and one on every day's edge, over `days` days,
/// and one entry without a time.
fn entries(days: i64) -> Vec<(String, Option<DateTime<Utc>>)> {
    let mut all: Vec<(String, Option<DateTime<Utc>>)> = (0..days * 24)
        .step_by(7)
        .map(|h| (format!("h{h}"), Some(t0() + TimeDelta::hours(h))))
        .collect();
    all.extend((0..days).map(|d| (format!("d{d}"), Some(t0() + TimeDelta::days(d)))));
    all.push(("untimed".to_owned(), None));
    all
}

/// The value of query parameter `name` of `request`, as a date.
fn date(request: &Received, name: &str) -> Option<DateTime<Utc>> {
    let query = request.target.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| value.replace("%3A", ":").parse().ok())
}

/// The windows a server was asked, `(startDate, endDate)`.
type Asked = Arc<Mutex<Vec<(DateTime<Utc>, DateTime<Utc>)>>>;

/// How a test redlist answers a window.
struct Rules {
    /// Whether an entry on the window's end is in it (its start always is).
    end_included: bool,
    /// The longest window answered, and the status a longer one gets.
    longest: TimeDelta,
    refusal: u16,
}

/// Includes both ends, answers `504` to a window over a day.
const DAILY: Rules = Rules {
    end_included: true,
    longest: TimeDelta::days(1),
    refusal: 504,
};

/// A redlist of `entries` answering windows by `rules`; the windows asked.
fn server(entries: Vec<(String, Option<DateTime<Utc>>)>, rules: Rules) -> (Server, Asked) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let server = Server::start(Threads::Shared, move |request| {
        let (Some(start), Some(end)) = (date(request, "startDate"), date(request, "endDate"))
        else {
            return Reply::status(400);
        };
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((start, end));
        if end - start > rules.longest {
            return Reply::status(rules.refusal);
        }
        let inside =
            |at: DateTime<Utc>| at >= start && (at < end || rules.end_included && at == end);
        let body: Vec<serde_json::Value> = entries
            .iter()
            .filter(|(_, at)| at.is_none_or(inside))
            .map(|(id, at)| serde_json::json!({"id": id, "origin": 1, "timestamp": at}))
            .collect();
        Reply::json(serde_json::to_vec(&body).unwrap_or_default().into())
    })
    .expect("a loopback server");
    (server, asked)
}

fn client(url: &str) -> Client {
    Client::builder()
        .api_key(CANARY_KEY)
        .base_url(url)
        .retry(RetryPolicy::disabled())
        .build()
        .expect("valid")
}

#[tokio::test]
async fn a_month_np6_answers_only_by_the_day_comes_whole_every_entry_once() {
    const DAYS: i64 = 30;
    let (server, asked) = server(entries(DAYS), DAILY);
    let client = client(&server.base_url());
    let end = t0() + TimeDelta::days(DAYS);
    let mut export = Export::new(client.get_mail_redlist(), Some(t0()), end);
    let mut counts: HashMap<String, u32> = HashMap::new();
    let (mut done, mut splits) = (Vec::<Window>::new(), 0);
    while let Some(event) = export.next().await {
        match event.expect("the export completes") {
            Event::Item(entry) => *counts.entry(entry.id).or_default() += 1,
            Event::Done(window) => done.push(window),
            Event::Split { error, .. } => {
                assert_eq!(error.status(), Some(504));
                splits += 1;
            }
            _ => {}
        }
    }
    let timed = entries(DAYS).len() - 1;
    counts
        .remove("untimed")
        .expect("the entry without a time, once a window");
    assert_eq!(counts.len(), timed, "every entry");
    assert!(counts.values().all(|n| *n == 1), "once each");
    // The windows done cover the month in order, edge to edge.
    assert_eq!(done.first().and_then(|w| w.start), Some(t0()));
    assert_eq!(done.last().map(|w| w.end), Some(end));
    assert!(
        done.windows(2)
            .all(|pair| pair[0].end == pair[1].start.expect("a start"))
    );
    assert_eq!(splits, 31, "30 days in halves: 32 windows of under a day");
    let asked = asked.lock().unwrap_or_else(PoisonError::into_inner).clone();
    // Each window is asked from a second before its start.
    assert!(
        asked
            .iter()
            .any(|(start, _)| *start == t0() - TimeDelta::seconds(1))
    );

    // In pieces of a day, nothing fails.
    let (daily, _) = self::server(entries(DAYS), DAILY);
    let client = self::client(&daily.base_url());
    let mut export =
        Export::new(client.get_mail_redlist(), Some(t0()), end).chunk(TimeDelta::days(1));
    let mut windows = 0;
    while let Some(event) = export.next().await {
        match event.expect("no failure") {
            Event::Split { error, .. } => panic!("split: {error}"),
            Event::Done(_) => windows += 1,
            _ => {}
        }
    }
    assert_eq!(windows, 31, "a day less a second per piece");
}

#[tokio::test]
async fn a_cut_answer_is_taken_back_and_a_refused_key_ends_the_export() {
    let body = r#"[{"id":"A","origin":1,"timestamp":"2026-10-01T01:00:00Z"},{"id":"B","origin":1,"timestamp":"2026-10-01T02:00:00Z"}]"#;
    let cut = body.find(r#"{"id":"B""#).expect("B");
    let server = FaultServer::start(vec![
        Fault::CutBody(body.as_bytes()[..cut].to_vec()),
        Fault::Chunked(200, body.as_bytes().to_vec()),
        Fault::Chunked(200, body.as_bytes().to_vec()),
        Fault::Answer(401, vec![], b"no".to_vec()),
    ])
    .await;
    let client = client(&server.base_url);
    let end = t0() + TimeDelta::hours(4);
    let mut export = Export::new(client.get_sms_redlist(), Some(t0()), end);
    let mut kept: Vec<String> = Vec::new();
    let mut taken = Vec::new();
    while let Some(event) = export.next().await {
        match event.expect("completes") {
            Event::Begin(_) => taken.clear(),
            Event::Item(entry) => taken.push(entry.id),
            Event::Done(_) => kept.append(&mut taken),
            Event::Split { error, window } => {
                assert_eq!(window.start, Some(t0()));
                assert_eq!(
                    (error.kind(), error.delivered()),
                    (ErrorKind::Transport, Some(1))
                );
                assert_eq!(taken, ["A"], "taken back");
                taken.clear();
            }
            _ => {}
        }
    }
    assert_eq!(kept, ["A", "B"]);
    // The fourth request is refused: a smaller window would be too.
    let mut export = Export::new(client.get_sms_redlist(), Some(t0()), end);
    let error = loop {
        match export.next().await {
            Some(Err(error)) => break error,
            Some(Ok(_)) => {}
            None => panic!("the export ended without the error"),
        }
    };
    assert_eq!(error.status(), Some(401));
    assert!(export.next().await.is_none(), "nothing after the error");
}

/// Includes the start and excludes the end, answers `503` to a window
/// longer than `longest`.
fn exclusive(longest: TimeDelta) -> Rules {
    Rules {
        end_included: false,
        longest,
        refusal: 503,
    }
}

#[tokio::test]
async fn windows_with_sub_second_edges_lose_no_entry() {
    // Dates are sent at whole seconds: an edge between two pieces that is
    // not a whole second must not leave an entry in neither piece.
    let half = TimeDelta::milliseconds(500);
    let at = |s: i64| t0() + TimeDelta::seconds(s);
    let entries: Vec<(String, Option<DateTime<Utc>>)> =
        [("a", 1), ("edge", 3599), ("b", 3600), ("c", 7000)]
            .into_iter()
            .map(|(id, s)| (id.to_owned(), Some(at(s))))
            .collect();
    let (server, _) = server(entries, exclusive(TimeDelta::days(1)));
    let client = client(&server.base_url());
    let (start, end) = (t0() + half, at(7200) + half);
    let mut export =
        Export::new(client.get_mail_redlist(), Some(start), end).chunk(TimeDelta::hours(1));
    let mut ids = Vec::new();
    while let Some(event) = export.next().await {
        if let Event::Item(entry) = event.expect("no failure") {
            ids.push(entry.id);
        }
    }
    assert_eq!(ids, ["a", "edge", "b", "c"], "every entry of [start, end)");
}

#[tokio::test]
async fn a_floor_under_two_seconds_still_ends_the_export() {
    // Halves that do not shorten the window (a floor of 0, below 0, or a
    // window under 2 s) must not ask the same window forever.
    let (server, _) = server(Vec::new(), exclusive(TimeDelta::seconds(1)));
    let client = client(&server.base_url());
    for (floor, length) in [
        (TimeDelta::zero(), TimeDelta::seconds(1)),
        (TimeDelta::seconds(-1), TimeDelta::seconds(2)),
        (TimeDelta::seconds(1), TimeDelta::milliseconds(1500)),
    ] {
        let mut export =
            Export::new(client.get_mail_redlist(), Some(t0()), t0() + length).floor(floor);
        let mut events = 0;
        let ended = loop {
            match export.next().await {
                None | Some(Err(_)) => break true,
                Some(Ok(_)) if events >= 200 => break false,
                Some(Ok(_)) => events += 1,
            }
        };
        assert!(
            ended,
            "floor {floor}, window {length}: still splitting after {events} events"
        );
    }
}

#[tokio::test]
async fn a_next_dropped_while_its_window_is_asked_does_not_lose_the_window() {
    // `next()` dropped before the answer began (a caller's timeout): the
    // window it was asking must be asked again, not skipped as done.
    let body = r#"[{"id":"A","origin":1,"timestamp":"2026-10-01T01:00:00Z"}]"#;
    let server = FaultServer::start(vec![
        Fault::HeadersNeverSent,
        Fault::Chunked(200, body.as_bytes().to_vec()),
    ])
    .await;
    let client = client(&server.base_url);
    let mut export = Export::new(
        client.get_mail_redlist(),
        Some(t0()),
        t0() + TimeDelta::hours(4),
    );
    let gave_up = tokio::time::timeout(std::time::Duration::from_millis(300), export.next()).await;
    assert!(gave_up.is_err(), "the first answer never begins");
    let mut ids = Vec::new();
    while let Some(event) = export.next().await {
        if let Event::Item(entry) = event.expect("no failure") {
            ids.push(entry.id);
        }
    }
    assert_eq!(ids, ["A"], "the window's entry, after the dropped call");
}

#[tokio::test]
async fn chunks_are_cut_as_they_are_asked_not_all_up_front() {
    // A year in pieces of a minute (`--since 1970-01-01 --chunk 1m` is 55
    // years): the windows still to ask, as `Export`'s Debug counts them,
    // stay few, so memory is flat whatever the span.
    let client = client("http://127.0.0.1:9");
    let start: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().expect("a date");
    let export = Export::new(
        client.get_mail_redlist(),
        Some(start),
        start + TimeDelta::days(365),
    )
    .chunk(np6_client::windows::FLOOR);
    let shown = format!("{export:?}");
    let pending: usize = shown
        .split("pending: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("Debug shows the windows pending");
    assert!(pending <= 64, "{pending} windows held up front");
}
