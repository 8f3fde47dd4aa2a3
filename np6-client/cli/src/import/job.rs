//! What an import's journal belongs to: the input (by the SHA-256 of its
//! content and its size) and the settings that change what is sent or
//! where (the base URL, and any option a format reads by). A journal
//! resumed by another job would skip records it never sent, so the
//! journal records its job and refuses any other.
//!
//! SHA-256 (RustCrypto's `sha2`) rather than a faster non-cryptographic
//! hash: the journal is a file format that outlives versions of `np6`, so
//! its hash must be a standard one, and an operator can check which file a
//! journal is for with `sha256sum`. Reading the input once more to hash it
//! costs a fraction of the import (the calls are paced at hundreds per
//! second; SHA-256 reads hundreds of megabytes per second).

use std::fmt;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::failure::Failure;

/// The identity of an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InputId {
    /// The SHA-256 of the content, in lower-case hex.
    pub(super) sha256: String,
    /// The size in bytes.
    pub(super) size: u64,
    /// The path it was given as (shown in messages, never compared).
    pub(super) path: String,
}

impl InputId {
    /// Reads the file at `path` to the end to identify it.
    pub(super) fn of(path: &Path) -> Result<Self, Failure> {
        let shown = path.display().to_string();
        let cannot = |e: std::io::Error| Failure::usage(format!("cannot read {shown}: {e}"));
        let mut file = std::fs::File::open(path).map_err(cannot)?;
        if !file.metadata().map_err(cannot)?.is_file() {
            return Err(Failure::usage(format!(
                "cannot identify {shown}: it is not a regular file"
            )));
        }
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        let mut size: u64 = 0;
        loop {
            let read = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(cannot(e)),
            };
            hasher.update(&buffer[..read]);
            size = size.saturating_add(read as u64);
        }
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            sha256,
            size,
            path: shown,
        })
    }

    /// Whether both name the same content.
    fn same_content(&self, other: &Self) -> bool {
        self.sha256 == other.sha256 && self.size == other.size
    }

    /// The journal's line: `# input sha256=HEX size=N path=PATH`.
    fn line(&self) -> String {
        format!(
            "# input sha256={} size={} path={}",
            self.sha256,
            self.size,
            self.path.replace(['\r', '\n'], " ")
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let rest = line.strip_prefix("# input sha256=")?;
        let (sha256, rest) = rest.split_once(" size=")?;
        let (size, path) = rest.split_once(" path=")?;
        Some(Self {
            sha256: sha256.to_owned(),
            size: size.parse().ok()?,
            path: path.to_owned(),
        })
    }
}

impl fmt::Display for InputId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.sha256.get(..16).unwrap_or(&self.sha256);
        write!(f, "{} (sha256 {short}..., {} bytes)", self.path, self.size)
    }
}

/// An import job: its input and the settings that change what is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Job {
    input: InputId,
    /// `name=value` pairs, in the order they were added.
    settings: Vec<(String, String)>,
}

impl Job {
    /// The job of this input, with no setting yet.
    pub(super) fn new(input: InputId) -> Self {
        Self {
            input,
            settings: Vec::new(),
        }
    }

    /// Adds a setting that changes what is sent or where (no line break in
    /// either part; a value is never a secret: the journal is not one).
    pub(super) fn setting(mut self, name: &str, value: impl Into<String>) -> Self {
        let clean = |text: &str| text.replace(['\r', '\n', '='], " ");
        self.settings
            .push((clean(name), value.into().replace(['\r', '\n'], " ")));
        self
    }

    /// The journal's header lines after the first, each ending in `\n`.
    pub(super) fn header(&self) -> String {
        let mut text = self.input.line();
        text.push('\n');
        for (name, value) in &self.settings {
            text.push_str(&format!("# setting {name}={value}\n"));
        }
        text
    }

    /// Reads the job back from the header lines after the first.
    pub(super) fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut lines = lines.into_iter();
        let input = InputId::parse(lines.next()?)?;
        let mut settings = Vec::new();
        for line in lines {
            let (name, value) = line.strip_prefix("# setting ")?.split_once('=')?;
            settings.push((name.to_owned(), value.to_owned()));
        }
        Some(Self { input, settings })
    }

    /// `Err` with a message naming both jobs when `self`, the journal's,
    /// is not `run`'s.
    pub(super) fn check(&self, run: &Self, journal: &str) -> Result<(), Failure> {
        if !self.input.same_content(&run.input) {
            return Err(Failure::usage(format!(
                "the journal {journal} is for another input: {}, not {}; resume with that \
                 input, or give this one another --journal (or remove {journal} to start over)",
                self.input, run.input
            )));
        }
        if self.settings != run.settings {
            let show = |job: &Self| {
                job.settings
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Err(Failure::usage(format!(
                "the journal {journal} was written with other settings: {}, not {}; resume \
                 with those, or give this run another --journal",
                show(self),
                show(run)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_reads_back_and_another_input_is_told_apart() {
        let dir = tempfile::tempdir().expect("a folder");
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&a, "abc").expect("a");
        std::fs::write(&b, "abd").expect("b");
        let id = InputId::of(&a).expect("identified");
        // sha256("abc"), as `sha256sum` prints it.
        assert_eq!(
            id.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(id.size, 3);
        let job = Job::new(id).setting("base_url", "https://np6.example");
        let header = job.header();
        assert_eq!(Job::parse(header.lines()), Some(job.clone()));
        job.check(&job, "j").expect("the same job");

        let other = Job::new(InputId::of(&b).expect("identified"))
            .setting("base_url", "https://np6.example");
        let refused = job.check(&other, "j").expect_err("another input");
        let message = refused.to_string();
        assert!(
            message.contains("a.csv") && message.contains("b.csv"),
            "{message}"
        );

        let elsewhere = Job::new(InputId::of(&a).expect("identified"))
            .setting("base_url", "http://127.0.0.1:1");
        let refused = job.check(&elsewhere, "j").expect_err("other settings");
        assert!(
            refused.to_string().contains("base_url=https://np6.example"),
            "{refused}"
        );
    }
}
