//! The Unicode rules behind every name: normalisation, the characters a
//! name may hold, caseless keys and confusable skeletons.
//!
//! Everything here is a pure function of the text, so server and browser
//! (this crate compiles to wasm) judge a name the same way.

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// NFKC, the form names are stored in: fullwidth `ａｌｉｃｅ`, ligatures and
/// the like become the plain letters they stand for, and a composed and a
/// decomposed `é` are one name.
pub fn nfkc(s: &str) -> String {
    // ASCII is its own NFKC; most names are ASCII and skip the work.
    if s.is_ascii() {
        return s.to_owned();
    }
    s.nfkc().collect()
}

/// The caseless key of an NFKC text: full Unicode case folding (`ß` and
/// `ss`, `Σ`/`σ`/`ς` match) followed by NFKC again, applied twice because
/// folding can produce text NFKC changes and vice versa (the closure that
/// Unicode's NFKC_Casefold is built to have). Two names are the same name
/// exactly when their keys are equal.
pub fn caseless_key(s: &str) -> String {
    // Folding ASCII lowercases it, and NFKC leaves it as it is.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let once: String = s.chars().default_case_fold().nfkc().collect();
    once.chars().default_case_fold().nfkc().collect()
}

/// The UTS #39 confusable skeleton of a caseless key, made caseless once
/// more: the skeleton maps `0` to `O` and `1`/`I` to `l`, so folding it and
/// taking the skeleton again lets `b0b` meet `bob`. Two names whose skeletons
/// are equal look alike (`аlice` in Cyrillic and `alice`, `rn` and `m`).
pub fn confusable_skeleton(key: &str) -> String {
    let first: String = unicode_security::skeleton(key).collect();
    let folded: String = first.chars().default_case_fold().collect();
    unicode_security::skeleton(&folded).collect()
}

/// Characters no name may hold whatever else it is: controls, bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), and
/// the invisible "default ignorable" ones (zero-width space and joiners,
/// soft hyphen, variation selectors, Hangul fillers, tags...), which would
/// let two names that look the same differ.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// A letter of any script, a combining mark (the vowel signs and viramas
/// Indic and Arabic writing need) or a number. `.`, `-`, `_` and the rest
/// of punctuation, symbols and spaces are not.
pub fn is_word_char(c: char) -> bool {
    !is_invisible(c)
        && matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Mark
                | GeneralCategoryGroup::Number
        )
}

/// Whether `c` may start a name: a mark only ever follows the letter it
/// belongs to.
pub fn may_start(c: char) -> bool {
    !matches!(c.general_category_group(), GeneralCategoryGroup::Mark)
}
