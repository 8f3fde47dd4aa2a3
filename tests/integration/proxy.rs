//! The key never reaches a proxy of the environment: a loopback call goes
//! directly, and a plain http URL that a proxy would carry is refused.
//!
//! Proxy variables are process-wide, so the checks run in a child process
//! (this test binary, running one ignored test) whose environment names a
//! loopback "proxy" that counts the connections it receives.

use std::io::Read as _;
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use np6_client::{Client, ErrorKind};

/// The proxy variables a `reqwest::Client` reads by default.
const PROXY_VARIABLES: [&str; 6] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
];

/// Runs the ignored test `name` of this binary in a child process whose
/// proxy variables all name a counting loopback listener; returns whether
/// the child passed, its output, and how many connections the proxy got.
fn run_behind_a_counting_proxy(name: &str) -> (bool, String, usize) {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = proxy.local_addr().expect("an address");
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in proxy.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            // Read what the client sends, then close without answering.
            if let Ok(mut stream) = stream {
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(200)));
                let _ = stream.read(&mut [0u8; 4096]);
            }
        }
    });
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe);
    child.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for variable in PROXY_VARIABLES {
        child.env(variable, format!("http://{address}"));
    }
    let output = child
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("the child runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let ran = text.contains("1 passed");
    (
        output.status.success() && ran,
        text,
        connections.load(Ordering::SeqCst),
    )
}

#[test]
fn a_loopback_call_never_goes_through_the_environments_proxy() {
    let (passed, output, connections) =
        run_behind_a_counting_proxy("proxy::child_calls_a_loopback_server_with_proxies_set");
    assert!(passed, "{output}");
    assert_eq!(connections, 0, "the proxy was reached: {output}");
}

#[test]
fn plain_http_that_a_proxy_would_carry_is_refused() {
    let (passed, output, connections) =
        run_behind_a_counting_proxy("proxy::child_builds_plain_http_clients_with_proxies_set");
    assert!(passed, "{output}");
    assert_eq!(connections, 0, "{output}");
}

/// Run by [`a_loopback_call_never_goes_through_the_environments_proxy`].
#[tokio::test]
#[ignore = "run in a child process with proxy variables set"]
async fn child_calls_a_loopback_server_with_proxies_set() {
    let server = httpmock::MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/targets/redlist/mail");
            then.status(200)
                .header("content-type", "application/json")
                .body("[]");
        })
        .await;
    for base in [
        server.base_url(),
        server.base_url().replace("127.0.0.1", "localhost"),
    ] {
        let client = Client::builder()
            .api_key("canary-proxy-key")
            .base_url(&base)
            .retry(np6_client::RetryPolicy::disabled())
            .build()
            .expect("a loopback client");
        let entries = client.get_mail_redlist().send().await;
        assert_eq!(entries.expect("answered directly").len(), 0, "{base}");
    }
    mock.assert_calls_async(2).await;
}

/// Run by [`plain_http_that_a_proxy_would_carry_is_refused`].
#[tokio::test]
#[ignore = "run in a child process with proxy variables set"]
async fn child_builds_plain_http_clients_with_proxies_set() {
    let refused = |builder: np6_client::ClientBuilder| {
        let error = builder
            .api_key("canary-proxy-key")
            .build()
            .expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.to_string().contains("proxy"), "{error}");
    };
    // A remote host over plain http, even when plain text is allowed.
    refused(
        Client::builder()
            .base_url("http://np6.example")
            .allow_plaintext(true),
    );
    // A loopback host through a client the caller built: its proxies are
    // its own, and the environment's would carry the request.
    refused(
        Client::builder()
            .base_url("http://127.0.0.1:9")
            .http_client(reqwest::Client::new()),
    );
    // https is tunnelled end to end: allowed.
    assert!(
        Client::builder()
            .api_key("canary-proxy-key")
            .base_url("https://np6.example")
            .build()
            .is_ok()
    );
}
