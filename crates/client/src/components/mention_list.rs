//! The names offered while an `@mention` is typed.

use confab_shared::UserName;
use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};

/// The id of the list, for the message box's `aria-controls`.
pub const LIST_ID: &str = "mention-list";

/// The id of option `i`, for the message box's `aria-activedescendant`.
pub fn option_id(i: usize) -> String {
    format!("mention-option-{i}")
}

/// A listbox of member names above the message box. The keyboard stays in
/// the message box (arrows move `highlighted`, Enter or Tab picks, Escape
/// closes, handled there); a click picks too.
#[component]
pub fn MentionList(
    /// The names offered; the list is hidden when empty.
    names: Signal<Vec<UserName>>,
    /// The index of the highlighted name.
    highlighted: RwSignal<usize>,
    /// Called with the picked name.
    on_pick: Callback<UserName>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || names.with(|n| !n.is_empty())>
            <ul id=LIST_ID class="mention-list" role="listbox" aria-label=move || t_string!(i18n, mention_list)>
                <For
                    each=move || names.get().into_iter().enumerate()
                    key=|(i, name)| format!("{i}:{name}")
                    children=move |(i, name)| {
                        let picked = name.clone();
                        view! {
                            <li
                                id=option_id(i)
                                role="option"
                                class="mention-option"
                                class:highlighted=move || highlighted.get() == i
                                aria-selected=move || (highlighted.get() == i).to_string()
                                // Before the box loses the focus to the click.
                                on:mousedown=move |ev: leptos::ev::MouseEvent| {
                                    ev.prevent_default();
                                    on_pick.run(picked.clone());
                                }
                            >
                                <bdi>{"@"}{name.to_string()}</bdi>
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
    }
}
