//! `reel user …`: managing accounts from the command line, on the data
//! directory, with or without the server running (SQLite takes turns).
//! `reel storage copy …`: moving a library's files to another storage.
//! `reel database copy …`: moving its rows from SQLite to PostgreSQL.
//! `reel import …`: a folder of media becoming a user's items. The
//! way in for a first admin on a headless machine, and back in for an admin
//! who lost their password. Like `state`, this is a composition root: the
//! operator at the machine owns the data directory, so it works on the
//! accounts store directly rather than as an `Actor` of the service.

use crate::accounts::{Role, check_password, clean_name};
use crate::model::MediaId;
use crate::server::accounts::{Accounts, SessionPolicy};
use crate::server::config::{
    Config, Database, DatabaseCommand, ImportCommand, Storage, StorageCommand, UserCommand,
};
use crate::server::db::{CopyReport, Repo, copy_to_postgres};
use crate::server::import::{Importer, Progress, Settings as ImportSettings};
use crate::server::node::lock_data_dir;
use crate::server::peers::Peers;
use crate::server::store::{Store, StoreError, Variant};

/// Runs `command` on the data directory and the database `--database-url`
/// names; what to print, or why it failed.
pub async fn run_user_command(
    config: &Config,
    command: UserCommand,
    password: &str,
) -> Result<String, String> {
    let data_dir = config.data_dir.as_path();
    let password = password.trim_end_matches(['\r', '\n']);
    check_password(password).map_err(|e| e.message)?;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let repo = Repo::connect(&config.database_url, data_dir)
        .await
        .map_err(|e| e.to_string())?;
    let accounts = Accounts::open(
        repo.clone(),
        data_dir.to_path_buf(),
        SessionPolicy::default(),
        // Not connected: a change made here reaches running nodes' caches
        // when their entries age out (a minute).
        Peers::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    match command {
        UserCommand::Add { name, role, quota } => {
            let name = clean_name(&name).map_err(|e| e.message)?;
            if role != Role::Admin && !accounts.has_users().await.map_err(|e| e.to_string())? {
                return Err("the first user must be an admin: add it with --role admin".into());
            }
            match accounts.create_user(&name, password, role, quota).await {
                Ok(Some(_)) => Ok(format!("added {name} ({})", role.as_str())),
                Ok(None) => Err(format!("a user called {name} exists already")),
                Err(e) => Err(e.to_string()),
            }
        }
        UserCommand::SetPassword { name } => {
            let user = repo
                .user_by_name(&name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no user called {name}"))?;
            accounts
                .set_password(&user.id, password, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("set the password of {name}; their sessions ended"))
        }
    }
}

/// `reel storage copy --to …`: copies every item's stored files from the
/// configured storage to `to`, each checked by its SHA-256 read back from
/// the target; files already there with the same bytes are skipped, so an
/// interrupted run is simply run again. Holds the data directory's lock:
/// Reel must be stopped (an upload arriving meanwhile would be missed).
/// `progress` hears one line per item; the answer is the summary.
pub async fn run_storage_command(
    config: &Config,
    action: StorageCommand,
    mut progress: impl FnMut(String),
) -> Result<String, String> {
    let StorageCommand::Copy { to } = action;
    if to == config.storage {
        return Err("--to names the storage Reel already uses (--storage)".into());
    }
    let _sole = lock_data_dir(&config.data_dir)
        .map_err(|e| format!("{e}: stop Reel before copying its files"))?;
    let repo = Repo::connect(&config.database_url, &config.data_dir)
        .await
        .map_err(|e| e.to_string())?;
    let root = config.data_dir.join("files");
    let from = Store::open(&config.storage, &config.s3, root.clone())
        .await
        .map_err(|e| e.to_string())?;
    let target = Store::open(&to, &config.s3, root)
        .await
        .map_err(|e| format!("--to: {e}"))?;
    let mut ids: Vec<MediaId> = repo
        .media_ids_in_use()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let (mut copied, mut present, mut bytes) = (0u64, 0u64, 0u64);
    for (n, id) in ids.iter().enumerate() {
        let mut files = 0;
        for variant in Variant::ALL {
            let failed = |e: StoreError| format!("{id} {}: {e}", variant.url_name());
            let Some(file) = from.materialise(id, variant).await.map_err(failed)? else {
                continue;
            };
            let wanted = file.digest().await.map_err(failed)?;
            if same_bytes(&target, id, variant, &wanted)
                .await
                .map_err(failed)?
            {
                present += 1;
                continue;
            }
            target
                .put_copy(file.path(), id, variant)
                .await
                .map_err(failed)?;
            if !same_bytes(&target, id, variant, &wanted)
                .await
                .map_err(failed)?
            {
                return Err(format!(
                    "{id} {}: the copy's bytes differ from the original's; nothing was deleted",
                    variant.url_name()
                ));
            }
            copied += 1;
            files += 1;
            bytes += wanted.0;
        }
        progress(format!(
            "[{}/{}] {id}: {files} files copied",
            n + 1,
            ids.len()
        ));
    }
    Ok(format!(
        "{} items: {copied} files copied ({bytes} bytes, each checked by SHA-256), \
         {present} already there; start Reel with --storage {}",
        ids.len(),
        describe(&to)
    ))
}

/// Whether `store` holds exactly these bytes (length and SHA-256).
async fn same_bytes(
    store: &Store,
    id: &MediaId,
    variant: Variant,
    wanted: &(u64, String),
) -> Result<bool, StoreError> {
    match store.materialise(id, variant).await? {
        Some(copy) => Ok(copy.digest().await? == *wanted),
        None => Ok(false),
    }
}

fn describe(storage: &Storage) -> String {
    match storage {
        Storage::Local => "local".into(),
        Storage::S3(bucket) => bucket.to_string(),
    }
}

/// `reel database copy --to postgres://…`: copies every row of the SQLite
/// database into an empty PostgreSQL database in one transaction, checked
/// table by table (`db::copy`). Holds the data directory's lock, as
/// `storage copy` does: Reel must be stopped. `progress` hears one line per
/// table; the answer is the summary and what to do next. The target's
/// password is never shown.
pub async fn run_database_command(
    config: &Config,
    action: DatabaseCommand,
    progress: impl FnMut(String),
) -> Result<String, String> {
    let DatabaseCommand::Copy { to } = action;
    let Database::Postgres(target) = &to else {
        return Err(
            "--to must be a PostgreSQL database: postgres://USER@HOST:PORT/DATABASE".into(),
        );
    };
    let source = match &config.database_url {
        Database::Sqlite(None) => config.data_dir.join("reel.db"),
        Database::Sqlite(Some(path)) => path.clone(),
        other => {
            return Err(format!(
                "--database-url is {other}: the copy reads the SQLite database Reel uses \
                 (sqlite: or sqlite:PATH)"
            ));
        }
    };
    let _sole = lock_data_dir(&config.data_dir)
        .map_err(|e| format!("{e}: stop Reel before copying its rows"))?;
    let report = copy_to_postgres(&source, target, progress)
        .await
        .map_err(|e| e.to_string())?;
    Ok(summary(&report, &to, &config.storage))
}

/// What the copy did, then the next steps.
fn summary(report: &CopyReport, to: &Database, storage: &Storage) -> String {
    let counts: Vec<String> = (report.tables.iter())
        .map(|(table, rows)| format!("{table} {rows}"))
        .collect();
    let mut lines = vec![format!(
        "copied every row into {} in {:.1} s, each table read back and checked by SHA-256: {}",
        to,
        report.elapsed.as_secs_f64(),
        counts.join(", ")
    )];
    if report.requeued > 0 {
        lines.push(format!(
            "{} jobs that were running are queued again",
            report.requeued
        ));
    }
    if !report.unfinished_uploads.is_empty() {
        let named: Vec<String> = (report.unfinished_uploads.iter())
            .map(|(id, filename)| format!("{filename} ({id})"))
            .collect();
        lines.push(format!(
            "{} unfinished uploads were not copied (their bytes are in this machine's \
             partial area; their uploaders must start them again): {}",
            named.len(),
            named.join(", ")
        ));
    }
    for (table, rows, why) in &report.left_behind {
        lines.push(format!("{table}: {rows} rows left behind ({why})"));
    }
    let files = match storage {
        Storage::Local => {
            "; to move the files to object storage too, run `reel storage copy --to \
             s3://BUCKET/PREFIX` and start with that --storage"
        }
        Storage::S3(_) => "",
    };
    lines.push(format!(
        "next: start Reel with --database-url {to} (with the password, preferably in \
         REEL_DATABASE_URL){files}"
    ));
    lines.join("\n")
}

/// `reel import --user NAME PATH…`: see `server::import`. Works beside a
/// running server (no lock: SQLite takes turns, the server's scratch files
/// are left alone). `progress` hears after each file; the answer is the
/// summary, an error when a file failed for the machine's reasons (a rerun
/// takes up where this one stopped).
pub async fn run_import_command(
    config: &Config,
    command: ImportCommand,
    progress: impl FnMut(&Progress),
) -> Result<String, String> {
    let repo = Repo::connect(&config.database_url, &config.data_dir)
        .await
        .map_err(|e| e.to_string())?;
    let user = repo
        .user_by_name(&command.user)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("--user: there is no user called {}", command.user))?;
    if user.disabled || !matches!(user.role, Role::Admin | Role::Member) {
        return Err(format!(
            "--user: {} may not add to a library (a viewer or disabled account)",
            user.name
        ));
    }
    let quota = match user.quota_bytes {
        Some(quota) => {
            let used = repo
                .bytes_owned(&user.id)
                .await
                .map_err(|e| e.to_string())?;
            Some((u64::try_from(quota).unwrap_or(0), used))
        }
        None => None,
    };
    let root = config.data_dir.join("files");
    let store = Store::open_beside(&config.storage, &config.s3, root)
        .await
        .map_err(|e| e.to_string())?;
    let ingest = crate::server::state::standalone_ingest(config, repo.clone(), store.clone());
    let settings = ImportSettings {
        owner: user.id,
        visibility: command.visibility,
        link: command.link,
        dry_run: command.dry_run,
        quota,
    };
    let report = Importer::new(repo, store, ingest, settings)
        .run(&command.paths, progress)
        .await;
    if report.succeeded() {
        Ok(report.summary())
    } else {
        Err(report.summary())
    }
}
