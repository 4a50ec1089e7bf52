//! Finding the files an import considers: every regular file under the
//! paths given (folders walked depth first, names in order so two runs see
//! the same sequence), with what could not be looked at reported, not
//! dropped. Hidden entries (a leading dot: `.git`, `.DS_Store`) are left
//! out; links to folders are not followed (a loop would never end), links
//! to files are. The folders between a path given and a file become the
//! file's labels (tags): `Music/Live/2024/a.mp3` imported as `Music` gets
//! "Live" and "2024".

use std::path::{Path, PathBuf};

use crate::model::labels::{MAX_LABELS, clean_label, clean_labels};

/// A file to consider.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    /// The folder names on the way to it, as labels.
    pub(crate) labels: Vec<String>,
}

/// Everything a walk saw.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub(crate) files: Vec<Found>,
    /// What could not be considered, with why (for people).
    pub(crate) skipped: Vec<(PathBuf, String)>,
    /// Hidden entries left out.
    pub(crate) hidden: u64,
}

impl Walked {
    pub(crate) fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Walks `paths` (files or folders).
pub(crate) fn walk(paths: &[PathBuf]) -> Walked {
    let mut walked = Walked::default();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &[], &mut walked),
            Ok(meta) if meta.is_file() => walked.files.push(Found {
                path: path.clone(),
                size: meta.len(),
                labels: Vec::new(),
            }),
            Ok(_) => walked
                .skipped
                .push((path.clone(), "not a file or a folder".into())),
            Err(e) => walked.skipped.push((path.clone(), cannot("read", &e))),
        }
    }
    walked
}

fn walk_dir(dir: &Path, folders: &[String], walked: &mut Walked) {
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).collect(),
        Err(e) => {
            walked
                .skipped
                .push((dir.to_path_buf(), cannot("open the folder", &e)));
            return;
        }
    };
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            walked.hidden += 1;
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            walked.skipped.push((path, "cannot tell what it is".into()));
            continue;
        };
        if kind.is_dir() {
            let mut inner = folders.to_vec();
            inner.push(entry.file_name().to_string_lossy().into_owned());
            walk_dir(&path, &inner, walked);
            continue;
        }
        // A link is followed to a file only.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => walked.files.push(Found {
                path,
                size: meta.len(),
                labels: labels_of(folders),
            }),
            Ok(meta) if meta.is_dir() => walked
                .skipped
                .push((path, "a link to a folder (not followed)".into())),
            Ok(_) => walked.skipped.push((path, "not a regular file".into())),
            Err(e) => walked.skipped.push((path, cannot("read", &e))),
        }
    }
}

/// Folder names as labels: commas (which separate labels) become spaces,
/// names that cannot be a label are left out, and a deep tree keeps the
/// names nearest the file.
fn labels_of(folders: &[String]) -> Vec<String> {
    let names: Vec<String> = (folders.iter())
        .filter_map(|name| clean_label(&name.replace(',', " ")).ok())
        .collect();
    let keep = names.len().saturating_sub(MAX_LABELS);
    clean_labels(&names[keep..]).unwrap_or_default()
}

/// "cannot read: permission denied" and the like.
pub(crate) fn cannot(what: &str, e: &std::io::Error) -> String {
    let why = match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        _ => e.to_string(),
    };
    format!("cannot {what}: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_in_order_leaving_out_hidden_entries_and_folder_links() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/inner")).expect("dirs");
        std::fs::create_dir_all(root.join(".git")).expect("dirs");
        std::fs::write(root.join("b/inner/2.mp3"), b"12").expect("file");
        std::fs::write(root.join("b/1.mp3"), b"1").expect("file");
        std::fs::write(root.join("a.wav"), b"123").expect("file");
        std::fs::write(root.join(".DS_Store"), b"x").expect("file");
        std::os::unix::fs::symlink(root.join("b"), root.join("loop")).expect("link");
        std::os::unix::fs::symlink(root.join("a.wav"), root.join("z.wav")).expect("link");

        let walked = walk(&[root.to_path_buf(), root.join("missing")]);
        let names: Vec<String> = (walked.files.iter())
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .expect("under")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a.wav", "b/1.mp3", "b/inner/2.mp3", "z.wav"]);
        let labels: Vec<Vec<String>> = walked.files.iter().map(|f| f.labels.clone()).collect();
        assert_eq!(
            labels,
            [
                vec![],
                vec!["b".to_string()],
                vec!["b".into(), "inner".into()],
                vec![]
            ]
        );
        assert_eq!(walked.total_bytes(), 3 + 1 + 2 + 3);
        assert_eq!(walked.hidden, 2);
        let reasons: Vec<&str> = walked.skipped.iter().map(|s| s.1.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "a link to a folder (not followed)",
                "cannot read: no such file or folder"
            ]
        );
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn folder_names_become_labels_that_fit_the_rules() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            labels_of(&names(&["Live, 2024", "Anna"])),
            names(&["Anna", "Live 2024"])
        );
        assert_eq!(
            labels_of(&names(&["  ", &"x".repeat(80)])),
            Vec::<String>::new()
        );
        let deep: Vec<String> = (0..60).map(|n| format!("d{n:02}")).collect();
        let kept = labels_of(&deep);
        assert_eq!(kept.len(), MAX_LABELS);
        assert_eq!(kept.first().map(String::as_str), Some("d10"));
    }
}
