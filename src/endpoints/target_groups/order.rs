//! The order Capillary prints target groups in.

/// Capillary collects the groups in a `java.util.HashMap` keyed by group id and prints them in its
/// iteration order: by bucket (`spread(Long.hashCode(id)) & (capacity - 1)`, the capacity the
/// default table grows to for that many entries), and in insertion order within a bucket.
/// Insertion order is `insertion_key` order.
pub fn java_hash_map_order<T, K: Ord>(mut entries: Vec<T>, id: impl Fn(&T) -> i64, insertion_key: impl Fn(&T) -> K) -> Vec<T> {
    let mut capacity: usize = 16;
    while entries.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |entry: &T| {
        let value = id(entry) as u64;
        let hash = (value ^ (value >> 32)) as u32;
        ((hash ^ (hash >> 16)) as usize) & (capacity - 1)
    };
    entries.sort_by(|a, b| bucket(a).cmp(&bucket(b)).then_with(|| insertion_key(a).cmp(&insertion_key(b))));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_in_java_hash_map_order() {
        // The "With streak detail" sample: 851 and 643 share bucket 3, 851 went in first.
        let ids = vec![(643, 1), (851, 0), (854, 0), (862, 0), (871, 0), (872, 0)];
        let ordered: Vec<i64> = java_hash_map_order(ids, |(id, _)| *id, |(id, rank)| (*rank, *id)).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ordered, vec![851, 643, 854, 871, 872, 862]);
    }

    #[test]
    fn the_table_grows_with_the_number_of_groups() {
        // 13 entries outgrow 16 buckets (threshold 12): with 32, multiples of 32 share bucket 0 and
        // the rest bucket 16.
        let ids: Vec<i64> = (1..=13).map(|n| n * 16).collect();
        let ordered = java_hash_map_order(ids, |id| *id, |id| *id);
        assert_eq!(ordered, vec![32, 64, 96, 128, 160, 192, 16, 48, 80, 112, 144, 176, 208]);
    }
}
