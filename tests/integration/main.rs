//! Workspace integration tests: one binary, one module per concern.

mod bulk;
mod consumer;
mod errors;
mod faults;
mod har;
mod record;
mod wire;
