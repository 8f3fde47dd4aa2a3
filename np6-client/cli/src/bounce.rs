//! `np6 bounce TARGET FIELD --type T`: reports one bounce.

use std::process::ExitCode;

use chrono::{SubsecRound, Utc};
use np6_client::types::{BounceData, BounceDetail};

use crate::bounce_type::bounce_type;
use crate::cli::{Bounce, Global};
use crate::failure::Failure;
use crate::when;

pub(crate) async fn run(global: &Global, cmd: Bounce) -> Result<ExitCode, Failure> {
    let kind = bounce_type(&cmd.kind, cmd.allow_unknown_type).map_err(Failure::cannot_run)?;
    let mut bounce = BounceData::new(kind);
    if let Some(message) = cmd.message.filter(|m| !m.is_empty()) {
        bounce = bounce.with_detail(BounceDetail::new().with_message(message));
    }
    if let Some(text) = &cmd.at {
        let at = when::parse(text, Utc::now().trunc_subsecs(0))
            .map_err(|e| Failure::cannot_run(format!("--at: {e}")))?;
        bounce = bounce.with_timestamp(at);
    }
    let client = crate::key::client(global)?;
    client
        .put_target_bounce(&cmd.target, cmd.field, &bounce)
        .send()
        .await
        .map_err(refused_or_failed)?;
    crate::output::print(&format!(
        "bounce recorded: target {} field {}\n",
        cmd.target, cmd.field
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// NP6 refusing this bounce for good (a `4xx` other than a refused key) is
/// a rejected record, exit code 1, as in `bounces import`; anything else
/// is the client error's own code.
fn refused_or_failed(error: np6_client::Error) -> Failure {
    match error.status() {
        Some(400..=499) if !matches!(error.status(), Some(401 | 403)) && !error.is_retryable() => {
            Failure::some_rejected(error.to_string())
        }
        _ => Failure::from(error),
    }
}
