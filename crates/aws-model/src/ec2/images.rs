//! The catalogue of EKS-optimized AMIs: for every region, Kubernetes version and AMI type the image that EKS
//! publishes (Amazon Linux 2023 standard, NVIDIA and Neuron, Amazon Linux 2 up to 1.32, Bottlerocket and the
//! Windows Server EKS images), with AWS's names, owners, architectures and block devices. Nothing is stored:
//! every image is computed from its region, AMI type and release version, so its id (`ami-` and 17 hex digits)
//! is the same on every server and every run. Node group instances run [`image_id`] of their AMI type and
//! release; DescribeImages ([`describe_images`]) and SSM's public parameters (`crate::ssm`) read the same
//! catalogue, so an id one of them hands out is one the others know.

use crate::ec2::{Ec2Error, Filter, check_filters, passes};
use crate::eks::nodegroups::default_release_version;

/// The account that owns the Amazon Linux EKS AMIs in the regions enabled by default.
pub const EKS_AMI_OWNER: &str = "602401143452";

/// The Bottlerocket release the catalogue's Bottlerocket images carry.
const BOTTLEROCKET_VERSION: &str = "1.49.0";

/// The owners of the Bottlerocket and of the Windows EKS images, per region (AWS publishes them from one
/// account per region).
const REGIONAL_OWNERS: &[(&str, &str, &str)] = &[
    ("ap-northeast-1", "593245189075", "517802777641"),
    ("ap-northeast-2", "630172235254", "918716859121"),
    ("ap-northeast-3", "429266927828", "834741791908"),
    ("ap-south-1", "449901457613", "750252652416"),
    ("ap-southeast-1", "406264879685", "954049747103"),
    ("ap-southeast-2", "823100568288", "687402702948"),
    ("ca-central-1", "229026816814", "151453898909"),
    ("eu-central-1", "149721548608", "999352223265"),
    ("eu-north-1", "432623269467", "142676981321"),
    ("eu-west-1", "503807174151", "402743460324"),
    ("eu-west-2", "941016683700", "111789216327"),
    ("eu-west-3", "296779064547", "225872793654"),
    ("sa-east-1", "044060155884", "980913465755"),
    ("us-east-1", "092701018921", "957547624766"),
    ("us-east-2", "419346874475", "205223424851"),
    ("us-west-1", "724952271658", "247341962726"),
    ("us-west-2", "651937483462", "137057727718"),
];

/// The operating system family of an AMI type, with what names its images and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Amazon Linux 2023; the variant is `standard`, `nvidia` or `neuron`.
    Al2023 { variant: &'static str },
    /// Amazon Linux 2; the flavour is the `-arm64`/`-gpu` of its parameter path and the `arm64-`/`gpu-` of its
    /// image name, empty for x86_64.
    Al2 { flavour: &'static str },
    /// Bottlerocket; the variant is the `-nvidia`/`-fips` of `aws-k8s-<version>-<variant>`, empty for the plain one.
    Bottlerocket { variant: &'static str },
    /// Windows Server `year`, `Core` or `Full`.
    Windows { year: &'static str, edition: &'static str },
}

/// One AMI type of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmiFamily {
    /// The node group `amiType` (`AL2023_x86_64_STANDARD`).
    pub ami_type: &'static str,
    /// `x86_64` or `arm64`, as EC2 names architectures.
    pub architecture: &'static str,
    pub os: Os,
    /// The last Kubernetes minor version AWS builds it for (Amazon Linux 2 stops at 1.32).
    pub last_version: Option<(u32, u32)>,
}

const fn family(ami_type: &'static str, architecture: &'static str, os: Os) -> AmiFamily {
    AmiFamily { ami_type, architecture, os, last_version: None }
}

const fn al2(ami_type: &'static str, architecture: &'static str, flavour: &'static str) -> AmiFamily {
    AmiFamily { ami_type, architecture, os: Os::Al2 { flavour }, last_version: Some((1, 32)) }
}

/// The AMI types the catalogue has images for.
pub const FAMILIES: &[AmiFamily] = &[
    family("AL2023_x86_64_STANDARD", "x86_64", Os::Al2023 { variant: "standard" }),
    family("AL2023_ARM_64_STANDARD", "arm64", Os::Al2023 { variant: "standard" }),
    family("AL2023_x86_64_NVIDIA", "x86_64", Os::Al2023 { variant: "nvidia" }),
    family("AL2023_ARM_64_NVIDIA", "arm64", Os::Al2023 { variant: "nvidia" }),
    family("AL2023_x86_64_NEURON", "x86_64", Os::Al2023 { variant: "neuron" }),
    al2("AL2_x86_64", "x86_64", ""),
    al2("AL2_ARM_64", "arm64", "arm64"),
    al2("AL2_x86_64_GPU", "x86_64", "gpu"),
    family("BOTTLEROCKET_x86_64", "x86_64", Os::Bottlerocket { variant: "" }),
    family("BOTTLEROCKET_ARM_64", "arm64", Os::Bottlerocket { variant: "" }),
    family("BOTTLEROCKET_x86_64_NVIDIA", "x86_64", Os::Bottlerocket { variant: "nvidia" }),
    family("BOTTLEROCKET_ARM_64_NVIDIA", "arm64", Os::Bottlerocket { variant: "nvidia" }),
    family("BOTTLEROCKET_x86_64_FIPS", "x86_64", Os::Bottlerocket { variant: "fips" }),
    family("BOTTLEROCKET_ARM_64_FIPS", "arm64", Os::Bottlerocket { variant: "fips" }),
    family("WINDOWS_CORE_2019_x86_64", "x86_64", Os::Windows { year: "2019", edition: "Core" }),
    family("WINDOWS_FULL_2019_x86_64", "x86_64", Os::Windows { year: "2019", edition: "Full" }),
    family("WINDOWS_CORE_2022_x86_64", "x86_64", Os::Windows { year: "2022", edition: "Core" }),
    family("WINDOWS_FULL_2022_x86_64", "x86_64", Os::Windows { year: "2022", edition: "Full" }),
];

/// One EBS volume of an image's block device mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDevice {
    pub device_name: String,
    pub snapshot_id: String,
    /// GiB.
    pub volume_size: i64,
    pub volume_type: &'static str,
}

/// An AMI as DescribeImages shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_id: String,
    /// `amazon` for every image of the catalogue.
    pub owner_alias: &'static str,
    pub architecture: &'static str,
    /// `windows`, or `None` for Linux images.
    pub platform: Option<&'static str>,
    /// `Linux/UNIX` or `Windows`.
    pub platform_details: &'static str,
    /// `RunInstances`, or `RunInstances:0002` for Windows.
    pub usage_operation: &'static str,
    pub root_device_name: &'static str,
    pub block_devices: Vec<BlockDevice>,
    /// ISO 8601 with milliseconds, as EC2 writes `creationDate`.
    pub creation_date: String,
    /// `amazon/<name>`.
    pub location: String,
    pub family: AmiFamily,
    /// The Kubernetes minor version (`1.34`).
    pub kubernetes_version: String,
    /// The EKS release version (`1.34.0-20251016`) node groups report.
    pub release_version: String,
    /// The version of the image itself: the release's date for Amazon Linux (`v20251016`), the Bottlerocket
    /// release (`1.49.0-1a2b3c4d`), or the Windows build date (`2025.10.16`).
    pub image_version: String,
}

/// The AMI type's family, if the catalogue has one.
pub fn family_of(ami_type: &str) -> Option<&'static AmiFamily> {
    FAMILIES.iter().find(|family| family.ami_type == ami_type)
}

/// `(major, minor)` of `1.34` or `1.34.0-20251016`.
fn minor_version(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// A 64-bit FNV-1a hash: the catalogue's ids are derived from text with it.
fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The id of the image of an AMI type and release in a region: `ami-` and 17 hex digits, the same everywhere.
pub fn image_id(region: &str, ami_type: &str, release_version: &str) -> String {
    format!("ami-0{:016x}", fnv(&format!("{region}/{ami_type}/{release_version}")))
}

/// The build date of a release (`20251016` of `1.34.0-20251016`), if it has one.
fn release_date(release_version: &str) -> Option<&str> {
    let date = release_version.rsplit('-').next()?;
    (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())).then_some(date)
}

fn regional_owners(region: &str) -> (&'static str, &'static str) {
    let (_, bottlerocket, windows) =
        REGIONAL_OWNERS.iter().find(|(name, _, _)| *name == region).unwrap_or(&REGIONAL_OWNERS[13]);
    (bottlerocket, windows)
}

/// The image of an AMI type and EKS release version in a region: what a node group of that type and release
/// runs. `None` for an AMI type without images (`CUSTOM`), a release that names no Kubernetes version, or a
/// version the type is not built for.
pub fn image(region: &str, ami_type: &str, release_version: &str) -> Option<Image> {
    let family = *family_of(ami_type)?;
    let (major, minor) = minor_version(release_version)?;
    if family.last_version.is_some_and(|last| (major, minor) > last) {
        return None;
    }
    let kubernetes = format!("{major}.{minor}");
    let date = release_date(release_version).unwrap_or("20251016");
    let (year, month, day) = (&date[..4], &date[4..6], &date[6..]);
    let arch = family.architecture;
    let (bottlerocket_owner, windows_owner) = regional_owners(region);
    let id = image_id(region, ami_type, release_version);
    let snapshot = |device: &str| format!("snap-0{:016x}", fnv(&format!("{id}/{device}")));
    let volume = |device: &str, size: i64, kind: &'static str| BlockDevice {
        device_name: device.to_owned(),
        snapshot_id: snapshot(device),
        volume_size: size,
        volume_type: kind,
    };
    let linux = ("Linux/UNIX", "RunInstances", None, "/dev/xvda");
    let (name, description, owner, image_version, devices, (details, usage, platform, root)) = match family.os {
        Os::Al2023 { variant } => (
            format!("amazon-eks-node-al2023-{arch}-{variant}-{kubernetes}-v{date}"),
            format!(
                "EKS-optimized Kubernetes node based on Amazon Linux 2023, (k8s: {kubernetes}, variant: {variant})"
            ),
            EKS_AMI_OWNER,
            format!("v{date}"),
            vec![volume("/dev/xvda", 20, "gp3")],
            linux,
        ),
        Os::Al2 { flavour } => {
            let infix = if flavour.is_empty() { String::new() } else { format!("{flavour}-") };
            (
                format!("amazon-eks-{infix}node-{kubernetes}-v{date}"),
                format!("EKS Kubernetes Worker AMI with AmazonLinux2 image, (k8s: {kubernetes})"),
                EKS_AMI_OWNER,
                format!("v{date}"),
                vec![volume("/dev/xvda", 20, "gp2")],
                linux,
            )
        }
        Os::Bottlerocket { variant } => {
            let commit = format!("{:08x}", fnv(&format!("bottlerocket/{kubernetes}/{date}")) as u32);
            let version = format!("{BOTTLEROCKET_VERSION}-{commit}");
            let name_arch = if arch == "arm64" { "aarch64" } else { "x86_64" };
            let variant = if variant.is_empty() { String::new() } else { format!("{variant}-") };
            let name = format!("bottlerocket-aws-k8s-{kubernetes}-{variant}{name_arch}-v{version}");
            (
                name.clone(),
                name,
                bottlerocket_owner,
                version,
                vec![volume("/dev/xvda", 2, "gp2"), volume("/dev/xvdb", 20, "gp2")],
                linux,
            )
        }
        Os::Windows { year: server, edition } => (
            format!("Windows_Server-{server}-English-{edition}-EKS_Optimized-{kubernetes}-{year}.{month}.{day}"),
            format!("Microsoft Windows Server {server} {edition} optimized for EKS and provided by Amazon"),
            windows_owner,
            format!("{year}.{month}.{day}"),
            vec![volume("/dev/sda1", 50, "gp2")],
            ("Windows", "RunInstances:0002", Some("windows"), "/dev/sda1"),
        ),
    };
    Some(Image {
        id,
        location: format!("amazon/{name}"),
        name,
        description,
        owner_id: owner.to_owned(),
        owner_alias: "amazon",
        architecture: arch,
        platform,
        platform_details: details,
        usage_operation: usage,
        root_device_name: root,
        block_devices: devices,
        creation_date: format!("{year}-{month}-{day}T00:00:00.000Z"),
        family,
        kubernetes_version: kubernetes,
        release_version: release_version.to_owned(),
        image_version,
    })
}

/// The recommended image of every AMI type for each of `versions` (the Kubernetes versions EKS serves) in a
/// region: the release a new node group of that version gets.
pub fn catalogue(region: &str, versions: &[String]) -> Vec<Image> {
    versions
        .iter()
        .flat_map(|version| {
            let release = default_release_version(version);
            FAMILIES.iter().filter_map(move |family| image(region, family.ami_type, &release))
        })
        .collect()
}

/// Whether `id` is shaped like an AMI id: `ami-` and 8 or 17 lowercase hex digits.
pub fn is_image_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// What DescribeImages asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    pub image_ids: Vec<String>,
    /// Account ids, `amazon`, `self`, `aws-marketplace` or `aws-backup-vault`.
    pub owners: Vec<String>,
    pub filters: Vec<Filter>,
}

/// Why DescribeImages refuses a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// `InvalidAMIID.Malformed`: an id not shaped like `ami-...`.
    #[error("Invalid id: \"{0}\" (expecting \"ami-...\")")]
    Malformed(String),
    /// `InvalidAMIID.NotFound`: well-formed ids that name no image.
    #[error("The image id '[{}]' does not exist", .0.join(", "))]
    NotFound(Vec<String>),
    /// `InvalidUserID.Malformed`: an owner that is neither an account id nor an alias.
    #[error("Invalid user id: \"{0}\"")]
    OwnerMalformed(String),
    /// A filter DescribeImages does not know (EC2's `InvalidFilter`).
    #[error(transparent)]
    Filter(#[from] Ec2Error),
}

/// The filters DescribeImages answers, besides the tag filters (the catalogue's images have no tags).
pub const IMAGE_FILTERS: &[&str] = &[
    "architecture",
    "description",
    "hypervisor",
    "image-id",
    "image-type",
    "is-public",
    "name",
    "owner-alias",
    "owner-id",
    "platform",
    "platform-details",
    "root-device-name",
    "root-device-type",
    "state",
    "usage-operation",
    "virtualization-type",
    "block-device-mapping.device-name",
    "block-device-mapping.snapshot-id",
    "block-device-mapping.volume-size",
    "block-device-mapping.volume-type",
];

/// DescribeImages over the catalogue of `region` for `versions`, as `account` asks: the images named (each must
/// exist), of the owners named, passing every filter, in id order.
pub fn describe_images(
    region: &str,
    versions: &[String],
    account: &str,
    query: &ImageQuery,
) -> Result<Vec<Image>, ImageError> {
    if let Some(bad) = query.image_ids.iter().find(|id| !is_image_id(id)) {
        return Err(ImageError::Malformed(bad.clone()));
    }
    for owner in &query.owners {
        let alias = matches!(owner.as_str(), "amazon" | "self" | "aws-marketplace" | "aws-backup-vault");
        let account_id = owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit());
        if !alias && !account_id {
            return Err(ImageError::OwnerMalformed(owner.clone()));
        }
    }
    check_filters(&query.filters, IMAGE_FILTERS)?;
    let mut images = catalogue(region, versions);
    images.sort_by(|a, b| a.id.cmp(&b.id));
    images.dedup_by(|a, b| a.id == b.id);
    let missing: Vec<String> =
        query.image_ids.iter().filter(|id| !images.iter().any(|image| image.id == **id)).cloned().collect();
    if !missing.is_empty() {
        return Err(ImageError::NotFound(missing));
    }
    let owned_by = |image: &Image, owner: &str| match owner {
        "amazon" => image.owner_alias == "amazon",
        "self" => image.owner_id == account,
        "aws-marketplace" | "aws-backup-vault" => false,
        id => image.owner_id == id,
    };
    Ok(images
        .into_iter()
        .filter(|image| query.image_ids.is_empty() || query.image_ids.contains(&image.id))
        .filter(|image| query.owners.is_empty() || query.owners.iter().any(|owner| owned_by(image, owner)))
        .filter(|image| passes(&query.filters, None, |name| field(image, name)))
        .collect())
}

/// An image's values for a filter name.
fn field(image: &Image, name: &str) -> Vec<String> {
    let devices = |value: fn(&BlockDevice) -> String| image.block_devices.iter().map(value).collect();
    let one = |value: &str| vec![value.to_owned()];
    match name {
        "architecture" => one(image.architecture),
        "description" => one(&image.description),
        "hypervisor" => one("xen"),
        "image-id" => one(&image.id),
        "image-type" => one("machine"),
        "is-public" => one("true"),
        "name" => one(&image.name),
        "owner-alias" => one(image.owner_alias),
        "owner-id" => one(&image.owner_id),
        "platform" => image.platform.map(str::to_owned).into_iter().collect(),
        "platform-details" => one(image.platform_details),
        "root-device-name" => one(image.root_device_name),
        "root-device-type" => one("ebs"),
        "state" => one("available"),
        "usage-operation" => one(image.usage_operation),
        "virtualization-type" => one("hvm"),
        "block-device-mapping.device-name" => devices(|d| d.device_name.clone()),
        "block-device-mapping.snapshot-id" => devices(|d| d.snapshot_id.clone()),
        "block-device-mapping.volume-size" => devices(|d| d.volume_size.to_string()),
        "block-device-mapping.volume-type" => devices(|d| d.volume_type.to_owned()),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
