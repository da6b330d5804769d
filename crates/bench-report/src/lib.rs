//! What the workspace's bench binaries share: a description of the machine the numbers came from, nearest-rank
//! percentiles, human-readable durations and counts, and the `target/bench/` directory results are written to.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

/// The `fraction` quantile of sorted samples by the nearest-rank method; zero when there are none.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn microseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A latency in the unit that suits it: `0.8 µs`, `42 µs`, `3.10 ms`, `1.25 s`.
pub fn human_duration(duration: Duration) -> String {
    let micros = microseconds(duration);
    if micros < 10.0 {
        format!("{micros:.1} µs")
    } else if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.2} ms", micros / 1_000.0)
    } else {
        format!("{:.2} s", micros / 1_000_000.0)
    }
}

/// `1234567` as `1,234,567`.
pub fn with_thousands(number: impl std::fmt::Display) -> String {
    let digits = number.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).expect("decimal digits are ASCII"))
        .collect();
    groups.join(",")
}

pub fn write_file(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
}

/// `bench/` in the workspace's target directory: `$CARGO_TARGET_DIR` if set (relative to the workspace root),
/// else `target/` at the workspace root.
pub fn output_directory() -> PathBuf {
    let manifest_directory = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest_directory.join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(directory) => workspace.join(directory),
        None => workspace.join("target"),
    };
    target.join("bench")
}

/// What the numbers were measured on.
#[derive(Debug)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory_bytes: u64,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    pub date: String,
}

impl Machine {
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let memory_kib: u64 =
            field(&meminfo, "MemTotal").and_then(|total| total.trim_end_matches("kB").trim().parse().ok()).unwrap_or(0);
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let rustc_version = std::process::Command::new(rustc)
            .arg("--version")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
        Machine {
            cpu_model: field(&cpuinfo, "model name").unwrap_or("unknown").to_owned(),
            cores: std::thread::available_parallelism().map_or(1, |cores| cores.get()),
            memory_bytes: memory_kib * 1024,
            os: os_release
                .lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map_or_else(|| "unknown".to_owned(), |name| name.trim_matches('"').to_owned()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".to_owned(), |release| release.trim().to_owned()),
            rustc: rustc_version.unwrap_or_else(|| "unknown".to_owned()),
            date: utc_timestamp(SystemTime::now()),
        }
    }

    fn memory_gib(&self) -> f64 {
        self.memory_bytes as f64 / f64::from(1u32 << 30)
    }

    /// One line for the table's caption.
    pub fn summary(&self) -> String {
        format!(
            "{}, {} cores, {:.1} GiB RAM, {}, Linux {}, {}, {}",
            self.cpu_model,
            self.cores,
            self.memory_gib(),
            self.os,
            self.kernel,
            self.rustc,
            self.date
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "cpu_model": self.cpu_model,
            "cores": self.cores,
            "memory_bytes": self.memory_bytes,
            "memory": format!("{:.1} GiB", self.memory_gib()),
            "os": self.os,
            "kernel": self.kernel,
            "rustc": self.rustc,
            "date": self.date,
        })
    }
}

/// The value of the first `name: value` line in a `/proc` file.
fn field<'text>(text: &'text str, name: &str) -> Option<&'text str> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// `time` as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_timestamp(time: SystemTime) -> String {
    let at = time::OffsetDateTime::from(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A bench binary's results: rewritten to `target/bench/<name>.json` and `<name>.md` after every row, so a run
/// that fails part way keeps what it measured.
#[derive(Debug)]
pub struct Report {
    name: &'static str,
    title: &'static str,
    /// One line above the table saying what was measured; may be empty.
    caption: String,
    table_header: &'static str,
    table_notes: &'static str,
    pub machine: Machine,
    settings: Value,
    rows: Vec<(Value, String)>,
    pub json_path: PathBuf,
    pub markdown_path: PathBuf,
}

impl Report {
    /// `table_header` is the markdown header (two lines); `table_notes` follows the table.
    pub fn new(
        name: &'static str,
        title: &'static str,
        caption: String,
        table_header: &'static str,
        table_notes: &'static str,
        settings: Value,
    ) -> Report {
        let directory = output_directory();
        std::fs::create_dir_all(&directory)
            .unwrap_or_else(|error| panic!("create the output directory {}: {error}", directory.display()));
        Report {
            name,
            title,
            caption,
            table_header,
            table_notes,
            machine: Machine::describe(),
            settings,
            rows: Vec::new(),
            json_path: directory.join(format!("{name}.json")),
            markdown_path: directory.join(format!("{name}.md")),
        }
    }

    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// Prints a row (its JSON fields and its markdown line) and rewrites both result files with it.
    pub fn add(&mut self, json: Value, markdown_line: String) {
        println!("{markdown_line}");
        self.rows.push((json, markdown_line));
        let document = json!({
            "benchmark": self.name,
            "machine": self.machine.to_json(),
            "settings": self.settings,
            "results": self.rows.iter().map(|(json, _)| json.clone()).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&document).expect("results serialize to JSON");
        write_file(&self.json_path, &format!("{text}\n"));
        let mut markdown = format!("# {}\n\nMachine: {}\n\n", self.title, self.machine.summary());
        if !self.caption.is_empty() {
            markdown.push_str(&self.caption);
            markdown.push_str("\n\n");
        }
        markdown.push_str(self.table_header);
        markdown.push('\n');
        for (_, line) in &self.rows {
            markdown.push_str(line);
            markdown.push('\n');
        }
        markdown.push('\n');
        markdown.push_str(self.table_notes);
        markdown.push('\n');
        write_file(&self.markdown_path, &markdown);
    }
}

#[cfg(test)]
mod tests;
