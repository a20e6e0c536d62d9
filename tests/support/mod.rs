//! Shared helpers of the integration tests: `mod support;` in a test file.
//!
//! - [`servers`]: real Prometheus and Alertmanager, started on 127.0.0.1
//!   high ports in temp dirs, shared per test binary, killed when it ends.
//! - [`fault`]: a tiny HTTP server that misbehaves on purpose.
//! - [`unleash`]: a real Unleash 7.5.1 on PostgreSQL 15, shared per test
//!   binary, stopped when it ends (run tests/setup.sh first).
//!
//! Each test binary uses only part of this, hence the `allow`.
#![allow(dead_code, unused_imports)]

pub mod fault;
pub mod servers;
pub mod unleash;
