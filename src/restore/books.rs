//! What a failed write to the journal or the audit log becomes: an error that names the file
//! and the cause, logged once where it happens, and handed back so the caller can say it to
//! the admin (status line, warning, stderr). Never dropped: a journal line that is missing
//! means an interrupted run is not found later, an audit line that is missing means a change
//! nobody can account for.

use std::io;
use std::path::{Path, PathBuf};

/// A journal or audit-log write that did not happen.
#[derive(Debug, thiserror::Error)]
#[error("the {book} ({path}) could not be written: {source}")]
pub struct WriteFailed {
    pub book: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl WriteFailed {
    pub(crate) fn new(book: &'static str, path: &Path, source: io::Error) -> Self {
        let e = Self {
            book,
            path: path.to_path_buf(),
            source,
        };
        tracing::error!(target: "undelete::books", "{e}");
        e
    }
}

impl From<WriteFailed> for io::Error {
    fn from(e: WriteFailed) -> Self {
        io::Error::new(e.source.kind(), e.to_string())
    }
}
