//! The language picker: English or 한국어.

use leptos::prelude::*;

use crate::i18n::{t, use_i18n, Locale};

/// A labelled `<select>` of the interface languages, each named in itself.
/// The choice applies at once and is remembered (leptos_i18n keeps it in a
/// cookie, so the server renders the next page in it too). `id` tells the
/// sign-in screen's picker from the user menu's.
#[component]
pub fn LanguageSwitch(
    /// The `<select>`'s id (its label points at it; tests find it).
    id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let pick = move |ev: leptos::ev::Event| {
        let chosen = match event_target_value(&ev).as_str() {
            "ko" => Locale::ko,
            _ => Locale::en,
        };
        i18n.set_locale(chosen);
    };
    let is = move |locale: Locale| move || i18n.get_locale() == locale;
    view! {
        <span class="language-switch">
            <label for=id>{t!(i18n, language)}</label>
            <select id=id on:change=pick>
                <option value="en" lang="en" selected=is(Locale::en)>"English"</option>
                <option value="ko" lang="ko" selected=is(Locale::ko)>"한국어"</option>
            </select>
        </span>
    }
}
