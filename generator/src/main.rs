//! `cargo run -p generator`: the generator bound to this workspace's entities. A project whose
//! entities live elsewhere writes the same few lines, naming its own entity modules (see the
//! README's "Adopting an existing project").

fn main() -> std::process::ExitCode {
    generator_core::cli::main(entity::visit_all)
}
