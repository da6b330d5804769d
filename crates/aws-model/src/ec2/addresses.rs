//! The private addresses handed out from one subnet: a bitmap over the subnet's block, stored in chunks of
//! [`CHUNK_ADDRESSES`] addresses, one record each (`/ec2/subnet-addresses/<subnet>/<chunk>`), so that handing
//! out an address rewrites at most a few hundred bytes however full the subnet is, and no record grows with the
//! region. A chunk with no address in use has no record. A subnet's block is at most a `/16`, so a subnet has at
//! most 16 chunks.
//!
//! The map is loaded only by changes that hand out or give back addresses (or count them); reading one that was
//! not loaded is a bug in the change's scope and panics in debug builds.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::cidr::Cidr;

/// Addresses per stored chunk.
pub const CHUNK_ADDRESSES: u64 = 4096;

/// One stored chunk: the bits of its addresses, lowest address first, least significant bit first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressChunk {
    /// Base64 of the bitmap.
    pub bits: String,
}

/// The addresses in use in one subnet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressMap {
    /// `None` until loaded.
    state: Option<Bitmap>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Bitmap {
    block: Cidr,
    /// One bit per address of the block.
    bits: Vec<u8>,
    in_use: u64,
}

impl AddressMap {
    /// How many chunks a block is stored in.
    pub fn chunk_count(block: Cidr) -> u64 {
        block.size().div_ceil(CHUNK_ADDRESSES)
    }

    /// A map read from the chunks of its block (`None` for a chunk with no record); a damaged chunk reads empty.
    pub fn from_chunks(block: Cidr, chunks: &[Option<AddressChunk>]) -> AddressMap {
        let mut bits = vec![0u8; block.size().div_ceil(8) as usize];
        let chunk_bytes = (CHUNK_ADDRESSES / 8) as usize;
        for (index, chunk) in chunks.iter().enumerate() {
            let Some(decoded) = chunk.as_ref().and_then(|chunk| crate::ids::unbase64(&chunk.bits)) else { continue };
            let start = index * chunk_bytes;
            let end = (start + chunk_bytes).min(bits.len());
            if start >= end {
                continue;
            }
            let take = decoded.len().min(end - start);
            bits[start..start + take].copy_from_slice(&decoded[..take]);
        }
        // Bits past the block's end mean nothing.
        let size = block.size();
        if !size.is_multiple_of(8)
            && let Some(last) = bits.last_mut()
        {
            *last &= (1u8 << (size % 8)) - 1;
        }
        let in_use = bits.iter().map(|byte| u64::from(byte.count_ones())).sum();
        AddressMap { state: Some(Bitmap { block, bits, in_use }) }
    }

    /// An empty, loaded map of a new subnet.
    pub fn empty(block: Cidr) -> AddressMap {
        AddressMap::from_chunks(block, &[])
    }

    /// The chunks to store, by index: `None` for a chunk with no address in use (no record). Empty when the
    /// map was not loaded.
    pub fn chunks(&self) -> Vec<(u64, Option<AddressChunk>)> {
        let Some(state) = &self.state else { return Vec::new() };
        let chunk_bytes = (CHUNK_ADDRESSES / 8) as usize;
        state
            .bits
            .chunks(chunk_bytes)
            .enumerate()
            .map(|(index, bytes)| {
                let chunk =
                    bytes.iter().any(|byte| *byte != 0).then(|| AddressChunk { bits: crate::ids::base64(bytes) });
                (index as u64, chunk)
            })
            .collect()
    }

    /// Whether the map was loaded.
    pub fn is_loaded(&self) -> bool {
        self.state.is_some()
    }

    fn state(&self) -> &Bitmap {
        self.state.as_ref().expect("the subnet's addresses were read but not loaded")
    }

    fn state_mut(&mut self) -> &mut Bitmap {
        self.state.as_mut().expect("the subnet's addresses were changed but not loaded")
    }

    /// The bit of an address of the block.
    fn position(block: Cidr, address: Ipv4Addr) -> Option<(usize, u8)> {
        let offset = block.offset_of(address)?;
        Some(((offset / 8) as usize, 1u8 << (offset % 8)))
    }

    /// Whether an address is in use.
    pub fn contains(&self, address: &Ipv4Addr) -> bool {
        let state = self.state();
        Self::position(state.block, *address).is_some_and(|(byte, mask)| state.bits[byte] & mask != 0)
    }

    /// Marks an address in use; false when it already was or is outside the block.
    pub fn insert(&mut self, address: Ipv4Addr) -> bool {
        let state = self.state_mut();
        let Some((byte, mask)) = Self::position(state.block, address) else { return false };
        if state.bits[byte] & mask != 0 {
            return false;
        }
        state.bits[byte] |= mask;
        state.in_use += 1;
        true
    }

    /// Frees an address; false when it was not in use.
    pub fn remove(&mut self, address: &Ipv4Addr) -> bool {
        let state = self.state_mut();
        let Some((byte, mask)) = Self::position(state.block, *address) else { return false };
        if state.bits[byte] & mask == 0 {
            return false;
        }
        state.bits[byte] &= !mask;
        state.in_use -= 1;
        true
    }

    pub fn extend(&mut self, addresses: impl IntoIterator<Item = Ipv4Addr>) {
        for address in addresses {
            self.insert(address);
        }
    }

    /// How many addresses are in use.
    pub fn len(&self) -> usize {
        self.state().in_use as usize
    }

    pub fn is_empty(&self) -> bool {
        self.state().in_use == 0
    }

    /// The `count` lowest free addresses that may be handed out (AWS keeps the first four and the last), or
    /// fewer when the subnet has no more.
    pub fn lowest_free(&self, count: usize) -> Vec<Ipv4Addr> {
        let state = self.state();
        let size = state.block.size();
        let mut free = Vec::with_capacity(count);
        let mut offset = 4;
        while offset + 1 < size && free.len() < count {
            let byte = state.bits[(offset / 8) as usize];
            if byte == 0xff && offset % 8 == 0 {
                offset += 8;
                continue;
            }
            if byte & (1u8 << (offset % 8)) == 0
                && let Some(address) = state.block.nth(offset)
            {
                free.push(address);
            }
            offset += 1;
        }
        free
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(text: &str) -> Cidr {
        Cidr::parse(text).unwrap()
    }

    #[test]
    fn addresses_are_handed_out_lowest_first_past_the_reserved_ones() {
        let mut map = AddressMap::empty(block("10.0.0.0/28"));
        let free = map.lowest_free(20);
        assert_eq!(free.len(), 11, "16 less the first four and the last");
        assert_eq!(free[0], "10.0.0.4".parse::<Ipv4Addr>().unwrap());
        assert_eq!(free[10], "10.0.0.14".parse::<Ipv4Addr>().unwrap());
        map.extend(free[..3].iter().copied());
        assert_eq!(map.len(), 3);
        assert_eq!(map.lowest_free(1)[0], free[3]);
        assert!(map.remove(&free[1]));
        assert!(!map.remove(&free[1]), "freeing twice");
        assert_eq!(map.lowest_free(1)[0], free[1]);
        assert!(!map.insert("10.0.1.1".parse().unwrap()), "outside the block");
    }

    #[test]
    fn chunks_round_trip_and_only_chunks_in_use_are_stored() {
        let subnet = block("10.0.0.0/18");
        assert_eq!(AddressMap::chunk_count(subnet), 4);
        let mut map = AddressMap::empty(subnet);
        assert!(map.chunks().iter().all(|(_, chunk)| chunk.is_none()));
        let far: Ipv4Addr = "10.0.33.7".parse().unwrap();
        map.insert(far);
        map.extend(map.lowest_free(3));
        let chunks = map.chunks();
        let stored: Vec<u64> = chunks.iter().filter(|(_, chunk)| chunk.is_some()).map(|(index, _)| *index).collect();
        assert_eq!(stored, vec![0, 2]);
        let encoded: Vec<Option<AddressChunk>> = chunks.into_iter().map(|(_, chunk)| chunk).collect();
        assert!(encoded.iter().flatten().all(|chunk| chunk.bits.len() < 1024), "a chunk stays small");
        let back = AddressMap::from_chunks(subnet, &encoded);
        assert_eq!(back, map);
        assert!(back.contains(&far));
        assert_eq!(back.len(), 4);
    }

    #[test]
    fn a_full_subnet_has_nothing_free_and_damaged_chunks_read_empty() {
        let subnet = block("10.0.0.0/24");
        let mut map = AddressMap::empty(subnet);
        map.extend(map.lowest_free(1000));
        assert_eq!(map.len(), 251);
        assert!(map.lowest_free(1).is_empty());
        let damaged = AddressMap::from_chunks(subnet, &[Some(AddressChunk { bits: "not base64!".into() })]);
        assert!(damaged.is_empty());
    }

    #[test]
    #[should_panic(expected = "not loaded")]
    fn reading_a_map_that_was_not_loaded_is_a_bug() {
        AddressMap::default().len();
    }
}
