//! `reel import`, the real binary beside a running server: a generated
//! folder tree (nested folders, a file that is not media, a copy of a file,
//! a file already uploaded, a file nobody may read, hidden files) becomes
//! the user's items, with a summary that says what was skipped and why; a
//! second run imports nothing; a dry run changes nothing; `--link` shares
//! the bytes instead of copying them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::accounts::{User, upload_as};
use crate::common::shared::{command_settings, local_only};
use crate::common::{TestServer, ffmpeg, sine_wav, video_mp4_as};
use reel::accounts::Role;
use reel::model::{MediaKind, MediaState};

/// Runs `reel import` on the server's data directory; success and what it
/// printed. As root, without the capabilities that let root read any file,
/// so a file's permissions count as they would for anyone else.
fn import(server: &TestServer, args: &[&str]) -> (bool, String) {
    let (settings, env) = command_settings(server.dir.path());
    let mut command = if is_root() {
        let mut c = Command::new("setpriv");
        c.arg("--bounding-set=-dac_override,-dac_read_search")
            .arg(env!("CARGO_BIN_EXE_reel"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_reel"))
    };
    command
        .env("RUST_LOG", "warn")
        .envs(env)
        .arg("--data-dir")
        .arg(server.dir.path())
        .args(settings)
        .arg("import")
        .args(args);
    let out = command.output().expect("reel import runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Whether the tests run as root (CI does): this process's own entry in
/// `/proc` belongs to the user it runs as.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
    std::fs::write(path, bytes).expect("write");
    path.to_path_buf()
}

#[tokio::test]
async fn a_folder_tree_becomes_items_and_a_second_run_imports_nothing() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let tree = tempfile::tempdir().expect("tmp");
    let root = tree.path().join("Music");
    let song = sine_wav(440.0, 48_000);
    write(&root.join("Artist/Album/01 Song.wav"), &song);
    write(&root.join("Artist/Album/cover.txt"), b"not media at all");
    write(&root.join("Copies/01 Song (copy).wav"), &song);
    write(&root.join(".hidden/secret.wav"), &sine_wav(550.0, 4_800));
    let uploaded = sine_wav(660.0, 24_000);
    write(&root.join("Already/uploaded.wav"), &uploaded);
    let locked = write(&root.join("locked.wav"), &sine_wav(770.0, 4_800));
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000))
        .expect("chmod");
    // Its album tag names its folder: that folder is its album, not a tag.
    let album = root.join("Artist/Kind of Blue");
    std::fs::create_dir_all(&album).expect("folder");
    let sine = "sine=frequency=500:duration=1";
    let tags = [
        "-f",
        "lavfi",
        "-i",
        sine,
        "-metadata",
        "album=Kind of Blue",
        "-c:a",
        "libmp3lame",
    ];
    ffmpeg(&album, "So What.mp3", &tags);
    std::fs::create_dir_all(root.join("Videos")).expect("folder");
    let clip = video_mp4_as(&root.join("Videos"), "clip.mp4", 1, "160x120", 330);
    let before = upload_as(&ann.api, &server, uploaded, None).await;

    // A dry run says what would happen and changes nothing.
    let (ok, said) = import(
        &server,
        &["--user", "ann", "--dry-run", root.to_str().expect("utf-8")],
    );
    assert!(ok, "{said}");
    assert!(said.contains("would import 3 files"), "{said}");
    assert!(said.contains("2 already in the library"), "{said}");
    assert_eq!(server.hooks.item_count().await, 1);

    let (ok, said) = import(&server, &["--user", "ann", root.to_str().expect("utf-8")]);
    assert!(ok, "{said}");
    assert!(said.contains("imported 3 files"), "{said}");
    assert!(
        said.contains("2 already in the library; 2 skipped; 0 failed"),
        "{said}"
    );
    assert!(
        said.contains("1 hidden files and folders left out"),
        "{said}"
    );
    assert!(
        said.contains("cover.txt: This is not an audio or video file Reel can read."),
        "{said}"
    );
    assert!(
        said.contains("locked.wav: cannot read: permission denied"),
        "{said}"
    );

    // The items are ann's, named after their files, processed by the
    // running server's workers.
    server.hooks.wait_idle().await;
    assert_eq!(server.hooks.item_count().await, 4);
    let (status, listing) =
        crate::common::accounts::call(&ann.api, &server, "list_library", &[]).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{listing}");
    let items = listing["items"].as_array().expect("items");
    let mut names: Vec<&str> = (items.iter())
        .map(|i| i["original_filename"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    // The first of two copies in the walk's order is the one kept.
    assert_eq!(
        names,
        ["01 Song.wav", "So What.mp3", "clip.mp4", "tone.wav"]
    );
    for item in items {
        let id = reel::model::MediaId::parse(item["id"].as_str().expect("id")).expect("id");
        let item = server.item(&id).await;
        assert_eq!(item.state, MediaState::Ready, "{item:?}");
        // The folders under the one imported are its tags.
        let labels: &[&str] = match item.original_filename.as_str() {
            "01 Song.wav" => &["Album", "Artist"],
            "clip.mp4" => &["Videos"],
            "So What.mp3" => &["Artist"],
            _ => &[],
        };
        assert_eq!(item.labels, labels, "{}", item.original_filename);
        if item.original_filename == "clip.mp4" {
            assert_eq!(item.kind, MediaKind::Video);
            assert_eq!(
                item.size_bytes,
                std::fs::metadata(&clip).expect("clip").len()
            );
        }
    }
    assert!(items.iter().any(|i| i["id"] == before.id.as_str()));

    // Again: everything is there already.
    let (ok, said) = import(&server, &["--user", "ann", root.to_str().expect("utf-8")]);
    assert!(ok, "{said}");
    assert!(said.contains("imported 0 files"), "{said}");
    assert!(
        said.contains("5 already in the library; 2 skipped"),
        "{said}"
    );
    assert_eq!(server.hooks.item_count().await, 4);
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn link_shares_the_bytes_and_bad_settings_are_refused() {
    local_only!();
    let server = TestServer::start().await;
    User::new(&server, "vic", Role::Viewer).await;
    // In the data directory's filesystem, so a hard link is possible.
    let tree = tempfile::tempdir_in(server.dir.path()).expect("tmp");
    let song = write(&tree.path().join("a/song.wav"), &sine_wav(880.0, 9_600));

    let (ok, said) = import(
        &server,
        &[
            "--user",
            "admin",
            "--link",
            tree.path().to_str().expect("utf-8"),
        ],
    );
    assert!(ok, "{said}");
    assert!(said.contains("imported 1 files"), "{said}");
    assert!(said.contains("(1 hard-linked)"), "{said}");
    let stored = server.stored_files();
    let original = (stored.iter())
        .find(|p| p.ends_with("original"))
        .expect("stored original");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(original).expect("stored").ino(),
        std::fs::metadata(&song).expect("song").ino(),
        "the stored original is the same file"
    );

    let (ok, said) = import(
        &server,
        &["--user", "nobody", tree.path().to_str().expect("utf-8")],
    );
    assert!(!ok);
    assert!(said.contains("there is no user called nobody"), "{said}");
    let (ok, said) = import(
        &server,
        &["--user", "vic", tree.path().to_str().expect("utf-8")],
    );
    assert!(!ok);
    assert!(said.contains("may not add to a library"), "{said}");
    let (ok, said) = import(
        &server,
        &["--user", "admin", "--visibility", "everyone", "x"],
    );
    assert!(!ok);
    assert!(
        said.contains("expected private, internal, unlisted or public"),
        "{said}"
    );
}
