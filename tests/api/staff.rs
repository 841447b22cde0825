//! Staff accounts the service keeps itself: added from the command line with
//! the password on standard input, stored as an argon2id hash, listed without
//! it, disabled, given a new password.

use std::io::Write;
use std::process::{Command, Stdio};

use resolution_center::app::staff::NewStaff;
use resolution_center::app::AppError;

use crate::helpers::{spawn_app, Backend};

fn agent(id: &str) -> NewStaff {
    NewStaff { id: id.into(), name: "Dewi Lestari".into(), email: Some("dewi@example.com".into()), locale: "id".into() }
}

async fn accounts_sign_in_until_disabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = &app.app;
    let added = a.add_staff(agent("dewi"), "correct horse battery".into()).await.unwrap();
    assert_eq!((added.id.as_str(), added.locale.as_str(), added.disabled_at), ("dewi", "id", None));

    let again = a.add_staff(agent("dewi"), "another long password".into()).await;
    assert!(matches!(again, Err(AppError::Conflict { code: "staff_exists", .. })), "{again:?}");
    let short = a.add_staff(agent("budi"), "short".into()).await;
    assert!(matches!(&short, Err(AppError::Invalid(f)) if f[0].field == "password"), "{short:?}");

    let check = |id: &str, pw: &str| a.check_staff_password(id.into(), pw.into());
    assert_eq!(check("dewi", "correct horse battery").await.unwrap().map(|s| s.id), Some("dewi".into()));
    assert_eq!(check("dewi", "correct horse batterY").await.unwrap(), None, "a wrong password");
    assert_eq!(check("nobody", "correct horse battery").await.unwrap(), None, "no such account");

    a.reset_staff_password("dewi".into(), "a brand new password".into()).await.unwrap();
    assert_eq!(check("dewi", "correct horse battery").await.unwrap(), None, "the old password is gone");
    assert!(check("dewi", "a brand new password").await.unwrap().is_some());

    let disabled = a.disable_staff("dewi".into()).await.unwrap();
    assert!(disabled.disabled_at.is_some());
    assert_eq!(check("dewi", "a brand new password").await.unwrap(), None, "a disabled account signs in no more");
    assert!(matches!(a.disable_staff("nobody".into()).await, Err(AppError::NotFound(_))));

    let listed = a.list_staff().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].disabled_at, disabled.disabled_at, "a second disable keeps the first time");
}

/// `resolution-center staff …` as an operator types it.
async fn the_command_line_adds_and_lists_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_resolution-center"))
            .arg("staff")
            .args(args)
            .env("RC_DATABASE_URL", &app.db_url)
            .env("RC_DATA_DIR", app.settings.data_dir.as_os_str())
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&["add", "agent-1", "--name", "Agent One", "--locale", "en"], "correct horse battery\n");
    assert!(ok, "{out}");
    let (ok, out) = run(&["add", "agent-2", "--name", "Agent Two"], "short\n");
    assert!(!ok && out.contains("password: 12 to 256 characters"), "{out}");
    let (ok, out) = run(&["list"], "");
    assert!(ok, "{out}");
    assert_eq!(out.lines().collect::<Vec<_>>(), ["agent-1\tAgent One\t-\ten\tenabled"]);
    assert!(!out.contains("argon2"), "the hash is never shown");
    assert!(app.app.check_staff_password("agent-1".into(), "correct horse battery".into()).await.unwrap().is_some());
    let (ok, out) = run(&["disable", "nobody"], "");
    assert!(!ok && out.contains("staff account not found"), "{out}");
}

crate::on_both_backends!(accounts_sign_in_until_disabled, the_command_line_adds_and_lists_accounts);
