//! Committing a generation's files as one unit, and finishing or undoing one that was
//! interrupted. Every file is first written beside its place (`<file>.generator-tmp`) and
//! synced; then a journal, `.generation-journal` in the migration folder, lists each temporary
//! file with its place and is synced; only then are the files renamed into place, and the
//! journal deleted. So at any moment the folder can be brought to a whole state:
//!
//! - no journal: nothing was renamed; temporary files left over are deleted;
//! - a complete journal: every temporary file was written in full before it, so the renames are
//!   finished (rolled forward);
//! - an incomplete or unreadable journal: it was being written, so nothing was renamed yet; the
//!   temporary files and the journal are deleted (rolled back).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The journal's file name, in the migration folder.
pub const JOURNAL: &str = ".generation-journal";

/// What a temporary file's name ends with.
pub const TEMPORARY: &str = ".generator-tmp";

/// The journal's first line, with its format version.
const HEADER: &str = "seaorm-migrate generation journal 1";

/// The journal's last line: without it, the journal was not written in full.
const END: &str = "end";

/// Test hook: `GENERATOR_FAIL_AFTER_RENAMES=n` makes a commit fail after its first `n` renames,
/// leaving the journal, as a crash at that point would.
pub const FAIL_AFTER_RENAMES: &str = "GENERATOR_FAIL_AFTER_RENAMES";

/// The journal: what the commit completes, and each (temporary, final) path, relative to the
/// migration folder.
struct Journal {
    what: String,
    renames: Vec<(String, String)>,
}

impl Journal {
    fn print(&self) -> String {
        let mut text = format!("{HEADER}\nwhat {}\n", self.what);
        for (temporary, path) in &self.renames {
            text.push_str(&format!("rename {temporary}\t{path}\n"));
        }
        text.push_str(END);
        text.push('\n');
        text
    }

    /// The journal in `text`, or `None` when it is incomplete or not a journal this generator
    /// wrote (each path relative, inside the folder, the temporary one named as such).
    fn parse(text: &str) -> Option<Journal> {
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != HEADER || lines.next_back()? != END {
            return None;
        }
        let what = lines.next()?.strip_prefix("what ")?.to_owned();
        let renames = lines
            .map(|line| {
                let (temporary, path) = line.strip_prefix("rename ")?.split_once('\t')?;
                let inside = |p: &str| {
                    let p = Path::new(p);
                    p.is_relative()
                        && p.components()
                            .all(|c| matches!(c, std::path::Component::Normal(_)))
                };
                (inside(temporary)
                    && inside(path)
                    && temporary.strip_suffix(TEMPORARY) == Some(path))
                .then(|| (temporary.to_owned(), path.to_owned()))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Journal { what, renames })
    }
}

/// Where `path` (inside `root`) is written first.
fn temporary_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TEMPORARY);
    PathBuf::from(name)
}

/// Syncs a folder, so that the renames and deletions in it are durable. (On Unix only: Windows
/// cannot open a folder as a file.)
fn sync_folder(folder: &Path) -> Result<(), Error> {
    if cfg!(unix) {
        fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(folder, e))?;
    }
    Ok(())
}

/// Writes `contents` to `path` and syncs it.
fn write_synced(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// The folders a commit writes into: the migration folder and `src/`.
fn folders(root: &Path) -> [PathBuf; 2] {
    [root.to_owned(), root.join("src")]
}

/// Writes `files` (each inside `root`) as one unit, describing it as `what` in the journal.
/// `fail_after_renames` is the test hook [`FAIL_AFTER_RENAMES`].
pub fn commit(
    root: &Path,
    what: &str,
    files: &[(PathBuf, String)],
    fail_after_renames: Option<usize>,
) -> Result<(), Error> {
    let mut journal = Journal {
        what: what.to_owned(),
        renames: Vec::with_capacity(files.len()),
    };
    for (path, _) in files {
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .filter(|p| !p.contains(['\t', '\n']))
            .ok_or_else(|| Error::Layout {
                path: path.clone(),
                message: format!("not a file the generator writes in {}", root.display()),
            })?;
        journal
            .renames
            .push((format!("{relative}{TEMPORARY}"), relative.to_owned()));
    }
    // 1. Every file aside, in full and synced. A failure removes them: nothing else was touched.
    let mut written = Vec::with_capacity(files.len());
    let discard = |written: &[PathBuf]| {
        for temporary in written {
            let _ = fs::remove_file(temporary);
        }
    };
    for (path, contents) in files {
        let temporary = temporary_of(path);
        let result = write_synced(&temporary, contents.as_bytes());
        written.push(temporary.clone());
        if let Err(e) = result {
            discard(&written);
            return Err(Error::io(temporary, e));
        }
    }
    // 2. The journal, synced with its folder: from here on the commit is decided.
    let journal_path = root.join(JOURNAL);
    let recorded = write_synced(&journal_path, journal.print().as_bytes())
        .map_err(|e| Error::io(&journal_path, e))
        .and_then(|()| sync_folder(root));
    if let Err(error) = recorded {
        let _ = fs::remove_file(&journal_path);
        discard(&written);
        return Err(error);
    }
    // 3. The renames; a failure leaves the journal for the next run to finish them.
    let interrupted = |error: String| Error::Layout {
        path: journal_path.clone(),
        message: format!(
            "{error}; the generation of {what} stopped midway: every file was written aside \
             first, and the next generator run (any command) finishes it"
        ),
    };
    for (done, (path, _)) in files.iter().enumerate() {
        if fail_after_renames == Some(done) {
            return Err(interrupted(format!(
                "stopped after {done} rename(s) ({FAIL_AFTER_RENAMES})"
            )));
        }
        fs::rename(temporary_of(path), path)
            .map_err(|e| interrupted(format!("{}: {e}", path.display())))?;
    }
    if fail_after_renames == Some(files.len()) {
        return Err(interrupted(format!(
            "stopped after {} rename(s) ({FAIL_AFTER_RENAMES})",
            files.len()
        )));
    }
    finish(root, &journal_path)
}

/// Syncs the folders the renames happened in, then deletes the journal.
fn finish(root: &Path, journal_path: &Path) -> Result<(), Error> {
    for folder in folders(root) {
        if folder.is_dir() {
            sync_folder(&folder)?;
        }
    }
    fs::remove_file(journal_path).map_err(|e| Error::io(journal_path, e))?;
    sync_folder(root)
}

/// Whether `root` holds a journal or temporary files, i.e. an interrupted commit to resolve.
pub fn interrupted(root: &Path) -> Result<bool, Error> {
    Ok(root.join(JOURNAL).exists() || !leftovers(root)?.is_empty())
}

/// The temporary files in the folders a commit writes into.
fn leftovers(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    for folder in folders(root) {
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&folder, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&folder, e))?;
            if entry
                .file_name()
                .as_encoded_bytes()
                .ends_with(TEMPORARY.as_bytes())
            {
                found.push(entry.path());
            }
        }
    }
    Ok(found)
}

/// Resolves an interrupted commit in `root`, if there is one (the caller holds the folder's
/// lock): finishes it when its journal is complete, else removes what it left. Returns what
/// was done, in one line, or `None` when there was nothing to do.
pub fn recover(root: &Path) -> Result<Option<String>, Error> {
    let journal_path = root.join(JOURNAL);
    let text = match fs::read(&journal_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&journal_path, e)),
    };
    let cannot = |error: Error| Error::Layout {
        path: journal_path.clone(),
        message: format!(
            "an interrupted generation could not be resolved: {error}; fix that and run the \
             generator again"
        ),
    };
    let journal = text
        .as_deref()
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(Journal::parse);
    if let Some(journal) = journal {
        // Roll forward: each temporary file still there was written in full before the
        // journal was; those gone were renamed already.
        for (temporary, path) in &journal.renames {
            let temporary = root.join(temporary);
            if temporary.exists() {
                fs::rename(&temporary, root.join(path))
                    .map_err(|e| cannot(Error::io(root.join(path), e)))?;
            }
        }
        remove_leftovers(root).map_err(cannot)?;
        finish(root, &journal_path).map_err(cannot)?;
        return Ok(Some(format!(
            "finished an interrupted generation: {} is now complete",
            journal.what
        )));
    }
    // Roll back: no journal, or one not written in full, so nothing was renamed yet.
    let removed = remove_leftovers(root).map_err(cannot)?;
    if text.is_some() {
        fs::remove_file(&journal_path).map_err(|e| cannot(Error::io(&journal_path, e)))?;
        sync_folder(root).map_err(cannot)?;
    } else if removed == 0 {
        return Ok(None);
    }
    Ok(Some(
        "removed the leftovers of an interrupted generation".to_owned(),
    ))
}

/// Deletes the temporary files; returns how many there were.
fn remove_leftovers(root: &Path) -> Result<usize, Error> {
    let found = leftovers(root)?;
    for path in &found {
        fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    }
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(test: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("generator_commit_{test}_{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("src/lib.rs"), "old lib").unwrap();
        fs::write(root.join("schema.json"), "old schema").unwrap();
        root
    }

    fn files(root: &Path) -> Vec<(PathBuf, String)> {
        vec![
            (root.join("src/m1.rs"), "new migration".to_owned()),
            (root.join("src/lib.rs"), "new lib".to_owned()),
            (root.join("schema.json"), "new schema".to_owned()),
        ]
    }

    fn contents(root: &Path) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for folder in folders(root) {
            for entry in fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    let name = path.strip_prefix(root).unwrap().display().to_string();
                    found.push((name, fs::read_to_string(&path).unwrap()));
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn a_commit_stopped_after_any_rename_is_finished_by_the_next_run() {
        let reference = folder("whole");
        commit(&reference, "m1", &files(&reference), None).unwrap();
        let whole = contents(&reference);
        assert!(!reference.join(JOURNAL).exists());
        assert_eq!(recover(&reference).unwrap(), None);
        for stop in 0..=3 {
            let root = folder(&format!("stopped_{stop}"));
            let error = commit(&root, "m1", &files(&root), Some(stop)).unwrap_err();
            assert!(
                error.to_string().contains("the next generator run"),
                "{error}"
            );
            assert!(root.join(JOURNAL).exists());
            assert_eq!(
                recover(&root).unwrap().as_deref(),
                Some("finished an interrupted generation: m1 is now complete")
            );
            assert_eq!(contents(&root), whole, "stopped after {stop} renames");
            fs::remove_dir_all(root).unwrap();
        }
        fs::remove_dir_all(reference).unwrap();
    }

    #[test]
    fn an_incomplete_or_garbled_journal_is_rolled_back() {
        let root = folder("garbled");
        let before = contents(&root);
        for journal in [
            "\u{0}\u{1}garbage".to_owned(),
            format!("{HEADER}\nwhat m1\nrename src/lib.rs{TEMPORARY}\tsrc/lib.rs\n"),
            format!("{HEADER}\nwhat m1\nrename /etc/passwd{TEMPORARY}\t/etc/passwd\n{END}\n"),
        ] {
            fs::write(root.join("src/lib.rs.generator-tmp"), "half").unwrap();
            fs::write(root.join(JOURNAL), journal).unwrap();
            assert_eq!(
                recover(&root).unwrap().as_deref(),
                Some("removed the leftovers of an interrupted generation")
            );
            assert_eq!(contents(&root), before);
        }
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_failure_before_the_journal_leaves_nothing_behind() {
        let root = folder("early");
        let before = contents(&root);
        let mut files = files(&root);
        files.push((root.join("missing/x.rs"), String::new()));
        assert!(commit(&root, "m1", &files, None).is_err());
        assert_eq!(contents(&root), before);
        assert!(!root.join(JOURNAL).exists());
        fs::remove_dir_all(root).unwrap();
    }
}
