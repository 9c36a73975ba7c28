//! `@name` mentions inside a message text.

use crate::names::is_name_char;

/// The case-folded names mentioned with `@name` in `text`, each once, in
/// order of first appearance. A trailing `.` belongs to the sentence, not the
/// name (`thanks @bob.`), and an `@` inside a word (`a@b.c`) is no mention.
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
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
        let name = text[start..end].trim_end_matches('.');
        if !name.is_empty() {
            let key = crate::names::rules::caseless_key(&crate::names::rules::nfkc(name));
            if !found.contains(&key) {
                found.push(key);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn finds_mentions() {
        assert_eq!(mentions("hi @bob and @Carol."), vec!["bob", "carol"]);
        assert_eq!(mentions("@bob @bob @BOB"), vec!["bob"]);
        assert_eq!(mentions("mail a@b.c"), Vec::<String>::new());
        assert_eq!(mentions("@ alone"), Vec::<String>::new());
        assert_eq!(mentions("(@zoë)"), vec!["zoë"]);
    }
}
