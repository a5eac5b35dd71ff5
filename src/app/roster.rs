//! Use cases: roster (moved onto the application layer area by area).
