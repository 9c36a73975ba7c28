//! An image shown full size over the page.

use leptos::prelude::*;

use crate::i18n::{t, use_i18n};

/// A modal view of one image, over everything: Escape, the close button or
/// a click anywhere closes it, and the focus goes back to what opened it.
#[component]
pub fn ImageViewer(
    /// The image's address.
    url: String,
    /// Its alternative text.
    alt: Signal<String>,
    /// Whether it is open; the viewer sets it to false when closed.
    open: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let close_button = NodeRef::<leptos::html::Button>::new();
    // What had the focus before (the image's link), to give it back.
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        if open.get() {
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element())
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
            opener.set_value(active);
            if let Some(button) = close_button.get() {
                let _ = button.focus();
            }
        }
    });
    let close = move || {
        open.set(false);
        if let Some(el) = opener.get_value() {
            let _ = el.focus();
        }
    };
    view! {
        <Show when=move || open.get()>
            <div
                class="image-viewer"
                role="dialog"
                aria-modal="true"
                aria-label=move || alt.get()
                on:click=move |_| close()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        close();
                    }
                }
            >
                <img src=url.clone() alt=move || alt.get()/>
                <button type="button" class="viewer-close" node_ref=close_button>
                    {t!(i18n, close)}
                </button>
            </div>
        </Show>
    }
}
