//! Workspace integration tests: one binary, one module per concern.

mod bulk;
mod consumer;
mod errors;
mod faults;
mod fixture_files;
mod fuzz_inputs;
mod har;
mod har_leaks;
mod injection;
mod key_echoes;
mod limits;
mod paths;
mod proxy;
mod record;
mod schemas;
mod streams;
mod windows;
mod wire;
