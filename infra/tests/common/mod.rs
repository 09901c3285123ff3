//! Helpers shared by the local stack's tests.

#![allow(dead_code)] // each test binary uses its own part

pub mod browser;
pub mod console;
pub mod local_stack;
