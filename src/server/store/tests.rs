//! Unit tests of `store`.

use super::*;

#[test]
fn ids_have_one_shape() {
    let id = MediaId::generate();
    assert_eq!(MediaId::parse(id.as_str()), Some(id.clone()));
    for bad in [
        "",
        "..",
        "../../etc/passwd",
        "ABCDEF0123456789abcdef0123456789",
        "0123456789abcdef0123456789abcde/",
    ] {
        assert_eq!(MediaId::parse(bad), None, "{bad:?}");
    }
}

#[tokio::test]
async fn dropped_temp_files_vanish_and_persisted_ones_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().to_path_buf()).await.expect("store");
    let temp = store.create_temp().await.expect("temp");
    let path = temp.path().to_path_buf();
    assert!(path.exists());
    drop(temp);
    assert!(!path.exists());

    let mut temp = store.create_temp().await.expect("temp");
    let mut writer = temp.writer().await.expect("writer");
    writer.write(b"hel").await.expect("write");
    writer.write(b"lo").await.expect("write");
    writer.finish().await.expect("finish");
    let id = MediaId::generate();
    store
        .persist(temp, &id, Variant::Original)
        .await
        .expect("persist");
    assert_eq!(
        std::fs::read(store.path(&id, Variant::Original)).expect("read"),
        b"hello"
    );
    assert_eq!(store.temp_entries().await.expect("count"), 0);
    store.delete_all(&id).await.expect("delete");
    assert!(
        store
            .open_variant(&id, Variant::Original)
            .await
            .expect("open")
            .is_none()
    );
}

#[tokio::test]
async fn opening_clears_leftover_temp_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().to_path_buf()).await.expect("store");
    let temp = store.create_temp().await.expect("temp");
    std::mem::forget(temp); // as if the process had crashed mid-upload
    assert_eq!(store.temp_entries().await.expect("count"), 1);
    let store = Store::open(dir.path().to_path_buf()).await.expect("reopen");
    assert_eq!(store.temp_entries().await.expect("count"), 0);
}
