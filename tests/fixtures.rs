//! Every fixture of `openapi/fixtures/` as two named tests: `validate::<file>`
//! (the spec describes it) and `replay::<file>` (the generated client handles
//! it). A fixture added to the corpus is a test with no code written.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use np6_checks::model::Model;

fn main() {
    let args = Arguments::from_args();
    let model = match Model::load(&np6_checks::default_spec()) {
        Ok(model) => Arc::new(model),
        Err(issues) => {
            eprintln!("the spec is invalid: {issues:?} (run `cargo xtask validate`)");
            std::process::exit(101);
        }
    };
    let files = match np6_checks::fixture_files(&[np6_checks::default_fixtures()]) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!(
                "no fixtures in {}",
                np6_checks::default_fixtures().display()
            );
            std::process::exit(101);
        }
        Err(e) => {
            eprintln!("cannot list the fixtures: {e}");
            std::process::exit(101);
        }
    };
    let mut trials = Vec::new();
    let (m, all) = (model.clone(), files.clone());
    trials.push(Trial::test(
        "coverage::every_operation_and_documented_status",
        move || {
            let (text, complete) =
                np6_checks::coverage::text(&np6_checks::coverage::table(&m, &all));
            if complete {
                Ok(())
            } else {
                Err(format!("{text}(add fixtures; see `cargo xtask coverage`)").into())
            }
        },
    ));
    for file in files {
        let name = np6_checks::display_path(&file)
            .trim_start_matches("openapi/fixtures/")
            .to_owned();
        let (m, f) = (model.clone(), file.clone());
        trials.push(Trial::test(format!("validate::{name}"), move || {
            let fixture = np6_checks::validate::load(&f)
                .map_err(|i| Failed::from(format!("{}: {}", i.location, i.message)))?;
            let (_, issues) = np6_checks::validate::check(&m, &fixture);
            failures(issues, "cargo xtask validate")
        }));
        let (m, f) = (model.clone(), file);
        trials.push(Trial::test(format!("replay::{name}"), move || {
            let fixture = np6_checks::validate::load(&f)
                .map_err(|i| Failed::from(format!("{}: {}", i.location, i.message)))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Failed::from(e.to_string()))?;
            let issues = runtime.block_on(np6_checks::replay::replay(&m, &fixture));
            failures(issues, "cargo xtask replay")
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn failures(issues: Vec<np6_checks::report::Issue>, command: &str) -> Result<(), Failed> {
    if issues.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = issues
        .iter()
        .map(|i| format!("{}: {}", i.location, i.message))
        .collect();
    Err(format!("{}\n(reproduce with `{command}`)", lines.join("\n")).into())
}
