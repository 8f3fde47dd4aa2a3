//! `cargo xtask mock`: `np6 sandbox` (the fixture sandbox of
//! `np6_client::mock` behind the library's hardened front server:
//! connection cap, timeouts, 413, accept backoff) for tools in other
//! languages (curl, Python, Postman), with the workspace's fixtures and any
//! free port by default.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::flags::Mock;

/// Serves until Ctrl-C: prints the base URL, then one log line per request
/// (the fixture it matched, or why none did).
pub fn run(args: Mock) -> Result<u8, String> {
    let dir = args.fixtures.unwrap_or_else(np6_checks::default_fixtures);
    let port = args.port.unwrap_or(0).to_string();
    let command: [OsString; 6] = [
        "np6".into(),
        "sandbox".into(),
        "--port".into(),
        port.into(),
        "--fixtures".into(),
        dir.into_os_string(),
    ];
    // `np6 sandbox` has said why on stderr when it could not run.
    Ok(if np6::main_from(command) == ExitCode::SUCCESS {
        0
    } else {
        2
    })
}
