//! The active queue: pods to try now, the highest priority first and, among equals, the one queued first, as
//! kube-scheduler's active queue orders them (so that a cluster-critical pod that waits beside hundreds of ordinary
//! ones is placed before them rather than left to preempt them afterwards).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One queued pod: ordered by priority, then by how early it was queued.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry<K: Ord> {
    priority: i32,
    order: Reverse<u64>,
    key: K,
}

/// Pods to try now.
#[derive(Debug)]
pub(crate) struct ActiveQueue<K: Ord> {
    heap: BinaryHeap<Entry<K>>,
    pushed: u64,
}

impl<K: Ord> Default for ActiveQueue<K> {
    fn default() -> Self {
        ActiveQueue { heap: BinaryHeap::new(), pushed: 0 }
    }
}

impl<K: Ord> ActiveQueue<K> {
    pub(crate) fn push(&mut self, key: K, priority: i32) {
        self.pushed += 1;
        self.heap.push(Entry { priority, order: Reverse(self.pushed), key });
    }

    pub(crate) fn pop(&mut self) -> Option<K> {
        self.heap.pop().map(|entry| entry.key)
    }
}

#[cfg(test)]
mod tests {
    use super::ActiveQueue;

    #[test]
    fn higher_priority_first_then_first_queued() {
        let mut queue = ActiveQueue::default();
        for (key, priority) in [("web-1", 0), ("web-2", 0), ("coredns-1", 2_000_000_000), ("batch", -10), ("web-3", 0)]
        {
            queue.push(key, priority);
        }
        queue.push("coredns-2", 2_000_000_000);
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, ["coredns-1", "coredns-2", "web-1", "web-2", "web-3", "batch"]);
        assert_eq!(queue.pop(), None);
    }
}
