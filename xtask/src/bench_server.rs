//! A minimal hyper server for the benchmarks: fixed answers, no routing
//! library, so that the client is what is measured (httpmock would be the
//! bottleneck).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A redlist answer of `n` entries, as NP6 sends it.
pub fn redlist_body(n: usize) -> Bytes {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"{:08X}","timestamp":"2024-03-02T08:00:{:02}Z","origin":{},"detail":{{"formId":"F{i}"}}}}"#,
                i * 7919,
                i % 60,
                i % 10
            )
        })
        .collect();
    Bytes::from(format!("[{}]", entries.join(",")))
}

/// Starts the server; returns its address. GET answers 200 with
/// `redlist`; any other method answers 204 after `delay`.
///
/// Without a delay, one runtime thread serves every connection. With one,
/// each connection gets a thread of its own that sleeps the delay exactly:
/// tokio's timer rounds sleeps up to whole milliseconds, which would put
/// 5 ms answers at about 6 ms and the ideal out of reach for any client.
///
/// # Errors
///
/// When no loopback port can be bound.
pub fn start(redlist: Bytes, delay: Duration) -> std::io::Result<SocketAddr> {
    if !delay.is_zero() {
        return start_threaded(redlist, delay);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let redlist = redlist.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let redlist = redlist.clone();
                        async move { Ok::<_, Infallible>(answer(request, redlist, delay).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    Ok(address)
}

fn start_threaded(redlist: Bytes, delay: Duration) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let redlist = redlist.clone();
            std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let _ = stream.set_nodelay(true);
                    let _ = stream.set_nonblocking(true);
                    let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
                        return;
                    };
                    let service = service_fn(move |request: Request<Incoming>| {
                        let redlist = redlist.clone();
                        async move {
                            let _ = request.into_body().collect().await;
                            // This thread serves this connection alone.
                            std::thread::sleep(delay);
                            Ok::<_, Infallible>(fixed(false, redlist))
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            });
        }
    });
    Ok(address)
}

fn fixed(is_get: bool, redlist: Bytes) -> Response<Full<Bytes>> {
    let mut response = if is_get {
        let mut response = Response::new(Full::new(redlist));
        response.headers_mut().insert(
            "content-type",
            hyper::header::HeaderValue::from_static("application/json"),
        );
        response
    } else {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    };
    response.headers_mut().insert(
        "x-request-id",
        hyper::header::HeaderValue::from_static("bench"),
    );
    response
}

async fn answer(
    request: Request<Incoming>,
    redlist: Bytes,
    delay: Duration,
) -> Response<Full<Bytes>> {
    let is_get = request.method() == hyper::Method::GET;
    // Read the whole request body, as a real server would.
    let _ = request.into_body().collect().await;
    if !is_get && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    fixed(is_get, redlist)
}
