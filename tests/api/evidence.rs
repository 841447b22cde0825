//! Evidence: streamed uploads into the local store and into S3 (moto).

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{self, mp4, pdf, png, spawn_app, spawn_app_with, Backend, Options, Store, TestApp};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub async fn upload(
    app: &TestApp,
    c: &Value,
    who: &str,
    kind: &str,
    bytes: Vec<u8>,
    declared: &str,
    name: &str,
) -> helpers::Answer {
    let form = Form::new()
        .text("kind", kind.to_string())
        .text("description", format!("{kind} of the damage"))
        .part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str(declared).unwrap());
    let url = format!("{}/v1/complaints/{}/evidence", app.base, c["id"].as_str().unwrap());
    helpers::answer(app.client.post(url).bearer_auth(app.token_for(who)).multipart(form).send().await.unwrap()).await
}

/// An upload that says the file's size up front (`size_bytes`).
async fn upload_sized(
    app: &TestApp,
    c: &Value,
    kind: &str,
    bytes: Vec<u8>,
    declared: &str,
    size: usize,
) -> helpers::Answer {
    let form = Form::new()
        .text("kind", kind.to_string())
        .text("size_bytes", size.to_string())
        .part("file", Part::bytes(bytes).file_name("f").mime_str(declared).unwrap());
    let url = format!("{}/v1/complaints/{}/evidence", app.base, c["id"].as_str().unwrap());
    helpers::answer(app.client.post(url).bearer_auth(app.token_for("seller-1")).multipart(form).send().await.unwrap())
        .await
}

async fn upload_with_key(app: &TestApp, c: &Value, bytes: Vec<u8>, declared: &str, key: &str) -> helpers::Answer {
    let form = Form::new()
        .text("kind", "photo")
        .part("file", Part::bytes(bytes).file_name("p.png").mime_str(declared).unwrap());
    let url = format!("{}/v1/complaints/{}/evidence", app.base, c["id"].as_str().unwrap());
    let req = app.client.post(url).bearer_auth(app.token_for("buyer-1")).header("Idempotency-Key", key);
    helpers::answer(req.multipart(form).send().await.unwrap()).await
}

/// A retried upload with the same key replays the first answer (the form's
/// boundary differs, the content does not); another file under the key is
/// refused; a refused upload leaves its key free.
async fn a_retried_upload_is_replayed_not_stored_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = open(&app).await;
    let first = upload_with_key(&app, &c, png(), "image/png", "k-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = upload_with_key(&app, &c, png(), "image/png", "k-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, first.body);
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.stored_files().len(), 1);
    let mut other = png();
    other.push(0);
    upload_with_key(&app, &c, other, "image/png", "k-1").await.problem(422, "idempotency_key_reused");

    upload_with_key(&app, &c, png(), "application/pdf", "k-2").await.problem(422, "validation_failed");
    let retried = upload_with_key(&app, &c, png(), "image/png", "k-2").await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert!(retried.headers.get("idempotent-replayed").is_none());
    assert_eq!(app.stored_files().len(), 2);
}

async fn open(app: &TestApp) -> Value {
    app.order("ord-1", 150_000).await;
    app.open("ord-1", json!({"kind": "full_refund"})).await
}

fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}

async fn a_photo_is_stored_listed_read_and_cited(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = open(&app).await;
    let bytes = png();
    let up = upload(&app, &c, "buyer-1", "photo", bytes.clone(), "image/png", "../../etc/crack photo.png").await;
    assert_eq!(up.status, 201, "{}", up.body);
    let e = &up.body["evidence"];
    assert_eq!(e["media_type"], "image/png");
    assert_eq!(e["size_bytes"], bytes.len());
    assert_eq!(e["sha256"], sha256(&bytes));
    assert_eq!(e["uploader_role"], "buyer");
    assert_eq!(e["file_name"], "../../etc/crack photo.png", "kept as metadata only");
    let stored = app.stored_files();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].ends_with(e["id"].as_str().unwrap()), "the key is the service's, not the client's: {stored:?}");

    let list = app.get(&path(&c, "/evidence"), "seller-1").await;
    assert_eq!(list.ok()["data"][0]["id"], e["id"]);
    let content = app
        .client
        .get(format!("{}{}", app.base, path(&c, &format!("/evidence/{}/content", e["id"].as_str().unwrap()))))
        .bearer_auth(app.token_for("staff-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(content.status(), 200);
    assert_eq!(content.headers()["content-type"], "image/png");
    assert_eq!(content.headers()["content-disposition"], "attachment; filename=\".._.._etc_crack_photo.png\"");
    assert_eq!(content.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let timeline = app.get(&path(&c, "/timeline"), "seller-1").await;
    let added =
        timeline.ok()["data"].as_array().unwrap().iter().find(|t| t["type"] == "evidence_added").unwrap().clone();
    assert_eq!(added["data"]["evidence_id"], e["id"]);
    assert_eq!(added["data"]["description"], "photo of the damage");
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "see the photo", "evidence_ids": [e["id"]]})).await.ok();

    app.get(&path(&c, "/evidence"), "mallory").await.problem(404, "complaint_not_found");
    let eid = e["id"].as_str().unwrap();
    app.get(&path(&c, &format!("/evidence/{eid}/content")), "mallory").await.problem(404, "complaint_not_found");
    app.get(&path(&c, "/evidence/evd_nope/content"), "buyer-1").await.problem(404, "evidence_not_found");
}

async fn a_lying_or_oversized_file_leaves_nothing(backend: Backend) {
    let limits = resolution_center::domain::EvidenceLimits {
        file_bytes: 64 * 1024,
        video_bytes: 128 * 1024,
        files_per_party: 2,
        ..Default::default()
    };
    let app = spawn_app_with(backend, Options { limits, ..Options::default() }).await;
    let c = open(&app).await;
    let lying = upload(&app, &c, "buyer-1", "document", png(), "application/pdf", "receipt.pdf").await;
    lying.problem(422, "validation_failed");
    assert_eq!(lying.fields(), ["file"]);
    upload(&app, &c, "buyer-1", "document", b"just some text".to_vec(), "text/plain", "a.txt")
        .await
        .problem(422, "validation_failed");
    let mut big = png();
    big.resize(64 * 1024 + 1, 0);
    upload(&app, &c, "buyer-1", "photo", big, "image/png", "big.png").await.problem(413, "evidence_too_large");
    upload(&app, &c, "buyer-1", "video", mp4(200 * 1024), "video/mp4", "big.mp4")
        .await
        .problem(413, "evidence_too_large");
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"], json!([]));
    assert!(app.stored_files().is_empty(), "no object left: {:?}", app.stored_files());

    upload(&app, &c, "buyer-1", "receipt", pdf(), "application/pdf", "r.pdf").await.ok();
    upload(&app, &c, "buyer-1", "video", mp4(1000), "video/mp4", "v.mp4").await.ok();
    upload(&app, &c, "buyer-1", "photo", png(), "image/png", "p.png").await.problem(409, "evidence_limit_reached");
    upload(&app, &c, "seller-1", "photo", png(), "image/png", "p.png").await.ok();
    app.post(&path(&c, "/withdraw"), "buyer-1", json!({})).await.ok();
    upload(&app, &c, "seller-1", "photo", png(), "image/png", "late.png").await.problem(409, "complaint_resolved");
    assert_eq!(app.stored_files().len(), 3);
}

/// Real files through the service into S3, read back through the S3 API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_land_in_s3_byte_for_byte() {
    let app = spawn_app_with(Backend::Postgres, Options { store: Store::Moto, ..Options::default() }).await;
    let c = open(&app).await;
    let (client, bucket) = app.s3.clone().unwrap();
    // Larger than one part, so the multipart upload sends several.
    let video = mp4(resolution_center::evidence::PART_SIZE + 1234);
    for (kind, bytes, media) in
        [("photo", png(), "image/png"), ("receipt", pdf(), "application/pdf"), ("video", video, "video/mp4")]
    {
        let up = upload(&app, &c, "seller-1", kind, bytes.clone(), media, "f").await;
        assert_eq!(up.status, 201, "{}", up.body);
        let id = up.body["evidence"]["id"].as_str().unwrap();
        let key = format!("evidence/complaints/{}/{id}", c["id"].as_str().unwrap());
        let object = client.get_object().bucket(&bucket).key(&key).send().await.expect("the object is in S3");
        assert_eq!(object.content_type(), Some(media));
        let stored = object.body.collect().await.unwrap().into_bytes();
        assert_eq!(sha256(&stored), sha256(&bytes));
        assert_eq!(up.body["evidence"]["sha256"], sha256(&bytes));

        let content = app.get(&path(&c, &format!("/evidence/{id}/content")), "buyer-1").await;
        assert_eq!(content.status, 307);
        let url = content.headers["location"].to_str().unwrap();
        assert!(url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=300"), "{url}");
        let fetched = reqwest::get(url).await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(sha256(&fetched.bytes().await.unwrap()), sha256(&bytes));
    }
    // With its size said up front, a file is one streamed PUT.
    let video = mp4(3 * 1024 * 1024);
    let up = upload_sized(&app, &c, "video", video.clone(), "video/mp4", video.len()).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let key =
        format!("evidence/complaints/{}/{}", c["id"].as_str().unwrap(), up.body["evidence"]["id"].as_str().unwrap());
    let object = client.get_object().bucket(&bucket).key(&key).send().await.expect("the object is in S3");
    assert_eq!(sha256(&object.body.collect().await.unwrap().into_bytes()), sha256(&video));

    let lying = upload(&app, &c, "seller-1", "photo", pdf(), "image/png", "x.png").await;
    lying.problem(422, "validation_failed");
    let shorter = upload_sized(&app, &c, "video", video.clone(), "video/mp4", video.len() + 1).await;
    assert_eq!(shorter.fields(), ["size_bytes"], "{}", shorter.body);
    let longer = upload_sized(&app, &c, "video", video.clone(), "video/mp4", video.len() - 1).await;
    assert_eq!(longer.fields(), ["size_bytes"], "{}", longer.body);
    upload_sized(&app, &c, "photo", png(), "image/png", 10 * 1024 * 1024 + 1).await.problem(413, "evidence_too_large");
    let listed = client.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(4), "the refused files left no object");
    let uploads = client.list_multipart_uploads().bucket(&bucket).send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "no multipart upload left open");
}

/// With the store unreachable an upload is a 503 that leaves nothing behind,
/// and readiness says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_a_503_and_nothing_is_recorded() {
    let app = spawn_app_with(Backend::Postgres, Options { store: Store::Down, ..Options::default() }).await;
    let c = open(&app).await;
    upload(&app, &c, "buyer-1", "photo", png(), "image/png", "p.png").await.problem(503, "evidence_store_unavailable");
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"], json!([]));
    let timeline = app.get(&path(&c, "/timeline"), "buyer-1").await;
    assert!(timeline.ok()["data"].as_array().unwrap().iter().all(|t| t["type"] != "evidence_added"));
    let ready = helpers::answer(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
    ready.problem(503, "evidence_store_unavailable");
}

async fn start_direct(app: &TestApp, c: &Value, who: &str, body: Value) -> helpers::Answer {
    app.post(&path(c, "/evidence/uploads"), who, body).await
}

/// PUTs `bytes` to a presigned upload with the headers it was signed with,
/// overriding some of them; returns the store's status.
async fn put_to(upload: &Value, bytes: Vec<u8>, overrides: &[(&str, &str)]) -> u16 {
    let mut req = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        // The body sets its own length.
        if name != "content-length" && !overrides.iter().any(|(n, _)| n == name) {
            req = req.header(name.as_str(), value.as_str().unwrap());
        }
    }
    for (name, value) in overrides {
        req = req.header(*name, *value);
    }
    req.body(bytes).send().await.unwrap().status().as_u16()
}

async fn object_exists(app: &TestApp, key: &str) -> bool {
    let (client, bucket) = app.s3.clone().unwrap();
    client.head_object().bucket(&bucket).key(key).send().await.is_ok()
}

fn key_of(c: &Value, e: &Value) -> String {
    format!("evidence/complaints/{}/{}", c["id"].as_str().unwrap(), e["id"].as_str().unwrap())
}

/// Whether the store holds a copy of a direct upload's evidence (the service
/// checks each completion on a copy of its own, `key_of` + `.try_…`).
async fn copy_exists(app: &TestApp, c: &Value, e: &Value) -> bool {
    let (client, bucket) = app.s3.clone().unwrap();
    let listed = client.list_objects_v2().bucket(&bucket).prefix(key_of(c, e)).send().await.unwrap();
    listed.key_count().unwrap_or(0) > 0
}

/// Where a direct upload's client PUTs (the service copies it to `key_of`).
fn staged_key_of(c: &Value, e: &Value) -> String {
    format!("evidence/uploads/{}/{}", c["id"].as_str().unwrap(), e["id"].as_str().unwrap())
}

/// The direct upload end to end against an S3 server that checks
/// signatures: the PUT is bound to the declared size and type, completion
/// checks the stored object, and a tampered one is refused and deleted.
async fn a_direct_upload_is_bound_checked_and_attached(backend: Backend) {
    let app = spawn_app_with(backend, Options { store: Store::Signing, ..Options::default() }).await;
    let c = open(&app).await;
    let bytes = png();
    let declared = json!({
        "kind": "photo", "media_type": "image/png", "size_bytes": bytes.len(),
        "file_name": "crack.png", "sha256": sha256(&bytes), "description": "the cracked corner",
    });
    let started = start_direct(&app, &c, "buyer-1", declared.clone()).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let (e, upload) = (started.body["evidence"].clone(), started.body["upload"].clone());
    assert_eq!(e["status"], "pending");
    assert_eq!(upload["method"], "PUT");
    assert_eq!(upload["headers"]["content-type"], "image/png");
    assert_eq!(upload["headers"]["content-length"], bytes.len().to_string());
    let url = upload["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    assert!(url.contains("content-length%3Bcontent-type%3Bhost"), "size and type are signed: {url}");
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"], json!([]), "pending is not listed");
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    app.post(&complete, "buyer-1", json!({})).await.problem(409, "upload_not_found");

    // The store itself refuses another size, another type or a forged signature.
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"more");
    assert_eq!(put_to(&upload, longer, &[]).await, 403, "another size");
    assert_eq!(put_to(&upload, bytes.clone(), &[("content-type", "application/pdf")]).await, 403, "another type");
    let mut forged = upload.clone();
    let (head, signature) = url.split_once("X-Amz-Signature=").unwrap();
    let flipped: String = signature.chars().map(|ch| if ch == '0' { '1' } else { '0' }).collect();
    forged["url"] = json!(format!("{head}X-Amz-Signature={flipped}"));
    assert_eq!(put_to(&forged, bytes.clone(), &[]).await, 403, "a forged signature");
    assert!(!copy_exists(&app, &c, &e).await);

    assert_eq!(put_to(&upload, bytes.clone(), &[]).await, 200);
    app.post(&complete, "seller-1", json!({})).await.problem(403, "forbidden");
    app.post(&complete, "mallory", json!({})).await.problem(404, "complaint_not_found");
    let done = app.post(&complete, "buyer-1", json!({})).await;
    let stored = done.ok()["evidence"].clone();
    assert_eq!(stored["status"], "stored");
    assert_eq!(stored["sha256"], sha256(&bytes));
    assert_eq!(stored["description"], "the cracked corner");
    assert_eq!(app.post(&complete, "buyer-1", json!({})).await.ok()["evidence"]["id"], e["id"], "completing twice");
    assert_eq!(app.get(&path(&c, "/evidence"), "seller-1").await.ok()["data"][0]["id"], e["id"]);
    let timeline = app.get(&path(&c, "/timeline"), "seller-1").await;
    let added: Vec<Value> =
        timeline.ok()["data"].as_array().unwrap().iter().filter(|t| t["type"] == "evidence_added").cloned().collect();
    assert_eq!(added.len(), 1, "one timeline entry, also after completing twice");
    assert_eq!(added[0]["data"]["uploader_role"], "buyer");
    let content = path(&c, &format!("/evidence/{}/content", e["id"].as_str().unwrap()));
    let served = || async {
        let read = app.get(&content, "staff-1").await;
        let fetched = reqwest::get(read.headers["location"].to_str().unwrap()).await.unwrap();
        sha256(&fetched.bytes().await.unwrap())
    };
    assert_eq!(served().await, sha256(&bytes), "the presigned GET serves the bytes");

    // Verified evidence never changes: a second PUT with the still valid URL
    // is refused, and bytes written past that (a store without conditional
    // writes) land where nobody reads.
    let mut other = bytes.clone();
    *other.last_mut().unwrap() ^= 0xff;
    assert_eq!(put_to(&upload, other.clone(), &[]).await, 412, "the upload's key can be written once");
    let (client, bucket) = app.s3.clone().unwrap();
    client.put_object().bucket(&bucket).key(staged_key_of(&c, &e)).body(other.into()).send().await.unwrap();
    assert_eq!(served().await, sha256(&bytes), "what was verified is what is served");
    assert_eq!(app.get(&path(&c, "/evidence"), "seller-1").await.ok()["data"][0]["sha256"], sha256(&bytes));

    // Same size and type, other bytes: refused at completion, and deleted.
    let started = start_direct(&app, &c, "buyer-1", declared.clone()).await;
    let (e, upload) = (started.ok()["evidence"].clone(), started.body["upload"].clone());
    let mut tampered = bytes.clone();
    *tampered.last_mut().unwrap() ^= 0xff;
    assert_eq!(put_to(&upload, tampered, &[]).await, 200);
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    let refused = app.post(&complete, "buyer-1", json!({})).await;
    refused.problem(422, "validation_failed");
    assert_eq!(refused.fields(), ["sha256"]);
    assert!(!copy_exists(&app, &c, &e).await, "the tampered object is deleted");
    app.post(&complete, "buyer-1", json!({})).await.problem(404, "evidence_not_found");

    // A PDF declared as PNG, of the declared size: refused on its first bytes.
    let mut lying = pdf();
    lying.resize(bytes.len().max(lying.len()), b' ');
    let started = start_direct(
        &app,
        &c,
        "buyer-1",
        json!({"kind": "photo", "media_type": "image/png", "size_bytes": lying.len()}),
    )
    .await;
    let (e, upload) = (started.ok()["evidence"].clone(), started.body["upload"].clone());
    assert_eq!(put_to(&upload, lying, &[]).await, 200);
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    let refused = app.post(&complete, "buyer-1", json!({})).await;
    assert_eq!(refused.fields(), ["media_type"], "{}", refused.body);
    assert!(!copy_exists(&app, &c, &e).await);

    // An object of another size put there by other means: refused on its size.
    let started = start_direct(&app, &c, "buyer-1", declared.clone()).await;
    let e = started.ok()["evidence"].clone();
    let mut other = png();
    other.extend_from_slice(&[0; 100]);
    client.put_object().bucket(&bucket).key(staged_key_of(&c, &e)).body(other.into()).send().await.unwrap();
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    let refused = app.post(&complete, "buyer-1", json!({})).await;
    assert_eq!(refused.fields(), ["size_bytes"], "{}", refused.body);
    assert!(!copy_exists(&app, &c, &e).await);

    let listed = client.list_objects_v2().bucket(&bucket).prefix("evidence/complaints/").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1), "only the accepted file remains");
    assert!(!object_exists(&app, &staged_key_of(&c, &e)).await, "a refused upload's staged bytes go too");
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"].as_array().unwrap().len(), 1);

    // Completions racing while the staged bytes change underneath them (a
    // store without conditional writes): one checked copy is kept, and what
    // is served is what was recorded.
    let fresh = json!({"kind": "photo", "media_type": "image/png", "size_bytes": bytes.len()});
    let started = start_direct(&app, &c, "buyer-1", fresh).await;
    let (e, upload) = (started.ok()["evidence"].clone(), started.body["upload"].clone());
    assert_eq!(put_to(&upload, bytes.clone(), &[]).await, 200);
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    let calls = (0..8u8).map(|i| {
        let (app, complete, client, bucket, key) = (&app, &complete, &client, &bucket, staged_key_of(&c, &e));
        let mut variant = bytes.clone();
        *variant.last_mut().unwrap() ^= i + 1;
        async move {
            if i % 2 == 0 {
                // s3s-fs may fail a copy whose source is being rewritten (503); S3 copies atomically.
                let a = app.post(complete, "buyer-1", json!({})).await;
                assert!([200, 503].contains(&a.status.as_u16()), "{}", a.body);
            } else {
                client.put_object().bucket(bucket).key(key).body(variant.into()).send().await.unwrap();
            }
        }
    });
    futures_util::future::join_all(calls).await;
    // s3s-fs can be left unable to copy an object rewritten concurrently:
    // write it once more, alone, before the completion that must succeed.
    let (client, bucket) = app.s3.clone().unwrap();
    client.put_object().bucket(&bucket).key(staged_key_of(&c, &e)).body(bytes.clone().into()).send().await.unwrap();
    assert_eq!(app.post(&complete, "buyer-1", json!({})).await.ok()["evidence"]["status"], "stored");
    let copies = client.list_objects_v2().bucket(&bucket).prefix(key_of(&c, &e)).send().await.unwrap();
    assert_eq!(copies.key_count(), Some(1), "one copy of the evidence is kept");
    let recorded = app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == e["id"])
        .expect("the upload is stored")["sha256"]
        .clone();
    let read = app.get(&path(&c, &format!("/evidence/{}/content", e["id"].as_str().unwrap())), "staff-1").await;
    let fetched = reqwest::get(read.headers["location"].to_str().unwrap()).await.unwrap();
    assert_eq!(json!(sha256(&fetched.bytes().await.unwrap())), recorded, "what is served is what was checked");

    // What the request itself gets wrong.
    let bad = start_direct(
        &app,
        &c,
        "buyer-1",
        json!({"kind": "photo", "media_type": "text/html", "size_bytes": 20 * 1024 * 1024, "sha256": "xyz"}),
    )
    .await;
    bad.problem(422, "validation_failed");
    assert_eq!(bad.fields(), ["sha256"]);
    let bad = start_direct(
        &app,
        &c,
        "buyer-1",
        json!({"kind": "photo", "media_type": "text/html", "size_bytes": 20 * 1024 * 1024}),
    )
    .await;
    assert_eq!(bad.fields(), ["media_type"]);
    let bad =
        start_direct(&app, &c, "buyer-1", json!({"kind": "photo", "media_type": "image/png", "size_bytes": 20 << 20}))
            .await;
    assert_eq!(bad.fields(), ["size_bytes"]);
    start_direct(&app, &c, "mallory", declared).await.problem(404, "complaint_not_found");
}

/// An upload URL not used before it expires is refused by the store, and
/// the sweep removes the pending upload, which frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_direct_upload_is_refused_and_swept() {
    let limits = resolution_center::domain::EvidenceLimits {
        upload_ttl: std::time::Duration::from_secs(1),
        files_per_party: 1,
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Postgres, Options { store: Store::Signing, limits, ..Options::default() }).await;
    let c = open(&app).await;
    let bytes = png();
    let declared = json!({"kind": "photo", "media_type": "image/png", "size_bytes": bytes.len()});
    let started = start_direct(&app, &c, "buyer-1", declared.clone()).await;
    let (e, upload) = (started.ok()["evidence"].clone(), started.body["upload"].clone());
    start_direct(&app, &c, "buyer-1", declared.clone()).await.problem(409, "evidence_limit_reached");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(put_to(&upload, bytes.clone(), &[]).await, 403, "the URL expired");

    let now = resolution_center::app::now();
    let swept = app.app.sweep_uploads(now).await.unwrap();
    assert_eq!(swept.expired_uploads, 0, "completion stays possible for a grace period");
    let swept = app.app.sweep_uploads(now + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(swept.expired_uploads, 1);
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    app.post(&complete, "buyer-1", json!({})).await.problem(404, "evidence_not_found");

    // A completed upload's staged bytes stay while its URL could still be
    // used (so a second PUT finds the key taken), then the sweep takes them.
    let started = start_direct(&app, &c, "buyer-1", declared).await;
    let (e, upload) = (started.ok()["evidence"].clone(), started.body["upload"].clone());
    assert_eq!(put_to(&upload, bytes.clone(), &[]).await, 200);
    let complete = path(&c, &format!("/evidence/{}/complete", e["id"].as_str().unwrap()));
    app.post(&complete, "buyer-1", json!({})).await.ok();
    let now = resolution_center::app::now();
    assert_eq!(app.app.sweep_uploads(now).await.unwrap().staged_copies, 0);
    assert!(object_exists(&app, &staged_key_of(&c, &e)).await);
    assert_eq!(app.app.sweep_uploads(now + chrono::Duration::hours(1)).await.unwrap().staged_copies, 1);
    assert!(!object_exists(&app, &staged_key_of(&c, &e)).await);
    assert!(copy_exists(&app, &c, &e).await, "the evidence itself stays");
}

/// The local store takes uploads through the service only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_store_has_no_direct_upload() {
    let app = spawn_app(Backend::Sqlite).await;
    let c = open(&app).await;
    start_direct(&app, &c, "buyer-1", json!({"kind": "photo", "media_type": "image/png", "size_bytes": 10}))
        .await
        .problem(409, "direct_upload_unavailable");
}

/// S3 dies in the middle of a streamed upload: 503, and neither a row nor an
/// object is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_stopping_mid_upload_is_a_503_and_nothing_is_half_written() {
    let mut app = spawn_app_with(Backend::Postgres, Options { store: Store::Signing, ..Options::default() }).await;
    let c = open(&app).await;
    let video = mp4(resolution_center::evidence::PART_SIZE + 4096);
    let (first, rest) = video.split_at(resolution_center::evidence::PART_SIZE + 1024);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    let body = reqwest::Body::wrap_stream(chunks);
    let form = Form::new()
        .text("kind", "video")
        .part("file", Part::stream(body).file_name("unboxing.mp4").mime_str("video/mp4").unwrap());
    let url = format!("{}{}", app.base, path(&c, "/evidence"));
    let request = app.client.post(url).bearer_auth(app.token_for("buyer-1")).multipart(form).send();
    let answer = tokio::spawn(request);
    tx.send(Ok(first.to_vec())).await.unwrap();

    // Wait for the first part to reach the store, then kill it.
    let root = app.s3s.as_ref().unwrap().root().to_path_buf();
    let part_stored = || {
        std::fs::read_dir(&root).unwrap().flatten().any(|f| {
            let name = f.file_name().to_string_lossy().to_string();
            name.starts_with(".upload_id-") && name.ends_with(".part-1")
        })
    };
    for _ in 0..500 {
        if part_stored() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(part_stored(), "the first part reached the store");
    app.s3s.as_mut().unwrap().stop();
    tx.send(Ok(rest.to_vec())).await.unwrap();
    drop(tx);
    let answer = helpers::answer(answer.await.unwrap().unwrap()).await;
    answer.problem(503, "evidence_store_unavailable");

    app.s3s.as_mut().unwrap().restart();
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"], json!([]));
    let timeline = app.get(&path(&c, "/timeline"), "buyer-1").await;
    assert!(timeline.ok()["data"].as_array().unwrap().iter().all(|t| t["type"] != "evidence_added"));
    let (client, bucket) = app.s3.clone().unwrap();
    let listed = client.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0), "no object was completed");

    // The same with the size said up front: one streamed PUT, cut off.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    let form = Form::new().text("kind", "video").text("size_bytes", video.len().to_string()).part(
        "file",
        Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("unboxing.mp4").mime_str("video/mp4").unwrap(),
    );
    let url = format!("{}{}", app.base, path(&c, "/evidence"));
    let answer = tokio::spawn(app.client.post(url).bearer_auth(app.token_for("buyer-1")).multipart(form).send());
    tx.send(Ok(first.to_vec())).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.s3s.as_mut().unwrap().stop();
    tx.send(Ok(rest.to_vec())).await.unwrap();
    drop(tx);
    helpers::answer(answer.await.unwrap().unwrap()).await.problem(503, "evidence_store_unavailable");
    app.s3s.as_mut().unwrap().restart();
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"], json!([]));
    let listed = client.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0), "the cut-off PUT created no object");

    // The store is back: the next upload works.
    upload(&app, &c, "buyer-1", "photo", png(), "image/png", "p.png").await.ok();
}

/// Writes a crash left open are swept once they are old: multipart uploads
/// on S3 and `.partial` files on the local store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_writes_a_crash_left_open() {
    let app = spawn_app_with(Backend::Postgres, Options { store: Store::Moto, ..Options::default() }).await;
    let (client, bucket) = app.s3.clone().unwrap();
    client.create_multipart_upload().bucket(&bucket).key("evidence/complaints/cmp_x/evd_y").send().await.unwrap();
    // moto reports every upload as begun in 2010, so only the local store
    // below shows that a young write is left alone.
    let swept = app.app.sweep_uploads(resolution_center::app::now()).await.unwrap();
    assert_eq!(swept.unfinished_writes, 1);
    let unfinished = client.list_multipart_uploads().bucket(&bucket).send().await.unwrap();
    assert!(unfinished.uploads().is_empty());

    let app = spawn_app(Backend::Sqlite).await;
    let c = open(&app).await;
    upload(&app, &c, "buyer-1", "photo", png(), "image/png", "p.png").await.ok();
    let dir = app.stored_files()[0].parent().unwrap().to_path_buf();
    let old = std::fs::File::create(dir.join("evd_old.partial")).unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7 * 3600)).unwrap();
    std::fs::File::create(dir.join("evd_young.partial")).unwrap();
    let swept = app.app.sweep_uploads(resolution_center::app::now()).await.unwrap();
    assert_eq!(swept.unfinished_writes, 1);
    let mut left: Vec<String> =
        app.stored_files().iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
    left.sort();
    assert_eq!(left.len(), 2, "the stored file and the young partial stay: {left:?}");
    assert!(left.iter().any(|n| n == "evd_young.partial"));
}

/// Staff ask the seller for a photo and a receipt; the seller sees what it
/// owes until it has added both.
async fn staff_request_evidence_and_the_party_provides_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = open(&app).await;
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let asked = json!({"party": "seller", "kinds": ["photo", "receipt"], "due_at": due, "note": "the packing photo and the courier receipt"});
    app.post(&path(&c, "/evidence-requests"), "buyer-1", asked.clone()).await.problem(403, "forbidden");
    app.post(&path(&c, "/evidence-requests"), "mallory", asked.clone()).await.problem(404, "complaint_not_found");
    let past = json!({"party": "seller", "kinds": ["photo"], "due_at": "2020-01-01T00:00:00Z"});
    assert_eq!(app.post(&path(&c, "/evidence-requests"), "staff-1", past).await.fields(), ["due_at"]);
    let staff_party = json!({"party": "staff", "kinds": ["photo"], "due_at": due});
    assert_eq!(app.post(&path(&c, "/evidence-requests"), "staff-1", staff_party).await.fields(), ["party"]);
    let none = json!({"party": "seller", "kinds": [], "due_at": due});
    assert_eq!(app.post(&path(&c, "/evidence-requests"), "staff-1", none).await.fields(), ["kinds"]);

    let requested = app.post(&path(&c, "/evidence-requests"), "staff-1", asked).await;
    assert!(requested.ok()["allowed_actions"].as_array().unwrap().contains(&json!("request_evidence")));
    let seller = app.get(&path(&c, ""), "seller-1").await;
    let r = &seller.ok()["evidence_requests"][0];
    assert_eq!(
        (r["party"].as_str(), r["status"].as_str(), r["requested_by"].as_str()),
        (Some("seller"), Some("open"), Some("staff-1"))
    );
    assert!(seller.body["allowed_actions"].as_array().unwrap().contains(&json!("provide_evidence")));
    let buyer = app.get(&path(&c, ""), "buyer-1").await;
    assert!(!buyer.ok()["allowed_actions"].as_array().unwrap().contains(&json!("provide_evidence")));
    let timeline = app.get(&path(&c, "/timeline"), "seller-1").await;
    let entry =
        timeline.ok()["data"].as_array().unwrap().iter().find(|t| t["type"] == "evidence_requested").unwrap().clone();
    assert_eq!(entry["data"]["kinds"], json!(["photo", "receipt"]));
    assert_eq!(entry["data"]["due_at"].as_str().map(|d| d.len() > 10), Some(true));

    upload(&app, &c, "buyer-1", "receipt", pdf(), "application/pdf", "r.pdf").await.ok();
    upload(&app, &c, "seller-1", "photo", png(), "image/png", "p.png").await.ok();
    let r = app.get(&path(&c, ""), "seller-1").await.ok()["evidence_requests"][0].clone();
    assert_eq!(r["status"], "open", "the buyer's receipt does not answer the seller's request");
    assert_eq!(r["provided"], json!(["photo"]));
    upload(&app, &c, "seller-1", "receipt", pdf(), "application/pdf", "r.pdf").await.ok();
    let seller = app.get(&path(&c, ""), "seller-1").await;
    let r = &seller.ok()["evidence_requests"][0];
    assert_eq!(r["status"], "fulfilled");
    assert!(r["fulfilled_at"].is_string());
    assert!(!seller.body["allowed_actions"].as_array().unwrap().contains(&json!("provide_evidence")));
}

crate::on_both_backends!(
    a_photo_is_stored_listed_read_and_cited,
    a_lying_or_oversized_file_leaves_nothing,
    a_direct_upload_is_bound_checked_and_attached,
    staff_request_evidence_and_the_party_provides_it,
    a_retried_upload_is_replayed_not_stored_twice,
);
