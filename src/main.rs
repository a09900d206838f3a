use std::process::ExitCode;

fn main() -> ExitCode {
    kaudit::cli::main()
}
