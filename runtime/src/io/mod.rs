//! Input and output processing: paths, payload templates, intrinsic functions, the context object.

pub mod intrinsics;
