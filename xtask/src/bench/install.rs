//! Benchmark 8, `install` (`cargo xtask bench --only install`, run only
//! when named): what an operator waits for `cargo install np6 --locked`,
//! against the same for a comparable command line.
//!
//! np6 is installed from its packaged crates (np6-spec, np6-client and np6
//! as `cargo xtask package` makes them, unpacked into a scratch workspace
//! whose `[patch.crates-io]` points at them, as `.ci/package` does). The
//! comparable command line depends on clap (derive, env), reqwest, tokio,
//! csv, serde and serde_json with the features np6 turns on, from the same
//! lock file, and uses each. Each is installed clean (release, its own
//! target dir) twice, in the order A, B, B, A. Target: np6 at most 1.3x.

use std::path::Path;

use super::Row;
use super::build_cost::{Side, TempDir, consumer, timed, unpacked};

/// The comparable command line's dependencies: the versions and features
/// np6 (and np6-client under it) asks for.
const COMPARABLE_DEPS: &str = r#"
clap = { version = "4.5", features = ["derive", "env"] }
csv = "1.3"
reqwest = { version = "0.13.4", default-features = false, features = ["json", "query", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1.47", features = ["macros", "rt-multi-thread", "time", "net", "io-util", "sync", "fs", "signal"] }
"#;

/// A command line that reads a CSV of records and sends each as JSON.
const COMPARABLE_MAIN: &str = r#"use clap::Parser;

/// Sends each record of a CSV file to a server.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The key, sent as `X-Key`.
    #[arg(long, env = "API_KEY")]
    key: String,
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The CSV file.
    input: std::path::PathBuf,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Record {
    id: String,
    kind: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let client = reqwest::Client::builder().build()?;
    let mut reader = csv::Reader::from_path(&args.input)?;
    for record in reader.deserialize::<Record>() {
        let record = record?;
        let answer = client
            .put(format!("{}/records/{}", args.url, record.id))
            .header("X-Key", &args.key)
            .json(&record)
            .send()
            .await?;
        println!("{}", serde_json::json!({ "id": record.id, "status": answer.status().as_u16() }));
    }
    Ok(())
}
"#;

/// The comparison, as rows of the bench table.
pub fn install() -> Result<Vec<Row>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent folder")?
        .to_path_buf();
    let dir =
        TempDir(std::env::temp_dir().join(format!("np6-bench-install-{}", std::process::id())));
    let folders = unpacked(&root, &dir.0, &["np6-spec", "np6-client", "np6"])?;
    let [spec, client, np6] =
        <[_; 3]>::try_from(folders).map_err(|_| "three packages were unpacked".to_owned())?;
    let name = |path: &Path| {
        path.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let workspace = format!(
        "[workspace]\nresolver = \"3\"\nmembers = [{:?}, {:?}]\n\n\
         [patch.crates-io]\nnp6-spec = {{ path = {:?} }}\nnp6-client = {{ path = {:?} }}\n",
        name(&client),
        name(&np6),
        name(&spec),
        name(&client),
    );
    let io = |e: std::io::Error| format!("cannot write the scratch workspace: {e}");
    std::fs::write(dir.0.join("Cargo.toml"), workspace).map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), dir.0.join("Cargo.lock")).map_err(io)?;
    let comparable = consumer(
        &dir.0,
        &root,
        "comparable-cli",
        COMPARABLE_DEPS,
        COMPARABLE_MAIN,
    )?;

    let bin = dir.0.join("installed");
    let bin = bin.to_string_lossy();
    let install = ["install", "--path", ".", "--locked", "--root", &bin];
    let mut sides = [Side::new(comparable), Side::new(np6)];
    for index in [0, 1, 1, 0] {
        let side = &mut sides[index];
        eprintln!("bench: clean install of {}...", side.dir.display());
        side.add(timed(&side.dir, &install)?);
    }
    let [base, np6] = &sides;
    Ok(vec![Row {
        name: "clean install: np6 / comparable command line".to_owned(),
        ratio: np6.ratio_to(base),
        detail: format!("`cargo install --locked`, release: {}", np6.versus(base)),
        target: Some((1.3, false)),
    }])
}

#[cfg(test)]
mod tests {
    use super::COMPARABLE_DEPS;

    /// Each of the comparable command line's dependencies is one np6 or
    /// np6-client has too, with the same version requirement and at least
    /// its features: the comparison stays fair as the manifests move.
    #[test]
    fn the_comparable_command_line_uses_np6s_versions_and_features() {
        let output = std::process::Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        let metadata: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
        let packages = metadata["packages"].as_array().expect("packages");
        let declared = |crate_name: &str| {
            packages
                .iter()
                .filter(|p| p["name"] == "np6" || p["name"] == "np6-client")
                .flat_map(|p| p["dependencies"].as_array().into_iter().flatten())
                .find(|d| d["name"] == crate_name && d["kind"].is_null())
                .cloned()
        };
        let quoted = |text: &str| -> Vec<String> {
            text.split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        };
        let mut checked = 0;
        for line in COMPARABLE_DEPS.lines().filter(|l| l.contains('=')) {
            let (name, rest) = line.split_once('=').expect("name = ...");
            let name = name.trim();
            let dep = declared(name).unwrap_or_else(|| panic!("np6 does not depend on {name}"));
            let (version, features) = match rest.split_once("features") {
                Some((head, features)) => (quoted(head), quoted(features)),
                None => (quoted(rest), Vec::new()),
            };
            let version = version.last().expect("a version");
            assert_eq!(dep["req"], format!("^{version}"), "{name}'s version");
            for feature in dep["features"].as_array().expect("features") {
                let feature = feature.as_str().expect("a feature name");
                assert!(
                    features.iter().any(|f| f == feature),
                    "the comparable {name} lacks np6's feature {feature}"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 6, "clap, csv, reqwest, serde, serde_json, tokio");
    }
}
