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
        .await?;
    crate::output::print(&format!(
        "bounce recorded: target {} field {}\n",
        cmd.target, cmd.field
    ))?;
    Ok(ExitCode::SUCCESS)
}
