//! The order in which Prisma applies migration folders.

use std::cmp::Ordering;

/// Compares two migration folder names the way Prisma orders them.
///
/// Why not plain byte order: current Prisma lists the folders in TypeScript
/// (prisma/prisma, `packages/migrate/src/utils/listMigrations.ts`) and sorts them with
/// `a.path.localeCompare(b.path)`, i.e. ICU collation (CLDR root order for the usual `en`
/// locales). Older Prisma listed them in Rust (prisma/prisma-engines,
/// `migration-engine/connectors/migration-connector/src/migrations_directory.rs`, later
/// `schema-engine/…`, `list_migrations`) with
/// `a.migration_name().cmp(b.migration_name())`, which is byte order. The two disagree on
/// names like `20250625_add_x` vs `20250625123456_y` ('_' sorts before digits in ICU, after
/// them in ASCII) and on upper vs lower case. We follow current Prisma; new folder names are
/// chosen so that they sort last under both orders (see `choose_timestamps`).
///
/// This reproduces ICU's root collation exactly for ASCII names (checked against Node 22 /
/// ICU 78 over all printable ASCII characters): whitespace < punctuation < symbols < `$` <
/// digits < letters; letters compare case-blind first, then lower case before upper case;
/// control characters other than whitespace are ignored. Non-ASCII characters are placed
/// after all ASCII letters by code point, which only approximates ICU (it would interleave
/// `é` with `e`). Names ICU considers equal fall back to byte order so the result is total.
pub fn prisma_name_order(a: &str, b: &str) -> Ordering {
    prisma_sort_key(a).cmp(&prisma_sort_key(b))
}

/// The key [`prisma_name_order`] compares: primary weights, then case, then the bytes.
/// Sorting by a key computed once per name (`sort_by_cached_key`) keeps reading a long
/// history from spending more time ordering names than parsing them.
pub fn prisma_sort_key(name: &str) -> (Vec<u32>, Vec<bool>, String) {
    let weights: Vec<Weight> = name.chars().filter_map(weight).collect();
    (
        weights.iter().map(|w| w.primary).collect(),
        weights.iter().map(|w| w.upper).collect(),
        name.to_string(),
    )
}

const ASCII_SYMBOL_ORDER: &str = "\t\n\x0b\x0c\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

/// A character's collation weight: `primary` decides first, then case.
#[derive(Clone, Copy)]
struct Weight {
    primary: u32,
    upper: bool,
}

/// The collation weight of one character, or `None` for characters ICU ignores.
fn weight(c: char) -> Option<Weight> {
    let symbols = ASCII_SYMBOL_ORDER.len() as u32;
    let primary = if let Some(i) = ASCII_SYMBOL_ORDER.find(c) {
        i as u32
    } else if c.is_ascii_digit() {
        symbols + (c as u32 - '0' as u32)
    } else if c.is_ascii_alphabetic() {
        symbols + 10 + (c.to_ascii_lowercase() as u32 - 'a' as u32)
    } else if c.is_ascii() {
        return None; // control characters are completely ignorable
    } else {
        0x100 + c as u32
    };
    Some(Weight {
        primary,
        upper: c.is_ascii_uppercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| prisma_name_order(a, b));
        v
    }

    /// The langfuse corpus oddities: a name with " copy" and one with an 8-digit prefix.
    #[test]
    fn sorts_real_world_names_like_prisma() {
        let names = [
            "20250704170658_add_automations",
            "20250625_add_pivot_table_charttype",
            "20240126184148_new_models copy",
            "20240126184148_new_models",
            "20250625123456_same_day",
            "20240126184148_new_models_copy",
        ];
        assert_eq!(
            sorted(&names),
            [
                "20240126184148_new_models",
                "20240126184148_new_models copy",
                "20240126184148_new_models_copy",
                "20250625_add_pivot_table_charttype",
                "20250625123456_same_day",
                "20250704170658_add_automations",
            ]
        );
    }

    /// Byte order would put the 8-digit name after the 14-digit one; localeCompare does not.
    #[test]
    fn underscore_sorts_before_digits_unlike_byte_order() {
        let (short, long) = ("20250625_x", "20250625000000_y");
        assert!(short > long, "byte order");
        assert_eq!(prisma_name_order(short, long), Ordering::Less);
    }

    #[test]
    fn case_is_compared_after_letters() {
        assert_eq!(prisma_name_order("1_aB", "1_ab"), Ordering::Greater);
        assert_eq!(prisma_name_order("1_Ab", "1_aC"), Ordering::Less);
        assert_eq!(prisma_name_order("1_Z", "1_a"), Ordering::Greater);
    }

    /// The full printable-ASCII order, as printed by Node's `localeCompare` (ICU 78, en-US).
    #[test]
    fn ascii_order_matches_icu() {
        let icu = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789\
                   aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ";
        let mut chars: Vec<String> = (0x20u8..0x7f).map(|b| (b as char).to_string()).collect();
        chars.sort_by(|a, b| prisma_name_order(a, b));
        assert_eq!(chars.concat(), icu);
    }

    #[test]
    fn ignorable_controls_fall_back_to_byte_order() {
        assert_eq!(prisma_name_order("a\u{1}b", "ab"), Ordering::Less);
        assert_eq!(prisma_name_order("ab", "ab"), Ordering::Equal);
    }
}
