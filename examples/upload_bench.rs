//! Evidence upload figures: a large video streamed through the service into
//! an S3 server (s3s-fs on loopback), against the same file sent straight to
//! the same server with aws-sdk-s3, in one run. The service runs as its own
//! process so its resident memory can be watched during each upload. Run
//! with `scripts/bench`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_s3::primitives::ByteStream;
use clap::Parser;
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

mod common;
use common::{cpu_secs, free_port, median, rss_kib, wait_for, Process};

#[derive(Parser)]
#[command(about = "Uploads a large video through the service and straight to S3; prints throughput and memory")]
struct Args {
    /// Size of the uploaded file.
    #[arg(long, default_value_t = 200)]
    size_mib: u64,
    /// Uploads of each kind; medians are printed.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The service binary (built by scripts/bench).
    #[arg(long, default_value = "target/release/resolution-center")]
    service: PathBuf,
    /// The s3s-fs binary.
    #[arg(long, env = "TEST_S3S_FS", default_value = "s3s-fs")]
    s3s_fs: String,
}

const KEY: &str = "bench";
const SECRET: &str = "bench-secret-bench-secret-bench-secret";

/// An MP4 of exactly `size` bytes: an `ftyp` box, then one `mdat` box of pseudo-random bytes.
fn write_video(path: &Path, size: u64) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(&[0, 0, 0, 0x18])?;
    out.write_all(b"ftypisom\0\0\x02\0isomiso2")?;
    let mdat = size - 24;
    out.write_all(&u32::try_from(mdat).context("file too large for one mdat box")?.to_be_bytes())?;
    out.write_all(b"mdat")?;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut left = mdat - 8;
    let mut block = vec![0u8; 1 << 20];
    while left > 0 {
        for word in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(())
}

/// The file to S3 as a multipart upload of `PART_SIZE` parts, one after the other.
async fn multipart_upload(s3: &aws_sdk_s3::Client, path: &Path, key: &str) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let created = s3.create_multipart_upload().bucket("evidence").key(key).content_type("video/mp4").send().await?;
    let id = created.upload_id().context("no upload id")?;
    let mut file = tokio::fs::File::open(path).await?;
    let mut parts = Vec::new();
    loop {
        let mut buf = vec![0u8; resolution_center::evidence::PART_SIZE];
        let mut filled = 0;
        while filled < buf.len() {
            let n = file.read(&mut buf[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        buf.truncate(filled);
        let number = i32::try_from(parts.len() + 1)?;
        let sent = s3
            .upload_part()
            .bucket("evidence")
            .key(key)
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(buf))
            .send()
            .await?;
        parts.push(CompletedPart::builder().part_number(number).set_e_tag(sent.e_tag().map(str::to_string)).build());
    }
    s3.complete_multipart_upload()
        .bucket("evidence")
        .key(key)
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let size = args.size_mib * 1024 * 1024;
    let video = dir.path().join("unboxing.mp4");
    write_video(&video, size)?;

    let s3_port = free_port()?;
    let s3_root = dir.path().join("s3");
    std::fs::create_dir_all(&s3_root)?;
    let s3_process = Process(
        Command::new(&args.s3s_fs)
            .args(["--host", "127.0.0.1", "--port", &s3_port.to_string(), "--access-key", KEY, "--secret-key", SECRET])
            .arg(&s3_root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {} (scripts/bench installs it)", args.s3s_fs))?,
    );
    let s3_pid = s3_process.0.id();
    let endpoint = format!("http://127.0.0.1:{s3_port}");
    let credentials = aws_sdk_s3::config::Credentials::new(KEY, SECRET, None, None, "bench");
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .force_path_style(true)
        .credentials_provider(credentials)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", s3_port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s3.create_bucket().bucket("evidence").send().await.context("creating the bucket")?;

    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let service = Process(
        Command::new(&args.service)
            .arg("serve")
            .env("RC_LISTEN", format!("127.0.0.1:{port}"))
            .env("RC_DATA_DIR", dir.path().join("data"))
            .env("RC_JWT_SECRET", SECRET)
            .env("RC_EVIDENCE_STORE", "s3://evidence/svc")
            .env("RC_S3_ENDPOINT", &endpoint)
            .env("RC_S3_FORCE_PATH_STYLE", "true")
            .env("RC_EVIDENCE_MAX_VIDEO_BYTES", size.to_string())
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", args.service.display()))?,
    );
    let pid = service.0.id();
    wait_for(&format!("{base}/healthz")).await?;

    let token = |sub: &str, roles: &[String]| {
        resolution_center::http::auth::mint(SECRET.as_bytes(), sub, roles, chrono::Duration::hours(2))
    };
    let (market, buyer) = (token("market", &["service".to_string()])?, token("buyer-1", &[])?);
    let http = reqwest::Client::new();
    http.put(format!("{base}/v1/orders/ord-1"))
        .bearer_auth(&market)
        .json(&json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": {"amount": 150000, "currency": "IDR"}, "status": "delivered", "delivered_at": chrono::Utc::now()}))
        .send()
        .await?
        .error_for_status()?;
    let complaint: Value = http
        .post(format!("{base}/v1/complaints"))
        .bearer_auth(&buyer)
        .json(&json!({"order_id": "ord-1", "reason": "damaged", "description": "cracked", "requested_solution": {"kind": "full_refund"}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let upload_url = format!("{base}/v1/complaints/{}/evidence", complaint["id"].as_str().unwrap_or_default());

    let through_service = |path: PathBuf| {
        let (http, url, buyer) = (http.clone(), upload_url.clone(), buyer.clone());
        async move {
            let file = tokio::fs::File::open(&path).await?;
            let chunks = futures_util::stream::unfold(file, |mut file| async move {
                let mut buf = vec![0u8; 256 * 1024];
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok::<_, std::io::Error>(buf), file))
                    }
                    Err(e) => Some((Err(e), file)),
                }
            });
            let len = tokio::fs::metadata(&path).await?.len();
            let part = Part::stream_with_length(reqwest::Body::wrap_stream(chunks.boxed()), len)
                .file_name("unboxing.mp4")
                .mime_str("video/mp4")?;
            let form = Form::new().text("kind", "video").text("size_bytes", len.to_string()).part("file", part);
            let answer: Value =
                http.post(url).bearer_auth(buyer).multipart(form).send().await?.error_for_status()?.json().await?;
            anyhow::Ok(answer)
        }
    };

    // Warm up connections and allocator pools with a small file.
    let small = dir.path().join("small.mp4");
    write_video(&small, 64 * 1024)?;
    through_service(small).await?;

    let mib = size as f64 / (1024.0 * 1024.0);
    let (mut service_rates, mut direct_rates, mut plain_rates, mut growths) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let before = rss_kib(pid);
        let (peak, done) = (Arc::new(AtomicU64::new(before)), Arc::new(AtomicBool::new(false)));
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        };
        let (start, cpu_before, s3_cpu_before) = (Instant::now(), cpu_secs(pid), cpu_secs(s3_pid));
        let answer = through_service(video.clone()).await?;
        let service_secs = start.elapsed().as_secs_f64();
        let (service_cpu, s3_cpu) = (cpu_secs(pid) - cpu_before, cpu_secs(s3_pid) - s3_cpu_before);
        done.store(true, Ordering::Relaxed);
        sampler.await?;
        let growth_mib = (peak.load(Ordering::Relaxed).saturating_sub(before)) as f64 / 1024.0;
        let evidence = &answer["evidence"];
        anyhow::ensure!(evidence["size_bytes"] == size, "the service stored {evidence}");
        let key = format!(
            "svc/complaints/{}/{}",
            complaint["id"].as_str().unwrap_or_default(),
            evidence["id"].as_str().unwrap_or_default()
        );
        s3.delete_object().bucket("evidence").key(&key).send().await?;

        let (start, s3_cpu_before) = (Instant::now(), cpu_secs(s3_pid));
        s3.put_object()
            .bucket("evidence")
            .key(format!("direct/{round}"))
            .content_type("video/mp4")
            .body(ByteStream::from_path(&video).await?)
            .send()
            .await?;
        let direct_secs = start.elapsed().as_secs_f64();
        let direct_s3_cpu = cpu_secs(s3_pid) - s3_cpu_before;
        s3.delete_object().bucket("evidence").key(format!("direct/{round}")).send().await?;

        // The same PUT without the SDK's default CRC32, as the service sends it.
        let start = Instant::now();
        s3.put_object()
            .bucket("evidence")
            .key(format!("plain/{round}"))
            .content_type("video/mp4")
            .body(ByteStream::from_path(&video).await?)
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::new()
                    .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired),
            )
            .send()
            .await?;
        let plain_secs = start.elapsed().as_secs_f64();
        s3.delete_object().bucket("evidence").key(format!("plain/{round}")).send().await?;

        let start = Instant::now();
        multipart_upload(&s3, &video, &format!("multipart/{round}")).await?;
        let multipart_secs = start.elapsed().as_secs_f64();
        s3.delete_object().bucket("evidence").key(format!("multipart/{round}")).send().await?;

        println!(
            "round {}: through the service {:.0} MiB/s ({:.2} s, RSS +{:.1} MiB, CPU service {:.2} s + S3 {:.2} s); \
             straight to S3 {:.0} MiB/s ({:.2} s, CPU S3 {:.2} s), without CRC32 {:.0} MiB/s, as 8 MiB parts {:.0} MiB/s",
            round + 1,
            mib / service_secs,
            service_secs,
            growth_mib,
            service_cpu,
            s3_cpu,
            mib / direct_secs,
            direct_secs,
            direct_s3_cpu,
            mib / plain_secs,
            mib / multipart_secs,
        );
        service_rates.push(mib / service_secs);
        direct_rates.push(mib / direct_secs);
        plain_rates.push(mib / plain_secs);
        growths.push(growth_mib);
    }
    let (service, direct, plain) = (median(service_rates), median(direct_rates), median(plain_rates));
    let growth = growths.iter().copied().fold(0.0, f64::max);
    println!("{mib:.0} MiB video, {} rounds, medians:", args.rounds);
    println!("  through the service: {service:.0} MiB/s");
    println!("  straight to S3 (aws-sdk-s3 PutObject): {direct:.0} MiB/s");
    println!("  straight to S3 without the SDK's CRC32, as the service sends: {plain:.0} MiB/s");
    println!("  throughput ratio: {:.2} against the SDK's default PutObject (target >= 0.80)", service / direct);
    println!("  throughput ratio: {:.2} against the same PutObject without CRC32", service / plain);
    println!("  service peak RSS growth during an upload: {growth:.1} MiB (largest of the rounds; target <= 32 MiB)");
    Ok(())
}
