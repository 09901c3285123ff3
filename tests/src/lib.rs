//! Helpers for tests that cross functions.
