//! Unit tests of `store`.

use super::*;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_local(dir.path().to_path_buf())
        .await
        .expect("store");
    (dir, store)
}

/// Files in the scratch area (in the run's folder inside it).
fn scratch_entries(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path().join("tmp"))
        .expect("scratch")
        .flatten()
        .map(|run| std::fs::read_dir(run.path()).expect("run").count())
        .sum()
}

#[tokio::test]
async fn dropped_temp_files_vanish_and_persisted_ones_stay() {
    let (dir, store) = store().await;
    let temp = store.create_temp().await.expect("temp");
    let path = temp.path().to_path_buf();
    assert!(path.exists());
    drop(temp);
    assert!(!path.exists());

    let temp = store.create_temp().await.expect("temp");
    let mut writer = temp.into_writer().await.expect("writer");
    writer.write(b"hel").await.expect("write");
    writer.write(b"lo").await.expect("write");
    let temp = writer.finish().await.expect("finish");
    let id = MediaId::generate();
    store
        .persist(temp, &id, Variant::Original)
        .await
        .expect("persist");
    let local = store
        .materialise(&id, Variant::Original)
        .await
        .expect("materialise")
        .expect("stored");
    assert_eq!(std::fs::read(local.path()).expect("read"), b"hello");
    assert_eq!(scratch_entries(&dir), 0);
    assert_eq!(store.media_ids().await.expect("ids"), vec![id.clone()]);
    store.delete_all(&id).await.expect("delete");
    assert!(
        store
            .source(&id, Variant::Original)
            .await
            .expect("open")
            .is_none()
    );
    assert!(store.media_ids().await.expect("ids").is_empty());
}

#[tokio::test]
async fn small_files_are_read_whole_within_their_limit() {
    let (_dir, store) = store().await;
    let id = MediaId::generate();
    assert_eq!(
        store
            .read_small(&id, Variant::Waveform, 16)
            .await
            .expect("read"),
        None
    );
    store
        .write_small(&id, Variant::Waveform, b"{\"peaks\":[]}")
        .await
        .expect("write");
    let read = store.read_small(&id, Variant::Waveform, 16).await;
    assert_eq!(read.expect("read"), Some(b"{\"peaks\":[]}".to_vec()));
    let refused = store.read_small(&id, Variant::Waveform, 4).await;
    assert!(matches!(refused, Err(StoreError::TooBig { limit: 4, .. })));
    let Some(Source::File(open)) = store.source(&id, Variant::Waveform).await.expect("open") else {
        panic!("a local store serves local files");
    };
    assert_eq!(open.len, 12);
}

#[tokio::test]
async fn opening_clears_leftover_temp_files() {
    let (dir, store) = store().await;
    let temp = store.create_temp().await.expect("temp");
    std::mem::forget(temp); // as if the process had crashed mid-upload
    assert_eq!(scratch_entries(&dir), 1);
    let _store = Store::open_local(dir.path().to_path_buf())
        .await
        .expect("reopen");
    assert_eq!(scratch_entries(&dir), 0);
}
