//! Use cases: reports (moved onto the application layer area by area).
