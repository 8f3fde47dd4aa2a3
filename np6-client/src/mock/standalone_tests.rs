//! Tests of the standalone mock: floods, huge bodies, accept errors.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::mock::Sandbox;

/// Starts the front server for the bundled sandbox; returns its address.
async fn start(limits: Limits) -> (SocketAddr, tokio::task::JoinHandle<()>, Arc<Sandbox>) {
    let sandbox = Arc::new(Sandbox::start().await.expect("the sandbox"));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    let served = sandbox.clone();
    let task = tokio::spawn(async move { serve(listener, &*served, limits).await });
    (address, task, sandbox)
}

/// Sends raw bytes, then reads the status line of the answer.
async fn status_of(address: SocketAddr, head: &str, body: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(address).await.ok()?;
    stream.write_all(head.as_bytes()).await.ok()?;
    // The server may answer (and close) before the whole body is sent.
    let _ = stream.write_all(body).await;
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&answer[..read]);
    text.split_whitespace().nth(1)?.parse().ok()
}

const REDLIST: &str = "GET /targets/redlist/mail HTTP/1.1\r\nhost: x\r\nx-key: k\r\n\r\n";

#[test]
fn accept_errors_back_off_up_to_a_second_then_start_again() {
    let mut backoff = Backoff::default();
    let pauses: Vec<_> = (0..12).map(|_| backoff.next_pause()).collect();
    assert_eq!(pauses[0], Duration::from_millis(5));
    assert_eq!(pauses[1], Duration::from_millis(10));
    assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(pauses[11], Duration::from_secs(1));
    backoff.reset();
    assert_eq!(backoff.next_pause(), Duration::from_millis(5));
}

#[tokio::test]
async fn it_answers_after_a_flood_of_idle_connections_beyond_the_cap() {
    let limits = Limits::default()
        .max_connections(64)
        .header_timeout(Duration::from_millis(300));
    let (address, task, _sandbox) = start(limits).await;
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        match TcpStream::connect(address).await {
            Ok(stream) => idle.push(stream),
            Err(_) => break,
        }
    }
    assert!(idle.len() > 64, "only {} connections opened", idle.len());
    // The idle ones are closed by the header timeout, those over the cap at
    // once: a request gets its answer while the flood is still open.
    let mut answered = None;
    for _ in 0..50 {
        answered = status_of(address, REDLIST, b"").await;
        if answered.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered, Some(200));
    assert!(!task.is_finished());
    drop(idle);
}

#[tokio::test]
async fn a_declared_huge_body_gets_413_without_being_read() {
    let (address, _task, _sandbox) = start(Limits::default()).await;
    let head = "PUT /targets/T1/bounces/788 HTTP/1.1\r\nhost: x\r\nx-key: k\r\n\
                content-type: application/json\r\ncontent-length: 2147483648\r\n\r\n";
    assert_eq!(status_of(address, head, b"{").await, Some(413));
    // Still serving.
    assert_eq!(status_of(address, REDLIST, b"").await, Some(200));
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413() {
    let (address, _task, _sandbox) = start(Limits::default().max_body_bytes(1024)).await;
    let head = "PUT /targets/T1/bounces/788 HTTP/1.1\r\nhost: x\r\nx-key: k\r\n\
                content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let mut body = Vec::new();
    for _ in 0..64 {
        body.extend_from_slice(b"400\r\n");
        body.extend_from_slice(&[b' '; 1024]);
        body.extend_from_slice(b"\r\n");
    }
    assert_eq!(status_of(address, head, &body).await, Some(413));
}

#[tokio::test]
async fn a_slow_body_gets_408() {
    let limits = Limits::default().body_timeout(Duration::from_millis(200));
    let (address, _task, _sandbox) = start(limits).await;
    let head = "PUT /targets/T1/bounces/788 HTTP/1.1\r\nhost: x\r\nx-key: k\r\n\
                content-type: application/json\r\ncontent-length: 100\r\n\r\n";
    assert_eq!(status_of(address, head, b"{").await, Some(408));
}

#[tokio::test]
async fn answers_come_from_the_sandbox() {
    let (address, _task, _sandbox) = start(Limits::default()).await;
    // A request the corpus has a success for, then the same without a key.
    assert_eq!(status_of(address, REDLIST, b"").await, Some(200));
    let missing_key = status_of(
        address,
        "GET /targets/redlist/mail HTTP/1.1\r\nhost: x\r\n\r\n",
        b"",
    )
    .await;
    assert_eq!(missing_key, Some(401));
}

#[tokio::test]
async fn an_empty_or_blank_key_is_refused_like_a_missing_one() {
    let (address, _task, sandbox) = start(Limits::default()).await;
    for key in ["", " \t"] {
        let head = format!("GET /targets/redlist/mail HTTP/1.1\r\nhost: x\r\nx-key:{key}\r\n\r\n");
        assert_eq!(status_of(address, &head, b"").await, Some(401), "{key:?}");
    }
    // The sandbox's own server answers as the front does.
    let own = sandbox.base_url();
    let own = own
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let head = "GET /targets/redlist/mail HTTP/1.1\r\nhost: x\r\nx-key: \r\n\r\n";
    assert_eq!(status_of(own, head, b"").await, Some(401));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let limits = Limits::default().header_timeout(Duration::from_millis(300));
    let (address, _task, _sandbox) = start(limits).await;
    let mut stream = TcpStream::connect(address).await.expect("a connection");
    stream
        .write_all(REDLIST.as_bytes())
        .await
        .expect("a request");
    let mut answer = vec![0u8; 64 * 1024];
    let read = stream.read(&mut answer).await.expect("an answer");
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    // Then nothing: the server closes the connection (end of stream)
    // soon after the header timeout.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut answer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the idle connection was kept open");
}
