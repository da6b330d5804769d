//! Regions and their availability zones, as a new AWS account sees them: the regions enabled by default, each
//! with its zone names (`us-east-1a`, ...) and zone ids (`use1-az1`, ...). Zone letters map to zone ids per
//! account in AWS; here every account gets the same mapping. A region missing from the table (the CLI accepts
//! any name) gets three zones `a`, `b` and `c`, so that a VPC can be built anywhere.

/// One availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// `us-east-1a`.
    pub name: String,
    /// `use1-az1`.
    pub id: String,
    pub region: String,
}

/// A region: its name, the short name its zone ids start with, and each zone's letter and zone id number.
type RegionZones = (&'static str, &'static str, &'static [(char, u8)]);

/// The regions enabled for every account.
const REGIONS: &[RegionZones] = &[
    ("ap-northeast-1", "apne1", &[('a', 4), ('c', 1), ('d', 2)]),
    ("ap-northeast-2", "apne2", &[('a', 1), ('b', 2), ('c', 3), ('d', 4)]),
    ("ap-northeast-3", "apne3", &[('a', 3), ('b', 1), ('c', 2)]),
    ("ap-south-1", "aps1", &[('a', 1), ('b', 3), ('c', 2)]),
    ("ap-southeast-1", "apse1", &[('a', 2), ('b', 1), ('c', 3)]),
    ("ap-southeast-2", "apse2", &[('a', 3), ('b', 1), ('c', 2)]),
    ("ca-central-1", "cac1", &[('a', 1), ('b', 2), ('d', 4)]),
    ("eu-central-1", "euc1", &[('a', 2), ('b', 3), ('c', 1)]),
    ("eu-north-1", "eun1", &[('a', 1), ('b', 2), ('c', 3)]),
    ("eu-west-1", "euw1", &[('a', 1), ('b', 2), ('c', 3)]),
    ("eu-west-2", "euw2", &[('a', 2), ('b', 3), ('c', 1)]),
    ("eu-west-3", "euw3", &[('a', 1), ('b', 2), ('c', 3)]),
    ("sa-east-1", "sae1", &[('a', 1), ('b', 2), ('c', 3)]),
    ("us-east-1", "use1", &[('a', 1), ('b', 2), ('c', 4), ('d', 6), ('e', 3), ('f', 5)]),
    ("us-east-2", "use2", &[('a', 1), ('b', 2), ('c', 3)]),
    ("us-west-1", "usw1", &[('a', 1), ('c', 3)]),
    ("us-west-2", "usw2", &[('a', 2), ('b', 1), ('c', 3), ('d', 4)]),
];

/// The names of the regions every account has, sorted.
pub fn regions() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|(name, _, _)| *name)
}

/// Whether `region` is one of [`regions`].
pub fn is_known_region(region: &str) -> bool {
    REGIONS.iter().any(|(name, _, _)| *name == region)
}

/// The zones of a region, in name order.
pub fn zones(region: &str) -> Vec<Zone> {
    match REGIONS.iter().find(|(name, _, _)| *name == region) {
        Some((_, short, letters)) => letters
            .iter()
            .map(|(letter, number)| Zone {
                name: format!("{region}{letter}"),
                id: format!("{short}-az{number}"),
                region: region.to_owned(),
            })
            .collect(),
        None => {
            let short: String = region.split('-').map(|part| part.chars().next().unwrap_or('x')).collect();
            ['a', 'b', 'c']
                .iter()
                .zip(1..)
                .map(|(letter, number)| Zone {
                    name: format!("{region}{letter}"),
                    id: format!("{short}-az{number}"),
                    region: region.to_owned(),
                })
                .collect()
        }
    }
}
