//! The `stepfn` command line; see [`stepfn::cli`].

fn main() -> std::process::ExitCode {
    stepfn::cli::main()
}
