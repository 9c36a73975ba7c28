//! Confab's browser UI. The UI issue fills this crate; for now it only proves
//! that the shared contract builds for the client side.

pub use confab_shared as shared;
