//! Integration, conformance and UI tests of stepfn (see `tests/`).
