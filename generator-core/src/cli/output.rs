//! Output of the `diff` command: the summary and a unified diff of each file generating would
//! write, coloured on a terminal, or the same as JSON.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::history::read_untampered;
use super::{Format, GenerateArgs};
use crate::error::Error;
use crate::generate;
use crate::layout::MigrationDir;
use crate::source::{self, VisitAll};

pub(super) fn show_diff(
    dir: &MigrationDir,
    visit_all: VisitAll,
    args: &GenerateArgs,
    format: Format,
) -> Result<ExitCode, Error> {
    if format == Format::Json {
        let recorded = read_untampered(dir)?;
        let current = source::load(visit_all)?;
        let generation =
            generate::prepare(dir, &recorded, &current, &args.options()?, &args.naming())?;
        let json = match generation {
            None => serde_json::json!({ "changes": [], "files": [] }),
            Some(generation) => {
                let mut files = Vec::new();
                for (path, new) in &generation.files {
                    let old = dir.read_existing(path)?;
                    files.push(serde_json::json!({
                        "path": path.display().to_string(),
                        "diff": unified_diff(path, old.as_deref(), new, false),
                    }));
                }
                serde_json::json!({
                    "migration": generation.name,
                    "changes": generation.summary,
                    "locks": generation.impacts,
                    "files": files,
                })
            }
        };
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }
    match diff_report(dir, visit_all, args, std::io::stdout().is_terminal())? {
        Some(report) => print!("{report}"),
        None => eprintln!("No changes detected"),
    }
    Ok(ExitCode::SUCCESS)
}

/// What `diff` prints: the summary, then a unified diff of each file generating would create
/// or change; `None` when nothing changed. Reads, never writes.
pub fn diff_report(
    dir: &MigrationDir,
    visit_all: VisitAll,
    args: &GenerateArgs,
    colour: bool,
) -> Result<Option<String>, Error> {
    let recorded = read_untampered(dir)?;
    let current = source::load(visit_all)?;
    let Some(generation) =
        generate::prepare(dir, &recorded, &current, &args.options()?, &args.naming())?
    else {
        return Ok(None);
    };
    let mut out = String::new();
    for line in generation
        .summary
        .iter()
        .chain(&crate::impact::report(&generation.impacts))
    {
        out.push_str(line);
        out.push('\n');
    }
    for (path, new) in &generation.files {
        let old = dir.read_existing(path)?;
        out.push('\n');
        out.push_str(&unified_diff(path, old.as_deref(), new, colour));
    }
    Ok(Some(out))
}

/// A unified diff of one file, `old` being `None` for a file that generating creates.
fn unified_diff(path: &std::path::Path, old: Option<&str>, new: &str, colour: bool) -> String {
    let label = path.display().to_string();
    let old_label = if old.is_some() {
        label.as_str()
    } else {
        "/dev/null"
    };
    let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(old_label, &label)
        .to_string();
    if !colour {
        return text;
    }
    text.lines()
        .map(|line| {
            let code = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => "32",
                Some(b'-') if !line.starts_with("---") => "31",
                Some(b'@') => "36",
                _ => return format!("{line}\n"),
            };
            format!("\x1b[{code}m{line}\x1b[0m\n")
        })
        .collect()
}
