//! The `np6` command: everything is in the library of the same name.

fn main() -> std::process::ExitCode {
    np6::main()
}
