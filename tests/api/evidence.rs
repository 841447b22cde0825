//! Evidence: streamed uploads into the local store and into S3 (moto).

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::{self, spawn_app, spawn_app_with, Backend, Options, TestApp};

/// A real 1×1 PNG.
pub fn png() -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000105f54e7a2a0000000049454e44ae426082";
    hex::decode(hex).unwrap()
}

/// A small PDF with one empty page.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

/// An MP4 container: an `ftyp` box of brand isom, then `padding` bytes of an `mdat` box.
pub fn mp4(padding: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&[0, 0, 0, 0x18]);
    out.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    out.extend_from_slice(&((padding + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"mdat");
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn upload(
    app: &TestApp,
    c: &Value,
    who: &str,
    kind: &str,
    bytes: Vec<u8>,
    declared: &str,
    name: &str,
) -> common::Answer {
    let form = Form::new()
        .text("kind", kind.to_string())
        .text("description", format!("{kind} of the damage"))
        .part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str(declared).unwrap());
    let url = format!("{}/v1/complaints/{}/evidence", app.base, c["id"].as_str().unwrap());
    common::answer(app.client.post(url).bearer_auth(app.token_for(who)).multipart(form).send().await.unwrap()).await
}

async fn open(app: &TestApp) -> Value {
    app.order("ord-1", 150_000).await;
    app.open("ord-1", json!({"kind": "full_refund"})).await
}

fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}

pub async fn a_photo_is_stored_listed_read_and_cited(backend: Backend) {
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

pub async fn a_lying_or_oversized_file_leaves_nothing(backend: Backend) {
    let limits =
        resolution_center::app::evidence::Limits { file_bytes: 64 * 1024, video_bytes: 128 * 1024, files_per_party: 2 };
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
    let app = spawn_app_with(Backend::Postgres, Options { s3: true, ..Options::default() }).await;
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
    let lying = upload(&app, &c, "seller-1", "photo", pdf(), "image/png", "x.png").await;
    lying.problem(422, "validation_failed");
    let listed = client.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(3), "the refused file left no object");
    let uploads = client.list_multipart_uploads().bucket(&bucket).send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "no multipart upload left open");
}

/// With the store unreachable an upload is a 503 that leaves nothing behind,
/// and readiness says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_a_503_and_nothing_is_recorded() {
    let app = spawn_app_with(Backend::Postgres, Options { s3_down: true, ..Options::default() }).await;
    let c = open(&app).await;
    upload(&app, &c, "buyer-1", "photo", png(), "image/png", "p.png").await.problem(503, "evidence_store_unavailable");
    assert_eq!(app.get(&path(&c, "/evidence"), "buyer-1").await.ok()["data"], json!([]));
    let timeline = app.get(&path(&c, "/timeline"), "buyer-1").await;
    assert!(timeline.ok()["data"].as_array().unwrap().iter().all(|t| t["type"] != "evidence_added"));
    let ready = common::answer(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
    ready.problem(503, "evidence_store_unavailable");
}
