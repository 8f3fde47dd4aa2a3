//! The loopback test servers of the np6-rs workspace, for every test and
//! benchmark: one hyper HTTP/1.1 server ([`Server`]) whose answers a closure
//! computes, with no routing library (httpmock would be the bottleneck of a
//! benchmark), and two uses of it or exceptions to it:
//!
//! - [`fault`]: a paced NP6 on [`Server`] that admits a set rate, can reject
//!   some targets or answer slowly, and counts what it receives (the command
//!   line's tests and the pacing benchmark);
//! - [`raw`]: raw TCP, only for bytes an HTTP stack would not send
//!   (malformed answers, resets in the middle of a body, stalled heads and
//!   bodies).
//!
//! A [`Reply`] may also be [streamed](Reply::streamed): its body made piece
//! by piece while it is sent (chunked), for answers too large to hold.
//!
//! Fixture-driven servers are `np6_client::mock::Sandbox` (httpmock), a
//! product of the client's testing kit, not a test helper.

pub mod fault;
pub mod raw;

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `PUT`...
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
    /// Every header, names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
}

impl Received {
    /// The request as text: its request line, its headers sorted, then its
    /// body. Header order is the HTTP library's business, not a difference.
    pub fn canonical(&self) -> String {
        let mut headers: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {}", value.trim()))
            .collect();
        headers.sort();
        format!(
            "{} {}\n{}\n\n{}",
            self.method,
            self.target,
            headers.join("\n"),
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// The pieces of a streamed body, in order.
pub type Pieces = Box<dyn Iterator<Item = Bytes> + Send>;

/// Makes the pieces of a streamed body, once per answer sent.
#[derive(Clone)]
struct Stream(Arc<dyn Fn() -> Pieces + Send + Sync>);

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stream(..)")
    }
}

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    stream: Option<Stream>,
}

impl Reply {
    /// An answer with `status` and no body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            stream: None,
        }
    }

    /// A 200 with a JSON body.
    pub fn json(body: Bytes) -> Self {
        Self::status(200)
            .header("content-type", "application/json")
            .body(body)
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: Bytes) -> Self {
        self.body = body;
        self.stream = None;
        self
    }

    /// Streams the body instead: `pieces` is called when the answer is
    /// sent, and each piece it yields is sent (chunked transfer) when the
    /// connection can take it, so only the piece in hand is held.
    #[must_use]
    pub fn streamed(mut self, pieces: impl Fn() -> Pieces + Send + Sync + 'static) -> Self {
        self.body = Bytes::new();
        self.stream = Some(Stream(Arc::new(pieces)));
        self
    }
}

/// A body sent piece by piece as its iterator yields them.
struct Streamed(Pieces);

impl Body for Streamed {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.next().map(|piece| Ok(Frame::data(piece))))
    }
}

/// How connections are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// One runtime thread serves every connection: the handler must not
    /// block.
    Shared,
    /// Each connection gets a thread of its own, where the handler may
    /// block (`std::thread::sleep` to delay an answer exactly: tokio's
    /// timer rounds sleeps up to whole milliseconds).
    PerConnection,
}

type Handler = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

/// A running server; stops accepting when dropped.
pub struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Server {
    /// Starts a server on a free loopback port that answers every request
    /// with `handler`.
    ///
    /// # Errors
    ///
    /// When no runtime can be built or no loopback port can be bound.
    pub fn start(
        threads: Threads,
        handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let handler: Handler = Arc::new(handler);
        // Built here, entered on the server's own thread only: the caller
        // may be inside a runtime of its own (a `#[tokio::test]`).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                if let Ok(listener) = TcpListener::from_std(listener) {
                    accept(listener, threads, handler, stopped).await;
                }
            });
        });
        Ok(Self {
            address,
            stop: Some(stop),
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://` and the address.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn accept(
    listener: TcpListener,
    threads: Threads,
    handler: Handler,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        match threads {
            Threads::Shared => {
                tokio::spawn(serve(stream, handler));
            }
            Threads::PerConnection => {
                let Ok(stream) = stream.into_std() else {
                    continue;
                };
                std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async move {
                        if let Ok(stream) = TcpStream::from_std(stream) {
                            serve(stream, handler).await;
                        }
                    });
                });
            }
        }
    }
}

async fn serve(stream: TcpStream, handler: Handler) {
    let service = service_fn(move |request: Request<Incoming>| {
        let handler = handler.clone();
        async move {
            let received = received(request).await;
            Ok::<_, Infallible>(response(handler(&received)))
        }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn received(request: Request<Incoming>) -> Received {
    let (parts, body) = request.into_parts();
    // Read the whole request body, as a real server would.
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    Received {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}

fn response(reply: Reply) -> Response<Either<Full<Bytes>, Streamed>> {
    let body = match reply.stream {
        Some(Stream(pieces)) => Either::Right(Streamed(pieces())),
        None => Either::Left(Full::new(reply.body)),
    };
    let mut response = Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Received {
        Received {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn header_order_is_not_a_difference_and_everything_else_is() {
        let a = received("PUT", "/t/1", &[("x-key", "k"), ("accept", "*/*")], "{}");
        let reordered = received("PUT", "/t/1", &[("accept", "*/*"), ("x-key", " k")], "{}");
        assert_eq!(a.canonical(), reordered.canonical());
        for different in [
            received("PUT", "/t/2", &[("x-key", "k"), ("accept", "*/*")], "{}"),
            received("GET", "/t/1", &[("x-key", "k"), ("accept", "*/*")], "{}"),
            received(
                "PUT",
                "/t/1",
                &[("x-key", "other"), ("accept", "*/*")],
                "{}",
            ),
            received("PUT", "/t/1", &[("x-key", "k")], "{}"),
            received("PUT", "/t/1", &[("x-key", "k"), ("accept", "*/*")], "{ }"),
        ] {
            assert_ne!(a.canonical(), different.canonical());
        }
    }

    #[test]
    fn the_server_answers_with_its_handler_and_stops_when_dropped() {
        for threads in [Threads::Shared, Threads::PerConnection] {
            let server = Server::start(threads, |r| {
                Reply::status(201)
                    .header("x-echo", r.target.clone())
                    .body(r.body.clone())
            })
            .expect("started");
            let address = server.address();
            let answer = raw_exchange(
                address,
                "POST /a?b=c HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi",
            );
            assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
            assert!(answer.contains("x-echo: /a?b=c"), "{answer}");
            assert!(answer.ends_with("hi"), "{answer}");
            drop(server);
            // The accept loop ends: new connections are refused (after
            // the listener is closed, which the stop signal triggers).
            let refused = (0..100).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                std::net::TcpStream::connect(address).is_err()
            });
            assert!(refused, "still accepting after drop ({threads:?})");
        }
    }

    #[test]
    fn a_streamed_body_is_sent_chunked_piece_by_piece_for_every_request() {
        let server = Server::start(Threads::Shared, |_| {
            Reply::status(200)
                .streamed(|| Box::new((0..3).map(|i| Bytes::from(format!("piece{i};")))))
        })
        .expect("started");
        for _ in 0..2 {
            let answer = raw_exchange(
                server.address(),
                "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            );
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.contains("transfer-encoding: chunked"), "{answer}");
            let (_, body) = answer.split_once("\r\n\r\n").expect("a head");
            assert_eq!(
                body,
                "7\r\npiece0;\r\n7\r\npiece1;\r\n7\r\npiece2;\r\n0\r\n\r\n"
            );
        }
    }

    fn raw_exchange(address: SocketAddr, request: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).expect("connects");
        stream.write_all(request.as_bytes()).expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    }
}
