//! `cargo xtask mock`: the fixture sandbox of `np6_client::mock` as a
//! standalone mock NP6 for tools in other languages (curl, Python, Postman),
//! behind the library's hardened front server (`np6_client::mock::serve`,
//! as `np6 sandbox`): connection cap, timeouts, 413, accept backoff.

use std::path::Path;

use np6_client::mock::{Limits, Sandbox};
use tokio::net::TcpListener;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::flags::Mock;
use crate::output::line;

/// Serves until Ctrl-C.
pub fn run(args: Mock) -> Result<u8, String> {
    let dir = args.fixtures.unwrap_or_else(np6_checks::default_fixtures);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(serve(&dir, args.port.unwrap_or(0)))?;
    Ok(0)
}

/// Serves until Ctrl-C: prints the base URL, then one log line per request
/// (the fixture it matched, or why none did).
///
/// # Errors
///
/// When the fixtures cannot be loaded or the port cannot be bound.
async fn serve(fixtures: &Path, port: u16) -> Result<(), String> {
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stdout)
        .with_target(false);
    // Only the sandbox's own lines: not httpmock's or hyper's.
    let filter = Targets::new().with_target("np6_client::mock", LevelFilter::INFO);
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .try_init();

    let sandbox = Sandbox::builder()
        .fixtures_dir(fixtures)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    line(&format!(
        "mock NP6 at http://{address} ({} fixtures from {}); send any X-Key; Ctrl-C stops it",
        sandbox.fixtures().count(),
        np6_checks::display_path(fixtures)
    ))?;
    tokio::select! {
        () = np6_client::mock::serve(listener, &sandbox, Limits::default()) => {}
        stop = tokio::signal::ctrl_c() => {
            stop.map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
        }
    }
    line("mock NP6 stopped")
}
