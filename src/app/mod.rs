//! The TUI (in progress)
