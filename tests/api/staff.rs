//! Staff accounts the service keeps itself: added from the command line with
//! the password on standard input, stored as an argon2id hash, listed without
//! it, disabled, given a new password.

use std::io::Write;
use std::process::{Command, Stdio};

use resolution_center::app::staff::{NewStaff, SignIn};
use resolution_center::app::AppError;

use crate::helpers::{spawn_app, Backend};

fn agent(id: &str) -> NewStaff {
    NewStaff {
        id: id.into(),
        name: "Dewi Lestari".into(),
        email: Some("dewi@example.com".into()),
        locale: "id".into(),
        time_zone: "UTC".into(),
    }
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
    assert_eq!(out.lines().collect::<Vec<_>>(), ["agent-1\tAgent One\t-\ten\tUTC\tenabled"]);
    assert!(!out.contains("argon2"), "the hash is never shown");
    assert!(app.app.check_staff_password("agent-1".into(), "correct horse battery".into()).await.unwrap().is_some());
    let (ok, out) = run(&["disable", "nobody"], "");
    assert!(!ok && out.contains("staff account not found"), "{out}");
}

/// Sessions live in the database: a right password opens one whose cookie
/// token is stored only as a hash; failures slow the next attempts down, per
/// account and per address; sign-out and disabling end sessions at once.
async fn sign_in_opens_a_session_until_signed_out_or_disabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = &app.app;
    a.add_staff(agent("dewi"), "correct horse battery".into()).await.unwrap();
    a.add_staff(agent("budi"), "correct horse battery".into()).await.unwrap();
    let sign_in = |id: &str, pw: &str, from: &str| a.sign_in(id.into(), pw.into(), from.into());

    let SignIn::Welcome(session) = sign_in("dewi", "correct horse battery", "10.0.0.1").await.unwrap() else {
        panic!("the right password opens a session")
    };
    assert_eq!(session.token.len(), 43, "32 random bytes");
    assert_ne!(session.token, session.csrf_token);
    let seen = a.staff_session(session.token.clone()).await.unwrap().expect("the session runs");
    assert_eq!((seen.account.id.as_str(), seen.csrf_token.as_str()), ("dewi", session.csrf_token.as_str()));
    assert!(a.staff_session("not-a-token".into()).await.unwrap().is_none());
    let mut conn = resolution_center::store::dialect::connect(&app.db_url).unwrap();
    let stored: Vec<String> = {
        use diesel::prelude::*;
        use resolution_center::store::schema::staff_sessions::dsl::*;
        staff_sessions.select(token_hash).load(&mut conn).unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert!(!stored.contains(&session.token), "the token itself is not kept");

    // Three wrong passwords are free; the fourth attempt must wait, even with the right one.
    for _ in 0..3 {
        assert!(matches!(sign_in("budi", "wrong wrong wrong", "10.0.0.2").await.unwrap(), SignIn::Refused));
    }
    assert!(
        matches!(sign_in("budi", "correct horse battery", "10.0.0.3").await.unwrap(), SignIn::TooSoon(_)),
        "per account"
    );
    assert!(
        matches!(sign_in("dewi", "correct horse battery", "10.0.0.2").await.unwrap(), SignIn::TooSoon(_)),
        "per address"
    );
    assert!(matches!(sign_in("dewi", "correct horse battery", "10.0.0.4").await.unwrap(), SignIn::Welcome(_)));

    a.sign_out(session.token.clone()).await.unwrap();
    assert!(a.staff_session(session.token.clone()).await.unwrap().is_none(), "signed out");
    let SignIn::Welcome(again) = sign_in("dewi", "correct horse battery", "10.0.0.5").await.unwrap() else {
        panic!("signs in again")
    };
    a.disable_staff("dewi".into()).await.unwrap();
    assert!(a.staff_session(again.token).await.unwrap().is_none(), "disabling ends the session at once");
}

crate::on_both_backends!(
    accounts_sign_in_until_disabled,
    the_command_line_adds_and_lists_accounts,
    sign_in_opens_a_session_until_signed_out_or_disabled,
);
