//! `@name` mentions inside a message text.

use crate::names::is_name_char;

/// The text after each `@` that starts a mention: the run of name
/// characters, without a trailing `.` (it belongs to the sentence:
/// `thanks @bob.`). An `@` inside a word (`a@b.c`) starts none.
fn mention_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts_mention = c == '@' && !prev.is_some_and(is_name_char);
        prev = Some(c);
        if !starts_mention {
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while let Some(&(j, n)) = chars.peek() {
            if !is_name_char(n) {
                break;
            }
            end = j + n.len_utf8();
            prev = Some(n);
            chars.next();
        }
        let token = text[start..end].trim_end_matches('.');
        if !token.is_empty() {
            tokens.push(token);
        }
    }
    tokens
}

fn key_of(name: &str) -> String {
    crate::names::rules::caseless_key(&crate::names::rules::nfkc(name))
}

/// The case-folded names mentioned with `@name` in `text`, each once, in
/// order of first appearance, taking each token whole.
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for token in mention_tokens(text) {
        let key = key_of(token);
        if !found.contains(&key) {
            found.push(key);
        }
    }
    found
}

/// The keys of the names in `is_name` mentioned in `text`, each once, in
/// order of first appearance. A mention is the *longest* name the text
/// after `@` starts with: Korean attaches particles and honorifics to a
/// name, so `@민수님` and `@민수야` mention 민수, while `@민수님` mentions
/// a user called 민수님 if there is one.
pub fn mentions_of(text: &str, is_name: impl Fn(&str) -> bool) -> Vec<String> {
    /// A name has at most this many characters (`UserName::MAX_CHARS`).
    const LONGEST: usize = crate::names::UserName::MAX_CHARS;
    let mut found: Vec<String> = Vec::new();
    for token in mention_tokens(text) {
        let ends: Vec<usize> = token
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .take(LONGEST)
            .collect();
        let matched = ends
            .iter()
            .rev()
            .map(|&end| key_of(&token[..end]))
            .find(|key| is_name(key));
        if let Some(key) = matched {
            if !found.contains(&key) {
                found.push(key);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{mentions, mentions_of};

    #[test]
    fn finds_mentions() {
        assert_eq!(mentions("hi @bob and @Carol."), vec!["bob", "carol"]);
        assert_eq!(mentions("@bob @bob @BOB"), vec!["bob"]);
        assert_eq!(mentions("mail a@b.c"), Vec::<String>::new());
        assert_eq!(mentions("@ alone"), Vec::<String>::new());
        assert_eq!(mentions("(@zoë)"), vec!["zoë"]);
    }

    #[test]
    fn a_mention_is_the_longest_name_the_text_starts_with() {
        let members = ["민수", "bob", "bobby", "지은"];
        let known = |key: &str| members.contains(&key);
        // Honorifics and particles after a name still mention it.
        assert_eq!(mentions_of("@민수님 안녕하세요", known), vec!["민수"]);
        assert_eq!(
            mentions_of("@민수야, @지은이랑 와", known),
            vec!["민수", "지은"]
        );
        // The longest name wins; a name nobody has mentions nobody.
        assert_eq!(mentions_of("@bobby!", known), vec!["bobby"]);
        assert_eq!(mentions_of("@Bobbie", known), vec!["bob"]);
        assert_eq!(mentions_of("@민 @nobody", known), Vec::<String>::new());
        // Each once; the old rules about `.` and `a@b` hold.
        assert_eq!(mentions_of("@bob. @BOB", known), vec!["bob"]);
        assert_eq!(mentions_of("mail a@bob.c", known), Vec::<String>::new());
        // With 민수님 a user too, @민수님 is them, @민수야 still 민수.
        let more = ["민수", "민수님"];
        let known = |key: &str| more.contains(&key);
        assert_eq!(
            mentions_of("@민수님 @민수야", known),
            vec!["민수님", "민수"]
        );
    }
}
