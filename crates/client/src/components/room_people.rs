//! A room's moderators, bans, mutes and invitations, for its staff.

use confab_shared::moderation::{RoomAdmin, ShortText};
use confab_shared::{ModAction, UserName};
use leptos::prelude::*;

use crate::components::name_form::NameForm;
use crate::dom;
use crate::i18n::{t, t_string, use_i18n};
use crate::words;

/// One person of a list, with what may be undone about them.
#[derive(Clone)]
struct Row {
    name: UserName,
    /// A mute's end (milliseconds), shown after the name.
    until_ms: Option<i64>,
    /// The action its button sends, if any.
    undo: Option<ModAction>,
}

/// A titled list of people, each with an optional button of class
/// `button_class` labelled `button`.
fn people(
    title: &'static str,
    rows: Vec<Row>,
    button: Signal<String>,
    button_class: &'static str,
    on_action: Callback<ModAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let empty = rows.is_empty();
    let items = rows
        .into_iter()
        .map(|row| {
            let until = row.until_ms.map(|ms| {
                move || {
                    let when = words::full_time(i18n.get_locale(), ms, dom::tz_offset(ms));
                    t_string!(i18n, muted_until, when)
                }
            });
            let undo = row.undo.map(|action| {
                view! {
                    <button
                        type="button"
                        class=format!("link-button {button_class}")
                        on:click=move |_| on_action.run(action.clone())
                    >
                        {move || button.get()}
                    </button>
                }
            });
            view! {
                <li>
                    <bdi>{row.name.to_string()}</bdi>
                    " "
                    {until.map(|until| view! { <span class="hint">{until}</span> })}
                    {undo}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class=format!("staff-list {title}")>
            <h3>{move || heading(i18n.get_locale(), title)}</h3>
            {empty.then(|| view! { <p class="hint">{t!(i18n, none)}</p> })}
            <ul>{items}</ul>
        </section>
    }
}

/// A list's heading.
fn heading(locale: crate::i18n::Locale, title: &str) -> &'static str {
    use crate::i18n::td_string;
    match title {
        "moderators" => td_string!(locale, moderators),
        "bans" => td_string!(locale, bans),
        "mutes" => td_string!(locale, mutes),
        _ => td_string!(locale, invites),
    }
}

/// The room's moderators (owners remove and appoint them), banned users
/// (Unban), muted ones (Unmute) and invited ones.
#[component]
pub fn RoomPeople(
    /// The room's settings as loaded.
    admin: RoomAdmin,
    /// Sends a moderation action for the room.
    on_action: Callback<ModAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let owns = admin.role.owns();
    let row = |name: UserName, undo: Option<ModAction>| Row {
        name,
        until_ms: None,
        undo,
    };
    let moderators = admin
        .moderators
        .into_iter()
        .map(|user| {
            let undo = owns.then(|| ModAction::Moderator {
                user: user.clone(),
                appoint: false,
            });
            row(user, undo)
        })
        .collect();
    let bans = admin
        .bans
        .into_iter()
        .map(|user| row(user.clone(), Some(ModAction::Unban { user })))
        .collect();
    let mutes = admin
        .mutes
        .into_iter()
        .map(|m| Row {
            name: m.user.clone(),
            until_ms: Some(m.until.millis()),
            undo: Some(ModAction::Mute {
                user: m.user,
                seconds: 0,
                reason: ShortText::default(),
            }),
        })
        .collect();
    let invites = admin.invites.into_iter().map(|u| row(u, None)).collect();
    let label = |f: fn(crate::i18n::Locale) -> &'static str| {
        Signal::derive(move || f(i18n.get_locale()).to_owned())
    };
    use crate::i18n::td_string;
    let appoint = Callback::new(move |user| {
        on_action.run(ModAction::Moderator {
            user,
            appoint: true,
        })
    });
    view! {
        {people(
            "moderators",
            moderators,
            label(|l| td_string!(l, remove)),
            "remove-moderator",
            on_action,
        )}
        {owns
            .then(|| {
                view! {
                    <NameForm
                        label=label(|l| td_string!(l, moderator_name))
                        button=label(|l| td_string!(l, add_moderator))
                        class="add-moderator"
                        on_name=appoint
                    />
                }
            })}
        {people("bans", bans, label(|l| td_string!(l, unban)), "unban-user", on_action)}
        {people("mutes", mutes, label(|l| td_string!(l, unmute)), "unmute-user", on_action)}
        {people("invites", invites, label(|l| td_string!(l, none)), "", on_action)}
    }
}
