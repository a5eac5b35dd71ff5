//! Use cases: subscribers (moved onto the application layer area by area).
