//! Benchmark 3, `validation`: `validate` over a generated corpus (the workspace fixtures
//! copied to `Sizes::fixtures` files, as JSON and as YAML): exchanges per
//! second on one core and on all, then `cargo xtask validate` against
//! openapi-core (Python, installed from PyPI into a temporary venv by this
//! run) on the same files, the JSON copies and then the YAML copies (read
//! by PyYAML's C loader on that side), wall time including start-up on
//! both sides. Target: at least 100x openapi-core, on each.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use np6_checks::model::Model;

use super::{Row, Sizes};

/// The openapi-core side, written to the temporary folder and run there.
const OPENAPI_CORE_SCRIPT: &str = include_str!("openapi_core_validate.py");

/// A temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Benchmark 3. `exe` is this binary, run as `exe validate` for the wall
/// time of the whole command.
pub fn validation(exe: &Path, sizes: Sizes) -> Result<Vec<Row>, String> {
    let model = Model::load(&np6_checks::default_spec()).map_err(|issues| format!("{issues:?}"))?;
    let dir =
        TempDir(std::env::temp_dir().join(format!("np6-bench-validation-{}", std::process::id())));
    let (json, yaml) = corpus(&dir.0, sizes.fixtures)?;
    let n = sizes.fixtures as f64;

    // Warm up (page cache, allocator, lazily compiled formats), so the
    // first timed run is not the only one to pay for it.
    timed_run(&model, &json, None)?;
    timed_run(&model, &yaml, None)?;
    let one = timed_run(&model, &json, Some(1))?;
    let all = timed_run(&model, &json, None)?;
    let yaml_one = timed_run(&model, &yaml, Some(1))?;
    let yaml_all = timed_run(&model, &yaml, None)?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let rate = |d: Duration| n / d.as_secs_f64();
    let mut rows = vec![
        Row {
            name: format!(
                "validate, {} JSON fixtures: {cores} cores vs one",
                json.len()
            ),
            ratio: one.as_secs_f64() / all.as_secs_f64(),
            detail: format!(
                "{:.0} exchanges/s on {cores} cores, {:.0}/s on one",
                rate(all),
                rate(one)
            ),
            target: None,
        },
        Row {
            name: format!(
                "validate, {} YAML fixtures: {cores} cores vs one",
                yaml.len()
            ),
            ratio: yaml_one.as_secs_f64() / yaml_all.as_secs_f64(),
            detail: format!(
                "{:.0} exchanges/s on {cores} cores, {:.0}/s on one (the YAML parser)",
                rate(yaml_all),
                rate(yaml_one)
            ),
            target: None,
        },
    ];
    if sizes.openapi_core {
        rows.extend(versus_openapi_core(
            exe,
            &dir.0,
            &[("JSON", &json), ("YAML", &yaml)],
        )?);
    }
    Ok(rows)
}

/// Writes `n` fixtures twice, `json/00000.json...` and `yaml/00000.yaml...`,
/// cycling through the workspace corpus.
fn corpus(dir: &Path, n: usize) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let sources =
        np6_checks::fixture_files(&[np6_checks::default_fixtures()]).map_err(|e| e.to_string())?;
    let mut texts = Vec::with_capacity(sources.len());
    for source in &sources {
        let fixture = np6_checks::validate::load(source).map_err(|i| i.message)?;
        let json = serde_json::to_vec_pretty(&fixture).map_err(|e| e.to_string())?;
        let yaml = std::fs::read(source).map_err(|e| e.to_string())?;
        texts.push((json, yaml));
    }
    if texts.is_empty() {
        return Err("no fixtures in the workspace corpus".to_owned());
    }
    let (json_dir, yaml_dir) = (dir.join("json"), dir.join("yaml"));
    for d in [&json_dir, &yaml_dir] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let (mut json, mut yaml) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let (json_text, yaml_text) = &texts[i % texts.len()];
        let (j, y) = (
            json_dir.join(format!("{i:05}.json")),
            yaml_dir.join(format!("{i:05}.yaml")),
        );
        std::fs::write(&j, json_text).map_err(|e| e.to_string())?;
        std::fs::write(&y, yaml_text).map_err(|e| e.to_string())?;
        json.push(j);
        yaml.push(y);
    }
    Ok((json, yaml))
}

/// `validate` over `files` in this process; every fixture must pass.
fn timed_run(model: &Model, files: &[PathBuf], threads: Option<usize>) -> Result<Duration, String> {
    let started = Instant::now();
    let report = np6_checks::validate::run_on(model, files, threads);
    let elapsed = started.elapsed();
    if !report.ok() {
        return Err(report.text("validate"));
    }
    Ok(elapsed)
}

/// The whole `cargo xtask validate` command vs openapi-core on the same
/// files, one row for each `(format, files)` of `corpora` (the files of a
/// format are the folder `dir/<format lowercased>`); rows that say why
/// when openapi-core cannot be installed.
fn versus_openapi_core(
    exe: &Path,
    dir: &Path,
    corpora: &[(&str, &[PathBuf])],
) -> Result<Vec<Row>, String> {
    let name = |format: &str, n: usize| {
        format!("validate, {n} {format} fixtures: vs openapi-core, wall time with start-up")
    };
    eprintln!("bench: installing openapi-core from PyPI into a temporary venv...");
    let python = match install_openapi_core(&dir.join("venv")) {
        Ok(python) => python,
        Err(why) => {
            eprintln!("bench: openapi-core could not be installed: {why}");
            return Ok(corpora
                .iter()
                .map(|(format, files)| Row {
                    name: name(format, files.len()),
                    ratio: f64::NAN,
                    detail: format!("NOT MEASURED: openapi-core could not be installed: {why}"),
                    target: Some((100.0, true)),
                })
                .collect());
        }
    };
    let script = dir.join("openapi_core_validate.py");
    std::fs::write(&script, OPENAPI_CORE_SCRIPT).map_err(|e| e.to_string())?;
    let version = openapi_core_version(&python);
    let mut rows = Vec::new();
    for (format, files) in corpora {
        let folder = dir.join(format.to_lowercase());
        let started = Instant::now();
        let status = Command::new(exe)
            .arg("validate")
            .arg("--fixtures")
            .arg(&folder)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let np6 = started.elapsed();
        if !status.success() {
            return Err(format!("xtask validate on the {format} corpus: {status}"));
        }
        eprintln!("bench: openapi-core on {} {format} files...", files.len());
        let started = Instant::now();
        let output = Command::new(&python)
            .arg(&script)
            .arg(np6_checks::default_spec())
            .arg(&folder)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        let theirs = started.elapsed();
        if !output.status.success() {
            return Err(format!(
                "openapi-core run failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("openapi-core output: {e}"))?;
        let valid = summary["valid"].as_u64().unwrap_or(0);
        let seen = summary["files"].as_u64().unwrap_or(0);
        let rejected = summary["rejected"].to_string();
        rows.push(Row {
            name: name(format, files.len()),
            ratio: theirs.as_secs_f64() / np6.as_secs_f64(),
            detail: format!(
                "np6 {:.2} s, openapi-core {version} {:.2} s ({valid} of {seen} accepted{})",
                np6.as_secs_f64(),
                theirs.as_secs_f64(),
                if valid == files.len() as u64 {
                    String::new()
                } else {
                    format!("; rejected: {rejected}")
                }
            ),
            target: Some((100.0, true)),
        });
    }
    Ok(rows)
}

/// `python3 -m venv`, then `pip install openapi-core pyyaml`; the venv's
/// python.
fn install_openapi_core(venv: &Path) -> Result<PathBuf, String> {
    let run = |command: &mut Command| -> Result<(), String> {
        let output = command
            .output()
            .map_err(|e| format!("cannot run {command:?}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            Err(format!("{command:?}: {}", last.unwrap_or("failed")))
        }
    };
    let launcher = if cfg!(windows) { "python" } else { "python3" };
    run(Command::new(launcher).arg("-m").arg("venv").arg(venv))?;
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let python = bin.join(if cfg!(windows) {
        "python.exe"
    } else {
        "python"
    });
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "openapi-core",
        "pyyaml",
    ]))?;
    Ok(python)
}

/// The installed openapi-core version, for the table.
fn openapi_core_version(python: &Path) -> String {
    Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('openapi-core'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "(version unknown)".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
}
