//! Helpers shared by the local stack's tests.

pub mod local_stack;
