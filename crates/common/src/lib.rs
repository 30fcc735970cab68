//! What the undelete app and its sandbox both need, and nothing else: each piece here has two
//! users, one on each side, and one implementation. A rule only one side needs stays with it.
#![forbid(unsafe_code)]

pub mod cloud;
pub mod files;
mod lead_bytes;
pub mod safe_json;
pub mod sanitize;
pub mod token_bucket;
pub mod words;
