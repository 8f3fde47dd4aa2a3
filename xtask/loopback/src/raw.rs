//! A loopback HTTP/1.1 server that misbehaves on purpose.
//!
//! Raw TCP, on purpose: an HTTP stack (the crate's [`Server`](crate::Server))
//! cannot send a malformed answer, reset a connection or stall a body; this
//! server can. It answers the n-th request it reads with the n-th [`Fault`]
//! of its script (the last one repeats) and counts the requests it saw.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A normal answer: status, extra headers, body.
    Answer(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// A `transfer-encoding: chunked` answer (no length known up front).
    Chunked(u16, Vec<u8>),
    /// A chunked answer that sends one chunk, then stalls.
    ChunkedStall,
    /// Close the connection with a TCP reset before answering.
    ResetBeforeResponse,
    /// Read the request and never answer.
    HeadersNeverSent,
    /// A `200` that promises more than it sends: the head, these bytes of
    /// the body, then a reset.
    CutBody(Vec<u8>),
    /// A `200` that sends the head and these bytes of the body, then stalls.
    StallBody(Vec<u8>),
    /// A `200` whose body comes in two halves, `gap` apart.
    Gapped(Vec<u8>, Duration),
    /// Wait `pause`, send the head, then the body in `chunks` pieces, `pause` apart.
    SlowSteady(u16, Vec<u8>, usize, Duration),
}

/// A running raw server; stops when dropped.
pub struct RawServer {
    /// `http://` and the server's address.
    pub base_url: String,
    requests: Arc<AtomicUsize>,
    targets: Targets,
    task: JoinHandle<()>,
}

/// The request targets (path and query) read, exactly as sent.
type Targets = Arc<Mutex<Vec<String>>>;

impl RawServer {
    /// Starts a server that plays `script` in order.
    pub async fn start(script: Vec<Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("bound address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let targets = Targets::default();
        let script = Arc::new(script);
        let (counter, seen) = (requests.clone(), targets.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (script, counter, seen) = (script.clone(), counter.clone(), seen.clone());
                tokio::spawn(serve(stream, script, counter, seen));
            }
        });
        Self {
            base_url,
            requests,
            targets,
            task,
        }
    }

    /// A base URL where nothing listens: connections are refused.
    pub async fn refused_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        drop(listener);
        url
    }

    /// How many complete requests the server read.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The target (raw path and query) of every request read, in order.
    pub fn targets(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    script: Arc<Vec<Fault>>,
    counter: Arc<AtomicUsize>,
    targets: Targets,
) {
    // Keep-alive: several requests may come on one connection.
    while let Some(target) = read_request(&mut stream).await {
        targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(target);
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let Some(fault) = script.get(n).or(script.last()).cloned() else {
            return;
        };
        if !play(&mut stream, fault).await {
            return;
        }
    }
}

/// Reads one request (head and Content-Length body) and returns its
/// target as sent; `None` at EOF.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let raw_head = String::from_utf8_lossy(&buf[..head_end]);
    let target = raw_head.split(' ').nth(1).unwrap_or_default().to_owned();
    let head = raw_head.to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(target)
}

/// An answer's head; its `x-request-id` is `fault-<status>` unless `extra`
/// has one.
fn head(status: u16, length: usize, extra: &[(&str, String)]) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} Fault\r\ncontent-length: {length}\r\n");
    if !extra
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("x-request-id"))
    {
        text.push_str(&format!("x-request-id: fault-{status}\r\n"));
    }
    for (name, value) in extra {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// Plays one fault; `false` when the connection is done.
async fn play(stream: &mut TcpStream, fault: Fault) -> bool {
    match fault {
        Fault::Answer(status, headers, body) => {
            let mut bytes = head(status, body.len(), &headers);
            bytes.extend_from_slice(&body);
            stream.write_all(&bytes).await.is_ok()
        }
        Fault::Chunked(status, body) => {
            let mut bytes =
                format!("HTTP/1.1 {status} Fault\r\ntransfer-encoding: chunked\r\n\r\n")
                    .into_bytes();
            for piece in body.chunks(100) {
                bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                bytes.extend_from_slice(piece);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
            stream.write_all(&bytes).await.is_ok()
        }
        Fault::ChunkedStall => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 Fault\r\ntransfer-encoding: chunked\r\n\r\n7\r\n[{\"id\":\r\n",
                )
                .await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            false
        }
        Fault::ResetBeforeResponse => {
            reset(stream);
            false
        }
        Fault::HeadersNeverSent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            false
        }
        Fault::CutBody(body) => {
            let _ = stream
                .write_all(&head(200, body.len().saturating_add(1000), &[]))
                .await;
            let _ = stream.write_all(&body).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            reset(stream);
            false
        }
        Fault::StallBody(body) => {
            let _ = stream
                .write_all(&head(200, body.len().saturating_add(1000), &[]))
                .await;
            let _ = stream.write_all(&body).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            false
        }
        Fault::Gapped(body, gap) => {
            let (first, second) = body.split_at(body.len() / 2);
            let mut bytes = head(200, body.len(), &[]);
            bytes.extend_from_slice(first);
            if stream.write_all(&bytes).await.is_err() {
                return false;
            }
            tokio::time::sleep(gap).await;
            stream.write_all(second).await.is_ok()
        }
        Fault::SlowSteady(status, body, chunks, pause) => {
            tokio::time::sleep(pause).await;
            if stream
                .write_all(&head(status, body.len(), &[]))
                .await
                .is_err()
            {
                return false;
            }
            let size = body.len().div_ceil(chunks.max(1)).max(1);
            for piece in body.chunks(size) {
                tokio::time::sleep(pause).await;
                if stream.write_all(piece).await.is_err() {
                    return false;
                }
            }
            true
        }
    }
}

fn reset(stream: &TcpStream) {
    // SO_LINGER 0: closing sends RST instead of FIN.
    let _ = stream.set_zero_linger();
}
