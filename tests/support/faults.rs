//! The raw TCP server that misbehaves on purpose, re-exported from the
//! workspace's loopback test servers (`np6_loopback::raw`).

pub use np6_loopback::raw::{Fault, RawServer as FaultServer};
