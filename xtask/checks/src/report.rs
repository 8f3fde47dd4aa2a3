//! What the commands print: one line per failing fixture and a summary, or
//! JSON; and their exit codes.

use serde::Serialize;

/// One problem: where (e.g. `response.body/0/origin`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub location: String,
    pub message: String,
}

impl Issue {
    pub fn new(location: &str, message: impl Into<String>) -> Self {
        Self {
            location: location.to_owned(),
            message: message.into(),
        }
    }
}

/// The result for one fixture file.
#[derive(Debug, Clone, Serialize)]
pub struct FixtureResult {
    pub file: String,
    pub operation: Option<String>,
    pub valid: bool,
    pub errors: Vec<Issue>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    pub valid: usize,
    pub invalid: usize,
    pub spec_errors: usize,
}

/// A command's whole result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub spec_errors: Vec<Issue>,
    pub fixtures: Vec<FixtureResult>,
    pub summary: Summary,
}

impl Report {
    pub fn new(spec_errors: Vec<Issue>, fixtures: Vec<FixtureResult>) -> Self {
        let valid = fixtures.iter().filter(|f| f.valid).count();
        let summary = Summary {
            total: fixtures.len(),
            valid,
            invalid: fixtures.len() - valid,
            spec_errors: spec_errors.len(),
        };
        Self {
            spec_errors,
            fixtures,
            summary,
        }
    }

    /// Whether everything passed.
    pub fn ok(&self) -> bool {
        self.spec_errors.is_empty() && self.summary.invalid == 0
    }

    /// Exit code: 0 when everything passed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.ok() { 0 } else { 1 }
    }

    /// The text report: one line per problem, then the summary.
    pub fn text(&self, verb: &str) -> String {
        let mut out = String::new();
        for issue in &self.spec_errors {
            out.push_str(&format!("spec: {}: {}\n", issue.location, issue.message));
        }
        for fixture in self.fixtures.iter().filter(|f| !f.valid) {
            let detail: Vec<String> = fixture
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.location, e.message))
                .collect();
            out.push_str(&format!("{}: {}\n", fixture.file, detail.join("; ")));
        }
        out.push_str(&format!(
            "{verb}: {} fixtures, {} passed, {} failed{}\n",
            self.summary.total,
            self.summary.valid,
            self.summary.invalid,
            if self.spec_errors.is_empty() {
                String::new()
            } else {
                format!(", {} spec errors", self.spec_errors.len())
            }
        ));
        out
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
