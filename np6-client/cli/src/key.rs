//! The API key (environment, file or prompt) and the client made with it.
//! The key goes into an `ApiKey` at once and is never printed: no message
//! of this module quotes what it read.

use std::io::IsTerminal;

use np6_client::{ApiKey, Client};

use crate::cli::Global;
use crate::failure::Failure;

/// A client for NP6 (or `NP6_BASE_URL`), with the key found by [`api_key`].
pub(crate) fn client(global: &Global) -> Result<Client, Failure> {
    let mut builder = Client::builder().api_key(api_key(global)?);
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url.as_str());
    }
    Ok(builder.build()?)
}

/// `--key-file` first, then `NP6_API_KEY`, then a prompt with no echo when
/// stdin is a terminal.
fn api_key(global: &Global) -> Result<ApiKey, Failure> {
    if let Some(path) = &global.key_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::cannot_run(format!(
                "cannot read the key file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        let key = text.lines().next().unwrap_or_default().trim();
        if key.is_empty() {
            return Err(Failure::cannot_run(format!(
                "the key file {} is empty",
                path.display()
            )));
        }
        return Ok(ApiKey::new(key));
    }
    if let Some(key) = ApiKey::from_env() {
        return Ok(key);
    }
    if std::io::stdin().is_terminal() {
        let key = rpassword::prompt_password("NP6 API key: ")
            .map_err(|e| Failure::cannot_run(format!("cannot read the key: {}", e.kind())))?;
        let key = key.trim();
        if !key.is_empty() {
            return Ok(ApiKey::new(key));
        }
    }
    Err(Failure::cannot_run(
        "no API key: set NP6_API_KEY, pass --key-file FILE, or run on a terminal to be asked",
    ))
}
