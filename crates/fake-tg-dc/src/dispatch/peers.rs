//! Users, chats and channels by id, their full info (`users.getFullUser`, `messages.getFullChat`, `channels.getFullChannel`) and forum topics.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::{input_channel, input_peer, input_user};
use super::dialogs::unread;
use super::{Ctx, Res, bad, decode};
use crate::tlconv::{Refs, chat_tl, message_tl, notify_settings, peer_tl, user_tl};
use crate::world::{PeerKey, World};

/// `users.getUsers`: users the viewer may name; others are left out.
pub(super) fn users_get_users(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::users::GetUsers = decode(ctx, body)?;
    let me = ctx.me()?;
    let mut out = Vec::new();
    for u in &r.id {
        if let Ok(uid) = input_user(ctx.w(), me, u) {
            out.push(user_tl(ctx.w(), Some(me), uid));
        }
    }
    Ok(out.to_bytes())
}

/// `users.getFullUser`
pub(super) fn users_get_full_user(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::users::GetFullUser = decode(ctx, body)?;
    let me = ctx.me()?;
    let uid = input_user(ctx.w(), me, &r.id)?;
    Ok(full_user(ctx.w(), me, uid).to_bytes())
}

/// `messages.getChats`
pub(super) fn messages_get_chats(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetChats = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let chats =
        r.id.iter()
            .filter_map(|id| chat_tl(w, me, PeerKey::Chat(*id)))
            .collect();
    Ok(tl::enums::messages::Chats::Chats(tl::types::messages::Chats { chats }).to_bytes())
}

/// `channels.getChannels`
pub(super) fn channels_get_channels(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::channels::GetChannels = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let mut chats = Vec::new();
    for c in &r.id {
        let id = input_channel(w, c)?;
        chats.extend(chat_tl(w, me, PeerKey::Channel(id)));
    }
    Ok(tl::enums::messages::Chats::Chats(tl::types::messages::Chats { chats }).to_bytes())
}

/// `messages.getFullChat`
pub(super) fn messages_get_full_chat(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetFullChat = decode(ctx, body)?;
    let me = ctx.me()?;
    full_chat(ctx.w(), me, r.chat_id)
}

/// `channels.getFullChannel`
pub(super) fn channels_get_full_channel(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::channels::GetFullChannel = decode(ctx, body)?;
    let me = ctx.me()?;
    let id = input_channel(ctx.w(), &r.channel)?;
    full_channel(ctx.w(), me, id)
}

/// `messages.getForumTopics`: by newest message, optionally by title, after `offset_topic`.
pub(super) fn messages_get_forum_topics(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetForumTopics = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = input_peer(ctx.w(), me, &r.peer)?;
    forum_topics(
        ctx.w(),
        me,
        peer,
        r.q.as_deref(),
        r.offset_topic,
        r.limit,
        None,
    )
}

/// `messages.getForumTopicsById`
pub(super) fn messages_get_forum_topics_by_id(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetForumTopicsById = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = input_peer(ctx.w(), me, &r.peer)?;
    forum_topics(ctx.w(), me, peer, None, 0, 100, Some(&r.topics))
}

fn peer_settings() -> tl::enums::PeerSettings {
    tl::types::PeerSettings {
        report_spam: false,
        add_contact: false,
        block_contact: false,
        share_contact: false,
        need_contacts_exception: false,
        report_geo: false,
        autoarchived: false,
        invite_members: false,
        request_chat_broadcast: false,
        business_bot_paused: false,
        business_bot_can_reply: false,
        geo_distance: None,
        request_chat_title: None,
        request_chat_date: None,
        business_bot_id: None,
        business_bot_manage_url: None,
        charge_paid_message_stars: None,
        registration_month: None,
        phone_country: None,
        name_change_date: None,
        photo_change_date: None,
    }
    .into()
}

fn full_user(w: &World, me: i64, uid: i64) -> tl::enums::users::UserFull {
    let u = w.users.get(&uid);
    let common = w
        .groups
        .values()
        .filter(|g| g.members.contains(&me) && g.members.contains(&uid))
        .count()
        + w.channels
            .values()
            .filter(|c| !c.broadcast && c.members.contains(&me) && c.members.contains(&uid))
            .count();
    tl::types::users::UserFull {
        full_user: tl::types::UserFull {
            blocked: false,
            phone_calls_available: false,
            phone_calls_private: false,
            can_pin_message: true,
            has_scheduled: false,
            video_calls_available: false,
            voice_messages_forbidden: false,
            translations_disabled: false,
            stories_pinned_available: false,
            blocked_my_stories_from: false,
            wallpaper_overridden: false,
            contact_require_premium: false,
            read_dates_private: false,
            sponsored_enabled: false,
            can_view_revenue: false,
            bot_can_manage_emoji_status: false,
            display_gifts_button: false,
            noforwards_my_enabled: false,
            noforwards_peer_enabled: false,
            unofficial_security_risk: false,
            id: uid,
            about: u.and_then(|u| u.about.clone()),
            settings: peer_settings(),
            personal_photo: None,
            profile_photo: None,
            fallback_photo: None,
            notify_settings: notify_settings(false),
            bot_info: None,
            pinned_msg_id: None,
            common_chats_count: common as i32,
            folder_id: None,
            ttl_period: None,
            theme: None,
            private_forward_name: None,
            bot_group_admin_rights: None,
            bot_broadcast_admin_rights: None,
            wallpaper: None,
            stories: None,
            business_work_hours: None,
            business_location: None,
            business_greeting_message: None,
            business_away_message: None,
            business_intro: None,
            birthday: None,
            personal_channel_id: None,
            personal_channel_message: None,
            stargifts_count: None,
            starref_program: None,
            bot_verification: None,
            send_paid_messages_stars: None,
            disallowed_gifts: None,
            stars_rating: None,
            stars_my_pending_rating: None,
            stars_my_pending_rating_date: None,
            main_tab: None,
            saved_music: None,
            note: None,
            bot_manager_id: None,
        }
        .into(),
        chats: vec![],
        users: vec![user_tl(w, Some(me), uid)],
    }
    .into()
}

fn full_chat(w: &World, me: i64, chat_id: i64) -> Res {
    let g = w
        .groups
        .get(&chat_id)
        .ok_or_else(|| bad("CHAT_ID_INVALID"))?;
    let full = tl::types::ChatFull {
        can_set_username: false,
        has_scheduled: false,
        translations_disabled: false,
        has_welcome_messages: false,
        id: chat_id,
        about: g.about.clone(),
        participants: tl::types::ChatParticipants {
            chat_id,
            participants: g
                .members
                .iter()
                .map(|u| {
                    tl::types::ChatParticipant {
                        user_id: *u,
                        inviter_id: g.creator,
                        date: g.date,
                        rank: None,
                    }
                    .into()
                })
                .collect(),
            version: 1,
        }
        .into(),
        chat_photo: None,
        notify_settings: notify_settings(
            w.accounts
                .get(&me)
                .is_some_and(|a| a.muted.contains(&PeerKey::Chat(chat_id))),
        ),
        exported_invite: None,
        bot_info: None,
        pinned_msg_id: None,
        folder_id: None,
        call: None,
        ttl_period: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        available_reactions: None,
        reactions_limit: None,
    };
    let mut refs = Refs::default();
    refs.peer(PeerKey::Chat(chat_id));
    for m in &g.members {
        refs.peer(PeerKey::User(*m));
    }
    Ok(
        tl::enums::messages::ChatFull::Full(tl::types::messages::ChatFull {
            full_chat: full.into(),
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
        })
        .to_bytes(),
    )
}

fn full_channel(w: &World, me: i64, id: i64) -> Res {
    let c = w.channels.get(&id).ok_or_else(|| bad("CHANNEL_INVALID"))?;
    if !w.can_read(me, PeerKey::Channel(id)) {
        return Err(bad("CHANNEL_PRIVATE"));
    }
    let (read, unread_count) = unread(w, me, PeerKey::Channel(id));
    let full = tl::types::ChannelFull {
        can_view_participants: !c.broadcast,
        can_set_username: false,
        can_set_stickers: false,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: false,
        blocked: false,
        can_delete_channel: c.creator == me,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: false,
        paid_messages_available: false,
        has_welcome_messages: false,
        id,
        about: c.about.clone(),
        participants_count: Some(c.members.len() as i32),
        admins_count: Some(1),
        kicked_count: None,
        banned_count: None,
        online_count: None,
        read_inbox_max_id: read,
        read_outbox_max_id: c.last_id,
        unread_count,
        chat_photo: tl::types::PhotoEmpty { id: 0 }.into(),
        notify_settings: notify_settings(false),
        exported_invite: None,
        bot_info: vec![],
        migrated_from_chat_id: None,
        migrated_from_max_id: None,
        pinned_msg_id: None,
        stickerset: None,
        available_min_id: None,
        folder_id: None,
        linked_chat_id: c.linked,
        location: None,
        slowmode_seconds: None,
        slowmode_next_send_date: None,
        stats_dc: None,
        pts: c.pts,
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: None,
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    };
    let mut refs = Refs::default();
    refs.peer(PeerKey::Channel(id));
    if let Some(l) = c.linked {
        refs.peer(PeerKey::Channel(l));
    }
    Ok(
        tl::enums::messages::ChatFull::Full(tl::types::messages::ChatFull {
            full_chat: full.into(),
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
        })
        .to_bytes(),
    )
}

fn forum_topics(
    w: &World,
    me: i64,
    peer: PeerKey,
    q: Option<&str>,
    offset_topic: i32,
    limit: i32,
    only: Option<&[i32]>,
) -> Res {
    let PeerKey::Channel(cid) = peer else {
        return Err(bad("CHANNEL_INVALID"));
    };
    let c = w.channels.get(&cid).ok_or_else(|| bad("CHANNEL_INVALID"))?;
    if !c.forum {
        return Err(bad("CHANNEL_FORUM_MISSING"));
    }
    if !w.can_read(me, peer) {
        return Err(bad("CHANNEL_PRIVATE"));
    }
    let top_of = |t: i32| {
        c.messages
            .iter()
            .rfind(|m| m.thread == Some(t) || m.id == t)
    };
    let mut topics: Vec<_> = c
        .topics
        .iter()
        .filter(|t| only.is_none_or(|o| o.contains(&t.id)))
        .filter(|t| q.is_none_or(|q| t.title.to_lowercase().contains(&q.to_lowercase())))
        .collect();
    topics.sort_by_key(|t| std::cmp::Reverse(top_of(t.id).map(|m| (m.date, m.id))));
    let count = topics.len();
    if offset_topic != 0
        && let Some(i) = topics.iter().position(|t| t.id == offset_topic)
    {
        topics.drain(..=i);
    }
    topics.truncate(limit.clamp(0, 100) as usize);
    let mut refs = Refs::default();
    refs.peer(peer);
    let mut messages = Vec::new();
    let mut out = Vec::new();
    for t in topics {
        let top = top_of(t.id);
        if let Some(m) = top {
            refs.message(w, m);
            messages.push(message_tl(w, me, m));
        }
        refs.peer(PeerKey::User(t.creator));
        out.push(
            tl::types::ForumTopic {
                my: t.creator == me,
                closed: false,
                pinned: false,
                short: false,
                hidden: false,
                title_missing: false,
                id: t.id,
                date: t.date,
                peer: peer_tl(peer),
                title: t.title.clone(),
                icon_color: 0x6FB9F0,
                icon_emoji_id: None,
                top_message: top.map(|m| m.id).unwrap_or(t.id),
                read_inbox_max_id: top.map(|m| m.id).unwrap_or(t.id),
                read_outbox_max_id: top.map(|m| m.id).unwrap_or(t.id),
                unread_count: 0,
                unread_mentions_count: 0,
                unread_reactions_count: 0,
                unread_poll_votes_count: 0,
                from_id: peer_tl(PeerKey::User(t.creator)),
                notify_settings: notify_settings(false),
                draft: None,
            }
            .into(),
        );
    }
    Ok(
        tl::enums::messages::ForumTopics::Topics(tl::types::messages::ForumTopics {
            order_by_create_date: false,
            count: count as i32,
            topics: out,
            messages,
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
            pts: c.pts,
        })
        .to_bytes(),
    )
}
