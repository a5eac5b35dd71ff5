//! Use cases: scheduler (moved onto the application layer area by area).
