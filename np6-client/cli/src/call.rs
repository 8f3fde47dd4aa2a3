//! `np6 call OPERATION_ID [name=value]...` and `np6 operations`: any
//! operation of the spec, its parameters typed from the spec, with no Rust
//! written per operation: np6-client describes every operation
//! (`np6_client::operations()`) and calls one by its id
//! (`Client::call_operation`). A `date-time` parameter takes what
//! `--since` takes: a date-time, a date, `now` or a duration before now
//! (`1h`).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use np6_client::operation::{self, Operation};
use serde_json::{Map, Value};

use crate::cli::{Call, Global};
use crate::failure::Failure;

/// The operation with this id, or a failure that lists those there are.
fn find(id: &str) -> Result<&'static Operation, Failure> {
    operation::find(id).ok_or_else(|| {
        let known: Vec<&str> = np6_client::operations().iter().map(|op| op.id).collect();
        Failure::cannot_run(format!(
            "the spec has no operation {id:?} (it has {})",
            known.join(", ")
        ))
    })
}

pub(crate) async fn run(global: &Global, cmd: Call) -> Result<ExitCode, Failure> {
    let op = find(&cmd.operation)?;
    let mut args = Map::new();
    // One now for every date of the call.
    let now = chrono::Utc::now();
    for pair in &cmd.params {
        let (name, text) = pair
            .split_once('=')
            .ok_or_else(|| Failure::cannot_run(format!("{pair:?} is not name=value")))?;
        let param = op.parameter(name).ok_or_else(|| {
            let names: Vec<&str> = op.parameters.iter().map(|p| p.name).collect();
            Failure::cannot_run(format!(
                "{} has no parameter {name:?} (it has {})",
                op.id,
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })?;
        if args.contains_key(name) {
            return Err(Failure::usage(format!(
                "{name} is given twice: give each parameter once"
            )));
        }
        // A date-time takes what --since takes (a date, `now`, a duration
        // before now), sent as RFC 3339.
        let date;
        let text = if param.format == Some("date-time") {
            date = crate::when::parse(text, now)
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .map_err(|e| Failure::usage(format!("{name}: {e}")))?;
            date.as_str()
        } else {
            text
        };
        let value = param
            .value_from_text(text)
            .map_err(|e| Failure::cannot_run(format!("{name}: {e}")))?;
        args.insert(name.to_owned(), value);
    }
    if let Some(path) = &cmd.body {
        args.insert("body".to_owned(), read_body(path)?);
    } else if op.body.is_some_and(|b| b.required) {
        return Err(Failure::cannot_run(format!(
            "{} needs a JSON body: --body FILE or --body -",
            op.id
        )));
    }
    let client = crate::key::client(global)?;
    let value = client.call_operation(op.id, &args).await?;
    if !value.is_null() {
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| Failure::cannot_run(format!("cannot print the answer: {e}")))?;
        crate::output::print(&format!("{text}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The body as JSON, from a file or stdin (`-`); at most 16 MiB.
fn read_body(path: &Path) -> Result<Value, Failure> {
    const LIMIT: u64 = 16 << 20;
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().take(LIMIT + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(LIMIT + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::cannot_run(format!("cannot read the body {}: {e}", path.display())))?;
    if bytes.len() as u64 > LIMIT {
        return Err(Failure::cannot_run("the body is larger than 16 MiB"));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::cannot_run(format!("the body {} is not JSON: {e}", path.display())))
}

/// `np6 operations`: each operation, its method and path, its parameters.
pub(crate) fn list_operations() -> Result<ExitCode, Failure> {
    let mut out = String::new();
    for op in np6_client::operations() {
        out.push_str(&format!("{}  {} {}", op.id, op.method, op.path));
        if let Some(summary) = op.summary {
            out.push_str(&format!("  ({summary})"));
        }
        out.push('\n');
        for p in op.parameters {
            let kind = match p.format {
                Some(format) => format!("{} {format}", p.json_type),
                None => p.json_type.to_owned(),
            };
            let place = p.location.as_str();
            let need = if p.required { "required" } else { "optional" };
            out.push_str(&format!("    {}={kind}  ({place}, {need})\n", p.name));
        }
        if let Some(body) = op.body {
            let need = if body.required {
                "required"
            } else {
                "optional"
            };
            out.push_str(&format!("    --body JSON  ({need})\n"));
        }
    }
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
