//! The public parameters AWS publishes under `/aws/service/` for the EKS-optimized AMIs, answered from the AMI
//! catalogue (`crate::ec2::images`) rather than stored: the recommended image of every Kubernetes version and
//! AMI type (`/aws/service/eks/optimized-ami/<v>/amazon-linux-2023/x86_64/standard/recommended/image_id`, the
//! Amazon Linux 2 ones up to 1.32, Bottlerocket's `/aws/service/bottlerocket/aws-k8s-<v>/<arch>/latest/...` and
//! the Windows ones under `/aws/service/ami-windows-latest/`). Read-only; their ARNs have no account.

use serde_json::json;

use crate::ec2::images::{Image, Os, catalogue};

/// One public parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicParameter {
    pub name: String,
    pub value: String,
    /// Unix seconds: the creation of the image it names.
    pub last_modified: i64,
}

/// Unix seconds of midnight UTC of `YYYY-MM-DD...` (the proleptic Gregorian calendar).
pub(super) fn unix_seconds(date: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| date.get(range).and_then(|text| text.parse::<u8>().ok());
    let year = date.get(0..4).and_then(|text| text.parse::<i32>().ok());
    let (Some(year), Some(month), Some(day)) = (year, number(5..7), number(8..10)) else { return 0 };
    crate::clock::midnight_utc(year, month, day).unwrap_or(0)
}

/// The parameters that name one image.
fn of_image(image: &Image) -> Vec<(String, String)> {
    let version = &image.kubernetes_version;
    let arch = image.family.architecture;
    let recommended = |base: String, schema: &str| {
        let value = json!({
            "schema_version": schema,
            "image_id": image.id,
            "image_name": image.name,
            "release_version": image.release_version,
        });
        vec![
            (format!("{base}/image_id"), image.id.clone()),
            (format!("{base}/image_name"), image.name.clone()),
            (format!("{base}/release_version"), image.release_version.clone()),
            (base, value.to_string()),
        ]
    };
    match image.family.os {
        Os::Al2023 { variant } => recommended(
            format!("/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/{arch}/{variant}/recommended"),
            "3",
        ),
        Os::Al2 { flavour } => {
            let suffix = if flavour.is_empty() { String::new() } else { format!("-{flavour}") };
            recommended(format!("/aws/service/eks/optimized-ami/{version}/amazon-linux-2{suffix}/recommended"), "2")
        }
        Os::Bottlerocket { variant } => {
            let variant = if variant.is_empty() { String::new() } else { format!("-{variant}") };
            let base = format!("/aws/service/bottlerocket/aws-k8s-{version}{variant}/{arch}");
            vec![
                (format!("{base}/latest/image_id"), image.id.clone()),
                (format!("{base}/latest/image_version"), image.image_version.clone()),
                (format!("{base}/{}/image_id", image.image_version), image.id.clone()),
            ]
        }
        Os::Windows { year, edition } => {
            let base = format!(
                "/aws/service/ami-windows-latest/Windows_Server-{year}-English-{edition}-EKS_Optimized-{version}"
            );
            vec![
                (format!("{base}/image_id"), image.id.clone()),
                (format!("{base}/image_version"), image.image_version.clone()),
            ]
        }
    }
}

/// Every public parameter of a region for the Kubernetes versions `versions`, in name order.
pub fn parameters(region: &str, versions: &[String]) -> Vec<PublicParameter> {
    let mut out: Vec<PublicParameter> = catalogue(region, versions)
        .iter()
        .flat_map(|image| {
            let last_modified = unix_seconds(&image.creation_date);
            of_image(image).into_iter().map(move |(name, value)| PublicParameter { name, value, last_modified })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
}
