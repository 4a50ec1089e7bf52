//! `reel user …`: managing accounts from the command line, on the data
//! directory, with or without the server running (SQLite takes turns). The
//! way in for a first admin on a headless machine, and back in for an admin
//! who lost their password. Like `state`, this is a composition root: the
//! operator at the machine owns the data directory, so it works on the
//! accounts store directly rather than as an `Actor` of the service.

use std::path::Path;

use crate::accounts::{Role, check_password, clean_name};
use crate::server::accounts::{Accounts, SessionPolicy};
use crate::server::config::UserCommand;
use crate::server::db::Repo;

/// Runs `command` on the data directory; what to print, or why it failed.
pub async fn run_user_command(
    data_dir: &Path,
    command: UserCommand,
    password: &str,
) -> Result<String, String> {
    let password = password.trim_end_matches(['\r', '\n']);
    check_password(password).map_err(|e| e.message)?;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let repo = Repo::open(&data_dir.join("reel.db"))
        .await
        .map_err(|e| e.to_string())?;
    let accounts = Accounts::open(
        repo.clone(),
        data_dir.to_path_buf(),
        SessionPolicy::default(),
    )
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
