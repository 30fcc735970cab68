//! The data dir as a place that cannot be turned against its owner, and how it is laid out.
//!
//! Everything undelete keeps (the sandbox's store, the token cache, the log, and each
//! directory's books) lives under one data dir. A data dir that someone else can write to is a
//! data dir in which someone else can plant a symbolic link where the journal goes and have us
//! append to, or truncate, whatever it points at; so it is refused, in words, before anything
//! is opened in it. What undelete creates there it creates private (0700 folders, 0600 files),
//! and the books are opened without following links.

mod directory_id;
mod private;

pub use directory_id::DirectoryId;
pub use private::{Unsafe, check_private, create_private, open_nofollow, prepare};

/// The folder under the data dir that holds one folder per directory (see `DirectoryId`).
pub const DIRECTORIES: &str = "directories";
