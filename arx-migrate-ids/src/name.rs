//! Names checked once, when made: a revision id and a branch label.
//!
//! Both follow the revision-id rules ([`check_revision_id`]): a label is
//! typed in targets (`billing@head`) and may stand for a revision in
//! `depends_on`. They are distinct types because they name different
//! things; what a label must not be besides (another revision's id, a
//! label carried twice) depends on the whole graph and is checked there.

use alloc::string::{String, ToString};
use core::borrow::Borrow;
use core::fmt;
use core::ops::Deref;
use core::str::FromStr;

use crate::{check_revision_id, IdProblem};

macro_rules! checked_name {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Checks `text` against the revision-id rules.
            ///
            /// ```
            #[doc = concat!("use arx_migrate_ids::{", stringify!($name), ", IdProblem};")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::parse(\"", $example, "\").unwrap().as_str(), \"", $example, "\");")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::parse(\"a b\"), Err(IdProblem::BadCharacter));")]
            /// ```
            pub fn parse(text: &str) -> Result<Self, IdProblem> {
                check_revision_id(text)?;
                Ok($name(text.to_string()))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdProblem;
            fn from_str(text: &str) -> Result<Self, IdProblem> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdProblem;
            fn try_from(text: String) -> Result<Self, IdProblem> {
                check_revision_id(&text)?;
                Ok($name(text))
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

checked_name!(
    /// A revision id that follows the rules: 1 to
    /// [`MAX_REVISION_LEN`](crate::MAX_REVISION_LEN) ASCII letters, digits,
    /// `_` or `-`, and not a [`RESERVED`](crate::RESERVED) target name.
    RevisionId,
    "002_users"
);

checked_name!(
    /// A branch label (`branch_labels = ["billing"]`), which follows the
    /// revision-id rules.
    BranchLabel,
    "billing"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_checked_when_made_and_compares_as_text() {
        let id = RevisionId::parse("p003").unwrap();
        assert_eq!(id, "p003");
        assert_eq!(id.len(), 4);
        assert_eq!(
            RevisionId::try_from(String::from("head")),
            Err(IdProblem::Reserved)
        );
        assert_eq!("".parse::<BranchLabel>(), Err(IdProblem::Empty));
        assert_eq!(String::from(id), "p003");
    }
}
