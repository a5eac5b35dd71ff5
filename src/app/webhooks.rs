//! Use cases: webhooks (moved onto the application layer area by area).
