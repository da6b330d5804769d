//! The instance types ekslite knows: vCPUs, memory, network interfaces and the pods a node of that type runs
//! under the Amazon VPC CNI, the processor's maker, GPUs, network performance and the on-demand price. The one
//! table every part of ekslite reads (node group validation, DescribeInstanceTypes, DescribeSpotPriceHistory,
//! CreateFleet's choice of the cheapest override, the nodes of the data plane, the offerings Karpenter sees).
//!
//! Figures are EC2's documentation's: vCPUs, memory, interfaces and addresses per interface from "Instance type
//! specifications" and the VPC CNI's limits, network performance as DescribeInstanceTypes words it and the baseline
//! bandwidth EC2 documents for the size (0 where no figure is documented here), GPUs as DescribeInstanceTypes
//! reports them (memory per GPU in MiB), and the public on-demand price of Linux in us-east-1 (dollars per hour,
//! kept in millionths so that the table stays exact). Every region is priced as us-east-1.
//!
//! Spot prices are a fixed fraction of on-demand ([`SPOT_FRACTION`]): EC2's spot market moves with supply and
//! demand, which cannot be reproduced, so the fraction stands for the typical discount and is the same in every
//! zone.
//!
//! A type's category, family, generation and size come from its name (`m7g.xlarge`: `m`, `m7g`, 7, `xlarge`), as
//! Karpenter's labels read them.

/// The spot price of a type as a fraction of its on-demand price, in every zone.
pub const SPOT_FRACTION: f64 = 0.35;

/// The GPUs of an instance type, as DescribeInstanceTypes' `GpuInfo` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gpu {
    /// `T4`, `A10G`, `L4`, `V100`.
    pub name: &'static str,
    /// `NVIDIA`.
    pub manufacturer: &'static str,
    pub count: u32,
    /// Memory of one GPU, MiB.
    pub memory_mib: u64,
}

/// One instance type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceType {
    pub name: &'static str,
    pub vcpus: u32,
    pub memory_mib: u64,
    /// Network interfaces an instance may attach.
    pub max_enis: u32,
    /// Private IPv4 addresses per interface.
    pub ipv4_per_eni: u32,
    /// `x86_64` or `arm64`.
    pub architecture: &'static str,
    /// GPUs (NVIDIA) the type carries.
    pub gpus: u32,
    /// Whether it is a burstable (T) type.
    pub burstable: bool,
    /// The processor's maker as EC2 names it: `Intel`, `AMD` or `AWS`.
    pub cpu_manufacturer: &'static str,
    /// `nitro` or `xen`.
    pub hypervisor: &'static str,
    /// DescribeInstanceTypes' `NetworkPerformance` (`Up to 10 Gigabit`).
    pub network_performance: &'static str,
    /// The baseline bandwidth EC2 documents, megabits per second; 0 where none is known here.
    pub bandwidth_mbps: u64,
    /// The on-demand price of Linux in us-east-1, millionths of a dollar per hour.
    pub price_micros: u64,
    /// Its GPUs, if any.
    pub gpu: Option<Gpu>,
}

impl InstanceType {
    /// The pods a node runs under the VPC CNI without prefix delegation: one per secondary address of every
    /// interface, plus two host-network pods (`ENIs * (IPv4 per ENI - 1) + 2`).
    pub fn max_pods(&self) -> u32 {
        self.max_enis * (self.ipv4_per_eni.saturating_sub(1)) + 2
    }

    /// Physical cores: half the vCPUs (two threads a core) except on Graviton, where a vCPU is a core.
    pub fn cores(&self) -> u32 {
        if self.architecture == "arm64" { self.vcpus } else { (self.vcpus / 2).max(1) }
    }

    /// Threads per core.
    pub fn threads_per_core(&self) -> u32 {
        self.vcpus / self.cores()
    }

    /// The on-demand price, dollars per hour.
    pub fn on_demand_price(&self) -> f64 {
        self.price_micros as f64 / 1_000_000.0
    }

    /// The spot price, dollars per hour: [`SPOT_FRACTION`] of on-demand, rounded to EC2's six decimals.
    pub fn spot_price(&self) -> f64 {
        (self.price_micros as f64 * SPOT_FRACTION).round() / 1_000_000.0
    }

    /// The price of buying it one way (`on-demand` or `spot`), dollars per hour.
    pub fn price(&self, capacity_type: &str) -> f64 {
        if capacity_type == "spot" { self.spot_price() } else { self.on_demand_price() }
    }

    /// `m7g` of `m7g.xlarge`.
    pub fn family(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(family, _)| family)
    }

    /// `xlarge` of `m7g.xlarge`.
    pub fn size(&self) -> &'static str {
        self.name.split_once('.').map_or("", |(_, size)| size)
    }

    /// `m` of `m7g`: the letters before the generation.
    pub fn category(&self) -> &'static str {
        let family = self.family();
        let end = family.find(|c: char| c.is_ascii_digit()).unwrap_or(family.len());
        &family[..end]
    }

    /// `7` of `m7g`: the digits after the category.
    pub fn generation(&self) -> u32 {
        let family = self.family();
        family
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(0)
    }

    /// The architecture as Kubernetes names it: `amd64` or `arm64`.
    pub fn kubernetes_architecture(&self) -> &'static str {
        if self.architecture == "arm64" { "arm64" } else { "amd64" }
    }
}

/// What a family shares: architecture, processor maker, hypervisor.
struct Family {
    prefix: &'static str,
    architecture: &'static str,
    cpu_manufacturer: &'static str,
    hypervisor: &'static str,
}

const X86: &str = "x86_64";
const ARM: &str = "arm64";

const FAMILIES: &[Family] = &[
    Family { prefix: "t3", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "t3a", architecture: X86, cpu_manufacturer: "AMD", hypervisor: "nitro" },
    Family { prefix: "t4g", architecture: ARM, cpu_manufacturer: "AWS", hypervisor: "nitro" },
    Family { prefix: "m5", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "m5a", architecture: X86, cpu_manufacturer: "AMD", hypervisor: "nitro" },
    Family { prefix: "m6i", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "m6a", architecture: X86, cpu_manufacturer: "AMD", hypervisor: "nitro" },
    Family { prefix: "m6g", architecture: ARM, cpu_manufacturer: "AWS", hypervisor: "nitro" },
    Family { prefix: "m7i", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "m7g", architecture: ARM, cpu_manufacturer: "AWS", hypervisor: "nitro" },
    Family { prefix: "c5", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "c6i", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "c6g", architecture: ARM, cpu_manufacturer: "AWS", hypervisor: "nitro" },
    Family { prefix: "c7i", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "c7g", architecture: ARM, cpu_manufacturer: "AWS", hypervisor: "nitro" },
    Family { prefix: "r5", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "r6i", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "r7i", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "r7g", architecture: ARM, cpu_manufacturer: "AWS", hypervisor: "nitro" },
    Family { prefix: "g4dn", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "nitro" },
    Family { prefix: "g5", architecture: X86, cpu_manufacturer: "AMD", hypervisor: "nitro" },
    Family { prefix: "g6", architecture: X86, cpu_manufacturer: "AMD", hypervisor: "nitro" },
    Family { prefix: "p3", architecture: X86, cpu_manufacturer: "Intel", hypervisor: "xen" },
];

/// Whether `name` (`m5a.large`) is of the family `prefix` (`m5a`).
const fn of_family(name: &str, prefix: &str) -> bool {
    let (name, prefix) = (name.as_bytes(), prefix.as_bytes());
    if name.len() <= prefix.len() || name[prefix.len()] != b'.' {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if name[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn family_of(name: &str) -> &'static Family {
    let mut i = 0;
    while i < FAMILIES.len() {
        if of_family(name, FAMILIES[i].prefix) {
            return &FAMILIES[i];
        }
        i += 1;
    }
    panic!("an instance type of no known family")
}

const UP_TO_5: &str = "Up to 5 Gigabit";
const UP_TO_10: &str = "Up to 10 Gigabit";
const UP_TO_12_5: &str = "Up to 12.5 Gigabit";
const UP_TO_25: &str = "Up to 25 Gigabit";

/// A row of the table: name, vCPUs, memory (MiB), interfaces, addresses per interface, network performance,
/// baseline bandwidth (Mbit/s), on-demand price (millionths of a dollar an hour).
#[allow(clippy::too_many_arguments)]
const fn t(
    name: &'static str,
    vcpus: u32,
    memory_mib: u64,
    max_enis: u32,
    ipv4_per_eni: u32,
    network_performance: &'static str,
    bandwidth_mbps: u64,
    price_micros: u64,
) -> InstanceType {
    let family = family_of(name);
    InstanceType {
        name,
        vcpus,
        memory_mib,
        max_enis,
        ipv4_per_eni,
        architecture: family.architecture,
        gpus: 0,
        burstable: name.as_bytes()[0] == b't',
        cpu_manufacturer: family.cpu_manufacturer,
        hypervisor: family.hypervisor,
        network_performance,
        bandwidth_mbps,
        price_micros,
        gpu: None,
    }
}

/// A row with NVIDIA GPUs: `count` of `name`, `memory_mib` each.
const fn with_gpus(kind: InstanceType, name: &'static str, count: u32, memory_mib: u64) -> InstanceType {
    InstanceType { gpus: count, gpu: Some(Gpu { name, manufacturer: "NVIDIA", count, memory_mib }), ..kind }
}

/// Every type ekslite knows, by family and size; figures from EC2's instance type documentation and price list.
pub const INSTANCE_TYPES: &[InstanceType] = &[
    t("t3.nano", 2, 512, 2, 2, UP_TO_5, 32, 5_200),
    t("t3.micro", 2, 1024, 2, 2, UP_TO_5, 64, 10_400),
    t("t3.small", 2, 2048, 3, 4, UP_TO_5, 128, 20_800),
    t("t3.medium", 2, 4096, 3, 6, UP_TO_5, 256, 41_600),
    t("t3.large", 2, 8192, 3, 12, UP_TO_5, 512, 83_200),
    t("t3.xlarge", 4, 16384, 4, 15, UP_TO_5, 1024, 166_400),
    t("t3.2xlarge", 8, 32768, 4, 15, UP_TO_5, 2048, 332_800),
    t("t3a.nano", 2, 512, 2, 2, UP_TO_5, 32, 4_700),
    t("t3a.micro", 2, 1024, 2, 2, UP_TO_5, 64, 9_400),
    t("t3a.small", 2, 2048, 2, 4, UP_TO_5, 128, 18_800),
    t("t3a.medium", 2, 4096, 3, 6, UP_TO_5, 256, 37_600),
    t("t3a.large", 2, 8192, 3, 12, UP_TO_5, 512, 75_200),
    t("t3a.xlarge", 4, 16384, 4, 15, UP_TO_5, 1024, 150_400),
    t("t3a.2xlarge", 8, 32768, 4, 15, UP_TO_5, 2048, 300_800),
    t("t4g.small", 2, 2048, 3, 4, UP_TO_5, 128, 16_800),
    t("t4g.medium", 2, 4096, 3, 6, UP_TO_5, 256, 33_600),
    t("t4g.large", 2, 8192, 3, 12, UP_TO_5, 512, 67_200),
    t("m5.large", 2, 8192, 3, 10, UP_TO_10, 750, 96_000),
    t("m5.xlarge", 4, 16384, 4, 15, UP_TO_10, 1250, 192_000),
    t("m5.2xlarge", 8, 32768, 4, 15, UP_TO_10, 2500, 384_000),
    t("m5.4xlarge", 16, 65536, 8, 30, UP_TO_10, 5000, 768_000),
    t("m5a.large", 2, 8192, 3, 10, UP_TO_10, 750, 86_000),
    t("m5a.xlarge", 4, 16384, 4, 15, UP_TO_10, 1250, 172_000),
    t("m5a.2xlarge", 8, 32768, 4, 15, UP_TO_10, 2500, 344_000),
    t("m5a.4xlarge", 16, 65536, 8, 30, UP_TO_10, 5000, 688_000),
    t("m6i.large", 2, 8192, 3, 10, UP_TO_12_5, 781, 96_000),
    t("m6i.xlarge", 4, 16384, 4, 15, UP_TO_12_5, 1562, 192_000),
    t("m6i.2xlarge", 8, 32768, 4, 15, UP_TO_12_5, 3125, 384_000),
    t("m6i.4xlarge", 16, 65536, 8, 30, UP_TO_12_5, 6250, 768_000),
    t("m6a.large", 2, 8192, 3, 10, UP_TO_12_5, 781, 86_400),
    t("m6a.xlarge", 4, 16384, 4, 15, UP_TO_12_5, 1562, 172_800),
    t("m6a.2xlarge", 8, 32768, 4, 15, UP_TO_12_5, 3125, 345_600),
    t("m6a.4xlarge", 16, 65536, 8, 30, UP_TO_12_5, 6250, 691_200),
    t("m6g.large", 2, 8192, 3, 10, UP_TO_10, 750, 77_000),
    t("m6g.xlarge", 4, 16384, 4, 15, UP_TO_10, 1250, 154_000),
    t("m7i.large", 2, 8192, 3, 10, UP_TO_12_5, 781, 100_800),
    t("m7i.xlarge", 4, 16384, 4, 15, UP_TO_12_5, 1562, 201_600),
    t("m7i.2xlarge", 8, 32768, 4, 15, UP_TO_12_5, 3125, 403_200),
    t("m7i.4xlarge", 16, 65536, 8, 30, UP_TO_12_5, 6250, 806_400),
    t("m7g.large", 2, 8192, 3, 10, UP_TO_12_5, 937, 81_600),
    t("m7g.xlarge", 4, 16384, 4, 15, UP_TO_12_5, 1876, 163_200),
    t("m7g.2xlarge", 8, 32768, 4, 15, UP_TO_12_5, 3750, 326_400),
    t("m7g.4xlarge", 16, 65536, 8, 30, UP_TO_12_5, 7500, 652_800),
    t("c5.large", 2, 4096, 3, 10, UP_TO_10, 750, 85_000),
    t("c5.xlarge", 4, 8192, 4, 15, UP_TO_10, 1250, 170_000),
    t("c5.2xlarge", 8, 16384, 4, 15, UP_TO_10, 2500, 340_000),
    t("c5.4xlarge", 16, 32768, 8, 30, UP_TO_10, 5000, 680_000),
    t("c6i.large", 2, 4096, 3, 10, UP_TO_12_5, 781, 85_000),
    t("c6i.xlarge", 4, 8192, 4, 15, UP_TO_12_5, 1562, 170_000),
    t("c6i.2xlarge", 8, 16384, 4, 15, UP_TO_12_5, 3125, 340_000),
    t("c6i.4xlarge", 16, 32768, 8, 30, UP_TO_12_5, 6250, 680_000),
    t("c6g.large", 2, 4096, 3, 10, UP_TO_10, 750, 68_000),
    t("c6g.xlarge", 4, 8192, 4, 15, UP_TO_10, 1250, 136_000),
    t("c7i.large", 2, 4096, 3, 10, UP_TO_12_5, 781, 89_250),
    t("c7i.xlarge", 4, 8192, 4, 15, UP_TO_12_5, 1562, 178_500),
    t("c7i.2xlarge", 8, 16384, 4, 15, UP_TO_12_5, 3125, 357_000),
    t("c7i.4xlarge", 16, 32768, 8, 30, UP_TO_12_5, 6250, 714_000),
    t("c7g.large", 2, 4096, 3, 10, UP_TO_12_5, 937, 72_500),
    t("c7g.xlarge", 4, 8192, 4, 15, UP_TO_12_5, 1876, 145_000),
    t("c7g.2xlarge", 8, 16384, 4, 15, UP_TO_12_5, 3750, 290_000),
    t("c7g.4xlarge", 16, 32768, 8, 30, UP_TO_12_5, 7500, 580_000),
    t("r5.large", 2, 16384, 3, 10, UP_TO_10, 750, 126_000),
    t("r5.xlarge", 4, 32768, 4, 15, UP_TO_10, 1250, 252_000),
    t("r5.2xlarge", 8, 65536, 4, 15, UP_TO_10, 2500, 504_000),
    t("r6i.large", 2, 16384, 3, 10, UP_TO_12_5, 781, 126_000),
    t("r6i.xlarge", 4, 32768, 4, 15, UP_TO_12_5, 1562, 252_000),
    t("r6i.2xlarge", 8, 65536, 4, 15, UP_TO_12_5, 3125, 504_000),
    t("r7i.large", 2, 16384, 3, 10, UP_TO_12_5, 781, 132_300),
    t("r7i.xlarge", 4, 32768, 4, 15, UP_TO_12_5, 1562, 264_600),
    t("r7i.2xlarge", 8, 65536, 4, 15, UP_TO_12_5, 3125, 529_200),
    t("r7i.4xlarge", 16, 131072, 8, 30, UP_TO_12_5, 6250, 1_058_400),
    t("r7g.large", 2, 16384, 3, 10, UP_TO_12_5, 937, 107_100),
    t("r7g.xlarge", 4, 32768, 4, 15, UP_TO_12_5, 1876, 214_200),
    t("r7g.2xlarge", 8, 65536, 4, 15, UP_TO_12_5, 3750, 428_400),
    t("r7g.4xlarge", 16, 131072, 8, 30, UP_TO_12_5, 7500, 856_800),
    with_gpus(t("g4dn.xlarge", 4, 16384, 3, 10, UP_TO_25, 5000, 526_000), "T4", 1, 16384),
    with_gpus(t("g4dn.2xlarge", 8, 32768, 3, 10, UP_TO_25, 10000, 752_000), "T4", 1, 16384),
    with_gpus(t("g5.xlarge", 4, 16384, 4, 15, UP_TO_10, 2500, 1_006_000), "A10G", 1, 24576),
    with_gpus(t("g5.2xlarge", 8, 32768, 4, 15, UP_TO_10, 5000, 1_212_000), "A10G", 1, 24576),
    with_gpus(t("g6.xlarge", 4, 16384, 4, 15, UP_TO_10, 2500, 804_800), "L4", 1, 22888),
    with_gpus(t("p3.2xlarge", 8, 62464, 4, 15, UP_TO_10, 0, 3_060_000), "V100", 1, 16384),
];

/// The type of that name, if ekslite knows it.
pub fn instance_type(name: &str) -> Option<&'static InstanceType> {
    INSTANCE_TYPES.iter().find(|known| known.name == name)
}

/// The type node groups get when nothing chooses one.
pub const DEFAULT_INSTANCE_TYPE: &str = "t3.medium";

#[cfg(test)]
mod tests;
