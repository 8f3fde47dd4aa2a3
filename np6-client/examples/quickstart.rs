//! Quickstart: both redlist queries for the last 7 days, and one bounce.
//!
//! ```text
//! cargo run --example quickstart                  # offline, against a local mock NP6
//! NP6_API_KEY=... cargo run --example quickstart  # against NP6 (read only)
//! NP6_API_KEY=... cargo run --example quickstart -- --write --target 0003YB53 --field 788
//! ```
//!
//! `NP6_BASE_URL` overrides the server (default: NP6 production).

use chrono::{Duration, SubsecRound, Utc};
use np6_client::types::{BounceData, BounceDetail, BounceType, RedlistEntry};
use np6_client::{ApiKey, Client};

struct Args {
    write: bool,
    target: String,
    field: i32,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        write: false,
        target: "0003YB53".to_owned(),
        field: 788,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--write" => args.write = true,
            "--target" => args.target = it.next().ok_or("--target needs a target id")?,
            "--field" => {
                let value = it.next().ok_or("--field needs a field id")?;
                args.field = value
                    .parse()
                    .map_err(|_| format!("--field {value:?} is not an int32"))?;
            }
            "-h" | "--help" => {
                return Err("usage: quickstart [--write] [--target ID] [--field N]".to_owned());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    // Keeps the offline mock alive until the end of `run`.
    let mut _mock = None;
    let (client, write) = match ApiKey::from_env() {
        Some(key) => {
            let mut builder = Client::builder().api_key(key);
            if let Ok(url) = std::env::var("NP6_BASE_URL") {
                builder = builder.base_url(url);
            }
            let client = builder.build().map_err(|e| e.to_string())?;
            println!("Talking to {} (NP6_API_KEY is set).", client.base_url());
            (client, args.write)
        }
        None => {
            let mock = offline::start().await;
            let client = Client::builder()
                .api_key("quickstart-demo-key")
                .base_url(mock.base_url())
                .build()
                .map_err(|e| e.to_string())?;
            println!(
                "NP6_API_KEY is not set: using a local mock NP6 at {}.",
                client.base_url()
            );
            _mock = Some(mock);
            (client, true)
        }
    };

    let end = Utc::now().trunc_subsecs(0);
    let start = end - Duration::days(7);
    println!("\nRedlist entries from {start} to {end}:");
    let mail = client
        .get_mail_redlist(Some(&start), Some(&end))
        .await
        .map_err(|e| e.to_string())?;
    print_entries("mail", &mail);
    let sms = client
        .get_sms_redlist(Some(&start), Some(&end))
        .await
        .map_err(|e| e.to_string())?;
    print_entries("sms", &sms);

    if !write {
        println!("\nSkipping the bounce: pass --write to send one to NP6.");
        return Ok(());
    }
    let bounce = BounceData {
        type_: BounceType::HardUser,
        field_id: None, // filled in from the path's field id
        detail: Some(BounceDetail {
            message: Some("550 5.1.1 - Unknown address error".to_owned()),
        }),
        timestamp: Some(end),
    };
    client
        .put_target_bounce(&args.target, args.field, &bounce)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "\nBounce {} recorded for target {} on field {}.",
        bounce.type_, args.target, args.field
    );
    Ok(())
}

fn print_entries(channel: &str, entries: &[RedlistEntry]) {
    if entries.is_empty() {
        println!("  {channel:<4}  (none)");
    }
    for entry in entries {
        let when = entry
            .timestamp
            .map_or_else(|| "unknown time".to_owned(), |t| t.to_string());
        let detail: Vec<String> = entry
            .detail
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "  {channel:<4}  {:<10}  {when:<23}  origin {:?} ({})  {}",
            entry.id,
            entry.origin,
            entry.origin,
            detail.join(" ")
        );
    }
}

/// A mock NP6 on loopback that answers like NP6's published examples.
mod offline {
    use httpmock::Method::{GET, PUT};
    use httpmock::MockServer;
    use serde_json::json;

    pub async fn start() -> MockServer {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/targets/redlist/mail").header_exists("X-Key");
                then.status(200).header("x-request-id", "demo-mail").json_body(json!([
                    {"id": "0003YB53", "timestamp": "2008-12-16T15:26:00Z", "origin": 3, "detail": {"formId": "0000GH"}},
                    {"id": "0003YB57", "timestamp": "2008-11-25T15:47:00Z", "origin": 1, "detail": {}}
                ]));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/targets/redlist/sms")
                    .header_exists("X-Key");
                then.status(204).header("x-request-id", "demo-sms");
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(PUT)
                    .path_matches(r"^/targets/[^/]+/bounces/\d+$")
                    .header_exists("X-Key");
                then.status(204).header("x-request-id", "demo-bounce");
            })
            .await;
        server
            .mock_async(|when, then| {
                when.is_true(|req| req.headers().get("X-Key").is_none());
                then.status(401).body("missing X-Key");
            })
            .await;
        server
    }
}
