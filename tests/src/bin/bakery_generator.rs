//! The generator binary of an adopting project whose entities live in its application crate
//! (here `tests::bakery::entities`), exactly as the README's "Adopting an existing project"
//! writes it; `adopt.rs` runs it on the fixture.

fn main() -> std::process::ExitCode {
    generator_core::cli::main(|loader| {
        generator_core::visit_entities!(loader;
            tests::bakery::entities::bakery,
            tests::bakery::entities::baker,
            tests::bakery::entities::cake,
            tests::bakery::entities::cakes_bakers,
        )
    })
}
