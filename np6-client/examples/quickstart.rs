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
use np6_client::mock::Sandbox;
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
            // The sandbox answers from the fixtures in openapi/fixtures.
            let sandbox = Sandbox::start().await.map_err(|e| e.to_string())?;
            let client = sandbox.client().clone();
            println!(
                "NP6_API_KEY is not set: using a local mock NP6 at {}.",
                client.base_url()
            );
            _mock = Some(sandbox);
            (client, true)
        }
    };

    let end = Utc::now().trunc_subsecs(0);
    let start = end - Duration::days(7);
    println!("\nRedlist entries from {start} to {end}:");
    let mail = client
        .get_mail_redlist()
        .start_date(start)
        .end_date(end)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    print_entries("mail", &mail);
    let sms = client
        .get_sms_redlist()
        .start_date(start)
        .end_date(end)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    print_entries("sms", &sms);

    if !write {
        println!("\nSkipping the bounce: pass --write to send one to NP6.");
        return Ok(());
    }
    // The body's fieldId is left out: the client fills it in from the path.
    let bounce = BounceData::new(BounceType::HardUser)
        .with_detail(BounceDetail::new().with_message("550 5.1.1 - Unknown address error"))
        .with_timestamp(end);
    client
        .put_target_bounce(&args.target, args.field, &bounce)
        .send()
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
