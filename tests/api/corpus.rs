//! The seed corpus served exactly, on both backends.
