//! `vitrine report`: from exposure and conversion events to lift with intervals. (native only)

pub mod stats;
