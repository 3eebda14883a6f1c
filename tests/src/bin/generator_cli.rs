//! The generator's command line bound to the workspace's entities, exactly as
//! `cargo run -p generator` runs it, so the tests can drive a real binary and read its output.

fn main() -> std::process::ExitCode {
    generator_core::cli::main(entity::visit_all)
}
