//! Logging shims: `log` or `defmt` backends (mutually exclusive), or nothing.
//!
//! The macros take only integer and `&str` arguments so every backend can format them.
#![allow(unused_macros)]

#[cfg(all(feature = "log", feature = "defmt"))]
compile_error!(
    "firmware-bridge: the `log` and `defmt` features exclude each other; enable at most one"
);

macro_rules! trace {
    ($($arg:tt)+) => {{
        #[cfg(feature = "log")]
        { ::log::trace!($($arg)+); }
        #[cfg(feature = "defmt")]
        { ::defmt::trace!($($arg)+); }
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        { let _ = ::core::format_args!($($arg)+); }
    }};
}

macro_rules! debug {
    ($($arg:tt)+) => {{
        #[cfg(feature = "log")]
        { ::log::debug!($($arg)+); }
        #[cfg(feature = "defmt")]
        { ::defmt::debug!($($arg)+); }
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        { let _ = ::core::format_args!($($arg)+); }
    }};
}

macro_rules! warn {
    ($($arg:tt)+) => {{
        #[cfg(feature = "log")]
        { ::log::warn!($($arg)+); }
        #[cfg(feature = "defmt")]
        { ::defmt::warn!($($arg)+); }
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        { let _ = ::core::format_args!($($arg)+); }
    }};
}
