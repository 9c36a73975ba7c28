//! Moderation in the store contract: roles decided at commit time, each
//! action one gap-free log entry (a kick or ban also ends the membership,
//! logged right after), a mute refusing posts even across a rejoin, a ban
//! refusing joins and posts. Run for both backends by `contract!`.

use confab_engine::store::{Forbidden, LogBody, ModOp, ModWrite, Outcome, Refusal, Store, Write};
use confab_shared::moderation::{ModAction, RoomRole};
use confab_shared::{EntryKind, Timestamp, User};

use super::contract_support::*;

fn act(room: &str, actor: &User, target: Option<&User>, action: ModAction) -> Write {
    Write::Moderate(Box::new(ModWrite {
        id: uuid::Uuid::now_v7().simple().to_string(),
        room: super::contract_support::room(room),
        actor: actor.clone(),
        actor_admin: false,
        target: target.map(|t| (t.clone(), false)),
        op: ModOp::Action(action),
        password_hash: None,
        ts: Timestamp::now(),
    }))
}

async fn one(store: &dyn Store, write: Write) -> Outcome {
    let mut out = store.commit(vec![write]).await.expect("commit");
    out.pop().expect("one outcome")
}

pub async fn moderation_is_decided_at_commit_and_logged(store: &dyn Store) {
    let owner = user(store, "owner").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let club = room("club");
    for u in [&owner, &bob, &carol] {
        one(store, join(&club, u)).await;
    }
    assert_eq!(
        store.standing(&club, &owner.id).await.expect("role").role,
        RoomRole::Owner
    );
    let bob_name = bob.name.clone();
    let kick = || ModAction::Kick {
        user: bob_name.clone(),
        reason: Default::default(),
    };
    // carol has no role yet.
    let before = store.last_pos().await.expect("pos");
    assert_eq!(
        one(store, act("club", &carol, Some(&bob), kick())).await,
        Outcome::Refused(Refusal::Forbidden(Forbidden::NoRole))
    );
    assert_eq!(
        store.last_pos().await.expect("pos"),
        before,
        "a refusal takes no position"
    );
    let appoint = ModAction::Moderator {
        user: carol.name.clone(),
        appoint: true,
    };
    assert!(matches!(
        one(store, act("club", &owner, Some(&carol), appoint)).await,
        Outcome::Moderated { left: None, .. }
    ));
    assert_eq!(
        store.standing(&club, &carol.id).await.expect("role").role,
        RoomRole::Moderator
    );

    // A ban: the entry, then the membership's end, at the next positions.
    let ban = ModAction::Ban {
        user: bob.name.clone(),
        reason: Default::default(),
    };
    let Outcome::Moderated {
        entry,
        left: Some(left),
    } = one(store, act("club", &carol, Some(&bob), ban)).await
    else {
        panic!("ban not committed");
    };
    assert_eq!(left.pos, entry.pos + 1);
    assert!(
        matches!(&left.body, LogBody::Member { user, joined: false, members: 2 } if user.id == bob.id)
    );
    assert!(store.is_banned(&club, &bob.id).await.expect("banned"));
    assert!(!store.is_member(&club, &bob.id).await.expect("member"));
    assert_eq!(
        one(store, join(&club, &bob)).await,
        Outcome::Refused(Refusal::Forbidden(Forbidden::Banned))
    );
    assert_eq!(
        one(store, post(&club, &bob, "hi")).await,
        Outcome::Refused(Refusal::Forbidden(Forbidden::Banned))
    );
    let log = store.log_after(before, 100).await.expect("log");
    assert_eq!(log.len(), 3, "appointment, ban, leave: {log:?}");
    assert!(
        matches!(&log[1].body, LogBody::Message { message, .. } if message.kind == EntryKind::Moderation && message.event.is_some())
    );

    // A mute refuses posts, also after leaving and joining again.
    let mute = ModAction::Mute {
        user: owner.name.clone(),
        seconds: 60,
        reason: Default::default(),
    };
    assert_eq!(
        one(store, act("club", &carol, Some(&owner), mute)).await,
        Outcome::Refused(Refusal::Forbidden(Forbidden::Outranked)),
        "a moderator cannot mute the owner"
    );
    let unban = ModAction::Unban {
        user: bob.name.clone(),
    };
    assert!(matches!(
        one(store, act("club", &carol, Some(&bob), unban)).await,
        Outcome::Moderated { .. }
    ));
    assert!(matches!(
        one(store, join(&club, &bob)).await,
        Outcome::Logged(_)
    ));
    let mute = ModAction::Mute {
        user: bob.name.clone(),
        seconds: 60,
        reason: Default::default(),
    };
    one(store, act("club", &carol, Some(&bob), mute)).await;
    assert!(matches!(
        one(store, post(&club, &bob, "hi")).await,
        Outcome::Refused(Refusal::Muted { .. })
    ));
    one(store, leave(&club, &bob)).await;
    one(store, join(&club, &bob)).await;
    // Still muted after the rejoin; lifted by a mute of 0 seconds.
    assert!(matches!(
        one(store, post(&club, &bob, "hi")).await,
        Outcome::Refused(Refusal::Muted { .. })
    ));
    let lift = ModAction::Mute {
        user: bob.name.clone(),
        seconds: 0,
        reason: Default::default(),
    };
    one(store, act("club", &carol, Some(&bob), lift)).await;
    assert!(matches!(
        one(store, post(&club, &bob, "hi")).await,
        Outcome::Logged(_)
    ));
    let page = store.messages_before(&club, None, 100).await.expect("page");
    for pair in page.messages.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1, "gap-free");
    }
}
