//! Scripting commands (in progress)
