//! SIGTERM: the real binary stops taking requests, finishes the one in
//! flight and exits cleanly.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::png;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let secret = "shutdown-secret-shutdown-secret-shutdown";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_resolution-center"))
        .arg("serve")
        .env("RC_DATA_DIR", dir.path())
        .env("RC_LISTEN", format!("127.0.0.1:{port}"))
        .env("RC_JWT_SECRET", secret)
        .env("RC_TIMER_INTERVAL", "100ms")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mint = |sub: &str, roles: &[String]| {
        resolution_center::http::auth::mint(secret.as_bytes(), sub, roles, chrono::Duration::hours(1)).unwrap()
    };
    let (market, buyer) = (mint("market", &["service".into()]), mint("buyer-1", &[]));
    let order = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": {"amount": 1000, "currency": "IDR"}, "status": "delivered"});
    client.put(format!("{base}/v1/orders/o-1")).bearer_auth(&market).json(&order).send().await.unwrap();
    let opened: serde_json::Value = client
        .post(format!("{base}/v1/complaints"))
        .bearer_auth(&buyer)
        .json(&json!({"order_id": "o-1", "reason": "other", "description": "x", "requested_solution": {"kind": "full_refund"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // An upload whose body is still arriving when SIGTERM comes.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    let file = Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("p.png").mime_str("image/png").unwrap();
    let url = format!("{base}/v1/complaints/{}/evidence", opened["id"].as_str().unwrap());
    let upload = tokio::spawn(
        client.post(url).bearer_auth(&buyer).multipart(Form::new().text("kind", "photo").part("file", file)).send(),
    );
    let bytes = png();
    let (head, tail) = bytes.split_at(20);
    tx.send(Ok(head.to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        reqwest::Client::new().get(format!("{base}/healthz")).send().await.is_err(),
        "no new connection is taken after SIGTERM"
    );
    tx.send(Ok(tail.to_vec())).await.unwrap();
    drop(tx);
    let answer = upload.await.unwrap().unwrap();
    assert_eq!(answer.status(), 201, "the request in flight finishes");

    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "the service exits");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
}
