//! Login: `auth.sendCode`/`signIn`, 2FA (`account.getPassword`, `auth.checkPassword` over SRP), QR login tokens and `auth.logOut`.

use std::sync::Arc;

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::{Ctx, Res, RpcErr, Verifier, bad, decode, err};
use crate::tlconv::user_tl;
use crate::world::{World, now};
use crate::{Shared, srp};

/// The verifier for the account `key_id` is logging in to, if it has 2FA. It costs 100 000
/// PBKDF2 rounds the first time, so `call` computes it before taking the lock.
pub(super) async fn precompute_verifier(
    shared: &Arc<Shared>,
    key_id: [u8; 8],
) -> Result<Option<Verifier>, RpcErr> {
    let account = {
        let st = shared.lock();
        st.keys
            .get(&key_id)
            .and_then(|k| k.pending_2fa.or(k.user))
            .and_then(|uid| st.world.accounts.get(&uid))
            .and_then(|a| a.password.clone().map(|p| (a.user_id, p)))
    };
    let Some((uid, pw)) = account else {
        return Ok(None);
    };
    let pw2 = pw.clone();
    let v = tokio::task::spawn_blocking(move || srp::verifier(uid, &pw2))
        .await
        .map_err(|_| err(500, "INTERNAL"))?;
    Ok(Some((uid, pw, v)))
}

fn authorization(w: &World, uid: i64) -> tl::enums::auth::Authorization {
    tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: user_tl(w, Some(uid), uid),
    }
    .into()
}

/// `auth.sendCode`: always a code "sent via the app", with a fresh `phone_code_hash`.
pub(super) fn auth_send_code(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::auth::SendCode = decode(ctx, body)?;
    let phone = &r.phone_number;
    let uid = ctx
        .w()
        .account_by_phone(phone)
        .ok_or_else(|| bad("PHONE_NUMBER_INVALID"))?;
    let len = ctx
        .w()
        .accounts
        .get(&uid)
        .map(|a| a.code.len())
        .unwrap_or(5) as i32;
    let hash = format!("{:016x}", rand::random::<u64>());
    ctx.st.code_hashes.insert(hash.clone(), phone.to_string());
    Ok(tl::enums::auth::SentCode::Code(tl::types::auth::SentCode {
        r#type: tl::types::auth::SentCodeTypeApp { length: len }.into(),
        phone_code_hash: hash,
        next_type: None,
        timeout: None,
    })
    .to_bytes())
}

/// `auth.signIn`: checks the hash and code; an account with 2FA then waits for its password.
pub(super) fn auth_sign_in(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::auth::SignIn = decode(ctx, body)?;
    let uid = ctx
        .w()
        .account_by_phone(&r.phone_number)
        .ok_or_else(|| bad("PHONE_NUMBER_INVALID"))?;
    match ctx.st.code_hashes.get(&r.phone_code_hash) {
        Some(p) if ctx.st.world.account_by_phone(p) == Some(uid) => {}
        _ => return Err(bad("PHONE_CODE_EXPIRED")),
    }
    let code = r.phone_code.ok_or_else(|| bad("PHONE_CODE_EMPTY"))?;
    let acc = ctx
        .w()
        .accounts
        .get(&uid)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    if acc.code != code {
        return Err(bad("PHONE_CODE_INVALID"));
    }
    let has_pw = acc.password.is_some();
    ctx.st.code_hashes.remove(&r.phone_code_hash);
    let key = ctx
        .st
        .keys
        .get_mut(&ctx.key_id)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    if has_pw {
        key.pending_2fa = Some(uid);
        return Err(err(401, "SESSION_PASSWORD_NEEDED"));
    }
    key.user = Some(uid);
    key.pending_2fa = None;
    Ok(authorization(ctx.w(), uid).to_bytes())
}

/// Challenges kept per auth key: a client may retry an older `srp_id` (grammers reuses its
/// token after PASSWORD_HASH_INVALID) until it succeeds or asks for many newer ones.
const SRP_CHALLENGES_PER_KEY: usize = 8;

/// `account.getPassword`: a fresh SRP challenge for the account being logged in to (or the
/// logged-in one), or "no password".
pub(super) fn account_get_password(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::account::GetPassword>(ctx, body)?;
    let key = ctx.st.keys.get(&ctx.key_id);
    let uid = key.and_then(|k| k.pending_2fa.or(k.user));
    let Some(acc) = uid.and_then(|u| ctx.w().accounts.get(&u)) else {
        return Ok(srp::password_tl(0, None, None).to_bytes());
    };
    let (uid, hint) = (acc.user_id, acc.hint.clone());
    let current = acc.password.clone();
    let challenge = current.map(|pw| {
        let v = match ctx.verifier.take() {
            Some((vu, vp, v)) if vu == uid && vp == pw => v,
            // Only if the world changed since `call` looked: slow, but rare and correct.
            _ => srp::verifier(uid, &pw),
        };
        let c = srp::Challenge::new(ctx.key_id, uid, &pw, v);
        let srp_id = rand::random::<i64>();
        let srp_b = c.srp_b.clone();
        let key_id = ctx.key_id;
        let srp = &mut ctx.st.srp;
        srp.push((srp_id, c));
        let mine = srp.iter().filter(|(_, c)| c.key_id == key_id).count();
        let mut surplus = mine.saturating_sub(SRP_CHALLENGES_PER_KEY);
        srp.retain(|(_, c)| {
            let old = c.key_id == key_id && surplus > 0;
            surplus -= usize::from(old);
            !old
        });
        (srp_id, srp_b)
    });
    Ok(srp::password_tl(uid, hint.as_deref(), challenge).to_bytes())
}

/// `auth.checkPassword`: verifies the SRP proof against a challenge this key was given.
pub(super) fn auth_check_password(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::auth::CheckPassword = decode(ctx, body)?;
    let tl::enums::InputCheckPasswordSrp::Srp(srp_in) = r.password else {
        return Err(bad("PASSWORD_HASH_INVALID"));
    };
    let key_id = ctx.key_id;
    let pending = ctx.st.keys.get(&key_id).and_then(|k| k.pending_2fa);
    let Some((_, c)) = ctx
        .st
        .srp
        .iter()
        .find(|(id, c)| *id == srp_in.srp_id && c.key_id == key_id)
    else {
        return Err(bad("SRP_ID_INVALID"));
    };
    let uid = c.user_id;
    let still_same =
        ctx.w().accounts.get(&uid).and_then(|a| a.password.as_ref()) == Some(&c.password);
    if pending != Some(uid) || !still_same {
        return Err(bad("SRP_ID_INVALID"));
    }
    if !c.verify(&srp_in.a, &srp_in.m1) {
        return Err(bad("PASSWORD_HASH_INVALID"));
    }
    ctx.st.srp.retain(|(_, c)| c.key_id != key_id);
    let key = ctx
        .st
        .keys
        .get_mut(&key_id)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    key.user = Some(uid);
    key.pending_2fa = None;
    Ok(authorization(ctx.w(), uid).to_bytes())
}

/// `auth.logOut`: the key stays, logged in to nobody.
pub(super) fn auth_log_out(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::auth::LogOut>(ctx, body)?;
    ctx.me()?;
    if let Some(k) = ctx.st.keys.get_mut(&ctx.key_id) {
        k.user = None;
        k.pending_2fa = None;
    }
    Ok(tl::enums::auth::LoggedOut::Out(tl::types::auth::LoggedOut {
        future_auth_token: None,
    })
    .to_bytes())
}

/// `auth.exportLoginToken`: logs in if another session accepted this key's QR token, else
/// issues a new one.
pub(super) fn auth_export_login_token(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::auth::ExportLoginToken>(ctx, body)?;
    login_token(ctx, None)
}

/// `auth.importLoginToken`: like export, for a given token.
pub(super) fn auth_import_login_token(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::auth::ImportLoginToken = decode(ctx, body)?;
    login_token(ctx, Some(r.token))
}

/// QR login: logs the key in once its token was accepted, else issues a fresh token.
fn login_token(ctx: &mut Ctx, import: Option<Vec<u8>>) -> Res {
    let now = now();
    let key_id = ctx.key_id;
    let accepted = match &import {
        Some(token) => match ctx.st.qr.get(token) {
            Some(t) if t.accepted_by.is_some() => Some((token.clone(), t.accepted_by)),
            Some(t) if t.expires >= now => {
                return Ok(
                    tl::enums::auth::LoginToken::Token(tl::types::auth::LoginToken {
                        expires: t.expires,
                        token: token.clone(),
                    })
                    .to_bytes(),
                );
            }
            _ => return Err(bad("AUTH_TOKEN_INVALID")),
        },
        None => ctx
            .st
            .qr
            .iter()
            .find(|(_, t)| t.key_id == key_id && t.accepted_by.is_some())
            .map(|(k, t)| (k.clone(), t.accepted_by)),
    };
    if let Some((token, Some(uid))) = accepted {
        ctx.st.qr.remove(&token);
        let has_pw = ctx
            .w()
            .accounts
            .get(&uid)
            .is_some_and(|a| a.password.is_some());
        let key = ctx
            .st
            .keys
            .get_mut(&key_id)
            .ok_or_else(|| err(500, "INTERNAL"))?;
        if has_pw {
            key.pending_2fa = Some(uid);
            return Err(err(401, "SESSION_PASSWORD_NEEDED"));
        }
        key.user = Some(uid);
        key.pending_2fa = None;
        return Ok(
            tl::enums::auth::LoginToken::Success(tl::types::auth::LoginTokenSuccess {
                authorization: authorization(ctx.w(), uid),
            })
            .to_bytes(),
        );
    }
    let token: Vec<u8> = (0..24).map(|_| rand::random::<u8>()).collect();
    let expires = now + ctx.st.qr_lifetime;
    ctx.st
        .qr
        .retain(|_, t| !(t.key_id == key_id && t.accepted_by.is_none()));
    ctx.st.qr.insert(
        token.clone(),
        crate::QrToken {
            key_id,
            expires,
            accepted_by: None,
        },
    );
    Ok(
        tl::enums::auth::LoginToken::Token(tl::types::auth::LoginToken { expires, token })
            .to_bytes(),
    )
}
