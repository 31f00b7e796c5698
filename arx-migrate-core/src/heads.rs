//! The heads a database is at: a set of revision ids kept sorted, so two
//! reads of the version table compare equal whatever order its rows came
//! back in, and reports list them the same way every time.

use std::ops::Deref;

/// A set of revision ids (the version table's rows), always sorted and
/// without repeats.
///
/// It reads as a slice of ids:
///
/// ```
/// use arx_migrate_core::Heads;
/// let heads: Heads = ["b2", "a1", "b2"].into_iter().map(String::from).collect();
/// assert_eq!(heads.as_slice(), ["a1", "b2"]);
/// assert_eq!(heads, Heads::from(vec!["b2".to_string(), "a1".to_string()]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Heads(Vec<String>);

impl Heads {
    /// The ids, sorted.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The ids, sorted, as a vector (what reports hold).
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

impl From<Vec<String>> for Heads {
    fn from(mut ids: Vec<String>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Heads(ids)
    }
}

impl FromIterator<String> for Heads {
    fn from_iter<I: IntoIterator<Item = String>>(ids: I) -> Self {
        Heads::from(ids.into_iter().collect::<Vec<_>>())
    }
}

impl From<Heads> for Vec<String> {
    fn from(heads: Heads) -> Self {
        heads.0
    }
}

impl Deref for Heads {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Heads {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(ids: &[&str]) -> Heads {
        ids.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn the_order_rows_come_in_does_not_matter() {
        assert_eq!(heads(&["x1", "r3"]), heads(&["r3", "x1"]));
        assert_ne!(heads(&["r3"]), heads(&["r3", "x1"]));
        assert_eq!(heads(&["x1", "r3", "x1"]).into_vec(), ["r3", "x1"]);
        assert!(heads(&[]).is_empty());
    }
}
