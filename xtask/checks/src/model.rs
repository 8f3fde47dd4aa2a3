//! The spec, ready to check fixtures: the one model of the spec
//! (`np6_spec`) with a compiled JSON Schema validator for every parameter,
//! request body and response body.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::Path;

use jsonschema::Validator;
use np6_client::spec::{PathParams, find_operation};
use np6_spec::{ResponseBody, Spec};

use crate::report::Issue;
use crate::schema::Compiler;

pub use np6_spec::Location;

/// A parameter of the spec with its compiled schema.
pub struct CheckedParam {
    spec: np6_spec::Param,
    /// Checks the parameter's value, typed as its schema says.
    pub validator: Validator,
}

impl Deref for CheckedParam {
    type Target = np6_spec::Param;
    fn deref(&self) -> &np6_spec::Param {
        &self.spec
    }
}

/// What a documented status carries, ready to check.
pub enum CheckedBody {
    /// No body.
    Empty,
    /// A JSON body, validated.
    Json(Validator),
    /// An opaque body (any content type): kept, not validated.
    Opaque,
}

/// An operation of the spec with its compiled schemas; the model's facts
/// (`id`, `method`, `path`, `key_headers`...) through `Deref`.
pub struct CheckedOperation {
    spec: np6_spec::Operation,
    /// Its parameters, as the model lists them, each with its validator.
    pub params: Vec<CheckedParam>,
    /// The JSON request body: required, validator.
    pub body: Option<(bool, Validator)>,
    /// Every documented status and what it carries.
    pub responses: BTreeMap<u16, CheckedBody>,
}

impl Deref for CheckedOperation {
    type Target = np6_spec::Operation;
    fn deref(&self) -> &np6_spec::Operation {
        &self.spec
    }
}

/// The spec, ready to check fixtures.
pub struct Model {
    /// The model of the spec.
    pub spec: Spec,
    /// Every operation, in spec order.
    pub operations: Vec<CheckedOperation>,
}

impl Model {
    /// Loads, checks and compiles the spec. Every problem of the spec is
    /// returned, each with its location in the document.
    ///
    /// # Errors
    ///
    /// The list of problems when the spec is invalid or unreadable.
    pub fn load(path: &Path) -> Result<Model, Vec<Issue>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Issue::new(
                "spec",
                format!("cannot read {}: {e}", path.display()),
            )]
        })?;
        Self::from_spec(Spec::from_yaml(&text).map_err(issues)?)
    }

    /// Checks and compiles a spec already parsed.
    ///
    /// # Errors
    ///
    /// The list of problems when the spec is invalid.
    pub fn from_value(raw: &serde_json::Value) -> Result<Model, Vec<Issue>> {
        Self::from_spec(Spec::from_value(raw.clone()).map_err(issues)?)
    }

    fn from_spec(spec: Spec) -> Result<Model, Vec<Issue>> {
        let compiler = Compiler::new(&spec);
        let mut problems = compiler.check_examples(&spec);
        let mut compile = |at: &str, schema: &serde_json::Value| {
            compiler
                .compile(schema)
                .map_err(|e| problems.push(Issue::new(at, e)))
                .ok()
        };
        let mut operations = Vec::new();
        for op in &spec.operations {
            let params = op
                .params
                .iter()
                .filter_map(|param| {
                    Some(CheckedParam {
                        validator: compile(&param.at, &param.schema)?,
                        spec: param.clone(),
                    })
                })
                .collect();
            let body = op.body.as_ref().and_then(|body| {
                let schema = body.json_schema.as_ref()?;
                Some((body.required, compile(&body.at, schema)?))
            });
            let mut responses = BTreeMap::new();
            for (status, response) in &op.responses {
                let checked = match &response.body {
                    ResponseBody::Empty => CheckedBody::Empty,
                    ResponseBody::Opaque => CheckedBody::Opaque,
                    ResponseBody::Json(schema) => match compile(&response.at, schema) {
                        Some(validator) => CheckedBody::Json(validator),
                        None => continue,
                    },
                };
                responses.insert(*status, checked);
            }
            operations.push(CheckedOperation {
                spec: op.clone(),
                params,
                body,
                responses,
            });
        }
        if problems.is_empty() {
            Ok(Model { spec, operations })
        } else {
            Err(problems)
        }
    }

    /// The operation with this id.
    pub fn operation(&self, id: &str) -> Option<&CheckedOperation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// The operation for a method and a raw path, with the path parameters
    /// percent-decoded; or why there is none.
    ///
    /// # Errors
    ///
    /// Why no operation of the spec has this method and path.
    pub fn match_request(
        &self,
        method: &str,
        raw_path: &str,
    ) -> Result<(&CheckedOperation, PathParams), String> {
        let operations = self
            .operations
            .iter()
            .map(|op| (op.method.as_str(), op.path.as_str(), op));
        find_operation(operations, method, raw_path).map_err(|e| e.to_string())
    }
}

/// The model's problems in the report's terms.
fn issues(found: Vec<np6_spec::Issue>) -> Vec<Issue> {
    found
        .into_iter()
        .map(|issue| Issue::new(&issue.location, issue.message))
        .collect()
}
