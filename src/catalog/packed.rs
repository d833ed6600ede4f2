//! Parse-tree values the model keeps, stored in their protobuf encoding.
//!
//! Every `pb::Node` is an enum as large as its largest variant (about 600 bytes), so a column
//! type held as a tree (`TypeName` with its name nodes) takes a kilobyte or more, and a
//! history's model grew at about 80 MB per MB of SQL. Encoded, the same type takes a few dozen
//! bytes. The model keeps values packed and an undo rule unpacks the few it re-emits; the
//! encoding is the one libpg_query itself reads and writes, so the round trip is exact.

use std::fmt;
use std::marker::PhantomData;

use prost::Message;

/// A parse-tree value of type `T`, encoded. [`Packed::unpack`] gives the value back.
pub struct Packed<T> {
    bytes: Box<[u8]>,
    value: PhantomData<fn() -> T>,
}

impl<T: Message + Default> Packed<T> {
    pub fn pack(value: &T) -> Self {
        Packed {
            bytes: value.encode_to_vec().into_boxed_slice(),
            value: PhantomData,
        }
    }

    /// The value, decoded.
    pub fn unpack(&self) -> T {
        // The bytes were encoded from a `T` by `pack`, so they always decode.
        T::decode(&*self.bytes).expect("a packed value decodes as the type it was packed from")
    }

    /// Decodes the value, lets `change` edit it, and packs it again.
    pub fn update(&mut self, change: impl FnOnce(&mut T)) {
        let mut value = self.unpack();
        change(&mut value);
        *self = Packed::pack(&value);
    }
}

impl<T: Message + Default> From<T> for Packed<T> {
    fn from(value: T) -> Self {
        Packed::pack(&value)
    }
}

impl<T: Message + Default> From<Box<T>> for Packed<T> {
    fn from(value: Box<T>) -> Self {
        Packed::pack(&value)
    }
}

impl<T: Message + Default> Default for Packed<T> {
    fn default() -> Self {
        Packed::pack(&T::default())
    }
}

impl<T> Clone for Packed<T> {
    fn clone(&self) -> Self {
        Packed {
            bytes: self.bytes.clone(),
            value: PhantomData,
        }
    }
}

impl<T: Message + Default + fmt::Debug> fmt::Debug for Packed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.unpack().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::pb;

    #[test]
    fn a_packed_tree_unpacks_to_the_same_tree_and_is_smaller() {
        let parsed = pg_query::parse(
            "CREATE TABLE t (a numeric(10, 2)[] DEFAULT '{}' COLLATE \"C\", CHECK (a IS NOT NULL))",
            0,
        )
        .expect("parses");
        let stmt = *parsed.protobuf.stmts[0].stmt.clone().expect("a statement");
        let packed = Packed::<pb::Node>::pack(&stmt);
        assert_eq!(packed.unpack(), stmt);
        assert!(packed.bytes.len() < 200, "{} bytes", packed.bytes.len());
    }

    #[test]
    fn update_changes_the_packed_value() {
        let mut packed = Packed::pack(&pb::String { sval: "old".into() });
        packed.update(|s| s.sval = "new".into());
        assert_eq!(packed.unpack().sval, "new");
    }
}
