//! Refusing a run whose files overlap: an output (`--rejects`,
//! `--journal`, `--state`, `--output`) that is the input, or another
//! output, would destroy what the run reads or writes. Two paths are one
//! file when they reach the same file (device and inode, through any
//! link), or, for a file not there yet, when they are the same path once
//! made absolute with its folder's links resolved.

use std::path::{Component, Path, PathBuf};

use crate::failure::Failure;
use crate::output::is_stdout;

/// A file of the run, and the flag (or role) that names it.
pub(crate) type Named<'a> = (&'a str, &'a Path);

/// A usage error (exit code 2) naming both flags when two of `files` are
/// one file. `-` (stdin or stdout) is never compared.
pub(crate) fn refuse_overlaps(files: &[Named<'_>]) -> Result<(), Failure> {
    let files: Vec<_> = files.iter().filter(|(_, p)| !is_stdout(p)).collect();
    for (i, (first, a)) in files.iter().enumerate() {
        for (second, b) in files.iter().skip(i.saturating_add(1)) {
            if same_file(a, b) {
                return Err(Failure::usage(format!(
                    "{second} {} is the same file as {first} {}: the run would overwrite \
                     what it {}; name another file",
                    b.display(),
                    a.display(),
                    if *first == "the input" {
                        "reads"
                    } else {
                        "writes"
                    },
                )));
            }
        }
    }
    Ok(())
}

/// Whether `a` and `b` are (or, once created, would be) one file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (identity(a), identity(b)) {
        (Some(a), Some(b)) => a == b,
        _ => normalised(a) == normalised(b),
    }
}

/// The file's identity (links followed), if it exists.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// `path` absolute, with the links of the deepest folder that exists
/// resolved and `.` and `..` taken out of the rest.
fn normalised(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    if let Ok(real) = std::fs::canonicalize(&absolute) {
        return real;
    }
    let lexical = lexical(&absolute);
    // The folder may exist though the file does not.
    match (lexical.parent(), lexical.file_name()) {
        (Some(folder), Some(name)) => match std::fs::canonicalize(folder) {
            Ok(real) => real.join(name),
            Err(_) => lexical,
        },
        _ => lexical,
    }
}

/// `.` and `..` taken out without looking at the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_found_by_another_path_and_a_new_one_by_its_path() {
        let dir = tempfile::tempdir().expect("a folder");
        let file = dir.path().join("in.csv");
        std::fs::write(&file, "x").expect("a file");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("a folder");
        assert!(same_file(&file, &sub.join("../in.csv")));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.csv");
            std::os::unix::fs::symlink(&file, &link).expect("a link");
            assert!(same_file(&file, &link));
            let hard = dir.path().join("hard.csv");
            std::fs::hard_link(&file, &hard).expect("a hard link");
            assert!(same_file(&file, &hard));
        }
        let new = dir.path().join("new.csv");
        assert!(same_file(&new, &sub.join("./../new.csv")));
        assert!(!same_file(&new, &file));
        assert!(!same_file(&new, &dir.path().join("other.csv")));
        assert!(
            refuse_overlaps(&[("the input", &file), ("--rejects", &sub.join("../in.csv"))])
                .is_err()
        );
        assert!(
            refuse_overlaps(&[("--output", Path::new("-")), ("--state", Path::new("-"))]).is_ok()
        );
        assert!(refuse_overlaps(&[("the input", &file), ("--journal", &new)]).is_ok());
    }
}
