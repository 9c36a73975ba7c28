//! A labelled password input bound to a signal.

use leptos::prelude::*;

/// `<label>` and `<input type="password">`, its value in `value`.
#[component]
pub fn PasswordField(
    /// The input's id (what the label points at, and tests find).
    id: &'static str,
    /// The label's text, in the reader's language.
    #[prop(into)]
    label: Signal<&'static str>,
    /// `new-password` or `current-password`, for password managers.
    autocomplete: &'static str,
    /// Holds what is typed; set it to empty to clear the field.
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for=id>{move || label.get()}</label>
        <input
            id=id
            type="password"
            autocomplete=autocomplete
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}
