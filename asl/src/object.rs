//! Field lookup in JSON objects, tuned for the small objects state data is made of.
//!
//! `serde_json::Map` (with `preserve_order`) hashes every key with SipHash on each lookup. For an
//! object of a few fields, comparing the keys one by one is several times cheaper, so below
//! [`LINEAR_SCAN_MAX`] fields the entries are scanned; larger objects use the map's index.

use serde_json::{Map, Value};

/// Objects with at most this many fields are searched by a scan of their entries.
pub const LINEAR_SCAN_MAX: usize = 8;

/// The value of field `key`, if `m` has it.
#[inline]
pub fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= LINEAR_SCAN_MAX {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// The value of field `key`, mutably, if `m` has it.
#[inline]
pub fn get_mut<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if m.len() <= LINEAR_SCAN_MAX {
        m.iter_mut()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    } else {
        m.get_mut(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_and_large_objects_find_the_same_fields() {
        for n in [0usize, 1, 3, LINEAR_SCAN_MAX, LINEAR_SCAN_MAX + 1, 40] {
            let mut m = Map::new();
            for i in 0..n {
                m.insert(format!("k{i}"), json!(i));
            }
            for i in 0..n {
                assert_eq!(get(&m, &format!("k{i}")), Some(&json!(i)));
                *get_mut(&mut m, &format!("k{i}")).expect("present") = json!(i + 1);
                assert_eq!(m[&format!("k{i}")], json!(i + 1));
            }
            assert_eq!(get(&m, "absent"), None);
            assert!(get_mut(&mut m, "absent").is_none());
        }
    }
}
