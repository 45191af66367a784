//! firmware-bridge: the device side of gsmq for microcontroller firmware.
//!
//! `no_std`, no allocator, sans-IO. Filled in by issue 9.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(unsafe_code)]
