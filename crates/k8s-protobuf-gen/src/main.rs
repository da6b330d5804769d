//! Writes `crates/k8s-protobuf/src/schema.rs`, the table that drives the Kubernetes protobuf codec.
//!
//! The wire layout (message names, field numbers, wire types) comes from the prost structs of the `k8s-pb`
//! crate and the JSON field names, the required fields and the kinds come from the serde impls of the
//! `k8s-openapi` crate. Both crates are found through `cargo metadata`, so they must be in the workspace's
//! dependency graph (they are dev-dependencies of `k8s-protobuf`).
//!
//! `cargo run -p k8s-protobuf-gen` rewrites the table; `cargo run -p k8s-protobuf-gen -- --check` exits 1 when
//! the committed table differs from what the sources give.

mod openapi;
mod pb;
mod policy;
mod render;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

/// The sources the table is made from and the place it is written to.
#[derive(Debug)]
struct Inputs {
    pb_src: PathBuf,
    pb_version: String,
    openapi_src: PathBuf,
    openapi_version: String,
    output: PathBuf,
}

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|arg| arg == "--check");
    match run(check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("k8s-protobuf-gen: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Generates the table and writes it, or with `check` compares it; returns whether the file is up to date.
fn run(check: bool) -> Result<bool> {
    let inputs = locate_inputs()?;
    let (text, warnings) = generate(&inputs)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let current = std::fs::read_to_string(&inputs.output).unwrap_or_default();
    if current == text {
        eprintln!("{} is up to date", inputs.output.display());
        return Ok(true);
    }
    if check {
        eprintln!("{} is stale: run `cargo run -p k8s-protobuf-gen`", inputs.output.display());
        return Ok(false);
    }
    std::fs::write(&inputs.output, text).with_context(|| format!("writing {}", inputs.output.display()))?;
    eprintln!("wrote {}", inputs.output.display());
    Ok(true)
}

/// Builds the text of `schema.rs` and the list of guesses made while joining the two crates.
fn generate(inputs: &Inputs) -> Result<(String, Vec<String>)> {
    let messages = pb::load(&inputs.pb_src)?;
    let types = openapi::load(&inputs.openapi_src)?;
    let mut warnings = Vec::new();
    let table = render::Table::build(&messages, &types, &mut warnings)?;
    let header = format!("k8s-pb {} and k8s-openapi {}", inputs.pb_version, inputs.openapi_version);
    Ok((table.render(&header), warnings))
}

/// The target triple rustc builds for by default, from `rustc -vV`.
fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(rustc).arg("-vV").output().context("running rustc -vV")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().find_map(|line| line.strip_prefix("host: ")).map(str::to_owned).context("rustc -vV names no host")
}

/// Finds the two source crates and the output file with `cargo metadata`.
fn locate_inputs() -> Result<Inputs> {
    // The cargo that built this program; the runtime CARGO variable can name a different, vanished binary.
    let cargo =
        std::env::var("CARGO").ok().filter(|path| Path::new(path).exists()).unwrap_or_else(|| env!("CARGO").to_owned());
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Only this machine's platform: a clean checkout has fetched no crates that serve other platforms only,
    // and an offline `cargo metadata` over every platform would need them.
    let host = host_triple()?;
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host])
        .current_dir(manifest_dir)
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    let packages = metadata["packages"].as_array().context("cargo metadata has no packages")?;
    let find = |name: &str| -> Result<(PathBuf, String)> {
        let package = packages
            .iter()
            .find(|package| package["name"] == name)
            .with_context(|| format!("{name} is not in the dependency graph"))?;
        let manifest = package["manifest_path"].as_str().context("package without manifest_path")?;
        let dir = Path::new(manifest).parent().context("manifest without directory")?;
        let version = package["version"].as_str().unwrap_or("?").to_owned();
        Ok((dir.join("src"), version))
    };
    let (pb_src, pb_version) = find("k8s-pb")?;
    let (openapi_src, openapi_version) = find("k8s-openapi")?;
    let root = metadata["workspace_root"].as_str().context("cargo metadata has no workspace_root")?;
    let output = Path::new(root).join("crates/k8s-protobuf/src/schema.rs");
    Ok(Inputs { pb_src, pb_version, openapi_src, openapi_version, output })
}
