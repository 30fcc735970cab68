//! The Graph-compatible sandbox server (DESIGN.md section 5).
