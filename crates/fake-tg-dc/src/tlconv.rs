//! Conversion of world objects to layer-230 TL objects, from one account's point of view.

use std::collections::BTreeSet;

use grammers_tl_types as tl;

use crate::world::{FileKind, Media, Message, PeerKey, World};

pub(crate) fn peer_tl(p: PeerKey) -> tl::enums::Peer {
    match p {
        PeerKey::User(user_id) => tl::types::PeerUser { user_id }.into(),
        PeerKey::Chat(chat_id) => tl::types::PeerChat { chat_id }.into(),
        PeerKey::Channel(channel_id) => tl::types::PeerChannel { channel_id }.into(),
    }
}

pub(crate) fn input_peer_tl(w: &World, p: PeerKey) -> tl::enums::InputPeer {
    match p {
        PeerKey::User(user_id) => tl::types::InputPeerUser {
            user_id,
            access_hash: w.users.get(&user_id).map(|u| u.access_hash).unwrap_or(0),
        }
        .into(),
        PeerKey::Chat(chat_id) => tl::types::InputPeerChat { chat_id }.into(),
        PeerKey::Channel(channel_id) => tl::types::InputPeerChannel {
            channel_id,
            access_hash: w
                .channels
                .get(&channel_id)
                .map(|c| c.access_hash)
                .unwrap_or(0),
        }
        .into(),
    }
}

pub(crate) fn notify_settings(muted: bool) -> tl::enums::PeerNotifySettings {
    tl::types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: muted.then_some(i32::MAX),
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    }
    .into()
}

pub(crate) fn user_tl(w: &World, viewer: Option<i64>, id: i64) -> tl::enums::User {
    let Some(u) = w.users.get(&id) else {
        return tl::types::UserEmpty { id }.into();
    };
    let is_self = viewer == Some(id);
    let contact = viewer
        .and_then(|v| w.accounts.get(&v))
        .is_some_and(|a| a.contacts.contains(&id));
    let mutual = contact
        && w.accounts
            .get(&id)
            .is_some_and(|a| viewer.is_some_and(|v| a.contacts.contains(&v)));
    tl::types::User {
        is_self,
        contact,
        mutual_contact: mutual,
        deleted: false,
        bot: u.bot,
        bot_chat_history: false,
        bot_nochats: false,
        verified: false,
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: u.premium,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: false,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id,
        access_hash: Some(u.access_hash),
        first_name: Some(u.first_name.clone()),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        phone: if is_self || contact {
            u.phone
                .as_ref()
                .map(|p| p.trim_start_matches('+').to_string())
        } else {
            None
        },
        photo: None,
        status: if u.bot {
            None
        } else {
            Some(tl::types::UserStatusRecently { by_me: false }.into())
        },
        bot_info_version: u.bot.then_some(1),
        restriction_reason: None,
        bot_inline_placeholder: None,
        lang_code: None,
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    }
    .into()
}

pub(crate) fn chat_tl(w: &World, viewer: i64, p: PeerKey) -> Option<tl::enums::Chat> {
    match p {
        PeerKey::User(_) => None,
        PeerKey::Chat(id) => {
            let g = w.groups.get(&id)?;
            Some(
                tl::types::Chat {
                    creator: g.creator == viewer,
                    left: !g.members.contains(&viewer),
                    deactivated: false,
                    call_active: false,
                    call_not_empty: false,
                    noforwards: false,
                    id,
                    title: g.title.clone(),
                    photo: tl::enums::ChatPhoto::Empty,
                    participants_count: g.members.len() as i32,
                    date: g.date,
                    version: 1,
                    migrated_to: None,
                    admin_rights: None,
                    default_banned_rights: None,
                }
                .into(),
            )
        }
        PeerKey::Channel(id) => {
            let c = w.channels.get(&id)?;
            Some(
                tl::types::Channel {
                    creator: c.creator == viewer,
                    left: !c.members.contains(&viewer),
                    broadcast: c.broadcast,
                    verified: false,
                    megagroup: !c.broadcast,
                    restricted: false,
                    signatures: false,
                    min: false,
                    scam: false,
                    has_link: c.linked.is_some(),
                    has_geo: false,
                    slowmode_enabled: false,
                    call_active: false,
                    call_not_empty: false,
                    fake: false,
                    gigagroup: false,
                    noforwards: false,
                    join_to_send: false,
                    join_request: false,
                    forum: c.forum,
                    stories_hidden: false,
                    stories_hidden_min: false,
                    stories_unavailable: false,
                    signature_profiles: false,
                    autotranslation: false,
                    broadcast_messages_allowed: false,
                    monoforum: false,
                    forum_tabs: false,
                    id,
                    access_hash: Some(c.access_hash),
                    title: c.title.clone(),
                    username: c.username.clone(),
                    photo: tl::enums::ChatPhoto::Empty,
                    date: c.date,
                    restriction_reason: None,
                    admin_rights: None,
                    banned_rights: None,
                    default_banned_rights: None,
                    participants_count: Some(c.members.len() as i32),
                    usernames: None,
                    stories_max_id: None,
                    color: None,
                    profile_color: None,
                    emoji_status: None,
                    level: None,
                    subscription_until_date: None,
                    bot_verification_icon: None,
                    send_paid_messages_stars: None,
                    linked_monoforum_id: None,
                    linked_community_id: None,
                }
                .into(),
            )
        }
    }
}

fn photo_tl(w: &World, file_id: i64) -> Option<tl::enums::Photo> {
    let f = w.files.get(&file_id)?;
    let (pw, ph) = match f.kind {
        FileKind::Photo { w, h } => (w, h),
        _ => (0, 0),
    };
    Some(
        tl::types::Photo {
            has_stickers: false,
            id: f.id,
            access_hash: f.access_hash,
            file_reference: vec![1, 2, 3, 4],
            date: f.date,
            sizes: vec![
                tl::types::PhotoSize {
                    r#type: "x".into(),
                    w: pw,
                    h: ph,
                    size: f.bytes.len() as i32,
                }
                .into(),
            ],
            video_sizes: None,
            dc_id: 2,
        }
        .into(),
    )
}

fn document_tl(w: &World, file_id: i64) -> Option<tl::enums::Document> {
    let f = w.files.get(&file_id)?;
    let mut attributes: Vec<tl::enums::DocumentAttribute> = Vec::new();
    if let FileKind::Voice { duration } = f.kind {
        attributes.push(
            tl::types::DocumentAttributeAudio {
                voice: true,
                duration,
                title: None,
                performer: None,
                waveform: None,
            }
            .into(),
        );
    }
    if let Some(name) = &f.name {
        attributes.push(
            tl::types::DocumentAttributeFilename {
                file_name: name.clone(),
            }
            .into(),
        );
    }
    Some(
        tl::types::Document {
            id: f.id,
            access_hash: f.access_hash,
            file_reference: vec![1, 2, 3, 4],
            date: f.date,
            mime_type: f.mime_type.clone(),
            size: f.bytes.len() as i64,
            thumbs: None,
            video_thumbs: None,
            dc_id: 2,
            attributes,
        }
        .into(),
    )
}

pub(crate) fn media_tl(w: &World, m: &Media) -> Option<tl::enums::MessageMedia> {
    Some(match m {
        Media::Photo(id) => tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: photo_tl(w, *id),
            ttl_seconds: None,
            video: None,
        }
        .into(),
        Media::Document(id) => tl::types::MessageMediaDocument {
            nopremium: false,
            spoiler: false,
            video: false,
            round: false,
            voice: matches!(
                w.files.get(id).map(|f| &f.kind),
                Some(FileKind::Voice { .. })
            ),
            document: document_tl(w, *id),
            alt_documents: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        }
        .into(),
        Media::Poll {
            id,
            question,
            answers,
        } => tl::types::MessageMediaPoll {
            poll: tl::types::Poll {
                id: *id,
                closed: false,
                public_voters: false,
                multiple_choice: false,
                quiz: false,
                open_answers: false,
                revoting_disabled: false,
                shuffle_answers: false,
                hide_results_until_close: false,
                creator: false,
                subscribers_only: false,
                question: tl::types::TextWithEntities {
                    text: question.clone(),
                    entities: vec![],
                }
                .into(),
                answers: answers
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        tl::types::PollAnswer {
                            text: tl::types::TextWithEntities {
                                text: a.clone(),
                                entities: vec![],
                            }
                            .into(),
                            option: vec![i as u8],
                            media: None,
                            added_by: None,
                            date: None,
                        }
                        .into()
                    })
                    .collect(),
                close_period: None,
                close_date: None,
                countries_iso2: None,
                hash: 0,
            }
            .into(),
            results: tl::types::PollResults {
                min: false,
                has_unread_votes: false,
                can_view_stats: false,
                results: None,
                total_voters: Some(0),
                recent_voters: None,
                solution: None,
                solution_entities: None,
                solution_media: None,
            }
            .into(),
            attached_media: None,
        }
        .into(),
    })
}

fn reply_header(w: &World, m: &Message) -> Option<tl::enums::MessageReplyHeader> {
    let forum = match m.peer {
        PeerKey::Channel(id) => w.channels.get(&id).is_some_and(|c| c.forum),
        _ => false,
    };
    let (reply_to_msg_id, top) = match (m.reply_to, m.thread) {
        (None, None) => return None,
        (Some(r), Some(t)) if r != t => (Some(r), Some(t)),
        (Some(r), _) => (Some(r), None),
        (None, Some(t)) => (Some(t), None),
    };
    Some(
        tl::types::MessageReplyHeader {
            reply_to_scheduled: false,
            forum_topic: forum && m.thread.is_some(),
            quote: false,
            reply_to_ephemeral: false,
            reply_to_msg_id,
            reply_to_peer_id: None,
            reply_from: None,
            reply_media: None,
            reply_to_top_id: top,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into(),
    )
}

fn replies_tl(w: &World, m: &Message) -> Option<tl::enums::MessageReplies> {
    let (group, root) = match m.peer {
        PeerKey::Channel(cid) if m.post => m
            .discussion
            .or_else(|| w.channels.get(&cid)?.linked.map(|g| (g, 0)))?,
        _ => return None,
    };
    let comments: Vec<&Message> = if root == 0 {
        Vec::new()
    } else {
        w.channels
            .get(&group)
            .map(|g| {
                g.messages
                    .iter()
                    .filter(|x| x.thread == Some(root))
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(
        tl::types::MessageReplies {
            comments: true,
            replies: comments.len() as i32,
            replies_pts: w.channels.get(&group).map(|g| g.pts).unwrap_or(0),
            recent_repliers: None,
            channel_id: Some(group),
            max_id: comments.last().map(|x| x.id),
            read_max_id: None,
        }
        .into(),
    )
}

pub(crate) fn message_tl(w: &World, viewer: i64, m: &Message) -> tl::enums::Message {
    let out = m.from == Some(PeerKey::User(viewer))
        && !matches!(m.peer, PeerKey::Channel(c) if w.channels.get(&c).is_some_and(|c| c.broadcast));
    let out = out
        || (m.post
            && matches!(m.peer, PeerKey::Channel(c) if w.channels.get(&c).is_some_and(|c| c.creator == viewer)));
    if let Some(title) = &m.topic_created {
        return tl::types::MessageService {
            out,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: false,
            post: false,
            legacy: false,
            id: m.id,
            from_id: m.from.map(peer_tl),
            peer_id: peer_tl(m.peer),
            saved_peer_id: None,
            reply_to: None,
            date: m.date,
            action: tl::types::MessageActionTopicCreate {
                title_missing: false,
                title: title.clone(),
                icon_color: 0x6FB9F0,
                icon_emoji_id: None,
            }
            .into(),
            reactions: None,
            ttl_period: None,
        }
        .into();
    }
    let unread_mention = w
        .accounts
        .get(&viewer)
        .is_some_and(|a| a.unread_mentions.contains(&(m.peer, m.id)));
    tl::types::Message {
        out,
        mentioned: unread_mention || w.mentions(viewer, m.peer, &m.text, None),
        media_unread: unread_mention,
        silent: false,
        post: m.post,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: m.pinned,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: m.id,
        from_id: m.from.map(peer_tl),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: peer_tl(m.peer),
        saved_peer_id: None,
        fwd_from: m.fwd.as_ref().map(|f| {
            tl::types::MessageFwdHeader {
                imported: false,
                saved_out: false,
                from_id: Some(peer_tl(f.from)),
                from_name: None,
                date: f.date,
                channel_post: f.channel_post,
                post_author: None,
                saved_from_peer: None,
                saved_from_msg_id: None,
                saved_from_id: None,
                saved_from_name: None,
                saved_date: None,
                psa_type: None,
            }
            .into()
        }),
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: reply_header(w, m),
        date: m.date,
        message: m.text.clone(),
        media: m.media.as_ref().and_then(|x| media_tl(w, x)),
        reply_markup: None,
        entities: if m.entities.is_empty() {
            None
        } else {
            Some(m.entities.clone())
        },
        views: m.post.then_some(100),
        forwards: m.post.then_some(0),
        replies: replies_tl(w, m),
        edit_date: m.edit_date,
        post_author: None,
        grouped_id: m.grouped_id,
        reactions: reactions_tl(viewer, &m.reactions),
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into()
}

/// The reactions of a message as `viewer` sees them: a count per emoji, in order of first use,
/// `chosen_order` on the viewer's own; `None` without reactions.
pub(crate) fn reactions_tl(
    viewer: i64,
    reactions: &[(i64, String)],
) -> Option<tl::enums::MessageReactions> {
    if reactions.is_empty() {
        return None;
    }
    let mut results: Vec<(String, i32, bool)> = Vec::new();
    for (user, emoji) in reactions {
        match results.iter_mut().find(|r| &r.0 == emoji) {
            Some(r) => r.1 += 1,
            None => results.push((emoji.clone(), 1, false)),
        }
        if *user == viewer
            && let Some(r) = results.iter_mut().find(|r| &r.0 == emoji)
        {
            r.2 = true;
        }
    }
    Some(
        tl::types::MessageReactions {
            min: false,
            can_see_list: false,
            reactions_as_tags: false,
            results: results
                .into_iter()
                .map(|(emoticon, count, chosen)| {
                    tl::types::ReactionCount {
                        chosen_order: chosen.then_some(0),
                        reaction: tl::types::ReactionEmoji { emoticon }.into(),
                        count,
                    }
                    .into()
                })
                .collect(),
            recent_reactions: None,
            top_reactors: None,
        }
        .into(),
    )
}

/// Collects the users and chats referenced by a response.
#[derive(Default)]
pub(crate) struct Refs {
    pub users: BTreeSet<i64>,
    pub chats: BTreeSet<PeerKey>,
}

impl Refs {
    pub fn peer(&mut self, p: PeerKey) {
        match p {
            PeerKey::User(id) => {
                self.users.insert(id);
            }
            other => {
                self.chats.insert(other);
            }
        }
    }

    pub fn message(&mut self, w: &World, m: &Message) {
        self.peer(m.peer);
        if let Some(f) = m.from {
            self.peer(f);
        }
        if let Some(f) = &m.fwd {
            self.peer(f.from);
        }
        if let PeerKey::Channel(c) = m.peer
            && let Some(linked) = w.channels.get(&c).and_then(|c| c.linked)
        {
            self.peer(PeerKey::Channel(linked));
        }
    }

    pub fn users_tl(&self, w: &World, viewer: i64) -> Vec<tl::enums::User> {
        self.users
            .iter()
            .map(|id| user_tl(w, Some(viewer), *id))
            .collect()
    }

    pub fn chats_tl(&self, w: &World, viewer: i64) -> Vec<tl::enums::Chat> {
        self.chats
            .iter()
            .filter_map(|p| chat_tl(w, viewer, *p))
            .collect()
    }
}
