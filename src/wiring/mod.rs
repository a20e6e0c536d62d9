//! Building the world from the configuration: the one place that turns
//! config sections into alert and metric sources, flag providers, release
//! control, the journal and the demo, for the TUI and every headless
//! command alike.

pub mod flags;
