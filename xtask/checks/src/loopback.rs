//! The workspace's loopback test server, re-exported from its crate
//! (`np6-loopback`) for the tests that reach it through this library.

pub use np6_loopback::{Received, Reply, Server, Threads};
