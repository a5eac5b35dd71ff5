//! Use cases: templates (moved onto the application layer area by area).
