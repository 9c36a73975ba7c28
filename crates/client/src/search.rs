//! Finding a room or a person by what was typed, the way Korean users
//! expect: a lone initial consonant matches every syllable that starts
//! with it (`ㅎㄱ` finds 한국어방), and a syllable still being composed
//! matches the syllables it can grow into (`하` finds 한).

/// The compatibility jamo of the 19 initial consonants, in the order of
/// the precomposed syllables (U+AC00 + (initial × 21 + medial) × 28 + final).
const INITIALS: [char; 19] = [
    'ㄱ', 'ㄲ', 'ㄴ', 'ㄷ', 'ㄸ', 'ㄹ', 'ㅁ', 'ㅂ', 'ㅃ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅉ', 'ㅊ', 'ㅋ',
    'ㅌ', 'ㅍ', 'ㅎ',
];
const FIRST_SYLLABLE: u32 = 0xAC00;
const LAST_SYLLABLE: u32 = 0xD7A3;
const FINALS: u32 = 28;
const PER_INITIAL: u32 = 21 * FINALS;

/// A precomposed Hangul syllable's offset from 가.
fn syllable(c: char) -> Option<u32> {
    let u = u32::from(c);
    (FIRST_SYLLABLE..=LAST_SYLLABLE)
        .contains(&u)
        .then(|| u - FIRST_SYLLABLE)
}

/// Whether the typed character `q` matches the name's character `c`.
fn char_matches(q: char, c: char) -> bool {
    if q == c {
        return true;
    }
    let Some(name_syllable) = syllable(c) else {
        return false;
    };
    match syllable(q) {
        // 하 (no final consonant yet) matches 한, 할, 함…
        Some(typed) => typed % FINALS == 0 && typed / FINALS == name_syllable / FINALS,
        // ㅎ matches every syllable that starts with it.
        None => {
            usize::try_from(name_syllable / PER_INITIAL)
                .ok()
                .and_then(|i| INITIALS.get(i))
                == Some(&q)
        }
    }
}

/// Whether `name` holds what was typed (`query`, spaces ignored) as a run
/// of characters, without regard to case; an empty query matches all.
pub fn matches_query(name: &str, query: &str) -> bool {
    let typed: Vec<char> = query
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if typed.is_empty() {
        return true;
    }
    let name: Vec<char> = name.to_lowercase().chars().collect();
    name.windows(typed.len())
        .any(|window| window.iter().zip(&typed).all(|(c, q)| char_matches(*q, *c)))
}

#[cfg(test)]
mod tests {
    use super::matches_query;

    #[test]
    fn initial_consonants_find_korean_names() {
        assert!(matches_query("한국어방", "ㅎㄱ"));
        assert!(matches_query("한국어방", "ㄱㅇ"));
        assert!(matches_query("한국어방", "한국"));
        assert!(!matches_query("한국어방", "ㄱㅎ"));
        assert!(!matches_query("영어방", "ㅎㄱ"));
        // Doubled initials are their own consonant.
        assert!(matches_query("까치", "ㄲ"));
        assert!(!matches_query("가치", "ㄲ"));
        // Mixed with a whole syllable, spaces ignored.
        assert!(matches_query("한국어방", "ㅎ 국"));
    }

    #[test]
    fn a_syllable_being_composed_matches_what_it_grows_into() {
        assert!(matches_query("한국어방", "하"));
        assert!(matches_query("한국어방", "하ㄱ"));
        // 한 already has its final: it does not match 하.
        assert!(!matches_query("하늘", "한"));
    }

    #[test]
    fn latin_names_match_without_case() {
        assert!(matches_query("Rust-Korea", "korea"));
        assert!(matches_query("lobby", ""));
        assert!(!matches_query("lobby", "rust"));
    }
}
