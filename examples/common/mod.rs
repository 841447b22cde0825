//! Helpers shared by the benchmark drivers (each uses some of them).
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::Child;
use std::time::Duration;

/// Kills the child when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub async fn wait_for(url: &str) -> anyhow::Result<()> {
    for _ in 0..500 {
        if reqwest::get(url).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("{url} did not answer")
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time a process has used (user + system), in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    stat_secs(pid, [11, 12])
}

/// CPU time the waited-for children of a process have used, in seconds.
pub fn children_cpu_secs(pid: u32) -> f64 {
    stat_secs(pid, [13, 14])
}

fn stat_secs(pid: u32, fields: [usize; 2]) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let all: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.iter().filter_map(|i| all.get(*i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}

/// CPU time the whole machine has been busy (all but idle and iowait), in seconds.
pub fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .map(|l| l.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_default();
    let busy: f64 = fields.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
    busy / 100.0
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
