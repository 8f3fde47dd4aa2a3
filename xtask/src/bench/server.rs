//! The benchmark servers, on the workspace's one loopback helper
//! (`np6_loopback`): fixed answers, so that the client is what is
//! measured.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use bytes::Bytes;
use np6_loopback::{Received, Reply, Server, Threads};

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

/// GET answers 200 with `redlist`, any other method 204.
fn answer(received: &Received, redlist: &Bytes) -> Reply {
    let reply = if received.method == "GET" {
        Reply::json(redlist.clone())
    } else {
        Reply::status(204)
    };
    reply.header("x-request-id", "bench")
}

/// The overhead benchmark's server: answers at once, one runtime thread
/// for every connection.
///
/// # Errors
///
/// When no loopback port can be bound.
pub fn immediate(redlist: Bytes) -> std::io::Result<Server> {
    Server::start(Threads::Shared, move |received| answer(received, &redlist))
}

/// The bulk benchmark's server: answers after `delay`, slept exactly on a
/// thread per connection (tokio's timer would round 5 ms up to about 6 and
/// put the ideal out of reach for any client).
///
/// # Errors
///
/// When no loopback port can be bound.
pub fn delayed(redlist: Bytes, delay: Duration) -> std::io::Result<Server> {
    Server::start(Threads::PerConnection, move |received| {
        std::thread::sleep(delay);
        answer(received, &redlist)
    })
}

/// The immediate server, also handing every request it receives to the
/// returned channel.
///
/// # Errors
///
/// When no loopback port can be bound.
pub fn capturing(redlist: Bytes) -> std::io::Result<(Server, Receiver<Received>)> {
    let (sender, receiver): (Sender<Received>, _) = channel();
    let sender = Mutex::new(sender);
    let server = Server::start(Threads::Shared, move |received| {
        if let Ok(sender) = sender.lock() {
            let _ = sender.send(received.clone());
        }
        answer(received, &redlist)
    })?;
    Ok((server, receiver))
}
