//! The `sitrep` binary: all logic lives in the library.

fn main() -> std::process::ExitCode {
    sitrep::cli::run()
}
