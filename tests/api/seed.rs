//! Loading the seed corpus: idempotent, and every record traceable to its source.
