//! Benchmark 6, `build` (`cargo xtask bench --only build`, run only when
//! named): what depending on np6-client costs a
//! consumer's clean build, against a consumer of the same reqwest, serde,
//! tokio and chrono (same versions from the workspace lock file, same
//! features) and nothing else. The np6-client consumer depends on the
//! package as it would be published (`cargo xtask package`, then
//! `cargo package`, unpacked). A third, for comparison, depends on a
//! checkout by `path` with `codegen`, so it compiles the generator too (as
//! every consumer did before the package shipped the generated code). Each
//! scratch crate is built clean in its own target dir, in the dev profile a
//! consumer's `cargo build` uses, twice, in the order A, B, C, C, B, A.
//! Target: the package's consumer at most 1.3x the baseline's wall time.
//!
//! Then the maintainers' loop: after a spec edit (an optional query
//! parameter added, from `cargo xtask growth`'s kinds), the rebuild of
//! np6-client with `codegen`, and of the workspace, in the workspace's own
//! target dir.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::Row;
use crate::package::stdout_of;

/// Both consumers' dependencies besides np6-client: the workspace's
/// declarations of them, with the TLS np6-client turns on by default.
const COMMON_DEPS: &str = r#"
reqwest = { version = "0.13.4", default-features = false, features = ["json", "query", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1.47", features = ["macros", "rt-multi-thread", "time", "net", "io-util", "sync", "fs", "signal"] }
chrono = { version = "0.4.42", default-features = false, features = ["clock", "serde", "std"] }
"#;

/// A temporary folder, removed when dropped.
pub(super) struct TempDir(pub(super) PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One clean build: wall time, units compiled, crates in the graph.
pub(super) struct Build {
    wall: Duration,
    units: usize,
    crates: usize,
}

/// One crate and its clean builds.
pub(super) struct Side {
    pub(super) dir: PathBuf,
    builds: Vec<Build>,
}

impl Side {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            builds: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, build: Build) {
        self.builds.push(build);
    }

    pub(super) fn total(&self) -> Duration {
        self.builds
            .iter()
            .fold(Duration::ZERO, |sum, b| sum.saturating_add(b.wall))
    }

    pub(super) fn ratio_to(&self, base: &Side) -> f64 {
        self.total().as_secs_f64() / base.total().as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Each build's wall time, then the units and crates of the first.
    pub(super) fn versus(&self, base: &Side) -> String {
        let walls = |side: &Side| {
            let walls: Vec<String> = side
                .builds
                .iter()
                .map(|b| format!("{:.1}", b.wall.as_secs_f64()))
                .collect();
            walls.join(" + ")
        };
        let first = |side: &Side| side.builds.first().map_or((0, 0), |b| (b.units, b.crates));
        let ((units, crates), (base_units, base_crates)) = (first(self), first(base));
        format!(
            "{} s vs {} s; {units} vs {base_units} units compiled; {crates} vs {base_crates} \
             crates (normal+build)",
            walls(self),
            walls(base)
        )
    }
}

/// The comparison, as rows of the bench table.
pub fn build_cost() -> Result<Vec<Row>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent folder")?
        .to_path_buf();
    let dir = TempDir(std::env::temp_dir().join(format!("np6-bench-build-{}", std::process::id())));
    let (client, spec_package) = packaged(&root, &dir.0)?;
    let with_client = format!(
        "np6-client = {{ path = {:?} }}\n{COMMON_DEPS}\n\
         [patch.crates-io]\nnp6-spec = {{ path = {:?} }}\n",
        client.to_string_lossy(),
        spec_package.to_string_lossy()
    );
    let main_of = |body: &str| format!("fn main() {{\n    {body}\n}}\n");
    let body = &main_of("np6_client::Client::builder().api_key(\"k\").build().map(drop).ok();");
    let with_checkout = format!(
        "np6-client = {{ path = {:?}, features = [\"codegen\"] }}\n{COMMON_DEPS}",
        root.join("np6-client").to_string_lossy()
    );
    let mut sides = [
        Side::new(consumer(
            &dir.0,
            &root,
            "baseline",
            COMMON_DEPS,
            &main_of("reqwest::Client::builder().build().map(drop).ok();"),
        )?),
        Side::new(consumer(
            &dir.0,
            &root,
            "with-np6-client",
            &with_client,
            body,
        )?),
        Side::new(consumer(
            &dir.0,
            &root,
            "with-a-checkout",
            &with_checkout,
            body,
        )?),
    ];
    // A, B, C, C, B, A: the machine's drift (caches, other load) falls on
    // every side alike.
    for index in [0, 1, 2, 2, 1, 0] {
        let side = &mut sides[index];
        eprintln!("bench: clean build of {}...", side.dir.display());
        side.add(build(&side.dir)?);
    }
    let [base, package, checkout] = &sides;
    eprintln!("bench: np6-client's rebuild after a spec edit (workspace, codegen)...");
    let edit_client = spec_edit_rebuild(
        &root,
        &dir.0,
        &["-p", "np6-client", "--lib", "--features", "codegen"],
    )?;
    eprintln!("bench: the workspace's rebuild after a spec edit...");
    let edit_workspace = spec_edit_rebuild(&root, &dir.0, &["--workspace"])?;

    let one_build = package.total().as_secs_f64() / 2.0;
    Ok(vec![
        Row {
            name: "clean build: np6-client consumer / baseline".to_owned(),
            ratio: package.ratio_to(base),
            detail: package.versus(base),
            target: Some((1.3, false)),
        },
        Row {
            name: "clean build: consumer of a checkout (codegen) / baseline".to_owned(),
            ratio: checkout.ratio_to(base),
            detail: format!(
                "a `path` dependency, generator compiled: {}",
                checkout.versus(base)
            ),
            target: None,
        },
        Row {
            name: "spec-edit rebuild, np6-client / clean consumer".to_owned(),
            ratio: edit_client.as_secs_f64() / one_build.max(f64::MIN_POSITIVE),
            detail: format!(
                "{:.1} s to regenerate and recompile np6-client (codegen) after {EDIT_KIND}",
                edit_client.as_secs_f64(),
            ),
            target: None,
        },
        Row {
            name: "spec-edit rebuild, workspace / clean consumer".to_owned(),
            ratio: edit_workspace.as_secs_f64() / one_build.max(f64::MIN_POSITIVE),
            detail: format!(
                "{:.1} s for `cargo build --workspace` (np6-client and every crate on it) \
                 after {EDIT_KIND}",
                edit_workspace.as_secs_f64(),
            ),
            target: None,
        },
    ])
}

/// The spec edit the rebuild follows: one of `cargo xtask growth`'s kinds.
const EDIT_KIND: &str = "optional-query-parameter";

/// np6-spec and np6-client packaged as they would be published, unpacked
/// under `dir`: (np6-client's folder, np6-spec's folder).
fn packaged(root: &Path, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    match <[PathBuf; 2]>::try_from(unpacked(root, dir, &["np6-client", "np6-spec"])?) {
        Ok([client, spec]) => Ok((client, spec)),
        Err(_) => Err("two packages were unpacked".to_owned()),
    }
}

/// The workspace's crates `names` packaged as they would be published
/// (after `cargo xtask package`'s generated code is written), unpacked
/// under `dir`: their folders, in the order of `names`.
pub(super) fn unpacked(root: &Path, dir: &Path, names: &[&str]) -> Result<Vec<PathBuf>, String> {
    let cargo = env!("CARGO");
    eprintln!("bench: packaging {}...", names.join(", "));
    crate::package::write_generated(root)?;
    let target = dir.join("package-target");
    let mut command = Command::new(cargo);
    command.args(["package", "--no-verify", "--allow-dirty", "--quiet"]);
    for name in names {
        command.args(["-p", name]);
    }
    stdout_of(command.env("CARGO_TARGET_DIR", &target).current_dir(root))?;
    let packages = target.join("package");
    let mut folders = Vec::new();
    for name in names {
        // The one `<name>-<version>.crate` of this fresh target dir.
        let file = std::fs::read_dir(&packages)
            .map_err(|e| format!("{}: {e}", packages.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| {
                let file_name = path.file_name().unwrap_or_default().to_string_lossy();
                file_name
                    .strip_prefix(&format!("{name}-"))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                    && file_name.ends_with(".crate")
            })
            .ok_or_else(|| format!("cargo package wrote no {name} package"))?;
        stdout_of(
            Command::new("tar")
                .arg("-xzf")
                .arg(&file)
                .arg("-C")
                .arg(dir),
        )?;
        let unpacked = file.file_stem().unwrap_or_default().to_owned();
        folders.push(dir.join(unpacked));
    }
    Ok(folders)
}

/// The maintainers' loop: `cargo build <args>` in the workspace (its own
/// target dir, so warm) with np6-client generated from a copy of the spec,
/// then again, timed, once the copy is grown by [`EDIT_KIND`].
fn spec_edit_rebuild(root: &Path, dir: &Path, args: &[&str]) -> Result<Duration, String> {
    let spec = crate::inputs::workspace_spec()?;
    let copy = dir.join("np6.spec.json");
    let write = |value: &serde_json::Value| {
        let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
        std::fs::write(&copy, text).map_err(|e| format!("{}: {e}", copy.display()))
    };
    let rebuild = || {
        let start = Instant::now();
        stdout_of(
            Command::new(env!("CARGO"))
                .args(["build", "--quiet"])
                .args(args)
                .env("NP6_CLIENT_SPEC", &copy)
                .current_dir(root),
        )?;
        Ok::<_, String>(start.elapsed())
    };
    write(spec.raw())?;
    rebuild()?;
    let kind = crate::growth::kinds::KINDS
        .iter()
        .find(|kind| kind.name == EDIT_KIND)
        .ok_or("no such growth kind")?;
    let mut grown = spec.raw().clone();
    (kind.grow)(&spec, &mut grown)?;
    write(&grown)?;
    rebuild()
}

/// Writes a binary crate `name` with `deps` and `main_rs`, and the
/// workspace lock file so every side builds the same versions.
pub(super) fn consumer(
    dir: &Path,
    root: &Path,
    name: &str,
    deps: &str,
    main_rs: &str,
) -> Result<PathBuf, String> {
    let crate_dir = dir.join(name);
    let io = |e: std::io::Error| format!("cannot write the {name} consumer: {e}");
    std::fs::create_dir_all(crate_dir.join("src")).map_err(io)?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{deps}\n[workspace]\n"
    );
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).map_err(io)?;
    std::fs::write(crate_dir.join("src/main.rs"), main_rs).map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).map_err(io)?;
    Ok(crate_dir)
}

/// A clean `cargo build` of the crate at `dir`, in `dir/target`.
fn build(dir: &Path) -> Result<Build, String> {
    timed(dir, &["build"])
}

/// A clean `cargo <args>` of the crate at `dir` (`build`, `install`), in
/// `dir/target`: its wall time, the units it compiled and the crates of
/// its graph.
pub(super) fn timed(dir: &Path, args: &[&str]) -> Result<Build, String> {
    let cargo = env!("CARGO");
    // Resolve (and fetch) first, so the timed build is compilation only.
    stdout_of(Command::new(cargo).arg("fetch").current_dir(dir))?;
    let tree = stdout_of(
        Command::new(cargo)
            .args([
                "tree",
                "--prefix",
                "none",
                "-e",
                "normal,build",
                "--no-dedupe",
            ])
            .current_dir(dir),
    )?;
    let mut crates: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split(" (").next())
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    crates.sort_unstable();
    crates.dedup();

    let target = dir.join("target");
    crate::package::remove_dir(&target)?;
    let mut command = Command::new(cargo);
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    let start = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))?;
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "cargo {} in {} failed:\n{stderr}",
            args.join(" "),
            dir.display()
        ));
    }
    let units = stderr
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling "))
        .count();
    Ok(Build {
        wall,
        units,
        crates: crates.len(),
    })
}
