//! A one-line form that takes a user's name.

use confab_shared::{NameError, UserName};
use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};
use crate::words;

/// A name field and a button; a valid name goes to `on_name` and the
/// field empties, an invalid one is explained under it.
#[component]
pub fn NameForm(
    /// The field's label, in the reader's language.
    #[prop(into)]
    label: Signal<String>,
    /// The button's text, in the reader's language.
    #[prop(into)]
    button: Signal<String>,
    /// The form's class (tests find it by it).
    class: &'static str,
    /// Called with the name typed.
    on_name: Callback<UserName>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<NameError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match UserName::parse(text.get_untracked().trim()) {
            Ok(name) => {
                error.set(None);
                text.set(String::new());
                on_name.run(name);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class=format!("name-form {class}") on:submit=submit>
            <label>
                <span>{move || label.get()}</span>
                <input
                    type="text"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
            </label>
            <button type="submit">{move || button.get()}</button>
            <p class="error" role="alert">
                {move || {
                    error
                        .get()
                        .map(|e| {
                            let reason = words::name_error(i18n.get_locale(), &e);
                            t_string!(i18n, name_unusable, reason)
                        })
                }}
            </p>
        </form>
    }
}
