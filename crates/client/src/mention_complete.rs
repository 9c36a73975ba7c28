//! Completing an `@mention` while it is typed: which mention the caret is
//! in, which members it may name, and the text once one is picked.
//!
//! The caret position is what a `<textarea>` reports: UTF-16 code units.

use confab_shared::names::is_name_char;
use confab_shared::UserName;

use crate::search::matches_query;

/// At most this many names are offered.
pub const MAX_SUGGESTIONS: usize = 8;

/// The mention being typed: `@` at byte `start`, the caret at byte `end`,
/// and what was typed after the `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub start: usize,
    pub end: usize,
    pub query: String,
}

/// The byte index of the UTF-16 offset `caret` in `text` (its end if past).
fn byte_index(text: &str, caret: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= caret {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The mention the caret is at the end of, if any: an `@` that starts a
/// word (as the server reads mentions: `a@b` is none), then name
/// characters up to the caret.
pub fn mention_at(text: &str, caret: usize) -> Option<Typed> {
    let end = byte_index(text, caret);
    let before = &text[..end];
    let start = before.rfind('@')?;
    if before[..start]
        .chars()
        .next_back()
        .is_some_and(is_name_char)
    {
        return None;
    }
    let query = &before[start + 1..];
    if !query.chars().all(is_name_char) {
        return None;
    }
    Some(Typed {
        start,
        end,
        query: query.to_owned(),
    })
}

/// The members a typed query may name, best first: names that start with
/// it, then names that hold it (Korean initial consonants count, as in the
/// room filter); never `me`.
pub fn suggestions<'a>(
    members: impl IntoIterator<Item = &'a UserName>,
    me: Option<&UserName>,
    query: &str,
) -> Vec<UserName> {
    let lower = query.to_lowercase();
    let mut found: Vec<(bool, String, &UserName)> = members
        .into_iter()
        .filter(|m| me.is_none_or(|me| me.key() != m.key()))
        .filter(|m| matches_query(m.as_str(), query))
        .map(|m| (!m.as_str().to_lowercase().starts_with(&lower), m.key(), m))
        .collect();
    found.sort();
    found
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(.., m)| m.clone())
        .collect()
}

/// `text` with the typed mention replaced by `@name ` and the caret
/// (UTF-16) right after it; `None` when `text` no longer holds that mention
/// where it was (it changed since).
pub fn complete(text: &str, typed: &Typed, name: &UserName) -> Option<(String, usize)> {
    let before = text.get(..typed.start)?;
    let after = text.get(typed.end..)?;
    if text.get(typed.start..typed.end)? != format!("@{}", typed.query) {
        return None;
    }
    let done = format!("{before}@{name} ");
    let caret = done.encode_utf16().count();
    Some((format!("{done}{after}"), caret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<UserName> {
        list.iter()
            .map(|n| UserName::parse(n).expect("name"))
            .collect()
    }

    #[test]
    fn the_mention_under_the_caret() {
        let text = "hi @mi";
        let at = mention_at(text, 6).expect("typing a mention");
        assert_eq!((at.start, at.query.as_str()), (3, "mi"));
        // Just the @: an empty query offers everyone.
        assert_eq!(mention_at("@", 1).map(|t| t.query), Some(String::new()));
        // Not a mention: inside a word, after a space, no @.
        assert_eq!(mention_at("mail a@b", 8), None);
        assert_eq!(mention_at("@bob hi", 7), None);
        assert_eq!(mention_at("hello", 5), None);
        // Hangul, and an emoji before it (two UTF-16 units).
        let text = "😀 @민수";
        let caret = text.encode_utf16().count();
        assert_eq!(
            mention_at(text, caret).map(|t| t.query),
            Some("민수".into())
        );
        // The caret in the middle of the text: what is before it counts.
        assert_eq!(mention_at("@ab cd", 2).map(|t| t.query), Some("a".into()));
    }

    #[test]
    fn names_that_start_with_the_query_come_first_and_never_me() {
        let members = names(&["jiwoo", "Minsu", "민수", "minji", "admin"]);
        let me = UserName::parse("minji").expect("me");
        let found = suggestions(&members, Some(&me), "min");
        assert_eq!(found, names(&["Minsu", "admin"]));
        // Initial consonants find Hangul names.
        assert_eq!(suggestions(&members, None, "ㅁㅅ"), names(&["민수"]));
        assert_eq!(suggestions(&members, None, "").len(), 5);
    }

    #[test]
    fn completing_replaces_what_was_typed() {
        let text = "hi @mi, see";
        let typed = mention_at(text, 6).expect("typing");
        let name = UserName::parse("Minsu").expect("name");
        let (done, caret) = complete(text, &typed, &name).expect("completes");
        assert_eq!(done, "hi @Minsu , see");
        assert_eq!(caret, "hi @Minsu ".encode_utf16().count());
        let typed = mention_at("@ㅈ", 2).expect("typing");
        let jiwoo = UserName::parse("지우").expect("name");
        let (done, caret) = complete("@ㅈ", &typed, &jiwoo).expect("completes");
        assert_eq!((done.as_str(), caret), ("@지우 ", 4));
        // The text changed since (another room's draft): nothing, no panic.
        assert_eq!(complete("한", &typed, &jiwoo), None);
        assert_eq!(complete("@ㅎ", &typed, &jiwoo), None);
    }
}
