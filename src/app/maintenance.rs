//! Use cases: maintenance (moved onto the application layer area by area).
