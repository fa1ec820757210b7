//! Windows security helpers: the current user's SID, owner-only access lists for the config
//! dir and the owner's named pipe, who owns a file or a process, and whether a process lives.
//!
//! "Owner-only" on Windows is a protected DACL with a single entry granting the current user
//! full access (inherited by everything created inside a folder): the same reach as 0700/0600
//! on Unix, where administrators, like root, can still take ownership.

use std::ffi::OsStr;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use windows_sys::Win32::Foundation::{CloseHandle, ERROR_ACCESS_DENIED, HANDLE, LocalFree, STILL_ACTIVE};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertSidToStringSidW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
    SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACL, DACL_SECURITY_INFORMATION, GetSecurityDescriptorDacl, GetTokenInformation, OWNER_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_INFORMATION_CLASS,
    TOKEN_OWNER, TOKEN_QUERY, TOKEN_USER, TokenOwner, TokenUser,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetExitCodeProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// `path` as a NUL-terminated UTF-16 string.
fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(std::iter::once(0)).collect()
}

/// Takes a `LocalAlloc`ed UTF-16 string, returns it as a `String` and frees it.
///
/// # Safety
/// `p` must be a NUL-terminated string allocated with `LocalAlloc` (or null).
unsafe fn take_local_wstr(p: *mut u16) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller promises a NUL-terminated string.
    let len = (0..).take_while(|&i| unsafe { *p.add(i) } != 0).count();
    // SAFETY: `len` units were just read.
    let s = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, len) });
    // SAFETY: allocated by LocalAlloc, freed once.
    unsafe { LocalFree(p.cast()) };
    s
}

/// A process handle closed on drop.
struct OwnedHandle(HANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: a handle this struct owns, closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// One SID of the access token of `process`: its user (`TokenUser`) or the default owner of
/// the objects it creates (`TokenOwner`), in string form (`S-1-5-21-…`).
fn token_sid(process: HANDLE, class: TOKEN_INFORMATION_CLASS) -> io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: `process` is a valid process handle; `token` receives a handle we close.
    if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let token = OwnedHandle(token);
    let mut len = 0u32;
    // SAFETY: a size query with a null buffer.
    unsafe { GetTokenInformation(token.0, class, std::ptr::null_mut(), 0, &mut len) };
    if len == 0 {
        return Err(io::Error::last_os_error());
    }
    // u64 elements keep the structure aligned.
    let mut buf = vec![0u64; (len as usize).div_ceil(8)];
    // SAFETY: `buf` holds `len` bytes.
    if unsafe { GetTokenInformation(token.0, class, buf.as_mut_ptr().cast(), len, &mut len) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call filled a TOKEN_USER or TOKEN_OWNER (both start with the SID pointer).
    let sid = if class == TokenUser {
        unsafe { (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid }
    } else {
        unsafe { (*(buf.as_ptr() as *const TOKEN_OWNER)).Owner }
    };
    sid_string(sid)
}

/// `sid` in its string form.
fn sid_string(sid: PSID) -> io::Result<String> {
    let mut out: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` points at a valid SID; `out` receives a LocalAlloc'ed string.
    if unsafe { ConvertSidToStringSidW(sid, &mut out) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: allocated by the call above.
    Ok(unsafe { take_local_wstr(out) })
}

/// The SID of the user this process runs as (string form), looked up once.
pub fn current_user_sid() -> io::Result<&'static str> {
    static SID: OnceLock<String> = OnceLock::new();
    if let Some(s) = SID.get() {
        return Ok(s);
    }
    // SAFETY: the pseudo-handle of this process needs no closing.
    let sid = token_sid(unsafe { GetCurrentProcess() }, TokenUser)?;
    Ok(SID.get_or_init(|| sid))
}

/// Whether files owned by `sid` count as ours: owned by this user, or by the default owner
/// this process gives new files (the Administrators group, for an elevated administrator on
/// systems set up that way).
pub fn is_own_sid(sid: &str) -> io::Result<bool> {
    static DEFAULT_OWNER: OnceLock<String> = OnceLock::new();
    if sid == current_user_sid()? {
        return Ok(true);
    }
    let owner = match DEFAULT_OWNER.get() {
        Some(o) => o,
        // SAFETY: the pseudo-handle of this process needs no closing.
        None => DEFAULT_OWNER.get_or_init(|| token_sid(unsafe { GetCurrentProcess() }, TokenOwner).unwrap_or_default()),
    };
    Ok(sid == owner)
}

/// Whether this is Wine rather than Windows (Wine maps file access lists to Unix modes and
/// does not keep them, so the access-list tests have nothing to check there).
#[cfg(test)]
pub fn running_under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
    // SAFETY: ntdll is loaded in every process; the name is NUL-terminated.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

/// The SID of the user process `pid` runs as.
pub fn process_user_sid(pid: u32) -> io::Result<String> {
    // SAFETY: plain handle request; the result is checked and closed.
    let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if h.is_null() {
        return Err(io::Error::last_os_error());
    }
    let h = OwnedHandle(h);
    token_sid(h.0, TokenUser)
}

/// Whether process `pid` is running (a process we may not inspect counts as running).
pub fn process_alive(pid: u32) -> bool {
    // SAFETY: plain handle request; the result is checked and closed.
    let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if h.is_null() {
        return io::Error::last_os_error().raw_os_error() == Some(ERROR_ACCESS_DENIED as i32);
    }
    let h = OwnedHandle(h);
    let mut code = 0u32;
    // SAFETY: `h` is a valid process handle.
    let ok = unsafe { GetExitCodeProcess(h.0, &mut code) };
    ok != 0 && code == STILL_ACTIVE as u32
}

/// A security descriptor built from SDDL text, freed on drop.
pub struct SecurityDescriptor(PSECURITY_DESCRIPTOR);

// SAFETY: the descriptor is immutable after creation and owned by this value alone.
unsafe impl Send for SecurityDescriptor {}
// SAFETY: as above; only read through shared references.
unsafe impl Sync for SecurityDescriptor {}

impl SecurityDescriptor {
    /// Parses `sddl` (e.g. `D:P(A;;GA;;;S-1-5-…)`).
    pub fn from_sddl(sddl: &str) -> io::Result<Self> {
        let text = wide(OsStr::new(sddl));
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `text` is NUL-terminated; `sd` receives a LocalAlloc'ed descriptor we free.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(SecurityDescriptor(sd))
    }

    /// A descriptor whose only entry gives the current user full access, protected from
    /// inheritance; `inherit` passes the entry on to files and folders created inside.
    pub fn owner_only(inherit: bool) -> io::Result<Self> {
        Self::from_sddl(&owner_only_sddl(current_user_sid()?, inherit))
    }

    /// Its DACL.
    fn dacl(&self) -> io::Result<*mut ACL> {
        let (mut present, mut defaulted) = (0, 0);
        let mut acl: *mut ACL = std::ptr::null_mut();
        // SAFETY: `self.0` is a valid descriptor; the out-pointers are locals.
        if unsafe { GetSecurityDescriptorDacl(self.0, &mut present, &mut acl, &mut defaulted) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(acl)
    }

    /// Security attributes pointing at this descriptor (valid while `self` lives).
    pub fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        }
    }
}

impl Drop for SecurityDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW, freed once.
        unsafe { LocalFree(self.0) };
    }
}

/// SDDL of an owner-only DACL for `sid` (`inherit`: passed on to children).
pub fn owner_only_sddl(sid: &str, inherit: bool) -> String {
    format!("D:P(A;{};FA;;;{sid})", if inherit { "OICI" } else { "" })
}

/// Gives `path` an owner-only DACL (inherited by its contents when it is a folder).
pub fn restrict_to_owner(path: &Path, is_dir: bool) -> io::Result<()> {
    set_protected_dacl(path, &SecurityDescriptor::owner_only(is_dir)?)
}

/// Replaces `path`'s DACL with `sd`'s, not inheriting from the parent folder.
pub fn set_protected_dacl(path: &Path, sd: &SecurityDescriptor) -> io::Result<()> {
    let acl = sd.dacl()?;
    let name = wide(path.as_os_str());
    // SAFETY: `name` is NUL-terminated; `acl` lives in `sd`, which outlives the call.
    let rc = unsafe {
        SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    Ok(())
}

/// Who owns `path` (SID string) and its DACL in SDDL form.
pub fn file_security(path: &Path) -> io::Result<(String, String)> {
    let name = wide(path.as_os_str());
    let mut owner: PSID = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `name` is NUL-terminated; `owner` points into `sd`, which we free below.
    let rc = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut sd,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    let sd = SecurityDescriptor(sd);
    let owner = sid_string(owner)?;
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sd.0` is a valid descriptor; `text` receives a LocalAlloc'ed string.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd.0,
            SDDL_REVISION_1,
            DACL_SECURITY_INFORMATION,
            &mut text,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: allocated by the call above.
    Ok((owner, unsafe { take_local_wstr(text) }))
}

/// Whether a DACL (SDDL) lets nobody but `sid` in: it exists (a null DACL lets everyone in),
/// and every entry that allows anything names `sid`.
pub fn dacl_is_owner_only(sddl: &str, sid: &str) -> bool {
    let Some(body) = sddl.strip_prefix("D:") else { return false };
    if body.contains("NO_ACCESS_CONTROL") {
        return false;
    }
    let aces: Vec<&str> = body.split('(').skip(1).map(|a| a.trim_end_matches(')')).collect();
    !aces.is_empty()
        && aces.iter().all(|ace| {
            let fields: Vec<&str> = ace.split(';').collect();
            let allow = fields.first().is_some_and(|t| t.starts_with('A') || t.starts_with("XA"));
            !allow || fields.last().is_some_and(|s| *s == sid)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_only_dacls_are_told_apart() {
        let me = "S-1-5-21-1-2-3-1001";
        assert!(dacl_is_owner_only(&owner_only_sddl(me, true), me));
        assert!(dacl_is_owner_only("D:AI(A;ID;FA;;;S-1-5-21-1-2-3-1001)", me));
        assert!(dacl_is_owner_only("D:P(D;;FA;;;WD)(A;;FA;;;S-1-5-21-1-2-3-1001)", me));
        assert!(!dacl_is_owner_only("D:NO_ACCESS_CONTROL", me));
        assert!(!dacl_is_owner_only("D:", me), "an empty DACL locks out the owner too");
        assert!(!dacl_is_owner_only("D:AI(A;ID;FA;;;S-1-5-21-1-2-3-1001)(A;ID;FR;;;BU)", me));
        assert!(!dacl_is_owner_only("D:(A;;FA;;;SY)", me));
    }

    #[test]
    fn a_restricted_folder_is_owner_only_and_passes_it_on() {
        if running_under_wine() {
            eprintln!("not checked under Wine, which keeps no access lists; the Windows CI job runs it");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg");
        std::fs::create_dir(&cfg).unwrap();
        restrict_to_owner(&cfg, true).unwrap();
        std::fs::write(cfg.join("tokens.json"), b"{}").unwrap();
        let me = current_user_sid().unwrap();
        for p in [cfg.clone(), cfg.join("tokens.json")] {
            let (owner, dacl) = file_security(&p).unwrap();
            assert_eq!(owner, me, "{}", p.display());
            assert!(dacl_is_owner_only(&dacl, me), "{}: {dacl}", p.display());
        }
    }

    #[test]
    fn this_process_runs_as_the_current_user_and_is_alive() {
        let pid = std::process::id();
        assert!(process_alive(pid));
        assert_eq!(process_user_sid(pid).unwrap(), current_user_sid().unwrap());
        assert!(!process_alive(u32::MAX - 3), "no such process");
    }
}
