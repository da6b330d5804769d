//! The instance types ekslite knows: vCPUs, memory, network interfaces and the pods a node of that type runs
//! under the Amazon VPC CNI. The one table every part of ekslite reads (node group validation,
//! DescribeInstanceTypes, the nodes of the data plane).

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
}

const fn t(
    name: &'static str,
    vcpus: u32,
    memory_mib: u64,
    max_enis: u32,
    ipv4_per_eni: u32,
    architecture: &'static str,
) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_mib,
        max_enis,
        ipv4_per_eni,
        architecture,
        gpus: 0,
        burstable: name.as_bytes()[0] == b't',
    }
}

const X86: &str = "x86_64";
const ARM: &str = "arm64";

/// Every type ekslite knows, by family and size; figures from EC2's instance type documentation.
pub const INSTANCE_TYPES: &[InstanceType] = &[
    t("t3.nano", 2, 512, 2, 2, X86),
    t("t3.micro", 2, 1024, 2, 2, X86),
    t("t3.small", 2, 2048, 3, 4, X86),
    t("t3.medium", 2, 4096, 3, 6, X86),
    t("t3.large", 2, 8192, 3, 12, X86),
    t("t3.xlarge", 4, 16384, 4, 15, X86),
    t("t3.2xlarge", 8, 32768, 4, 15, X86),
    t("t3a.nano", 2, 512, 2, 2, X86),
    t("t3a.micro", 2, 1024, 2, 2, X86),
    t("t3a.small", 2, 2048, 2, 4, X86),
    t("t3a.medium", 2, 4096, 3, 6, X86),
    t("t3a.large", 2, 8192, 3, 12, X86),
    t("t3a.xlarge", 4, 16384, 4, 15, X86),
    t("t3a.2xlarge", 8, 32768, 4, 15, X86),
    t("t4g.small", 2, 2048, 3, 4, ARM),
    t("t4g.medium", 2, 4096, 3, 6, ARM),
    t("t4g.large", 2, 8192, 3, 12, ARM),
    t("m5.large", 2, 8192, 3, 10, X86),
    t("m5.xlarge", 4, 16384, 4, 15, X86),
    t("m5.2xlarge", 8, 32768, 4, 15, X86),
    t("m5.4xlarge", 16, 65536, 8, 30, X86),
    t("m5a.large", 2, 8192, 3, 10, X86),
    t("m5a.xlarge", 4, 16384, 4, 15, X86),
    t("m5a.2xlarge", 8, 32768, 4, 15, X86),
    t("m5a.4xlarge", 16, 65536, 8, 30, X86),
    t("m6i.large", 2, 8192, 3, 10, X86),
    t("m6i.xlarge", 4, 16384, 4, 15, X86),
    t("m6i.2xlarge", 8, 32768, 4, 15, X86),
    t("m6i.4xlarge", 16, 65536, 8, 30, X86),
    t("m6g.large", 2, 8192, 3, 10, ARM),
    t("m6g.xlarge", 4, 16384, 4, 15, ARM),
    t("m7i.large", 2, 8192, 3, 10, X86),
    t("m7i.xlarge", 4, 16384, 4, 15, X86),
    t("m7i.2xlarge", 8, 32768, 4, 15, X86),
    t("m7i.4xlarge", 16, 65536, 8, 30, X86),
    t("m7g.large", 2, 8192, 3, 10, ARM),
    t("m7g.xlarge", 4, 16384, 4, 15, ARM),
    t("c5.large", 2, 4096, 3, 10, X86),
    t("c5.xlarge", 4, 8192, 4, 15, X86),
    t("c5.2xlarge", 8, 16384, 4, 15, X86),
    t("c5.4xlarge", 16, 32768, 8, 30, X86),
    t("c6i.large", 2, 4096, 3, 10, X86),
    t("c6i.xlarge", 4, 8192, 4, 15, X86),
    t("c6i.2xlarge", 8, 16384, 4, 15, X86),
    t("c6i.4xlarge", 16, 32768, 8, 30, X86),
    t("c6g.large", 2, 4096, 3, 10, ARM),
    t("c6g.xlarge", 4, 8192, 4, 15, ARM),
    t("r5.large", 2, 16384, 3, 10, X86),
    t("r5.xlarge", 4, 32768, 4, 15, X86),
    t("r5.2xlarge", 8, 65536, 4, 15, X86),
    t("r6i.large", 2, 16384, 3, 10, X86),
    t("r6i.xlarge", 4, 32768, 4, 15, X86),
    t("r6i.2xlarge", 8, 65536, 4, 15, X86),
    InstanceType { gpus: 1, ..t("g4dn.xlarge", 4, 16384, 3, 10, X86) },
    InstanceType { gpus: 1, ..t("g4dn.2xlarge", 8, 32768, 3, 10, X86) },
    InstanceType { gpus: 1, ..t("g5.xlarge", 4, 16384, 4, 15, X86) },
];

/// The type of that name, if ekslite knows it.
pub fn instance_type(name: &str) -> Option<&'static InstanceType> {
    INSTANCE_TYPES.iter().find(|known| known.name == name)
}

/// The type node groups get when nothing chooses one.
pub const DEFAULT_INSTANCE_TYPE: &str = "t3.medium";
