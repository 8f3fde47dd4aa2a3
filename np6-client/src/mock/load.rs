//! Where a [`FixtureSet`] comes from: the fixtures bundled with the crate,
//! or a folder of your own, each read and checked before anything serves it.

use std::path::Path;

use super::answer::FixtureSet;
use crate::error::{Error, ErrorKind};
use crate::fixture::Fixture;

include!(concat!(env!("OUT_DIR"), "/bundled_fixtures.rs"));

impl FixtureSet {
    /// The fixture corpus bundled with the crate (`openapi/fixtures` of
    /// np6-rs): what a sandbox answers from unless told otherwise.
    ///
    /// ```
    /// let fixtures = np6_client::mock::FixtureSet::bundled()?;
    /// assert!(fixtures.names().any(|name| name.ends_with(".yaml")));
    /// # Ok::<(), np6_client::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] if a bundled fixture cannot be served, which
    /// the crate's own tests rule out.
    pub fn bundled() -> Result<Self, Error> {
        let fixtures = BUNDLED
            .iter()
            .map(|(name, text)| {
                Fixture::parse(text.as_bytes())
                    .and_then(|f| f.servable().map(|()| ((*name).to_owned(), f)))
                    .map_err(|e| config(format!("bundled fixture {name}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Self::checked(fixtures)
    }

    /// The fixtures below `dir` (`.yaml`, `.yml`, `.json`), each named by
    /// its path below `dir`. Their format is a contract, written in
    /// `fixtures/README.md` in this crate.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when a fixture file is refused (not a regular
    /// file, larger than 16 MiB), is not a fixture, or has an answer that
    /// cannot be sent (a status that is not final, a header HTTP cannot
    /// carry or that frames the message, such as `content-length`); the
    /// message names the file. Also when there is no fixture.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let files = crate::fixture::files_below(dir)
            .map_err(|e| config(format!("cannot read the fixtures: {e}")))?;
        let fixtures = files
            .into_iter()
            .map(|path| {
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                let fixture = crate::fixture::read_file(&path)
                    .and_then(|bytes| Fixture::parse(&bytes))
                    .and_then(|f| f.servable().map(|()| f))
                    .map_err(|e| config(format!("fixture {}: {e}", path.display())))?;
                Ok((name, fixture))
            })
            .collect::<Result<_, Error>>()?;
        Self::checked(fixtures)
    }

    fn checked(fixtures: Vec<(String, Fixture)>) -> Result<Self, Error> {
        if fixtures.is_empty() {
            return Err(config(
                "the sandbox has no fixtures to answer from".to_owned(),
            ));
        }
        Ok(Self::new(fixtures))
    }
}

fn config(message: String) -> Error {
    Error::new(ErrorKind::Config, None, message)
}
