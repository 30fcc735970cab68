//! Drawing (in progress)
