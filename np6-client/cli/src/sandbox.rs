//! `np6 sandbox`: the fixture sandbox as a mock NP6 on one loopback port,
//! served by the library's hardened server (`np6_client::mock::serve`).

use std::process::ExitCode;

use np6_client::mock::{FixtureSet, Limits};

use crate::cli;
use crate::failure::Failure;

pub(crate) async fn run(cmd: cli::Sandbox) -> Result<ExitCode, Failure> {
    init_logs();
    // Only the fixtures: no second server, the listener below is the one port.
    let set = match &cmd.fixtures {
        Some(dir) => FixtureSet::from_dir(dir)?,
        None => FixtureSet::bundled()?,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cmd.port))
        .await
        .map_err(|e| {
            Failure::cannot_run(format!("cannot listen on 127.0.0.1:{}: {e}", cmd.port))
        })?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::cannot_run(format!("cannot read the address: {e}")))?;
    let fixtures = match &cmd.fixtures {
        Some(dir) => format!("{} fixtures from {}", set.len(), dir.display()),
        None => format!("{} bundled fixtures", set.len()),
    };
    crate::output::print(&format!(
        "mock NP6 at http://{address} ({fixtures}); send any non-empty X-Key; Ctrl-C stops it\n"
    ))?;
    tokio::select! {
        () = np6_client::mock::serve(listener, &set, Limits::default()) => {}
        stop = tokio::signal::ctrl_c() => {
            stop.map_err(|e| Failure::cannot_run(format!("cannot wait for Ctrl-C: {e}")))?;
        }
    }
    crate::output::print("mock NP6 stopped\n")?;
    Ok(ExitCode::SUCCESS)
}

/// One line per request on stdout: the fixture it matched, or why none did.
fn init_logs() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stdout)
        .with_target(false);
    let filter = Targets::new().with_target("np6_client::mock", LevelFilter::INFO);
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .try_init();
}
