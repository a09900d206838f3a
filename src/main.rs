use std::process::ExitCode;

// kaudit builds many small strings and JSON nodes; mimalloc is markedly faster than the
// system allocator for that pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    kaudit::cli::main()
}
