//! The width-aware text helpers live in `crate::text`, where `app` and `commands` reach them
//! without depending on the view; this path stays for the drawing code that already uses it.

pub use crate::text::*;
