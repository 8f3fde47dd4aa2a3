//! `np6 call OPERATION_ID [name=value]...` and `np6 operations`: any
//! operation of the spec, its parameters typed from the spec, with no Rust
//! written per operation. A `date-time` parameter takes what `--since`
//! takes: a date-time, a date, `now` or a duration before now (`1h`).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use np6_spec::{Location, Spec};
use serde_json::{Map, Value};

use crate::cli::{Call, Global};
use crate::failure::Failure;

/// The spec the client was generated from, as the shared model reads it.
fn spec() -> Result<Spec, Failure> {
    Spec::from_yaml(np6_client::spec::SPEC_YAML).map_err(|issues| {
        Failure::cannot_run(format!(
            "the embedded spec does not read: {}",
            issues.first().map(|i| i.message.as_str()).unwrap_or("?")
        ))
    })
}

pub(crate) async fn run(global: &Global, cmd: Call) -> Result<ExitCode, Failure> {
    let spec = spec()?;
    let op = spec.operation(&cmd.operation).ok_or_else(|| {
        let known: Vec<&str> = spec.operations.iter().map(|op| op.id.as_str()).collect();
        Failure::cannot_run(format!(
            "the spec has no operation {:?} (it has {})",
            cmd.operation,
            known.join(", ")
        ))
    })?;
    let mut args = Map::new();
    // One now for every date of the call.
    let now = chrono::Utc::now();
    for pair in &cmd.params {
        let (name, text) = pair
            .split_once('=')
            .ok_or_else(|| Failure::cannot_run(format!("{pair:?} is not name=value")))?;
        let param = op.param(name).ok_or_else(|| {
            let names: Vec<&str> = op.params.iter().map(|p| p.name.as_str()).collect();
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
        let text = if param.format.as_deref() == Some("date-time") {
            date = crate::when::parse(text, now)
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .map_err(|e| Failure::usage(format!("{name}: {e}")))?;
            date.as_str()
        } else {
            text
        };
        let value = param
            .typed_value(text)
            .map_err(|e| Failure::cannot_run(format!("{name}: {e}")))?;
        args.insert(name.to_owned(), value);
    }
    if let Some(path) = &cmd.body {
        args.insert("body".to_owned(), read_body(path)?);
    } else if op.body.as_ref().is_some_and(|b| b.required) {
        return Err(Failure::cannot_run(format!(
            "{} needs a JSON body: --body FILE or --body -",
            op.id
        )));
    }
    let client = crate::key::client(global)?;
    let value = client.call_operation(&op.id, &args).await?;
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
    let spec = spec()?;
    let mut out = String::new();
    for op in &spec.operations {
        out.push_str(&format!("{}  {} {}", op.id, op.method.as_str(), op.path));
        if let Some(summary) = &op.summary {
            out.push_str(&format!("  ({summary})"));
        }
        out.push('\n');
        for p in &op.params {
            let kind = match &p.format {
                Some(format) => format!("{} {format}", p.json_type),
                None => p.json_type.clone(),
            };
            let place = match p.location {
                Location::Path => "path",
                Location::Query => "query",
                Location::Header => "header",
                Location::Cookie => "cookie",
            };
            let need = if p.required { "required" } else { "optional" };
            out.push_str(&format!("    {}={kind}  ({place}, {need})\n", p.name));
        }
        if let Some(body) = &op.body {
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
