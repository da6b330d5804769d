//! Regenerates `crates/openapi/src/generated.rs`, the data the `openapi` crate cannot get from `k8s-openapi`'s
//! `schemars` output: the table of kinds with their Rust types, the Kubernetes list and map extensions of each
//! field (`x-kubernetes-patch-strategy`, `x-kubernetes-list-type`, ...) and the descriptions of the `<Kind>List`
//! types, which `k8s-openapi` models as one generic `List<T>`.
//!
//! The kinds and the JSON names of the fields come from the source of `k8s-openapi`, the list and map semantics
//! from the Go markers (`+patchMergeKey=name`, `+listType=map`, ...) that the doc comments of `k8s-pb`'s
//! generated protobuf types keep. Both crates are found with `cargo metadata --all-features`: `k8s-openapi` is the
//! workspace's, `k8s-pb` an optional dependency of this crate that is never compiled.
//!
//! Usage: `cargo run -p openapi-gen` rewrites the file; `cargo run -p openapi-gen -- --check` only reports
//! whether it is up to date (exit code 1 when not).

mod openapi_source;
mod pb_source;
mod render;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Where the generated file lives, relative to the workspace root.
const OUTPUT: &str = "crates/openapi/src/generated.rs";

fn main() -> anyhow::Result<()> {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => bail!("unknown argument {other:?}; usage: openapi-gen [--check]"),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize()?;
    let (formatted, data) = generate(&workspace)?;

    let output = workspace.join(OUTPUT);
    if check {
        let committed = std::fs::read_to_string(&output).unwrap_or_default();
        if committed != formatted {
            eprintln!("openapi-gen: {OUTPUT} is out of date; run `cargo run -p openapi-gen`");
            std::process::exit(1);
        }
        eprintln!("openapi-gen: {OUTPUT} is up to date");
    } else {
        std::fs::write(&output, formatted).with_context(|| format!("write {}", output.display()))?;
        eprintln!(
            "openapi-gen: wrote {OUTPUT}: {} kinds, {} fields with markers, {} atomic types, {} list types",
            data.kinds.len(),
            data.fields.len(),
            data.type_map_types.len(),
            data.lists.len()
        );
    }
    Ok(())
}

/// The formatted contents of the generated file, and what it holds.
fn generate(workspace: &Path) -> anyhow::Result<(String, render::Data)> {
    let sources = Sources::locate(workspace)?;
    let openapi_types = openapi_source::read(&sources.k8s_openapi.join("src").join(&sources.k8s_openapi_module))?;
    let pb_types = pb_source::read(&sources.k8s_pb.join("src"))?;
    let (data, dropped) = render::Data::build(&openapi_types, &pb_types);
    for field in &dropped {
        eprintln!("openapi-gen: k8s-pb field without a k8s-openapi property, skipped: {field}");
    }
    let text = render::render(&data, &sources.provenance())?;
    Ok((rustfmt(workspace, &text)?, data))
}

/// The source directories of the two crates the data comes from.
struct Sources {
    k8s_openapi: PathBuf,
    k8s_openapi_version: String,
    /// The module of the Kubernetes version feature the workspace enables, e.g. `v1_34`.
    k8s_openapi_module: String,
    k8s_pb: PathBuf,
    k8s_pb_version: String,
}

impl Sources {
    fn locate(workspace: &Path) -> anyhow::Result<Sources> {
        // The cargo that built this program; the runtime CARGO variable can name a different, vanished binary.
        let cargo = std::env::var("CARGO")
            .ok()
            .filter(|path| Path::new(path).exists())
            .unwrap_or_else(|| env!("CARGO").to_owned());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--all-features"])
            .current_dir(workspace)
            .output()
            .context("run cargo metadata")?;
        if !output.status.success() {
            bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).context("parse cargo metadata")?;
        let package = |name: &str| -> anyhow::Result<(String, PathBuf, String)> {
            let packages = metadata["packages"].as_array().context("cargo metadata has no packages")?;
            let package = packages
                .iter()
                .find(|p| p["name"] == name)
                .with_context(|| format!("{name} is not in the dependency graph"))?;
            let manifest = package["manifest_path"].as_str().context("package without manifest_path")?;
            let id = package["id"].as_str().context("package without id")?.to_owned();
            let dir = Path::new(manifest).parent().context("manifest without directory")?.to_owned();
            let version = package["version"].as_str().context("package without version")?.to_owned();
            Ok((id, dir, version))
        };
        let (openapi_id, k8s_openapi, k8s_openapi_version) = package("k8s-openapi")?;
        let (_, k8s_pb, k8s_pb_version) = package("k8s-pb")?;

        // The Kubernetes version is the one `v1_NN` feature the workspace turns on.
        let nodes = metadata["resolve"]["nodes"].as_array().context("cargo metadata has no resolve")?;
        let node = nodes.iter().find(|n| n["id"] == openapi_id.as_str()).context("k8s-openapi not resolved")?;
        let mut versions = node["features"]
            .as_array()
            .context("resolve node without features")?
            .iter()
            .filter_map(|f| f.as_str())
            .filter(|f| f.starts_with("v1_"))
            .collect::<Vec<_>>();
        let Some(module) = versions.pop() else { bail!("no k8s-openapi version feature is enabled") };
        if !versions.is_empty() {
            bail!("several k8s-openapi version features are enabled");
        }
        Ok(Sources { k8s_openapi, k8s_openapi_version, k8s_openapi_module: module.to_owned(), k8s_pb, k8s_pb_version })
    }

    fn provenance(&self) -> String {
        format!(
            "k8s-openapi {} (feature {}) and k8s-pb {}",
            self.k8s_openapi_version, self.k8s_openapi_module, self.k8s_pb_version
        )
    }
}

/// Formats Rust source with the workspace's rustfmt settings, so `cargo fmt --check` accepts the file as written.
fn rustfmt(workspace: &Path, text: &str) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(workspace.join("rustfmt.toml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("run rustfmt")?;
    child.stdin.take().context("rustfmt stdin")?.write_all(text.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("rustfmt failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn generated_table_is_fresh() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root");
        let (text, _) = super::generate(&workspace).expect("the table generates");
        let committed = std::fs::read_to_string(workspace.join(super::OUTPUT)).unwrap_or_default();
        assert!(committed == text, "{} is stale: run `cargo run -p openapi-gen`", super::OUTPUT);
    }
}
