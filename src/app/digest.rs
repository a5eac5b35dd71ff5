//! Use cases: digest (moved onto the application layer area by area).
