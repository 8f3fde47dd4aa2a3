//! Workspace integration tests: one binary, one module per concern.

mod bulk;
mod consumer;
mod errors;
mod faults;
mod har;
mod key_echoes;
mod limits;
mod paths;
mod record;
mod wire;
